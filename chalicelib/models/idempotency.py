"""Idempotency records: one per (workspace, caller, key), expiring by TTL."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import DeskflowModel


class IdempotencyRecord(DeskflowModel):
    class Meta:
        short_table = "idempotency"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    fingerprint = UnicodeAttribute()
    state = UnicodeAttribute()  # in_progress | completed
    locked_until = NumberAttribute()
    status = NumberAttribute(null=True)
    body = UnicodeAttribute(null=True)
    headers = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()
