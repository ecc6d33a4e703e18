"""The workspace's system configuration (admins only): read it whole, replace it whole."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN
from chalicelib.domain import system_config
from chalicelib.events.catalogue import Topic
from chalicelib.http.registry import RouteFamily
from chalicelib.http.request import etag_for
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import NULLABLE_STRING, NULLABLE_TIME, named

routes = RouteFamily("admin")

ADMINS = frozenset({ADMIN})
PATH = "/api/v1/admin/system-config"
MIME_TYPE = {
    "type": "string",
    "pattern": r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/(\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,63})$",
    "description": "`type/subtype` in lower case; `type/*` allows a whole family",
}


def _section(name: str, properties: dict) -> dict:
    # additionalProperties false at every level: a misspelt setting is a 400, never silently ignored
    return named(name, {"type": "object", "additionalProperties": False, "properties": properties})


SLA = _section(
    "SlaSettings",
    {
        "default_warning_threshold_percent": {"type": "integer", "minimum": 1, "maximum": 99},
        "pause_while_awaiting_user": {"type": "boolean"},
        "simulate_fast_sla": {"type": "boolean"},
    },
)
AI_CATEGORY = named(
    "AiCategory",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "examples": {
                "type": "array",
                "maxItems": 50,
                "items": {"type": "string", "minLength": 1, "maxLength": 200},
                "description": "Example phrases that mean this category",
            },
        },
    },
)
AI_PROVIDER_SETTINGS = _section(
    "AiProviderSettings",
    {
        "base_url": {
            "type": "string",
            "maxLength": 500,
            "pattern": r"^https?://[^\s]+$",
            "description": "an OpenAI-compatible API base, e.g. https://api.openai.com/v1",
        },
        "model": {"type": "string", "minLength": 1, "maxLength": 200, "description": "model name or Bedrock model id"},
        "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 30000},
        "vision": {"type": "boolean", "description": "the model reads images (image intake sends them)"},
    },
)
AI = _section(
    "AiSettings",
    {
        "provider": {
            "type": "string",
            "enum": ["builtin", "openai", "bedrock", "rules"],
            "description": "who classifies: the built-in model (`rules` is its old name), an OpenAI-compatible "
            "chat-completions endpoint, or Amazon Bedrock; a failing external provider falls back to the built-in one",
        },
        "provider_settings": AI_PROVIDER_SETTINGS,
        "retrain_after_labels": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100000,
            "description": "the schedule retrains the built-in model once this many new labels arrived",
        },
        "auto_assign_enabled": {"type": "boolean"},
        "auto_assign_confidence_threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "categories": {"type": "array", "maxItems": 50, "items": AI_CATEGORY},
    },
)
NOTIFICATIONS = _section(
    "NotificationSettings",
    {
        "channels": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": ["in_app", "email", "webhook"]},
        },
        "events": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": [topic.value for topic in Topic]},
        },
    },
)
SECURITY = _section(
    "SecuritySettings",
    {
        "session_lifetime_minutes": {"type": "integer", "minimum": 5, "maximum": 43200},
        "require_idempotency_key": {"type": "boolean"},
    },
)
ATTACHMENTS = _section(
    "AttachmentSettings",
    {
        "max_bytes": {"type": "integer", "minimum": 1, "maximum": system_config.MAX_ATTACHMENT_BYTES},
        "allowed_mime_types": {"type": "array", "maxItems": 100, "uniqueItems": True, "items": MIME_TYPE},
    },
)
SECTION_SCHEMAS = {
    "sla": SLA,
    "ai": AI,
    "notifications": NOTIFICATIONS,
    "security": SECURITY,
    "attachments": ATTACHMENTS,
}

SYSTEM_CONFIG_INPUT = named(
    "SystemConfigInput",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": SECTION_SCHEMAS,
        "description": "Sections or fields left out take their defaults",
    },
)
SYSTEM_CONFIG = named(
    "SystemConfig",
    {
        "type": "object",
        "required": ["version", "updated_at", "updated_by", *SECTION_SCHEMAS],
        "properties": {
            "version": {"type": "integer", "description": "0 until the configuration is first stored"},
            "updated_at": NULLABLE_TIME,
            "updated_by": NULLABLE_STRING,
            **SECTION_SCHEMAS,
        },
    },
)


def _reply(document: dict) -> Reply:
    return Reply(document, etag=etag_for(document["version"]))


@routes.route(
    PATH,
    "GET",
    operation_id="getSystemConfig",
    summary="The workspace's system configuration (defaults for what was never set)",
    roles=ADMINS,
    response=SYSTEM_CONFIG,
    response_headers=("ETag",),
)
def get_system_config(request):
    return _reply(system_config.get_config(request.workspace_id))


@routes.route(
    PATH,
    "PUT",
    operation_id="replaceSystemConfig",
    summary="Replace the workspace's system configuration (versioned, audited)",
    roles=ADMINS,
    body=SYSTEM_CONFIG_INPUT,
    response=SYSTEM_CONFIG,
    if_match=True,
    response_headers=("ETag",),
)
def replace_system_config(request):
    document = system_config.replace_config(
        request.workspace_id, request.principal, request.body, request.correlation_id, request.expected_version()
    )
    return _reply(document)
