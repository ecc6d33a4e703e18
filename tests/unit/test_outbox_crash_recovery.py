"""A crash between commit and send loses nothing: an event whose send was never confirmed is still on
the outbox, and the next sweep sends it again; the consumer applies it once however often it comes."""

from __future__ import annotations

import pytest

from chalicelib.auth.principal import Principal
from tests.unit.test_event_delivery import drain, lambda_event


class Crash(Exception):
    """The process dies at this point."""


@pytest.fixture
def agent(workspace_id):
    return Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))


def test_a_crash_after_the_commit_before_the_send_is_recovered_by_the_next_sweep(aws, workspace_id, agent, monkeypatch):
    from chalicelib.domain import events
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import create_ticket
    from functions.ticket_events_consumer import handler

    create_ticket(workspace_id, agent, {"title": "Committed, never sent"}, None)
    with monkeypatch.context() as crashing:
        crashing.setattr(events.bus, "send", lambda envelopes: (_ for _ in ()).throw(Crash()))
        with pytest.raises(Crash):
            events.publish_pending()
    assert drain() == []

    assert events.publish_pending() == 1
    handler(lambda_event(drain()), None)

    assert ticket_counts(workspace_id)["tickets_created"] == 1


def test_a_crash_after_the_send_before_it_is_marked_sends_it_again_and_it_is_applied_once(
    aws, workspace_id, agent, monkeypatch
):
    from chalicelib.domain import events
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import create_ticket
    from functions.ticket_events_consumer import handler

    create_ticket(workspace_id, agent, {"title": "Sent, never marked"}, None)
    with monkeypatch.context() as crashing:
        crashing.setattr(events, "mark_dispatched", lambda event, at: (_ for _ in ()).throw(Crash()))
        with pytest.raises(Crash):
            events.publish_pending()
    first_delivery = drain()

    assert events.publish_pending() == 1
    second_delivery = drain()
    handler(lambda_event(first_delivery + second_delivery), None)

    assert len(first_delivery) == len(second_delivery) == 1
    assert ticket_counts(workspace_id)["tickets_created"] == 1
