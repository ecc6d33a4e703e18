"""Domain events: the envelope, the outbox record written in the same transaction as the change,
and the publisher that sends each undispatched record once to the event bus.

The bus's rules fan each event out to every subscription that wants its topic
(``chalicelib.events.catalogue``); the publisher knows nothing of the subscribers.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Iterable

from chalicelib.clock import now_iso
from chalicelib.errors import PayloadTooLarge
from chalicelib.events import bus
from chalicelib.events.catalogue import topic, visible_to_requester
from chalicelib.events.messages import PUT_EVENTS_MAX_BYTES, entry_size, put_events_entry
from chalicelib.models.events import DISPATCH_SHARDS, EventItem, audience_key, mark_dispatched
from chalicelib.models.sizing import compact_json


def new_event(
    event_type: str,
    workspace_id: str,
    subject_type: str,
    subject_id: str,
    data: dict,
    correlation_id: str | None,
    occurred_at: str | None = None,
    actor_id: str | None = None,
    audience_id: str | None = None,
) -> EventItem:
    """An outbox record, not yet saved: add it to the transaction that makes the change.

    ``audience_id`` names the requester whose event feed shows the event if its topic is one a
    requester may see (``chalicelib.events.catalogue.visible_to_requester``).

    Raises UnknownTopic for a topic the catalogue does not name (never silently dropped later), and
    PayloadTooLarge for data the event bus could never carry (so the change is refused, not stuck).
    """
    event_id = str(uuid.uuid4())
    occurred_at = occurred_at or now_iso()
    event = EventItem(
        pk=f"WS#{workspace_id}",
        sk=f"EVENT#{occurred_at}#{event_id}",
        id=event_id,
        type=str(topic(event_type)),
        workspace_id=workspace_id,
        occurred_at=occurred_at,
        correlation_id=correlation_id,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        data=compact_json(data),
        dispatch_shard=str(zlib.crc32(event_id.encode()) % DISPATCH_SHARDS),
        occurred_key=f"{occurred_at}#{event_id}",
    )
    if audience_id and visible_to_requester(event.type, data):
        event.audience_key = audience_key(workspace_id, audience_id)
    if entry_size(put_events_entry(envelope(event))) > PUT_EVENTS_MAX_BYTES:
        raise PayloadTooLarge("the change is too large to publish as an event (256 KiB at most)")
    return event


def envelope(event: EventItem) -> dict:
    return {
        "id": event.id,
        "type": event.type,
        "workspace_id": event.workspace_id,
        "occurred_at": event.occurred_at,
        "correlation_id": event.correlation_id,
        "actor_id": event.actor_id,
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "data": json.loads(event.data),
    }


def publish_pending(batch_limit: int = 100) -> int:
    """Sweep the sparse ``undispatched`` index and publish what it holds; return how many were sent.

    At least once: a record is marked dispatched only after the bus accepted it, so a crash in
    between re-sends it and consumers deduplicate on (consumer, event id).
    """
    sent = 0
    for shard in range(DISPATCH_SHARDS):
        sent += publish(EventItem.undispatched.query(str(shard), limit=batch_limit))
    return sent


def publish(events: Iterable[EventItem]) -> int:
    """Send ``events`` to the bus; mark each one it accepted as dispatched and leave the rest for the
    next sweep. Returns how many were accepted."""
    events = list(events)
    accepted = bus.send([envelope(event) for event in events])
    for event, was_accepted in zip(events, accepted, strict=True):
        if was_accepted:
            mark_dispatched(event, now_iso())
    return sum(accepted)
