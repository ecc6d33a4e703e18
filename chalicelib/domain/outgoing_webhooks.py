"""Outgoing webhooks: a workspace's subscriptions, and the delivery of its events to them in the
Standard Webhooks format (``webhook-id`` = the event id, ``webhook-timestamp``, ``webhook-signature``).

Delivery is driven by the ``outgoing-webhooks`` subscription's queue (``deliver_event``). For each of
the workspace's subscriptions that wants the event (one Query), a delivery record keyed by
(subscription, event) holds the exact body sent and every attempt (status code, duration, error):

- a 2xx marks it delivered, and a redelivered event never sends to that subscription again;
- a 5xx, 408, 429, a timeout or a connection error leaves it ``retrying`` and raises RetryLater, so the
  consumer fails the message and SQS hands it back after ``backoff_seconds(attempt)`` (the consumer
  stretches the message's visibility timeout). We retry through the queue rather than sleeping in the
  function: a wait costs nothing, survives a crash, and only the subscriptions still owed are sent
  again. After ``MAX_ATTEMPTS`` receives the delivery is recorded ``failed`` (and can be replayed);
- any other answer (a 4xx, a refused target) is ``failed`` at once: sending again would not help.

A sender takes a short lease on the record before sending, so two copies of one event (the outbox
is at least once) never post to a receiver at the same time.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from chalicelib.auth.principal import Principal
from chalicelib.clock import epoch_seconds, format_time, now_iso, utcnow
from chalicelib.domain.audit import audit_record
from chalicelib.domain.webhook_signatures import new_signing_secret, standard_headers
from chalicelib.domain.webhook_targets import TargetRefused, check_target
from chalicelib.errors import Conflict, NotFound
from chalicelib.events.catalogue import MAX_RECEIVE_COUNT, OUTGOING_WEBHOOKS, Topic
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.events import ReceiptItem, receipt_key, receipts_present
from chalicelib.models.sizing import compact_json
from chalicelib.models.webhooks import (
    DELIVERY_PREFIX,
    SUBSCRIPTION_PREFIX,
    Attempt,
    OutgoingDelivery,
    WebhookSubscription,
    deliveries_pk,
    outgoing_delivery_sk,
    subscription_sk,
    workspace_pk,
)
from chalicelib.settings import get_settings

CONSUMER = OUTGOING_WEBHOOKS.name
TOPICS = tuple(str(topic) for topic in Topic)
MAX_ATTEMPTS = MAX_RECEIVE_COUNT  # the last receive before the queue would dead-letter the message
TIMEOUT_SECONDS = 5.0
BACKOFF_BASE_SECONDS = 30  # 30 s, 1, 2, 4 minutes between the five attempts
MAX_BACKOFF_SECONDS = 15 * 60
LEASE_SECONDS = TIMEOUT_SECONDS * 2
RETENTION_DAYS = 30
MAX_SUBSCRIPTIONS = 100  # per workspace: every event reads them all with one Query
USER_AGENT = "Deskflow-Webhooks/1"

PENDING, RETRYING, DELIVERED, FAILED = "pending", "retrying", "delivered", "failed"


class RetryLater(Exception):
    """Some subscription is owed a retry; the message should come back after ``seconds``."""

    def __init__(self, seconds: int, subscriptions: list[str]):
        super().__init__(f"retry in {seconds}s for {', '.join(subscriptions)}")
        self.seconds = seconds
        self.subscriptions = subscriptions


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        if self.status_code is None:
            return self.error is not None and not self.error.startswith("refused")
        return self.status_code >= 500 or self.status_code in {408, 429}


def backoff_seconds(attempt: int) -> int:
    """How long to wait after failed attempt number ``attempt`` (1-based): doubling, capped."""
    return min(MAX_BACKOFF_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))


# --- subscriptions ---------------------------------------------------------------------------------


def create_subscription(
    workspace_id: str, actor: Principal, url: str, topics: list[str], description: str | None, correlation_id
) -> dict:
    """Subscribe ``url`` to ``topics``; the answer carries the signing secret, the only time it is
    shown. TargetRefused for a URL Deskflow will not call; Conflict past MAX_SUBSCRIPTIONS."""
    check_target(url, get_settings().webhook_allow_private_targets)
    if len(_subscriptions(workspace_id, MAX_SUBSCRIPTIONS)) >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"a workspace has at most {MAX_SUBSCRIPTIONS} webhook subscriptions", code="too_many")
    at = now_iso()
    subscription_id = str(uuid.uuid4())
    subscription = WebhookSubscription(
        pk=workspace_pk(workspace_id),
        sk=subscription_sk(subscription_id),
        id=subscription_id,
        workspace_id=workspace_id,
        url=url,
        topics=list(dict.fromkeys(topics)),
        secret=new_signing_secret(),
        description=description,
        created_at=at,
        created_by=actor.user_id,
    )
    changes = {"url": {"from": None, "to": url}, "topics": {"from": None, "to": subscription.topics}}
    audit = audit_record(
        workspace_id, actor.user_id, "webhook_subscription.created", "webhook_subscription", subscription_id, changes,
        correlation_id, at,
    )  # fmt: skip
    with transaction() as write:
        write.save(subscription, condition=WebhookSubscription.pk.does_not_exist())
        write.save(audit)
    return {**subscription_to_public(subscription), "secret": subscription.secret}


def list_subscriptions(workspace_id: str) -> list[dict]:
    """The workspace's subscriptions (never their secrets), oldest first."""
    subscriptions = sorted(_subscriptions(workspace_id, MAX_SUBSCRIPTIONS), key=lambda item: item.created_at)
    return [subscription_to_public(item) for item in subscriptions]


def delete_subscription(workspace_id: str, actor: Principal, subscription_id: str, correlation_id) -> None:
    """Stop sending to a subscription (its delivery records expire on their own). NotFound if absent."""
    subscription = _subscription(workspace_id, subscription_id)
    audit = audit_record(
        workspace_id, actor.user_id, "webhook_subscription.deleted", "webhook_subscription", subscription_id,
        {"url": {"from": subscription.url, "to": None}}, correlation_id,
    )  # fmt: skip
    try:
        with transaction() as write:
            write.delete(subscription, condition=WebhookSubscription.pk.exists())
            write.save(audit)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise NotFound("webhook subscription not found") from error
        raise


def subscription_to_public(subscription: WebhookSubscription) -> dict:
    return {
        "id": subscription.id,
        "url": subscription.url,
        "topics": list(subscription.topics),
        "description": subscription.description,
        "created_at": subscription.created_at,
        "created_by": subscription.created_by,
    }


def _subscriptions(workspace_id: str, limit: int) -> list[WebhookSubscription]:
    return list(
        WebhookSubscription.query(
            workspace_pk(workspace_id),
            WebhookSubscription.sk.startswith(SUBSCRIPTION_PREFIX),
            limit=limit,
            consistent_read=True,
        )
    )


def _subscription(workspace_id: str, subscription_id: str) -> WebhookSubscription:
    try:
        return WebhookSubscription.get(
            workspace_pk(workspace_id), subscription_sk(subscription_id), consistent_read=True
        )
    except WebhookSubscription.DoesNotExist:
        raise NotFound("webhook subscription not found") from None


# --- deliveries ------------------------------------------------------------------------------------


def deliver_event(envelope: dict, attempt: int, send=None) -> bool:
    """Send ``envelope`` to every subscription of its workspace that wants its topic and is still
    owed it. ``attempt`` is how many times the queue has handed this message over (1 the first
    time). Returns False when nothing was sent (every subscription already had it: a redelivery);
    raises RetryLater when a subscription should be tried again."""
    send = send or post
    receipt_pk, receipt_sk = receipt_key(CONSUMER, envelope["id"])
    if receipts_present([(receipt_pk, receipt_sk)]):
        return False
    owed_retry: list[str] = []
    sent = False
    for subscription in _subscriptions(envelope["workspace_id"], MAX_SUBSCRIPTIONS):
        if envelope["type"] not in subscription.topics:
            continue
        delivery = _delivery_record(subscription, envelope)
        if delivery.status in {DELIVERED, FAILED}:
            continue
        if not _take_lease(delivery, only_if_owed=True):
            owed_retry.append(subscription.id)  # another copy of the event is sending it right now
            continue
        result = _attempt(subscription, delivery, send)
        sent = True
        final = result.succeeded or not result.retryable or attempt >= MAX_ATTEMPTS
        status = DELIVERED if result.succeeded else (FAILED if final else RETRYING)
        _record_attempt(delivery, result, status, "delivery")
        if not final:
            owed_retry.append(subscription.id)
    if owed_retry:
        raise RetryLater(backoff_seconds(attempt), owed_retry)
    # Done with this event for every subscription: the receipt tells a redelivery (and the local
    # runtime's start-up redelivery) so without reading the subscriptions again.
    ReceiptItem(pk=receipt_pk, sk=receipt_sk, expires_at=utcnow() + timedelta(days=RETENTION_DAYS)).save()
    return sent


def replay_delivery(workspace_id: str, subscription_id: str, delivery_id: str, send=None) -> dict:
    """Send a recorded delivery again now (whatever its status), record the attempt and return the
    delivery. NotFound for an unknown subscription or delivery; Conflict while an attempt is running."""
    subscription = _subscription(workspace_id, subscription_id)
    delivery = _delivery(workspace_id, subscription_id, delivery_id)
    if not _take_lease(delivery, only_if_owed=False):
        raise Conflict("a delivery attempt is in progress; retry shortly", code="delivery_in_progress")
    result = _attempt(subscription, delivery, send or post)
    status = DELIVERED if result.succeeded or delivery.status == DELIVERED else FAILED
    _record_attempt(delivery, result, status, "replay")
    return delivery_to_public(_delivery(workspace_id, subscription_id, delivery_id))


def list_deliveries(workspace_id: str, subscription_id: str, limit: int, start_key: dict | None):
    """A page of a subscription's deliveries, newest event first, each with its attempts."""
    _subscription(workspace_id, subscription_id)
    results = OutgoingDelivery.query(
        deliveries_pk(workspace_id, subscription_id),
        OutgoingDelivery.sk.startswith(DELIVERY_PREFIX),
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key={name: {"S": value} for name, value in start_key.items()} if start_key else None,
    )
    items = list(results)
    next_key = None
    if len(items) > limit:
        items = items[:limit]
        next_key = {"pk": items[-1].pk, "sk": items[-1].sk}
    return [delivery_to_public(item) for item in items], next_key


def delivery_to_public(delivery: OutgoingDelivery) -> dict:
    return {
        "id": _public_id(delivery.sk),
        "subscription_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempt_count": int(delivery.attempt_count or 0),
        "attempts": [
            {
                "at": attempt.at,
                "trigger": attempt.trigger,
                "status_code": None if attempt.status_code is None else int(attempt.status_code),
                "duration_ms": float(attempt.duration_ms),
                "error": attempt.error,
                "succeeded": bool(attempt.succeeded),
            }
            for attempt in delivery.attempts or []
        ],
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
        "delivered_at": delivery.delivered_at,
    }


def _public_id(sort_key: str) -> str:
    """Opaque and URL-safe, yet names the record directly (no index needed to find it again)."""
    return base64.urlsafe_b64encode(sort_key.removeprefix(DELIVERY_PREFIX).encode()).rstrip(b"=").decode()


def _sort_key(public_id: str) -> str | None:
    try:
        text = base64.urlsafe_b64decode(public_id + "=" * (-len(public_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return DELIVERY_PREFIX + text if "#" in text else None


def _delivery(workspace_id: str, subscription_id: str, delivery_id: str) -> OutgoingDelivery:
    sort_key = _sort_key(delivery_id)
    if sort_key is None:
        raise NotFound("delivery not found")
    try:
        return OutgoingDelivery.get(deliveries_pk(workspace_id, subscription_id), sort_key, consistent_read=True)
    except OutgoingDelivery.DoesNotExist:
        raise NotFound("delivery not found") from None


def _delivery_record(subscription: WebhookSubscription, envelope: dict) -> OutgoingDelivery:
    """The (subscription, event) record, created on first sight with the exact body to send."""
    pk = deliveries_pk(subscription.workspace_id, subscription.id)
    sk = outgoing_delivery_sk(envelope["occurred_at"], envelope["id"])
    at = now_iso()
    record = OutgoingDelivery(
        pk=pk,
        sk=sk,
        subscription_id=subscription.id,
        event_id=envelope["id"],
        event_type=envelope["type"],
        body=compact_json(envelope),
        status=PENDING,
        attempts=[],
        attempt_count=0,
        created_at=at,
        updated_at=at,
        expires_at=utcnow() + timedelta(days=RETENTION_DAYS),
    )
    try:
        record.save(condition=OutgoingDelivery.pk.does_not_exist())
    except PutError as error:  # it exists already: a redelivery, or a copy of the event racing us
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        return OutgoingDelivery.get(pk, sk, consistent_read=True)
    return record


def _take_lease(delivery: OutgoingDelivery, only_if_owed: bool) -> bool:
    now = now_iso()
    condition = OutgoingDelivery.sending_until.does_not_exist() | (OutgoingDelivery.sending_until < now)
    if only_if_owed:
        condition &= OutgoingDelivery.status.is_in(PENDING, RETRYING)
    until = format_time(utcnow() + timedelta(seconds=LEASE_SECONDS))
    try:
        delivery.update(actions=[OutgoingDelivery.sending_until.set(until)], condition=condition)
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _record_attempt(delivery: OutgoingDelivery, result: SendResult, status: str, trigger: str) -> None:
    at = now_iso()
    attempt = Attempt(
        at=at,
        trigger=trigger,
        status_code=result.status_code,
        duration_ms=round(result.duration_ms, 1),
        error=result.error,
        succeeded=result.succeeded,
    )
    actions = [
        OutgoingDelivery.attempts.set(OutgoingDelivery.attempts.append([attempt])),
        OutgoingDelivery.attempt_count.add(1),
        OutgoingDelivery.status.set(status),
        OutgoingDelivery.updated_at.set(at),
        OutgoingDelivery.sending_until.remove(),
    ]
    if result.succeeded:
        actions.append(OutgoingDelivery.delivered_at.set(at))
    delivery.update(actions=actions)


def _attempt(subscription: WebhookSubscription, delivery: OutgoingDelivery, send) -> SendResult:
    try:
        check_target(subscription.url, get_settings().webhook_allow_private_targets)
    except TargetRefused as refused:
        return SendResult(None, f"refused: {refused.details.get('url')}", 0.0)
    body = delivery.body.encode()
    timestamp = epoch_seconds()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **standard_headers(subscription.secret, delivery.event_id, timestamp, body),
    }
    return send(subscription.url, body, headers, TIMEOUT_SECONDS)


def post(url: str, body: bytes, headers: dict, timeout: float) -> SendResult:
    """POST ``body`` once; redirects are not followed (a redirect could lead anywhere)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.perf_counter()
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        status, error = response.status, None
    except TimeoutError:
        status, error = None, f"timed out after {timeout:g} s"
    except (OSError, http.client.HTTPException) as failure:
        status, error = None, f"{type(failure).__name__}: {failure}"[:500]
    finally:
        connection.close()
    return SendResult(status, error, (time.perf_counter() - started) * 1000)
