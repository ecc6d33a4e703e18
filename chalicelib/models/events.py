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
    subject_type = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    data = UnicodeAttribute(default="{}")  # JSON text
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
    sk = UnicodeAttribute(range_key=True, default="RECEIPT")
    expires_at = TTLAttribute()
