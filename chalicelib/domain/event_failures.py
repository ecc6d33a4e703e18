"""Dead-lettered messages: recorded with their error when a consumer gives up, listed, and retried.

SQS moves a message to its subscription's DLQ after ``MAX_RECEIVE_COUNT`` failed receives, but the
DLQ keeps no error and cannot be listed per workspace. So the consumer, on a message's last failed
receive, records it here (``FailureItem``: the body as received, the error, the consumer) before SQS
moves it. A retry re-sends that body to the subscription's queue; consumers deduplicate on event id,
so a retry of something that did get applied changes nothing. The DLQ keeps its own copy until its
retention ends (for forensics; a bulk redrive of it is equally harmless).
"""

from __future__ import annotations

import uuid

from chalicelib.auth.principal import Principal
from chalicelib.clock import format_time, now_iso, utcnow
from chalicelib.errors import Conflict, NotFound
from chalicelib.events import requeue
from chalicelib.events.catalogue import MAX_RECEIVE_COUNT, SUBSCRIPTIONS
from chalicelib.logs import get_logger
from chalicelib.models.events import FailureItem, failures_pk

ERROR_MAX = 2000
UNKNOWN_WORKSPACE = "-"  # a message with no envelope: kept for operators, in no workspace's list


def is_last_attempt(receive_count: int) -> bool:
    return receive_count >= MAX_RECEIVE_COUNT


def record_failure(consumer: str, body: str, envelope: dict | None, error: BaseException, receive_count: int) -> None:
    """Keep a message its consumer gave up on. Never raises: the consumer's own failure is what
    must reach SQS, so a failure to record is logged instead."""
    try:
        failed_at = utcnow()
        failure_id = f"{failed_at.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:12]}"
        workspace_id = (envelope or {}).get("workspace_id") or UNKNOWN_WORKSPACE
        FailureItem(
            pk=failures_pk(workspace_id),
            sk=failure_id,
            id=failure_id,
            workspace_id=workspace_id,
            consumer=consumer,
            event_id=(envelope or {}).get("id"),
            event_type=(envelope or {}).get("type"),
            error=f"{type(error).__name__}: {error}"[:ERROR_MAX],
            failed_at=format_time(failed_at),
            receive_count=receive_count,
            body=body,
        ).save()
    except Exception:  # noqa: BLE001 - see the docstring
        get_logger().exception("could not record a dead-lettered message", extra={"consumer": consumer})


def failure_to_public(item: FailureItem) -> dict:
    return {
        "id": item.id,
        "consumer": item.consumer,
        "event_id": item.event_id,
        "event_type": item.event_type,
        "error": item.error,
        "failed_at": item.failed_at,
        "receive_count": int(item.receive_count),
        "retries": int(item.retries or 0),
        "retried_at": item.retried_at,
        "retried_by": item.retried_by,
    }


def list_failures(workspace_id: str, limit: int, start_key: dict | None):
    """The workspace's dead-lettered messages, newest first."""
    result = FailureItem.query(
        failures_pk(workspace_id), scan_index_forward=False, limit=limit, last_evaluated_key=start_key
    )
    return [failure_to_public(item) for item in result], result.last_evaluated_key


def retry_failure(workspace_id: str, failure_id: str, actor: Principal) -> dict:
    """Send the message back to its subscription's queue. Raises NotFound for an unknown id (or
    another workspace's), Conflict when its consumer no longer exists."""
    try:
        item = FailureItem.get(failures_pk(workspace_id), failure_id)
    except FailureItem.DoesNotExist:
        raise NotFound("failure not found") from None
    subscription = SUBSCRIPTIONS.get(item.consumer)
    if subscription is None:
        raise Conflict("the consumer of this message no longer exists", code="consumer_gone")
    requeue.send(subscription.queue, item.body)
    item.update(
        actions=[
            FailureItem.retried_at.set(now_iso()),
            FailureItem.retried_by.set(actor.user_id),
            FailureItem.retries.add(1),
        ]
    )
    return failure_to_public(item)
