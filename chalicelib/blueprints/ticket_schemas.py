"""JSON schemas for the ticket routes: they validate requests and document the API."""

from __future__ import annotations

from chalicelib.domain.ticket_rules import PRIORITY_INPUTS, STATUSES, TICKET_CLASSES
from chalicelib.http.pagination import PAGE_QUERY

_ID = {"type": "string", "minLength": 1, "maxLength": 128}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_TAG = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"}
_NULLABLE_NAME = {"type": ["string", "null"], "minLength": 1, "maxLength": 100}
_NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 128}

_EDITABLE = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": {"type": "string", "maxLength": 20000},
    "priority": {"enum": PRIORITY_INPUTS},
    "urgency": {"type": ["integer", "null"], "minimum": 1, "maximum": 4},
    "category": _NULLABLE_NAME,
    "subcategory": _NULLABLE_NAME,
    "ticket_class": {"enum": list(TICKET_CLASSES)},
    "team": _NULLABLE_NAME,
    "building_id": _NULLABLE_ID,
    "apartment_id": _NULLABLE_ID,
    "source": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,39}$"},
    "tags": {"type": "array", "items": _TAG, "maxItems": 10},
    "custom_fields": {"type": "object", "maxProperties": 50},
}

CREATE_TICKET = {
    "type": "object",
    "required": ["title"],
    "additionalProperties": False,
    "properties": {**_EDITABLE, "requester_id": _ID, "custom_json": {"type": "object", "maxProperties": 50}},
}

UPDATE_TICKET = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_EDITABLE,
        "status": {"enum": list(STATUSES)},
        "reason": {"type": "string", "maxLength": 1000},
        "assignee_id": _NULLABLE_ID,
        "custom_json": {"type": "object", "maxProperties": 50},
    },
}

CHANGE_STATUS = {
    "type": "object",
    "required": ["status"],
    "additionalProperties": False,
    "properties": {"status": {"enum": list(STATUSES)}, "reason": {"type": "string", "maxLength": 1000}},
}

ASSIGN = {
    "type": "object",
    "required": ["assignee_id"],
    "additionalProperties": False,
    "properties": {"assignee_id": _NULLABLE_ID, "team": _NAME},
}

ADD_COMMENT = {
    "type": "object",
    "additionalProperties": False,
    "anyOf": [{"required": ["body_md"]}, {"required": ["body"]}],
    "x-anyOf-message": "body_md (or its alias body) is required",
    "properties": {
        "body_md": {"type": "string", "minLength": 1, "maxLength": 50000},
        "body": {"type": "string", "minLength": 1, "maxLength": 50000},
        "is_internal": {"type": "boolean"},
        "visibility": {"enum": ["internal", "public"]},
    },
}

_NULLABLE_TEXT = {"type": ["string", "null"]}
TICKET = {
    "type": "object",
    "required": ["id", "number", "title", "status", "priority", "requester_id", "created_at", "updated_at", "version"],
    "properties": {
        "id": {"type": "string"},
        "number": {"type": "string", "pattern": "^DF-[0-9]+$"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "status": {"enum": list(STATUSES)},
        "priority": {"enum": ["low", "medium", "high", "urgent"]},
        "urgency": {"type": ["integer", "null"]},
        "category": _NULLABLE_TEXT,
        "subcategory": _NULLABLE_TEXT,
        "ticket_class": {"enum": list(TICKET_CLASSES)},
        "requester_id": {"type": "string"},
        "assignee_id": _NULLABLE_TEXT,
        "team": _NULLABLE_TEXT,
        "building_id": _NULLABLE_TEXT,
        "apartment_id": _NULLABLE_TEXT,
        "source": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "custom_fields": {"type": "object"},
        "created_by": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "resolved_at": {"type": ["string", "null"], "format": "date-time"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "version": {"type": "integer"},
    },
}

COMMENT = {
    "type": "object",
    "required": ["id", "ticket_id", "author_id", "body_md", "is_internal", "created_at"],
    "properties": {
        "id": {"type": "string"},
        "ticket_id": {"type": "string"},
        "author_id": {"type": "string"},
        "body_md": {"type": "string"},
        "is_internal": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}

HISTORY_ROW = {
    "type": "object",
    "required": ["id", "ticket_id", "actor_id", "at", "field", "from", "to"],
    "properties": {
        "id": {"type": "string"},
        "ticket_id": {"type": "string"},
        "actor_id": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "field": {"type": "string"},
        "from": {},
        "to": {},
        "note": {"type": ["string", "null"]},
    },
}

_FILTER = {"type": "string", "minLength": 1, "maxLength": 128}
LIST_QUERY = {
    "status": {"enum": list(STATUSES)},
    "priority": {"enum": [str(p) for p in PRIORITY_INPUTS if isinstance(p, str)]},
    "assignee": _FILTER,
    "requester": _FILTER,
    "team": _FILTER,
    "category": _FILTER,
    "tag": {"type": "string", "minLength": 1, "maxLength": 40},
    "created_from": {"type": "string", "format": "date-time"},
    "created_to": {"type": "string", "format": "date-time"},
    "sort": {"enum": ["created_at", "updated_at"]},
    "order": {"enum": ["asc", "desc"]},
    **PAGE_QUERY,
}
