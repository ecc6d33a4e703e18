"""Nothing acknowledged is lost: ``kill -9`` and Ctrl-C of ``make run`` while clients write, then a restart
on the same state folder. Tables are in DynamoDB Local (durable on disk), or at the integration endpoint."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from dataclasses import dataclass

import pytest

from tests.integration.local_stack import (
    EXTERNAL_ENDPOINT,
    LocalStackProcess,
    as_member,
    call,
    tables_in_dynamodb_local,
)
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (EXTERNAL_ENDPOINT or tables_in_dynamodb_local()),
        reason="durable tables need DynamoDB Local (Java 17+) or an integration endpoint; the moto fallback "
        "keeps tables in memory between snapshots",
    ),
]

WRITERS = 3
ACKNOWLEDGED_PER_WRITER_BEFORE_STOP = 5
WRITE_DEADLINE_SECONDS = 120
COUNTER_DEADLINE_SECONDS = 60
JVM_EXIT_DEADLINE_SECONDS = 60
STOPPING_LINE = "Stopping Deskflow"


@pytest.fixture
def stack(tmp_path):
    running = LocalStackProcess(state_dir=tmp_path / "state", log_path=tmp_path / "stack.log")
    running.start()
    yield running
    running.stop()


def create_ticket(stack: LocalStackProcess, token: str, title: str, timeout: float = 30):
    return call(
        "POST",
        f"{stack.api_url}/api/v1/tickets",
        {"title": title, "description": "written before a crash", "priority": "high"},
        headers=as_member(token),
        timeout=timeout,
    )


def created_ticket(stack: LocalStackProcess, token: str) -> dict:
    reply = create_ticket(stack, token, f"Durable {uuid.uuid4().hex[:8]}")
    assert reply.status == 201, reply.body
    return reply.json()


def add_comment(stack: LocalStackProcess, token: str, ticket_id: str) -> dict:
    reply = call(
        "POST",
        f"{stack.api_url}/api/v1/tickets/{ticket_id}/comments",
        {"body_md": f"note {uuid.uuid4().hex[:8]}"},
        headers=as_member(token),
    )
    assert reply.status == 201, reply.body
    return reply.json()


def get_ticket(stack: LocalStackProcess, token: str, ticket_id: str):
    return call("GET", f"{stack.api_url}/api/v1/tickets/{ticket_id}", headers=as_member(token))


def comment_ids(stack: LocalStackProcess, token: str, ticket_id: str) -> set[str]:
    reply = call("GET", f"{stack.api_url}/api/v1/tickets/{ticket_id}/comments?limit=100", headers=as_member(token))
    assert reply.status == 200, reply.body
    return {comment["id"] for comment in reply.json()["data"]}


def live_tickets(stack: LocalStackProcess, token: str) -> list[dict]:
    tickets, cursor = [], None
    while True:
        query = "limit=100" + (f"&cursor={cursor}" if cursor else "")
        reply = call("GET", f"{stack.api_url}/api/v1/tickets?{query}", headers=as_member(token))
        assert reply.status == 200, reply.body
        tickets += reply.json()["data"]
        cursor = reply.json()["page"]["next_cursor"]
        if not cursor:
            return tickets


def crash_and_wait_for_the_jvm(stack: LocalStackProcess) -> None:
    """``kill -9`` the stack; what it started (the DynamoDB Local JVM) must end on its own."""
    import psutil

    started = stack.kill()

    def still_running() -> list[int]:
        return [pid for pid in started if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]

    wait_until(
        lambda: not still_running(),
        JVM_EXIT_DEADLINE_SECONDS,
        lambda: f"still running {JVM_EXIT_DEADLINE_SECONDS}s after make run was killed: {still_running()}",
    )


@dataclass
class Write:
    title: str
    sent_after_stopping: bool
    status: int | None  # None: no answer (connection refused, reset or timed out)
    ticket_id: str | None = None


def keep_writing(stack: LocalStackProcess, token: str, stopping: threading.Event, log: list[Write]) -> None:
    """Create tickets back to back until one fails after stopping began (or the deadline passes)."""
    deadline = time.monotonic() + WRITE_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        title = f"Under Ctrl-C {uuid.uuid4().hex[:8]}"
        after = stopping.is_set()
        try:
            reply = create_ticket(stack, token, title)
        except OSError:
            log.append(Write(title, after, None))
            if after:
                return
            continue
        ticket_id = reply.json().get("id") if reply.status == 201 else None
        log.append(Write(title, after, reply.status, ticket_id))
        if after and reply.status >= 400:
            return


def test_kill_9_right_after_20_acknowledged_creates_and_comments_loses_none(stack):
    token = stack.login()
    written = []
    for _ in range(20):
        ticket = created_ticket(stack, token)
        written.append((ticket, add_comment(stack, token, ticket["id"])))

    crash_and_wait_for_the_jvm(stack)
    stack.start()

    token = stack.login()
    for ticket, comment in written:
        reply = get_ticket(stack, token, ticket["id"])
        assert reply.status == 200, reply.body
        assert reply.json()["title"] == ticket["title"]
        assert comment["id"] in comment_ids(stack, token, ticket["id"])


def test_ctrl_c_under_three_writing_clients_keeps_every_201_and_answers_nothing_after_stopping_began(stack):
    token = stack.login()
    stopping = threading.Event()
    logs: list[list[Write]] = [[] for _ in range(WRITERS)]
    writers = [threading.Thread(target=keep_writing, args=(stack, token, stopping, log), daemon=True) for log in logs]
    for writer in writers:
        writer.start()
    wait_until(
        lambda: all(sum(write.status == 201 for write in log) >= ACKNOWLEDGED_PER_WRITER_BEFORE_STOP for log in logs),
        WRITE_DEADLINE_SECONDS,
        f"the writers did not each get {ACKNOWLEDGED_PER_WRITER_BEFORE_STOP} tickets acknowledged before the stop",
        interval=0.05,
    )

    stack.process.send_signal(signal.SIGINT)
    stack.wait_for_log(STOPPING_LINE)
    stopping.set()
    for writer in writers:
        writer.join(WRITE_DEADLINE_SECONDS)
    assert stack.process.wait(60) == 0, stack.log_tail()

    writes = [write for log in logs for write in log]
    acknowledged = [write for write in writes if write.status == 201]
    assert len(acknowledged) >= WRITERS * ACKNOWLEDGED_PER_WRITER_BEFORE_STOP, stack.log_tail()
    answered_after = [write for write in writes if write.sent_after_stopping and write.status and write.status < 400]
    assert answered_after == []
    stack.start()
    token = stack.login()
    missing = [write.title for write in acknowledged if get_ticket(stack, token, write.ticket_id).status != 200]
    assert missing == []


def test_ticket_numbers_are_never_reused_after_a_crash_or_a_ctrl_c(stack):
    token = stack.login()
    numbers = [created_ticket(stack, token)["number"] for _ in range(3)]
    crash_and_wait_for_the_jvm(stack)
    stack.start()
    numbers += [created_ticket(stack, stack.login())["number"] for _ in range(3)]
    stack.restart()

    numbers += [created_ticket(stack, stack.login())["number"] for _ in range(3)]

    assert len(set(numbers)) == len(numbers), numbers
    assert numbers == sorted(numbers, key=lambda number: int(number.split("-")[-1])), numbers


def test_ticket_counters_equal_the_live_tickets_after_a_crash_and_a_ctrl_c(stack):
    token = stack.login()
    for _ in range(5):
        add_comment(stack, token, created_ticket(stack, token)["id"])
    crash_and_wait_for_the_jvm(stack)
    stack.start()
    token = stack.login()
    for _ in range(5):
        created_ticket(stack, token)
    stack.restart()
    token = stack.login()

    live = len(live_tickets(stack, token))
    # settled once every event is counted: ticket and comment events are consumed in no set order
    counted = wait_for_counters(
        stack, lambda counters: counters.get("tickets_created") == live and counters.get("comments_added") == 5
    )

    assert counted.get("tickets_created", 0) - counted.get("tickets_deleted", 0) == live
    assert sum(value for name, value in counted.items() if name.startswith("status_")) == live
    assert counted.get("comments_added") == 5


def wait_for_counters(stack: LocalStackProcess, settled) -> dict[str, int]:
    def settled_counters() -> dict[str, int] | None:
        counters = stack.counters()
        return counters if settled(counters) else None

    return wait_until(
        settled_counters,
        COUNTER_DEADLINE_SECONDS,
        lambda: f"the counters never settled: {stack.counters()}\n{stack.log_tail()}",
        interval=0.25,
    )
