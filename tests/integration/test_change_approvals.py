"""Approval gates end to end on the local stack (moto server with Step Functions executing, the local
event runtime running the change-approvals consumer), driven over HTTP: a change with a quorum of 2 of 3
runs through the real state machine to approved, another is rejected, another expires."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.integration.local_stack import DEMO_PASSWORD, LocalStackProcess, as_member, call
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("approvals-stack")
    running = LocalStackProcess(state_dir=folder / "state", log_path=folder / "stack.log")
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def people(stack):
    """The demo agent (who asks) and three approvers made for this run, each logged in."""
    admin = as_member(stack.login("admin@example.com"))
    approvers = {}
    for number in (1, 2, 3):
        email = f"approver-{number}-{uuid.uuid4().hex[:6]}@example.com"
        made = call(
            "POST",
            f"{stack.api_url}/api/v1/users",
            {"email": email, "password": DEMO_PASSWORD + "-approver", "roles": ["agent"]},
            admin,
        )
        assert made.status == 201, made.body
        token = call(
            "POST", f"{stack.api_url}/api/v1/auth/login", {"email": email, "password": DEMO_PASSWORD + "-approver"}
        )
        approvers[made.json()["id"]] = as_member(token.json()["token"])
    return {"agent": as_member(stack.login()), "approvers": approvers}


def api(stack, method, path, headers, body=None):
    reply = call(method, f"{stack.api_url}/api/v1{path}", body, headers)
    return reply.status, (reply.json() if reply.body else None)


def request_change(stack, people, **policy) -> dict:
    status, ticket = api(stack, "POST", "/tickets", people["agent"], {"title": f"Phishing {uuid.uuid4().hex[:6]}"})
    assert status == 201, ticket
    body = {
        "ticket_id": ticket["id"],
        "action": "block_url",
        "target": "https://example.invalid",
        "approval_policy": policy,
    }
    status, change = api(stack, "POST", "/changes", people["agent"], body)
    assert status == 201, change
    return change


def execution(stack, change: dict) -> dict:
    stepfunctions = stack.aws_client("stepfunctions")

    def finished() -> dict | None:
        described = stepfunctions.describe_execution(executionArn=change["execution_arn"])
        return described if described["status"] != "RUNNING" else None

    return wait_until(finished, DEADLINE_SECONDS, lambda: f"execution still running:\n{stack.log_tail()}", interval=0.5)


def everyone(people) -> list[dict]:
    return [{"user_id": user_id} for user_id in people["approvers"]]


def test_two_of_three_approvals_run_the_machine_to_approved(stack, people):
    change = request_change(stack, people, approvers=everyone(people), quorum=2)
    first, second, _ = people["approvers"].values()

    api(stack, "POST", f"/changes/{change['id']}/approve", first, {"reason": "ok"})
    status, decided = api(stack, "POST", f"/changes/{change['id']}/approve", second, {})

    assert (status, decided["status"]) == (200, "approved")
    finished = execution(stack, change)
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"])["decision"]["status"] == "approved"


def test_a_rejection_ends_the_machine_rejected(stack, people):
    change = request_change(stack, people, approvers=everyone(people), quorum=2)
    first = next(iter(people["approvers"].values()))

    status, decided = api(stack, "POST", f"/changes/{change['id']}/reject", first, {"reason": "no evidence"})

    assert decided["status"] == "rejected"
    assert json.loads(execution(stack, change)["output"])["error"]["Error"] == "ChangeRejected"


def test_a_change_nobody_decides_expires(stack, people):
    change = request_change(stack, people, approvers=everyone(people), quorum=2, expires_in=2)

    def expired() -> dict | None:
        _, current = api(stack, "GET", f"/changes/{change['id']}/status", people["agent"])
        return current if current["status"] == "expired" else None

    wait_until(expired, DEADLINE_SECONDS, lambda: f"change never expired:\n{stack.log_tail()}", interval=0.5)
    assert execution(stack, change)["status"] == "SUCCEEDED"
    _, late = api(stack, "POST", f"/changes/{change['id']}/approve", next(iter(people["approvers"].values())), {})
    assert late["code"] == "change_decided"
