"""Feeding the ticket-counters consumer in-process: every event in a workspace's outbox, as the
envelope the bus would carry, applied with the consumer's own function (already applied events
find their receipt and change nothing, exactly as a redelivery)."""

from __future__ import annotations


def outbox_envelopes(workspace_id: str) -> list[dict]:
    """The workspace's outbox events, oldest first, as envelopes."""
    from chalicelib.domain.events import envelope
    from chalicelib.models.events import EVENT_SK_PREFIX, EventItem

    return [
        envelope(event)
        for event in EventItem.query(
            f"WS#{workspace_id}", EventItem.sk.startswith(EVENT_SK_PREFIX), consistent_read=True
        )
    ]


def deliver_counters(workspace_id: str) -> int:
    """Apply every outbox event of ``workspace_id`` to the counters; returns how many were new."""
    from chalicelib.domain.ticket_counters import apply_ticket_event

    return sum(apply_ticket_event(event) for event in outbox_envelopes(workspace_id))
