"""The ticket-counters consumer: keeps per-workspace ticket counts from ticket events.

Delivery is at least once, so each event is applied together with a receipt in one
transaction; a redelivered event finds its receipt and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import TransactWriteError

from chalicelib.clock import utcnow
from chalicelib.events.catalogue import TICKET_COUNTERS, Topic
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.events import ReceiptItem, receipt_key
from chalicelib.models.metrics import CounterItem, ticket_counters_key

CONSUMER = TICKET_COUNTERS.name
RECEIPT_DAYS = 14


def counter_changes(event: dict) -> dict[str, int]:
    """How one event moves the counters (``{counter: delta}``)."""
    data = event.get("data") or {}
    kind = event.get("type")
    if kind == Topic.TICKET_CREATED:
        return {"tickets_created": 1, f"status_{data['ticket']['status']}": 1}
    if kind == Topic.TICKET_STATUS_CHANGED:
        return {f"status_{data['from']}": -1, f"status_{data['to']}": 1}
    if kind == Topic.TICKET_DELETED:
        return {"tickets_deleted": 1, f"status_{data['status']}": -1}
    if kind == Topic.TICKET_COMMENTED:
        return {"comments_added": 1}
    if kind == Topic.TICKET_ASSIGNED:
        return {"assignments": 1}
    return {}


def apply_ticket_event(event: dict) -> bool:
    """Apply one event envelope; False when it had already been applied (a redelivery)."""
    changes = counter_changes(event)
    receipt_pk, receipt_sk = receipt_key(CONSUMER, event["id"])
    receipt = ReceiptItem(pk=receipt_pk, sk=receipt_sk, expires_at=utcnow() + timedelta(days=RECEIPT_DAYS))
    pk, sk = ticket_counters_key(event["workspace_id"])
    try:
        with transaction() as write:
            write.save(receipt, condition=ReceiptItem.pk.does_not_exist())
            if changes:
                write.update(
                    CounterItem(pk=pk, sk=sk),
                    actions=[getattr(CounterItem, name).add(delta) for name, delta in changes.items()],
                )
    except TransactWriteError as error:
        if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True


def ticket_counts(workspace_id: str) -> dict[str, int]:
    pk, sk = ticket_counters_key(workspace_id)
    try:
        item = CounterItem.get(pk, sk, consistent_read=True)
    except CounterItem.DoesNotExist:
        return {}
    return {name: int(value) for name, value in item.attribute_values.items() if name not in {"pk", "sk"}}
