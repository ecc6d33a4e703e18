"""At ``make run`` start: deliver again what was dispatched but never consumed.

moto's SQS keeps nothing across a restart, while the events table (DynamoDB Local, or moto's restored
snapshot) does: an event the publisher had sent to the bus but no consumer had applied when the
laptop stopped would otherwise be lost. For every event dispatched within ``WINDOW``, each
subscription that wants its topic is checked for a receipt (keyed by consumer and event id, one
BatchGetItem per 100 keys); where there is none, the event is re-sent to that subscription's queue
in the shape its rule delivers. Consumers are idempotent, so an event that was in fact still queued
(an emulator that keeps its queues, LocalStack say) is applied once all the same.

Reading the events is a Scan of the events table, filtered to the window: a maintenance job at start,
never a request path. A Query per workspace would need the list of workspaces (itself a Scan of the
directory), and no index orders events by time across workspaces (one would cost a write per event on
AWS, for a job that runs only on a laptop).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from chalicelib import aws
from chalicelib.clock import format_time, utcnow
from chalicelib.domain.events import envelope
from chalicelib.events.catalogue import SUBSCRIPTIONS, Subscription, subscriptions_for
from chalicelib.events.messages import as_bus_event
from chalicelib.models.events import EVENT_SK_PREFIX, EventItem, receipt_key, receipts_present
from chalicelib.models.sizing import compact_json
from chalicelib.settings import get_settings

WINDOW = timedelta(hours=24)  # receipts live 14 days, so every event in the window can be checked
_RECEIPT_BATCH = 100
_SEND_BATCH = 10

logger = logging.getLogger(__name__)


def redeliver_unconsumed(
    now: datetime | None = None, subscriptions: dict[str, Subscription] | None = None
) -> dict[str, int]:
    """Re-send every dispatched event that occurred within ``WINDOW`` and that a subscription wanting
    its topic holds no receipt for.
    Returns how many were re-sent per subscription (only those that had any)."""
    chosen = SUBSCRIPTIONS if subscriptions is None else subscriptions
    since = format_time((now or utcnow()) - WINDOW)
    wanted: list[tuple[Subscription, dict]] = [
        (subscription, envelope(event))
        for event in dispatched_since(since)
        for subscription in subscriptions_for(event.type, chosen)
    ]
    missing: dict[str, list[dict]] = {}
    for start in range(0, len(wanted), _RECEIPT_BATCH):
        chunk = wanted[start : start + _RECEIPT_BATCH]
        present = receipts_present([receipt_key(subscription.name, event["id"]) for subscription, event in chunk])
        for subscription, event in chunk:
            if receipt_key(subscription.name, event["id"]) not in present:
                missing.setdefault(subscription.name, []).append(event)
    for name, events in missing.items():
        _send(chosen[name], events)
        logger.info("redelivered %d unconsumed event(s) to %s", len(events), name)
    return {name: len(events) for name, events in missing.items()}


def dispatched_since(occurred_after: str):
    """Events that occurred after ``occurred_after`` and were dispatched, across every workspace."""
    # Maintenance job at start-up, never a request path: a Scan is right here (see the module docstring).
    return EventItem.scan(
        filter_condition=EventItem.sk.between(f"{EVENT_SK_PREFIX}{occurred_after}", f"{EVENT_SK_PREFIX}~")
        & EventItem.dispatched_at.exists()
    )


def _send(subscription: Subscription, events: list[dict]) -> None:
    sqs = aws.sqs()
    queue_url = aws.queue_url(subscription.queue)
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    account = queue_arn.split(":")[4]
    region = get_settings().region
    for start in range(0, len(events), _SEND_BATCH):
        batch = events[start : start + _SEND_BATCH]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "MessageBody": compact_json(as_bus_event(event, region, account, str(uuid.uuid4())))}
                for index, event in enumerate(batch)
            ],
        )
        for failure in response.get("Failed", []):
            logger.warning("could not redeliver an event to %s: %s", subscription.name, failure)
