"""Intake sessions (seed 001): clarify, submit, list."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, ANY_MEMBER, REQUESTER
from chalicelib.blueprints import intake_schemas as schemas
from chalicelib.blueprints import ticket_schemas
from chalicelib.domain import intake_sessions
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import NULLABLE_STRING, STRING, TIME, list_of, named

routes = RouteFamily("intake")

WRITERS = frozenset({ADMIN, AGENT, REQUESTER})
_TEXT = {"type": "string", "maxLength": 20000}

SESSION = named(
    "IntakeSession",
    {
        "type": "object",
        "required": ["id", "status", "title", "description", "answers", "ticket_id", "created_at", "updated_at"],
        "properties": {
            "id": STRING,
            "status": {"type": "string", "enum": ["open", "submitted"]},
            "title": NULLABLE_STRING,
            "description": NULLABLE_STRING,
            "answers": {"type": "object", "additionalProperties": STRING},
            "ticket_id": NULLABLE_STRING,
            "created_at": TIME,
            "updated_at": TIME,
        },
    },
)
QUESTION = named(
    "IntakeQuestion",
    {
        "type": "object",
        "required": ["field", "text"],
        "properties": {
            "field": {"type": "string", "enum": ["description", "category", "building_id"]},
            "text": STRING,
            "options": {"type": "array", "items": STRING},
        },
    },
)
CLARIFY_INPUT = named(
    "IntakeClarifyInput",
    {
        "type": "object",
        "additionalProperties": False,
        "description": "Without session_id a new session starts; answers answer the last question",
        "properties": {
            "session_id": schemas.ID,
            "title": {"type": "string", "maxLength": 200},
            "description": _TEXT,
            "message": _TEXT,
            "answers": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "description": _TEXT,
                    "category": {"type": "string", "minLength": 1, "maxLength": 100},
                    "building_id": schemas.ID,
                    "apartment_id": schemas.ID,
                },
            },
        },
    },
)
CLARIFY_REPLY = named(
    "IntakeClarification",
    {
        "type": "object",
        "required": ["session_id", "session", "classification", "question"],
        "properties": {
            "session_id": STRING,
            "session": SESSION,
            "classification": schemas.CLASSIFICATION,
            "question": {"anyOf": [QUESTION, {"type": "null"}], "description": "at most one; null when none"},
        },
    },
)
SUBMIT_INPUT = named(
    "IntakeSubmitInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["session_id"],
        "properties": {
            "session_id": schemas.ID,
            "auto_assign": {"type": "boolean", "description": "false: never routed (default true: the AI gate)"},
        },
    },
)
SUBMIT_REPLY = named(
    "IntakeSubmission",
    {
        "type": "object",
        "required": ["session", "ticket", "classification"],
        "properties": {
            "session": SESSION,
            "ticket": ticket_schemas.TICKET,
            "classification": schemas.CLASSIFICATION,
        },
    },
)


@routes.route(
    "/api/v1/intake/clarify",
    "POST",
    operation_id="clarifyIntake",
    summary="Start or continue an intake session: classify it and ask at most one question",
    roles=WRITERS,
    body=CLARIFY_INPUT,
    response=CLARIFY_REPLY,
    errors=frozenset({404}),
)
def clarify(request):
    body = request.body
    return intake_sessions.clarify(
        request.workspace_id,
        request.principal,
        body.get("session_id"),
        body.get("title"),
        body.get("description"),
        body.get("message"),
        body.get("answers"),
        request.correlation_id,
    )


@routes.route(
    "/api/v1/intake/submit",
    "POST",
    operation_id="submitIntake",
    summary="Turn an intake session into a ticket (once: again is a 409 naming the ticket)",
    roles=WRITERS,
    body=SUBMIT_INPUT,
    response=SUBMIT_REPLY,
    status=201,
    errors=frozenset({404}),
)
def submit(request):
    body = request.body
    answer = intake_sessions.submit(
        request.workspace_id,
        request.principal,
        body["session_id"],
        body.get("auto_assign", True),
        request.correlation_id,
    )
    return Reply(answer, status=201)


@routes.route(
    "/api/v1/intake/sessions",
    "GET",
    operation_id="listIntakeSessions",
    summary="The caller's intake sessions, newest first",
    roles=ANY_MEMBER,
    query=PAGE_QUERY,
    response=list_of("IntakeSessionList", SESSION),
)
def list_sessions(request):
    scope = f"intake-sessions|{request.workspace_id}|{request.principal.user_id}"
    items, next_key = intake_sessions.list_sessions(
        request.workspace_id, request.principal, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "created_at", "desc", {})


@routes.route(
    "/api/v1/intake/sessions/{session_id}",
    "GET",
    operation_id="getIntakeSession",
    summary="One of the caller's intake sessions",
    roles=ANY_MEMBER,
    response=SESSION,
)
def get_session(request):
    return intake_sessions.get_session(request.workspace_id, request.principal, request.path_params["session_id"])
