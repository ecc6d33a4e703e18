"""Notifications on the real local stack: a public reply travels outbox → bus → the notifications
queue → its consumer, and shows up in the requester's feed over HTTP."""

from __future__ import annotations

import pytest

from tests.integration.local_stack import LocalStackProcess, as_member, call
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

FEED_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notifications-stack")
    running = LocalStackProcess(state_dir=folder / "state", log_path=folder / "stack.log")
    running.start()
    yield running
    running.stop()


def test_a_public_reply_shows_up_in_the_requesters_feed_and_counts_unread(stack):
    requester, agent = stack.login("requester@example.com"), stack.login("agent@example.com")
    opened = call("POST", f"{stack.api_url}/api/v1/tickets", {"title": "Radiator cold"}, as_member(requester))
    assert opened.status == 201, opened.body
    ticket = opened.json()
    comments = f"{stack.api_url}/api/v1/tickets/{ticket['id']}/comments"
    answered = call("POST", comments, {"body_md": "A technician comes at 10"}, as_member(agent))
    assert answered.status == 201, answered.body

    def reply_in_feed():
        feed = call("GET", f"{stack.api_url}/api/v1/notifications", headers=as_member(requester)).json()
        replies = [n for n in feed["data"] if n["ticket_id"] == ticket["id"] and n["type"] == "ticket.commented"]
        return (replies, feed["unread_count"]) if replies else None

    replies, unread = wait_until(
        reply_in_feed,
        FEED_TIMEOUT_SECONDS,
        lambda: f"no reply in the requester's feed after {FEED_TIMEOUT_SECONDS}s:\n{stack.log_tail()}",
        interval=0.25,
    )

    assert replies[0]["detail"]["comment_id"] == answered.json()["id"]
    assert replies[0]["read"] is False and unread >= 1
