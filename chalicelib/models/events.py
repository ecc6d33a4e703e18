"""The events table: the outbox (and the workspace's event feed) plus consumer receipts.

    pk = WS#<ws>                         sk = EVENT#<occurred_at>#<id>
    pk = RECEIPT#<consumer>#<event id>   sk = RECEIPT   (expires by TTL)

Undispatched events carry ``dispatch_shard``; the sparse ``undispatched`` index holds only
those, so the publisher's Query never reads what is already delivered.
"""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import DeskflowModel

DISPATCH_SHARDS = 4
EVENT_SK_PREFIX = "EVENT#"
RECEIPT_SK = "RECEIPT"


class UndispatchedIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "undispatched"
        projection = AllProjection()

    dispatch_shard = UnicodeAttribute(hash_key=True)
    occurred_key = UnicodeAttribute(range_key=True)


class EventItem(DeskflowModel):
    class Meta:
        short_table = "events"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    type = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    correlation_id = UnicodeAttribute(null=True)
    actor_id = UnicodeAttribute(null=True)  # who made the change (None for the system)
    subject_type = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    data = UnicodeAttribute(default="{}")  # compact JSON text
    dispatch_shard = UnicodeAttribute(null=True)
    occurred_key = UnicodeAttribute(null=True)
    dispatched_at = UnicodeAttribute(null=True)
    undispatched = UndispatchedIndex()


class ReceiptItem(DeskflowModel):
    """Proof that a consumer has applied an event (at-least-once delivery made idempotent)."""

    class Meta:
        short_table = "events"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=RECEIPT_SK)
    expires_at = TTLAttribute()


def receipt_key(consumer: str, event_id: str) -> tuple[str, str]:
    """The (pk, sk) of the receipt ``consumer`` writes when it has applied event ``event_id``."""
    return f"RECEIPT#{consumer}#{event_id}", RECEIPT_SK


def undispatched_event_from_image(image: dict) -> EventItem | None:
    """The outbox event in a stream record's NewImage (DynamoDB JSON), or None when the image is not
    an event still waiting to be dispatched (a receipt, or an event already marked dispatched)."""
    if not image.get("sk", {}).get("S", "").startswith(EVENT_SK_PREFIX) or "dispatch_shard" not in image:
        return None
    return EventItem.from_raw_data(image)


def mark_dispatched(event: EventItem, at: str) -> None:
    """Take the event out of the sparse ``undispatched`` index."""
    event.update(
        actions=[
            EventItem.dispatch_shard.remove(),
            EventItem.occurred_key.remove(),
            EventItem.dispatched_at.set(at),
        ]
    )


def receipts_present(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the receipt ``keys`` exist (BatchGetItem, 100 keys a call; PynamoDB retries the rest)."""
    return {(item.pk, item.sk) for item in ReceiptItem.batch_get(keys, attributes_to_get=["pk", "sk"])}
