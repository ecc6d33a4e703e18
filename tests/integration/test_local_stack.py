"""The real local stack (moto server, bootstrap, HTTP API, event runtime, persistence) over HTTP."""

from __future__ import annotations

import ast
import re
import socket
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.local.ports import any_free_port
from infra.seed import DEMO_TICKETS
from tests.conftest import TEST_ENV
from tests.integration.local_stack import DEMO_PASSWORD, REPO_ROOT, LocalStackProcess, as_member, call
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

COUNTER_TIMEOUT_SECONDS = 20
MIN_HMAC_KEY_BYTES = 32  # settings refuse a shorter JWT_SECRET
OLD_LOCAL_SECRET = "deskflow-local-development-only-jwt-secret"  # the constant make run used to sign with


class DemoStack(LocalStackProcess):
    """The stack plus what the tests did to it: how many tickets the demo workspace has seen created."""

    tickets_created = len(DEMO_TICKETS)

    def create_ticket(self, token: str, title: str) -> dict:
        reply = call(
            "POST",
            f"{self.api_url}/api/v1/tickets",
            {"title": title, "description": "raised by the integration suite", "priority": "high"},
            headers=as_member(token),
        )
        assert reply.status == 201, reply.body
        self.tickets_created += 1
        return reply.json()

    def wait_for_tickets_counted(self, expected: int) -> int:
        def counted() -> int | None:
            created = self.counters().get("tickets_created", 0)
            return created if created >= expected else None

        return wait_until(
            counted,
            COUNTER_TIMEOUT_SECONDS,
            lambda: (
                f"tickets_created is {self.counters().get('tickets_created')}, expected {expected}:\n{self.log_tail()}"
            ),
            interval=0.25,
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("local-stack")
    running = DemoStack(state_dir=folder / "state", log_path=folder / "stack.log")
    running.start()
    yield running
    running.stop()


def test_unknown_route_answers_404_in_the_error_shape(stack):
    reply = call("GET", f"{stack.api_url}/api/v1/no-such-route")

    assert reply.status == 404
    assert reply.json() == {"error": "route not found", "code": "not_found", "details": {}}


def test_agent_login_returns_a_token_and_an_httponly_cookie(stack):
    reply = call(
        "POST", f"{stack.api_url}/api/v1/auth/login", {"email": "agent@example.com", "password": DEMO_PASSWORD}
    )

    assert reply.status == 200, reply.body
    assert reply.json()["token"]
    cookies = reply.headers.get_all("Set-Cookie") or []
    assert any("httponly" in cookie.lower() for cookie in cookies), cookies


def test_created_ticket_event_reaches_the_counters_consumer(stack):
    token = stack.login()

    stack.create_ticket(token, f"Printer on floor 3 is jammed {uuid.uuid4().hex[:6]}")

    assert stack.wait_for_tickets_counted(stack.tickets_created) == stack.tickets_created


def test_ticket_and_counters_survive_a_restart_with_the_same_state_dir(stack):
    ticket = stack.create_ticket(stack.login(), f"Badge reader rejects everyone {uuid.uuid4().hex[:6]}")
    stack.wait_for_tickets_counted(stack.tickets_created)  # delivered before the stop: queues are not kept

    stack.restart()

    reply = call("GET", f"{stack.api_url}/api/v1/tickets/{ticket['id']}", headers=as_member(stack.login()))
    assert reply.status == 200, reply.body
    assert reply.json()["title"] == ticket["title"]
    assert stack.wait_for_tickets_counted(stack.tickets_created) == stack.tickets_created


def test_a_taken_api_port_stops_the_start_with_a_clear_message(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        blocked = DemoStack(
            state_dir=tmp_path / "state", log_path=tmp_path / "stack.log", api_port=port, emulator_port=any_free_port()
        )

        result = subprocess.run(
            [sys.executable, "-m", "infra.local.run"],
            cwd=REPO_ROOT,
            env=blocked.environment(),
            capture_output=True,
            text=True,
            timeout=30,
        )

    assert result.returncode != 0
    assert f"port {port} is already in use" in result.stderr


def repository_constants() -> set[str]:
    """Every string a repository file spells out that could be an HS256 key (≥ 32 bytes): Python string
    literals, and unbroken words of every other tracked text file (README examples, Makefile, YAML...)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    constants: set[str] = set()
    for name in tracked.stdout.splitlines():
        path = REPO_ROOT / name
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue  # binary, or deleted in the work tree
        if name.endswith(".py"):
            constants |= {
                node.value
                for node in ast.walk(ast.parse(text))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            }
        words = re.findall(r"\S{32,}", text)
        constants |= {word.strip("\"'`,;()") for word in words}
        constants |= {word.split("=", 1)[1].strip("\"'`") for word in words if "=" in word}
    return {value for value in constants if len(value.encode("utf-8", "surrogatepass")) >= MIN_HMAC_KEY_BYTES}


def resigned(token: str, key: str) -> str:
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, key.encode("utf-8", "surrogatepass"), algorithm="HS256")


def test_a_token_signed_with_any_constant_of_the_repository_is_refused(stack):
    token = stack.login()
    me = f"{stack.api_url}/api/v1/auth/me"
    constants = repository_constants()
    assert {OLD_LOCAL_SECRET, TEST_ENV["JWT_SECRET"]} <= constants
    own_secret = (stack.state_dir / "jwt-secret").read_text().strip()
    assert call("GET", me, headers=as_member(resigned(token, own_secret))).status == 200  # the forgery works

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = dict(
            zip(
                constants,
                pool.map(lambda key: call("GET", me, headers=as_member(resigned(token, key))).status, constants),
                strict=True,
            )
        )

    assert {key: status for key, status in statuses.items() if status != 401} == {}
