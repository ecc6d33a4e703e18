"""JSON schemas an attachment is described by, wherever one is uploaded: a ticket's attachments and image intake."""

from __future__ import annotations

from chalicelib.http.schemas import NULLABLE_TIME, STRING, TIME, named

FILENAME = {"type": "string", "minLength": 1, "maxLength": 1024, "description": "Shown sanitised"}
CONTENT_TYPE = {"type": "string", "minLength": 3, "maxLength": 255, "description": "e.g. image/png"}
UPLOAD_SIZE = {"type": "integer", "minimum": 1, "maximum": 10**15, "description": "Bytes to upload"}
ATTACHMENT = named(
    "Attachment",
    {
        "type": "object",
        "required": ["id", "ticket_id", "filename", "content_type", "size", "status", "object_key", "created_at"],
        "properties": {
            "id": STRING,
            "ticket_id": STRING,
            "filename": STRING,
            "content_type": STRING,
            "size": {"type": "integer"},
            "status": {"type": "string", "enum": ["pending", "confirmed"]},
            "object_key": STRING,
            "uploaded_by": STRING,
            "created_at": TIME,
            "confirmed_at": NULLABLE_TIME,
        },
    },
)
UPLOAD_INSTRUCTIONS = {
    "type": "object",
    "required": ["url", "method", "headers", "expires_at"],
    "description": "PUT the file's bytes to `url` with exactly these headers, then confirm",
    "properties": {
        "url": STRING,
        "method": {"type": "string", "enum": ["PUT"]},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "expires_at": TIME,
    },
}
