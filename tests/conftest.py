"""Shared fixtures: an isolated in-process AWS (moto), a fresh workspace per test, tokens."""

from __future__ import annotations

import os
import uuid

import pytest

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AUTH_MODE": "local",
    "JWT_SECRET": "test-secret-that-is-at-least-32-bytes-long",
    "DESKFLOW_TABLE_PREFIX": "deskflow-test",
    "DESKFLOW_STAGE": "test",
    "ALLOWED_ORIGINS": "https://helpdesk.example.com",
    "POWERTOOLS_SERVICE_NAME": "deskflow",
    "POWERTOOLS_METRICS_NAMESPACE": "Deskflow",
    "LOG_LEVEL": "WARNING",
    "DESKFLOW_RELOAD": "0",  # stacks started by tests serve from their own process, without a code watcher
}
for _name, _value in TEST_ENV.items():
    os.environ[_name] = _value
for _name in ("AWS_ENDPOINT_URL", "REQUIRE_IDEMPOTENCY_KEY", "OIDC_JWKS_URL"):
    os.environ.pop(_name, None)


def reset_runtime() -> None:
    from chalicelib.aws import reset_clients
    from chalicelib.settings import reset_settings

    reset_settings()
    reset_clients()


@pytest.fixture
def env(monkeypatch):
    """Change environment variables for one test; settings and clients are re-read."""

    class _Env:
        def set(self, **values):
            for name, value in values.items():
                if value is None:
                    monkeypatch.delenv(name, raising=False)
                else:
                    monkeypatch.setenv(name, value)
            reset_runtime()

    yield _Env()
    monkeypatch.undo()
    reset_runtime()


@pytest.fixture
def aws():
    """An in-process moto AWS with every Deskflow resource bootstrapped."""
    from moto import mock_aws

    with mock_aws():
        reset_runtime()
        from infra.bootstrap import bootstrap

        bootstrap()
        yield
    reset_runtime()


@pytest.fixture
def workspace_id() -> str:
    return f"ws-{uuid.uuid4().hex[:12]}"


def make_token(user_id: str, workspaces, roles, email: str | None = None) -> str:
    from chalicelib.auth.tokens import issue_local_token

    return issue_local_token(user_id, email or f"{user_id}@example.com", roles, workspaces, display_name=user_id)


@pytest.fixture
def client(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


MEMBER_PASSWORD = "correct horse battery"


def add_member(workspace: str, role: str, user_id: str | None = None) -> str:
    """Make a real directory member (password account) with ``role`` in ``workspace``; returns its
    id. ``user_id`` picks the id: the same id in another workspace is the same account joining it."""
    from chalicelib.domain.directory import create_user

    label = user_id or f"{role}-{uuid.uuid4().hex[:8]}"
    return create_user(workspace, f"{label}@example.com", MEMBER_PASSWORD, [role], user_id=user_id)["id"]


@pytest.fixture
def as_role(aws, workspace_id, cheap_password_hashing):
    """``as_role("agent")`` → headers for a caller with that role in the test workspace: a real
    member of the directory (``user_id="req-1"`` names it, and the same name is the same member)."""
    members: dict[tuple[str, str], str] = {}

    def headers(role: str, user_id: str | None = None, workspace: str | None = None, **extra) -> dict:
        user_id = user_id or f"{role}-{uuid.uuid4().hex[:6]}"
        workspace = workspace or workspace_id
        if (user_id, workspace) not in members:
            from chalicelib.domain.directory import member_roles

            existing = member_roles(workspace, user_id)  # made by the ``member`` fixture, say
            if not existing:
                add_member(workspace, role, user_id)
            members[(user_id, workspace)] = role if not existing or role in existing else sorted(existing)[0]
        assert members[(user_id, workspace)] == role, f"{user_id} is already a {members[(user_id, workspace)]}"
        result = {
            "Authorization": f"Bearer {make_token(user_id, [workspace], [role])}",
            "x-workspace-id": workspace,
            "Content-Type": "application/json",
        }
        result.update(extra)
        return result

    return headers


@pytest.fixture
def cheap_password_hashing(monkeypatch):
    """Real scrypt at a lower cost, for tests about the directory rather than the hash's strength
    (tests/unit/test_passwords.py checks the production parameters)."""
    from chalicelib.auth import passwords

    monkeypatch.setattr(passwords, "SCRYPT_N", 2**10)


@pytest.fixture
def member(aws, workspace_id, cheap_password_hashing):
    """``member("agent")`` → the id of a real directory user with that role in the test workspace."""

    def create(role: str, workspace: str | None = None, user_id: str | None = None) -> str:
        return add_member(workspace or workspace_id, role, user_id)

    return create


@pytest.fixture
def clock():
    """The clock every part of Deskflow reads, frozen at the real time; ``clock.advance(minutes=5)``."""
    from chalicelib.clock import ManualClock, use_clock

    with use_clock(ManualClock()) as manual:
        yield manual
