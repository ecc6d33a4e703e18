"""Domain events: the envelope, the outbox record written in the same transaction as the change,
and the publisher that delivers undispatched records to their topic's queue."""

from __future__ import annotations

import json
import uuid
import zlib

from chalicelib import aws
from chalicelib.clock import now_iso
from chalicelib.logs import get_logger
from chalicelib.models.events import DISPATCH_SHARDS, EventItem
from infra.queues import queue_for_topic


def new_event(
    event_type: str,
    workspace_id: str,
    subject_type: str,
    subject_id: str,
    data: dict,
    correlation_id: str | None,
    occurred_at: str | None = None,
) -> EventItem:
    """An outbox record, not yet saved: add it to the transaction that makes the change."""
    event_id = str(uuid.uuid4())
    occurred_at = occurred_at or now_iso()
    return EventItem(
        pk=f"WS#{workspace_id}",
        sk=f"EVENT#{occurred_at}#{event_id}",
        id=event_id,
        type=event_type,
        workspace_id=workspace_id,
        occurred_at=occurred_at,
        correlation_id=correlation_id,
        subject_type=subject_type,
        subject_id=subject_id,
        data=json.dumps(data, separators=(",", ":"), default=str),
        dispatch_shard=str(zlib.crc32(event_id.encode()) % DISPATCH_SHARDS),
        occurred_key=f"{occurred_at}#{event_id}",
    )


def envelope(event: EventItem) -> dict:
    return {
        "id": event.id,
        "type": event.type,
        "workspace_id": event.workspace_id,
        "occurred_at": event.occurred_at,
        "correlation_id": event.correlation_id,
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "data": json.loads(event.data),
    }


def publish_pending(batch_limit: int = 100) -> int:
    """Deliver undispatched outbox records to their topic queues; return how many were sent.

    At least once: a record is marked dispatched only after SQS accepted it, so a crash in
    between re-sends it and consumers deduplicate on the event id.
    """
    sent = 0
    for shard in range(DISPATCH_SHARDS):
        pending = list(EventItem.undispatched.query(str(shard), limit=batch_limit))
        for start in range(0, len(pending), 10):
            sent += _send_batch(pending[start : start + 10])
    return sent


def _send_batch(events: list[EventItem]) -> int:
    by_queue: dict[str, list[EventItem]] = {}
    for event in events:
        queue = queue_for_topic(event.type)
        if queue is None:
            get_logger().warning("event type has no queue; marking dispatched", extra={"event_type": event.type})
            _mark_dispatched(event)
            continue
        by_queue.setdefault(queue, []).append(event)
    delivered = 0
    for queue, queued in by_queue.items():
        response = aws.sqs().send_message_batch(
            QueueUrl=aws.queue_url(queue),
            Entries=[
                {
                    "Id": str(position),
                    "MessageBody": json.dumps(envelope(event), separators=(",", ":")),
                    "MessageAttributes": {
                        "type": {"DataType": "String", "StringValue": event.type},
                        "correlation_id": {"DataType": "String", "StringValue": event.correlation_id or "-"},
                    },
                }
                for position, event in enumerate(queued)
            ],
        )
        for success in response.get("Successful", []):
            _mark_dispatched(queued[int(success["Id"])])
            delivered += 1
        for failure in response.get("Failed", []):
            get_logger().warning("event not accepted by queue; will retry", extra={"failure": failure})
    return delivered


def _mark_dispatched(event: EventItem) -> None:
    event.update(
        actions=[
            EventItem.dispatch_shard.remove(),
            EventItem.occurred_key.remove(),
            EventItem.dispatched_at.set(now_iso()),
        ]
    )
