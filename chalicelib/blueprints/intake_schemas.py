"""JSON schemas shared by the intake routes (chat, image intake, intake sessions)."""

from __future__ import annotations

from chalicelib.http.schemas import NULLABLE_STRING, STRING, TIME, named

CLASSIFICATION = named(
    "Classification",
    {
        "type": "object",
        "required": ["category", "ticket_class", "suggested_priority", "is_work_order", "confidence", "model_version"],
        "properties": {
            "category": NULLABLE_STRING,
            "subcategory": NULLABLE_STRING,
            "ticket_class": STRING,
            "suggested_priority": STRING,
            "is_work_order": {"type": "boolean"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "model_version": STRING,
            "provider": STRING,
            "reasons": {"type": "array", "items": STRING},
            "ai_log_id": NULLABLE_STRING,
            "image_read": {"type": "boolean"},
            "fallback_from": NULLABLE_STRING,
            "fallback_reason": NULLABLE_STRING,
            "auto_assignable": {
                "type": "boolean",
                "description": "whether a ticket opened from this answer is routed by the RACI rules "
                "(ai.auto_assign_enabled and the confidence at or above ai.auto_assign_confidence_threshold)",
            },
        },
    },
)
TICKET_REF = named(
    "TicketRef",
    {
        "type": "object",
        "required": ["id", "number"],
        "properties": {"id": STRING, "number": {"type": "string", "pattern": "^DF-[0-9]+$"}},
    },
)
MESSAGE = named(
    "ThreadMessage",
    {
        "type": "object",
        "required": ["id", "ticket_id", "author_id", "body", "kind", "created_at"],
        "properties": {
            "id": STRING,
            "ticket_id": STRING,
            "author_id": STRING,
            "body": STRING,
            "kind": {"type": "string", "enum": ["description", "message"], "description": "the ticket's opening"},
            "created_at": TIME,
        },
    },
)
ID = {"type": "string", "minLength": 1, "maxLength": 128}
NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 128}
