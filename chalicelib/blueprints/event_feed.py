"""Event routes: the workspace's event feed, the outbox view, and dead-lettered messages."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, ANY_MEMBER
from chalicelib.domain import event_failures, event_feed
from chalicelib.http.cursors import decode_cursor, encode_cursor
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import list_envelope
from chalicelib.http.schemas import list_of, string_enum

routes = RouteFamily("integrations")

ADMINS = frozenset({ADMIN})
_TIME = {"type": "string", "format": "date-time"}
_SUBJECT = {
    "type": "object",
    "required": ["type", "id"],
    "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
}
EVENT = {
    "title": "Event",
    "type": "object",
    "required": ["id", "type", "workspace_id", "occurred_at", "subject", "data"],
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string", "description": "a catalogue topic, or queue_changed (admins)"},
        "workspace_id": {"type": "string"},
        "occurred_at": _TIME,
        "correlation_id": {"type": ["string", "null"]},
        "actor_id": {"type": ["string", "null"]},
        "subject": _SUBJECT,
        "data": {"type": "object"},
    },
}
FEED_QUERY = {
    **PAGE_QUERY,
    "wait": {
        "type": "integer",
        "minimum": 0,
        "maximum": event_feed.MAX_WAIT_SECONDS,
        "default": 0,
        "description": "seconds to hold the request open when nothing is new (long poll)",
    },
}
OUTBOX_ROW = {
    "title": "OutboxRow",
    "type": "object",
    "required": ["id", "type", "occurred_at", "subject", "state"],
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string"},
        "occurred_at": _TIME,
        "correlation_id": {"type": ["string", "null"]},
        "subject": _SUBJECT,
        "state": string_enum("OutboxState", event_feed.OUTBOX_STATES),
        "dispatched_at": {"type": ["string", "null"]},
    },
}
FAILURE = {
    "title": "DeadLetter",
    "type": "object",
    "required": ["id", "consumer", "error", "failed_at", "receive_count", "retries"],
    "properties": {
        "id": {"type": "string"},
        "consumer": {"type": "string"},
        "event_id": {"type": ["string", "null"]},
        "event_type": {"type": ["string", "null"]},
        "error": {"type": "string"},
        "failed_at": _TIME,
        "receive_count": {"type": "integer"},
        "retries": {"type": "integer"},
        "retried_at": {"type": ["string", "null"]},
        "retried_by": {"type": ["string", "null"]},
    },
}


@routes.route(
    "/api/v1/events",
    "GET",
    operation_id="readEventFeed",
    summary="The workspace's events in order, from a cursor (long poll with wait)",
    roles=ANY_MEMBER,
    query=FEED_QUERY,
    response=list_of("EventFeed", EVENT),
)
def read_event_feed(request):
    scope = f"events|{request.workspace_id}|{request.principal.user_id}"
    cursor = request.query.get("cursor")
    after = decode_cursor(cursor, scope)["sk"] if cursor else None
    feed = event_feed.read_feed(
        request.workspace_id, request.principal, after, request.query["limit"], request.query["wait"]
    )
    # Unlike other lists the feed always hands back where to resume, even at its end.
    next_cursor = encode_cursor({"sk": feed.position}, scope) if feed.position else None
    return list_envelope(feed.events, request.query["limit"], next_cursor, "occurred_at", "asc", {})


@routes.route(
    "/api/v1/events/outbox",
    "GET",
    operation_id="listOutbox",
    summary="Outbox rows with their dispatch state, newest first",
    roles=ADMINS,
    query={**PAGE_QUERY, "state": string_enum("OutboxStateFilter", event_feed.OUTBOX_STATES)},
    response=list_of("OutboxList", OUTBOX_ROW),
)
def list_outbox(request):
    state = request.query.get("state")
    scope = f"outbox|{request.workspace_id}|{state}"
    rows, next_key = event_feed.list_outbox(
        request.workspace_id, state, request.query["limit"], start_key(request, scope)
    )
    return page(request, rows, next_key, scope, "occurred_at", "desc", {"state": state} if state else {})


@routes.route(
    "/api/v1/events/failures",
    "GET",
    operation_id="listEventFailures",
    summary="Dead-lettered messages with their error, newest first",
    roles=ADMINS,
    query=PAGE_QUERY,
    response=list_of("DeadLetterList", FAILURE),
)
def list_failures(request):
    scope = f"failures|{request.workspace_id}"
    rows, next_key = event_failures.list_failures(
        request.workspace_id, request.query["limit"], start_key(request, scope)
    )
    return page(request, rows, next_key, scope, "failed_at", "desc", {})


@routes.route(
    "/api/v1/events/failures/{failure_id}/retry",
    "POST",
    operation_id="retryEventFailure",
    summary="Send a dead-lettered message back to its subscription's queue",
    roles=ADMINS,
    response=FAILURE,
    errors=frozenset({409}),
)
def retry_failure(request):
    return event_failures.retry_failure(request.workspace_id, request.path_params["failure_id"], request.principal)
