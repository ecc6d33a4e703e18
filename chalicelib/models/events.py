"""The events table: the outbox (and the workspace's event feed) plus consumer receipts.

    pk = WS#<ws>                         sk = EVENT#<occurred_at>#<id>
    pk = RECEIPT#<consumer>#<event id>   sk = RECEIPT   (expires by TTL)
    pk = WS#<ws>#FAILURES                sk = <failed_at>#<message id>   (a dead-lettered message)

Undispatched events carry ``dispatch_shard``; the sparse ``undispatched`` index holds only
those, so the publisher's Query never reads what is already delivered. Events a requester may see
(the public events of their own tickets) carry ``audience_key``; the sparse ``by-audience`` index
(keys only) is that requester's feed.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

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


class AudienceIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-audience"
        projection = KeysOnlyProjection()

    audience_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def audience_key(workspace_id: str, user_id: str) -> str:
    return f"{workspace_id}#{user_id}"


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
    audience_key = UnicodeAttribute(null=True)
    by_audience = AudienceIndex()


class FailureItem(DeskflowModel):
    """A message a consumer gave up on (its last receive failed; SQS moves it to the subscription's DLQ).
    ``body`` is the SQS message as received, so a retry re-sends exactly that."""

    class Meta:
        short_table = "events"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    consumer = UnicodeAttribute()
    event_id = UnicodeAttribute(null=True)
    event_type = UnicodeAttribute(null=True)
    error = UnicodeAttribute()
    failed_at = UnicodeAttribute()
    receive_count = NumberAttribute()
    body = UnicodeAttribute()
    retried_at = UnicodeAttribute(null=True)
    retried_by = UnicodeAttribute(null=True)
    retries = NumberAttribute(default=0)


def failures_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}#FAILURES"


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
