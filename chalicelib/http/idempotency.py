"""``Idempotency-Key`` for mutating routes.

The first request with a key claims it with a conditional put, runs, and stores its response.
A repeat with the same body replays that response; with a different body it is a 422; while the
first is still running it is a 409. Failed requests (4xx/5xx) release the key so a corrected retry
runs again. Keys are scoped to workspace and caller and expire after ``idempotency_ttl_seconds``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.clock import epoch_seconds, utcnow
from chalicelib.errors import Conflict, UnprocessableEntity, ValidationError
from chalicelib.http.responses import Reply, to_json
from chalicelib.logs import get_logger
from chalicelib.models.idempotency import IdempotencyRecord
from chalicelib.settings import get_settings

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
IN_FLIGHT_SECONDS = 60


def _fingerprint(context) -> str:
    # Keyed, because bodies may carry passwords: a plain hash stored for a day could be guessed offline.
    digest = hmac.new(get_settings().cursor_signing_key + b"|idempotency", digestmod=hashlib.sha256)
    for part in (context.method.encode(), context.path.encode(), context.raw_body):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _record_key(context, key: str) -> str:
    caller = context.principal.user_id if context.principal else "anonymous"
    return f"{context.workspace_id or '-'}#{caller}#{key}"


def run_once(context, execute, required: bool = False) -> Reply:
    """Run ``execute`` at most once per Idempotency-Key; replay its stored reply afterwards. Without
    a key the request runs normally, unless ``required`` (the route's) or the deployment says 400."""
    key = context.headers.get("idempotency-key")
    if key is None:
        if required or get_settings().require_idempotency_key:
            raise ValidationError(
                "Idempotency-Key header is required",
                details={"Idempotency-Key": "is required"},
                code="idempotency_key_required",
            )
        return execute()
    if not _KEY.match(key):
        raise ValidationError(
            "Idempotency-Key is malformed",
            details={"Idempotency-Key": "must be 1-255 visible ASCII characters"},
            code="idempotency_key_invalid",
        )
    record_key = _record_key(context, key)
    fingerprint = _fingerprint(context)
    replay = _claim(record_key, fingerprint)
    if replay is not None:
        return replay
    try:
        reply = execute()
    except BaseException:
        _release(record_key)
        raise
    if reply.status >= 400:
        _release(record_key)
    else:
        _complete(record_key, reply)
    return reply


def _claim(record_key: str, fingerprint: str) -> Reply | None:
    now = epoch_seconds()
    ttl = get_settings().idempotency_ttl_seconds
    record = IdempotencyRecord(
        pk=record_key,
        fingerprint=fingerprint,
        state="in_progress",
        locked_until=now + IN_FLIGHT_SECONDS,
        expires_at=utcnow() + timedelta(seconds=ttl),
    )
    try:
        # An expired record (DynamoDB deletes by TTL lazily, up to days late) counts as absent, and
        # a stale in-progress claim (its request died) may be taken over.
        record.save(
            condition=IdempotencyRecord.pk.does_not_exist()
            | (IdempotencyRecord.expires_at < utcnow())
            | (
                (IdempotencyRecord.state == "in_progress")
                & (IdempotencyRecord.locked_until < now)
                & (IdempotencyRecord.fingerprint == fingerprint)
            )
        )
        return None
    except PutError as error:
        if not _is_condition_failure(error):
            raise
    try:
        existing = IdempotencyRecord.get(record_key, consistent_read=True)
    except DoesNotExist:
        raise Conflict(
            "a request with this Idempotency-Key is finishing; retry", code="idempotency_in_progress"
        ) from None
    if existing.fingerprint != fingerprint:
        raise UnprocessableEntity(
            "Idempotency-Key was already used with a different request",
            code="idempotency_key_reused",
        )
    if existing.state != "completed":
        raise Conflict("a request with this Idempotency-Key is in progress", code="idempotency_in_progress")
    return Reply(
        json.loads(existing.body) if existing.body else None,
        status=int(existing.status),
        headers={**json.loads(existing.headers or "{}"), "Idempotent-Replayed": "true"},
        etag=None,
    )


def _complete(record_key: str, reply: Reply) -> None:
    headers = dict(reply.headers)
    if reply.etag:
        headers["ETag"] = reply.etag
    try:
        IdempotencyRecord(pk=record_key).update(
            actions=[
                IdempotencyRecord.state.set("completed"),
                IdempotencyRecord.status.set(reply.status),
                IdempotencyRecord.body.set(to_json(reply.body) if reply.body is not None else ""),
                IdempotencyRecord.headers.set(to_json(headers)),
            ],
            condition=IdempotencyRecord.pk.exists(),
        )
    except UpdateError as error:
        if not _is_condition_failure(error):
            raise


def _release(record_key: str) -> None:
    try:
        IdempotencyRecord(pk=record_key).delete()
    except Exception:  # releasing is best effort: the in-flight lock also expires on its own
        get_logger().warning("could not release idempotency key", extra={"idempotency_record": record_key})


def _is_condition_failure(error) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
