"""The notifications consumer on the envelopes the ticket domain really writes (in-process moto):
who hears about what, once per event and recipient, and the unread count."""

from __future__ import annotations

import json

import pytest

from chalicelib.auth.principal import Principal
from tests.routes.http_helpers import add_team


@pytest.fixture
def people(member, workspace_id):
    """A requester, an assigned agent, a watching agent and an admin: real members of the workspace."""
    roles = {"req-1": "requester", "agent-1": "agent", "watcher-1": "agent", "admin-1": "admin"}
    for user_id, role in roles.items():
        member(role, user_id=user_id)
    return {
        user_id: Principal(user_id, f"{user_id}@example.com", frozenset({role}), (workspace_id,))
        for user_id, role in roles.items()
    }


@pytest.fixture
def ticket(people, workspace_id):
    """req-1's ticket, assigned to agent-1 (those events delivered), then watched by watcher-1."""
    from chalicelib.domain import tickets, watchers

    opened = tickets.create_ticket(workspace_id, people["req-1"], {"title": "Leak"}, None)
    tickets.assign_ticket(workspace_id, people["admin-1"], opened["id"], "agent-1", None, None)
    deliver_events(workspace_id)
    watchers.add_watcher(workspace_id, people["admin-1"], opened["id"], "watcher-1", None)
    return opened


def recorded_events(workspace_id: str) -> list[dict]:
    """Every event the domain wrote to the outbox, as the envelopes consumers receive."""
    from chalicelib.domain.events import envelope
    from chalicelib.models.events import EventItem

    return [envelope(event) for event in EventItem.query(f"WS#{workspace_id}", EventItem.sk.startswith("EVENT#"))]


def deliver_events(workspace_id: str) -> int:
    """Hand every recorded event to the consumer (again): how many it applied for the first time."""
    from chalicelib.domain.notifications import apply_notification_event

    return sum(apply_notification_event(event) for event in recorded_events(workspace_id))


def feed(workspace_id: str, user_id: str) -> list[dict]:
    from chalicelib.domain.notifications import list_feed

    return list_feed(workspace_id, user_id, 100, None)[0]


def kinds(workspace_id: str, user_id: str) -> list[str]:
    return [notification["type"] for notification in reversed(feed(workspace_id, user_id))]


def unread(workspace_id: str, user_id: str) -> int:
    from chalicelib.domain.notifications import unread_count

    return unread_count(workspace_id, user_id)


def comment(workspace_id, actor, ticket, internal: bool) -> dict:
    from chalicelib.domain.tickets import add_comment

    return add_comment(workspace_id, actor, ticket["id"], "looking into it", internal, None)


def test_the_requester_gets_a_public_reply_but_never_an_internal_note(workspace_id, people, ticket):
    comment(workspace_id, people["agent-1"], ticket, internal=True)
    reply = comment(workspace_id, people["agent-1"], ticket, internal=False)

    deliver_events(workspace_id)

    (notification,) = [n for n in feed(workspace_id, "req-1") if n["type"] == "ticket.commented"]
    assert notification["detail"] == {"comment_id": reply["id"], "is_internal": False}
    assert notification["summary"] == f"New reply on {ticket['number']}"
    assert notification["actor_id"] == "agent-1"


def test_the_assignee_and_a_watcher_get_every_change_internal_ones_included(workspace_id, people, ticket):
    from chalicelib.domain import tickets

    comment(workspace_id, people["req-1"], ticket, internal=False)
    comment(workspace_id, people["admin-1"], ticket, internal=True)
    add_team(workspace_id, "plumbing")
    tickets.update_ticket(workspace_id, people["admin-1"], ticket["id"], {"team": "plumbing"}, None)
    tickets.change_status(workspace_id, people["admin-1"], ticket["id"], "in_progress", None, None)

    deliver_events(workspace_id)

    later = ["ticket.commented", "ticket.commented", "ticket.updated", "ticket.status_changed"]
    assert kinds(workspace_id, "agent-1")[-4:] == later
    assert kinds(workspace_id, "watcher-1") == later  # watching since after the assignment


def test_the_requester_is_not_told_about_routing_changes_or_the_sla_clock(workspace_id, people, ticket):
    from chalicelib.domain import tickets
    from chalicelib.domain.events import new_event
    from chalicelib.events.catalogue import Topic

    add_team(workspace_id, "plumbing")
    tickets.update_ticket(workspace_id, people["agent-1"], ticket["id"], {"tags": ["wet"], "team": "plumbing"}, None)
    new_event(Topic.TICKET_SLA_BREACHED, workspace_id, "ticket", ticket["id"], {}, None).save()
    tickets.update_ticket(workspace_id, people["agent-1"], ticket["id"], {"title": "Leak in kitchen"}, None)

    deliver_events(workspace_id)

    assert kinds(workspace_id, "req-1") == ["ticket.assigned", "ticket.updated"]
    assert feed(workspace_id, "req-1")[0]["detail"] == {"fields": ["title"]}
    assert kinds(workspace_id, "watcher-1") == ["ticket.updated", "ticket.sla_breached", "ticket.updated"]


def test_whoever_made_the_change_is_never_notified_of_it(workspace_id, people, ticket):
    comment(workspace_id, people["watcher-1"], ticket, internal=False)
    comment(workspace_id, people["req-1"], ticket, internal=False)

    deliver_events(workspace_id)

    authors = {n["actor_id"] for user in people for n in feed(workspace_id, user) if n["type"] == "ticket.commented"}
    assert kinds(workspace_id, "watcher-1") == ["ticket.commented"]  # req-1's, not its own
    assert "ticket.created" not in kinds(workspace_id, "req-1")  # req-1 opened it
    assert authors == {"req-1", "watcher-1"}
    for user in people:
        assert all(n["actor_id"] != user for n in feed(workspace_id, user))


def test_a_redelivered_event_adds_no_notification_and_no_unread(workspace_id, people, ticket):
    from chalicelib.domain.notifications import apply_notification_event

    comment(workspace_id, people["agent-1"], ticket, internal=False)
    first_delivery = deliver_events(workspace_id)
    before = (feed(workspace_id, "req-1"), unread(workspace_id, "req-1"))

    again = deliver_events(workspace_id)
    replayed = [apply_notification_event(event) for event in recorded_events(workspace_id)]

    assert first_delivery == 1
    assert again == 0 and not any(replayed)
    assert (feed(workspace_id, "req-1"), unread(workspace_id, "req-1")) == before


def test_an_event_that_failed_half_way_is_finished_without_duplicating_what_was_written(workspace_id, people, ticket):
    from chalicelib.domain.notifications import apply_notification_event, deliver, notifications_for

    comment(workspace_id, people["admin-1"], ticket, internal=False)
    event = recorded_events(workspace_id)[-1]
    deliver(notifications_for(event)[0])  # one recipient written, then the consumer died

    applied = apply_notification_event(event)

    assert applied is True
    assert [len(feed(workspace_id, user)) for user in ("req-1", "agent-1", "watcher-1")] == [2, 3, 1]
    assert [unread(workspace_id, user) for user in ("req-1", "agent-1", "watcher-1")] == [2, 3, 1]


def test_the_previous_assignee_hears_of_a_reassignment(workspace_id, people, member, ticket):
    from chalicelib.domain import tickets

    member("agent", user_id="agent-2")
    tickets.assign_ticket(workspace_id, people["admin-1"], ticket["id"], "agent-2", None, None)

    deliver_events(workspace_id)

    assert feed(workspace_id, "agent-1")[0]["detail"] == {"from": "agent-1", "to": "agent-2"}
    assert kinds(workspace_id, "agent-2") == ["ticket.assigned"]


def test_unread_counts_each_notification_and_a_read_takes_one_off(workspace_id, people, ticket):
    from chalicelib.domain.notifications import mark_read

    comment(workspace_id, people["agent-1"], ticket, internal=False)
    comment(workspace_id, people["agent-1"], ticket, internal=False)
    deliver_events(workspace_id)
    newest = feed(workspace_id, "req-1")[0]

    counted = unread(workspace_id, "req-1")
    marked = mark_read(workspace_id, "req-1", newest["id"])
    marked_again = mark_read(workspace_id, "req-1", newest["id"])

    assert counted == 3  # the assignment and two replies
    assert marked["read"] is True and marked["read_at"] is not None
    assert marked_again == marked
    assert unread(workspace_id, "req-1") == 2
    assert [n["read"] for n in feed(workspace_id, "req-1")] == [True, False, False]


def test_read_all_clears_the_count_and_later_notifications_count_again(workspace_id, people, ticket, clock):
    from chalicelib.domain.notifications import mark_all_read, mark_read

    comment(workspace_id, people["agent-1"], ticket, internal=False)
    deliver_events(workspace_id)
    clock.advance(seconds=1)
    answer = mark_all_read(workspace_id, "req-1")
    clock.advance(seconds=1)
    comment(workspace_id, people["agent-1"], ticket, internal=False)
    deliver_events(workspace_id)

    assert answer["unread_count"] == 0
    assert unread(workspace_id, "req-1") == 1
    assert [n["read"] for n in feed(workspace_id, "req-1")] == [False, True, True]
    oldest = feed(workspace_id, "req-1")[-1]
    assert mark_read(workspace_id, "req-1", oldest["id"])["read"] is True
    assert unread(workspace_id, "req-1") == 1  # already read by read-all: nothing taken off


def test_a_notification_written_just_after_read_all_but_from_before_it_is_born_read(
    workspace_id, people, ticket, clock
):
    from chalicelib.domain.notifications import deliver, mark_all_read, notifications_for

    comment(workspace_id, people["agent-1"], ticket, internal=False)
    pending = notifications_for(recorded_events(workspace_id)[-1])  # made, not yet written
    clock.advance(seconds=1)
    mark_all_read(workspace_id, "req-1")

    for notification in pending:
        deliver(notification)

    assert unread(workspace_id, "req-1") == 0
    assert all(n["read"] for n in feed(workspace_id, "req-1"))


def test_someone_elses_or_a_malformed_notification_id_is_not_found(workspace_id, people, ticket):
    from chalicelib.domain.notifications import mark_read
    from chalicelib.errors import NotFound

    theirs = feed(workspace_id, "req-1")[0]["id"]

    with pytest.raises(NotFound):
        mark_read(workspace_id, "agent-1", theirs)
    with pytest.raises(NotFound):
        mark_read(workspace_id, "req-1", "not-an-id")
    assert unread(workspace_id, "req-1") == 1


def test_a_member_who_left_the_workspace_is_not_notified(workspace_id, people, ticket):
    from chalicelib.domain.directory import change_member

    change_member(workspace_id, "watcher-1", status="deactivated", changed_by="admin-1")
    comment(workspace_id, people["agent-1"], ticket, internal=False)

    deliver_events(workspace_id)

    assert feed(workspace_id, "watcher-1") == []


def test_the_consumer_handler_reports_a_bad_message_without_failing_the_batch(workspace_id, people, ticket):
    from functions.notifications_consumer import handler
    from infra.local.lambda_events import sqs_event

    comment(workspace_id, people["agent-1"], ticket, internal=False)
    good = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": json.dumps(recorded_events(workspace_id)[-1])}
    bad = {"MessageId": "m-2", "ReceiptHandle": "r-2", "Body": "not json"}

    queue_arn = "arn:aws:sqs:us-east-1:123456789012:deskflow-test-notifications"

    result = handler(sqs_event([good, bad], queue_arn, "us-east-1"), None)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert kinds(workspace_id, "req-1")[-1] == "ticket.commented"
