"""JSON schemas for the ticket routes: they validate requests and document the API."""

from __future__ import annotations

from chalicelib.blueprints.sla_schemas import SLA_STATUS
from chalicelib.domain.ticket_rules import PRIORITIES, PRIORITY_INPUTS, STATUSES, TICKET_CLASSES
from chalicelib.http.pagination import PAGE_QUERY
from chalicelib.http.schemas import NULLABLE_STRING, NULLABLE_TIME, SORT_ORDER, TIME, list_of, named, string_enum


def _distinct_strings_ignoring_case(values) -> list[str]:
    first_spelling: dict[str, str] = {}
    for value in values:
        if isinstance(value, str):
            first_spelling.setdefault(value.casefold(), value)
    return list(first_spelling.values())


TICKET_STATUS = string_enum("TicketStatus", STATUSES)
TICKET_CLASS = string_enum("TicketClass", TICKET_CLASSES)
PRIORITY = string_enum("Priority", PRIORITIES, "A ticket's priority as stored and returned")
# Documented as strings; the domain's integer and lower-case spellings (1, p1) stay accepted.
PRIORITY_INPUT = {
    **string_enum(
        "PriorityInput",
        _distinct_strings_ignoring_case(PRIORITY_INPUTS),
        "low, medium, high or urgent; P1 (urgent) to P4 (low), or 1 to 4, are aliases. "
        "Matched ignoring case; an integer 1-4 is read as its string.",
    ),
    "x-enum-ignore-case": True,
    "x-integer-as-string": True,
}

_ID = {"type": "string", "minLength": 1, "maxLength": 128}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_TAG = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"}
_NULLABLE_NAME = {"type": ["string", "null"], "minLength": 1, "maxLength": 100}
_NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 128}

_EDITABLE = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 20000},
    "priority": PRIORITY_INPUT,
    "urgency": {"type": ["integer", "null"], "minimum": 1, "maximum": 4},
    "category": _NULLABLE_NAME,
    "subcategory": _NULLABLE_NAME,
    "ticket_class": TICKET_CLASS,
    "team": {**_NULLABLE_ID, "description": "a team id (GET /api/v1/teams)"},
    "team_id": {**_NULLABLE_ID, "description": "alias of team"},
    "building_id": _NULLABLE_ID,
    "apartment_id": _NULLABLE_ID,
    "source": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,39}$"},
    "tags": {"type": "array", "items": _TAG, "maxItems": 10},
    "custom_fields": {"type": "object", "maxProperties": 50},
}

_CUSTOM_JSON = {"type": "object", "maxProperties": 50, "description": "alias of custom_fields"}

CREATE_TICKET = named(
    "TicketCreate",
    {
        "type": "object",
        "required": ["title"],
        "additionalProperties": False,
        "properties": {
            **_EDITABLE,
            "requester_id": _ID,
            "custom_json": _CUSTOM_JSON,
            "simulate_fast_sla": {"type": "boolean", "description": "SLA hours pass as seconds (demos, tests)"},
            "auto_assign": {
                "type": "boolean",
                "description": "Route the new ticket by the workspace's RACI rules (GET /api/v1/intake/raci): "
                "the first matching rule's group takes it",
            },
        },
    },
)

UPDATE_TICKET = named(
    "TicketPatch",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **_EDITABLE,
            "status": TICKET_STATUS,
            "reason": {"type": "string", "maxLength": 1000},
            "assignee_id": _NULLABLE_ID,
            "custom_json": _CUSTOM_JSON,
        },
    },
)

CHANGE_STATUS = named(
    "TicketStatusChange",
    {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {"status": TICKET_STATUS, "reason": {"type": "string", "maxLength": 1000}},
    },
)

ASSIGN = named(
    "TicketAssignment",
    {
        "type": "object",
        "required": ["assignee_id"],
        "additionalProperties": False,
        "properties": {"assignee_id": _NULLABLE_ID, "team": {**_ID, "description": "a team id (GET /api/v1/teams)"}},
    },
)

ADD_COMMENT = named(
    "CommentCreate",
    {
        "type": "object",
        "additionalProperties": False,
        "x-required-any-of": ["body_md", "body"],
        "description": "body_md (or its alias body) is required",
        "properties": {
            "body_md": {"type": "string", "minLength": 1, "maxLength": 50000},
            "body": {"type": "string", "minLength": 1, "maxLength": 50000, "description": "alias of body_md"},
            "is_internal": {"type": "boolean"},
            "visibility": string_enum("CommentVisibility", ["internal", "public"], "alias of is_internal"),
        },
    },
)

_NULLABLE_TEXT = NULLABLE_STRING
TICKET = named(
    "Ticket",
    {
        "type": "object",
        "required": [
            "id",
            "number",
            "title",
            "status",
            "priority",
            "requester_id",
            "created_at",
            "updated_at",
            "version",
        ],
        "properties": {
            "id": {"type": "string"},
            "number": {"type": "string", "pattern": "^DF-[0-9]+$"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "status": TICKET_STATUS,
            "priority": PRIORITY,
            "urgency": {"type": ["integer", "null"]},
            "category": _NULLABLE_TEXT,
            "subcategory": _NULLABLE_TEXT,
            "ticket_class": TICKET_CLASS,
            "requester_id": {"type": "string"},
            "assignee_id": _NULLABLE_TEXT,
            "team": _NULLABLE_TEXT,
            "building_id": _NULLABLE_TEXT,
            "apartment_id": _NULLABLE_TEXT,
            "source": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "custom_fields": {"type": "object"},
            "created_by": {"type": "string"},
            "created_at": TIME,
            "updated_at": TIME,
            "resolved_at": NULLABLE_TIME,
            "closed_at": NULLABLE_TIME,
            "first_response_due_at": NULLABLE_TIME,
            "resolution_due_at": NULLABLE_TIME,
            "sla_status": {"anyOf": [SLA_STATUS, {"type": "null"}]},
            "breached_at": NULLABLE_TIME,
            "escalation_level": {"type": "integer"},
            "version": {"type": "integer"},
            "csat_token": {**NULLABLE_STRING, "description": "The open CSAT survey's token (staff only)"},
            "csat_url": {**NULLABLE_STRING, "description": "The open CSAT survey's URL, for staff to send"},
        },
    },
)

COMMENT = named(
    "Comment",
    {
        "type": "object",
        "required": ["id", "ticket_id", "author_id", "body_md", "is_internal", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "ticket_id": {"type": "string"},
            "author_id": {"type": "string"},
            "body_md": {"type": "string"},
            "is_internal": {"type": "boolean"},
            "created_at": TIME,
        },
    },
)

HISTORY_ROW = named(
    "HistoryRow",
    {
        "type": "object",
        "required": ["id", "ticket_id", "actor_id", "at", "field", "from", "to"],
        "properties": {
            "id": {"type": "string"},
            "ticket_id": {"type": "string"},
            "actor_id": {"type": "string"},
            "at": TIME,
            "field": {"type": "string"},
            "from": {"description": "The field's value before (any JSON value)"},
            "to": {"description": "The field's value after (any JSON value)"},
            "note": NULLABLE_STRING,
        },
    },
)

TICKET_LIST = list_of("TicketList", TICKET)
COMMENT_LIST = list_of("CommentList", COMMENT)
HISTORY_LIST = list_of("HistoryList", HISTORY_ROW)

_FILTER = {"type": "string", "minLength": 1, "maxLength": 128}
LIST_QUERY = {
    "status": TICKET_STATUS,
    "priority": PRIORITY_INPUT,
    "assignee": _FILTER,
    "requester": _FILTER,
    "team": _FILTER,
    "category": _FILTER,
    "tag": {"type": "string", "minLength": 1, "maxLength": 40},
    "created_from": TIME,
    "created_to": TIME,
    "sort": string_enum("TicketSort", ["created_at", "updated_at"]),
    "order": SORT_ORDER,
    **PAGE_QUERY,
}
