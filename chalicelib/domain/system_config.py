"""A workspace's system configuration: SLA, AI, notification, security and attachment settings as one
versioned document, with defaults for whatever an admin never set.

Other capabilities read ``current(workspace_id)`` (the effective document) rather than the stored one,
so they never have to know which values are defaults. The shape of the document (and the refusal of
unknown keys) is the route's JSON Schema (``chalicelib.blueprints.system_config``); ``DEFAULTS`` must
satisfy it, which a test holds.
"""

from __future__ import annotations

import copy

from chalicelib.auth.principal import Principal
from chalicelib.clock import now_iso
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, PreconditionFailed
from chalicelib.models import system_config as storage

SECTIONS = ("sla", "ai", "notifications", "security", "attachments")
MAX_ATTACHMENT_BYTES = 5 * 1024**3  # one S3 PUT carries at most 5 GiB

DEFAULTS: dict = {
    "sla": {
        "default_warning_threshold_percent": 80,
        "pause_while_awaiting_user": True,
        "simulate_fast_sla": False,
    },
    "ai": {
        "provider": "builtin",
        "provider_settings": {"timeout_ms": 4000, "vision": False},
        "retrain_after_labels": 20,
        "auto_assign_enabled": False,
        "auto_assign_confidence_threshold": 0.8,
        "categories": [
            {"name": "plumbing", "examples": ["water leak", "blocked drain", "no hot water"]},
            {"name": "electrical", "examples": ["power outage", "light not working", "sparking socket"]},
            {"name": "access", "examples": ["locked out", "password reset", "need access to"]},
        ],
    },
    "notifications": {
        "channels": ["in_app"],
        "events": [
            "ticket.created",
            "ticket.assigned",
            "ticket.commented",
            "ticket.status_changed",
            "ticket.sla_warning",
            "ticket.sla_breached",
        ],
    },
    "security": {
        "session_lifetime_minutes": 720,
        "require_idempotency_key": False,
    },
    "attachments": {
        "max_bytes": 10 * 1024 * 1024,
        "allowed_mime_types": [
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "application/pdf",
            "text/plain",
            "text/csv",
        ],
    },
}


def current(workspace_id: str) -> dict:
    """The effective configuration of ``workspace_id``: its stored settings over the defaults (one read)."""
    return _effective(storage.stored_document(storage.load(workspace_id)))


def get_config(workspace_id: str) -> dict:
    """The effective document with its ``version`` (0 while never set), ``updated_at`` and ``updated_by``."""
    record = storage.load(workspace_id)
    return _public(record, _effective(storage.stored_document(record)))


def replace_config(
    workspace_id: str, actor: Principal, document: dict, correlation_id: str | None, expected_version: int | None
) -> dict:
    """Store ``document`` (already schema-valid; sections or fields it leaves out take their defaults) as the
    next version, with an audit row naming every ``section/field`` that changed, in one transaction.
    PreconditionFailed when ``expected_version`` is not the current one; Conflict when a concurrent write won."""
    record = storage.load(workspace_id)
    current_version = int(record.version) if record is not None else 0
    if expected_version is not None and expected_version != current_version:
        raise PreconditionFailed(
            "the system configuration has changed since you read it",
            details={"If-Match": f'current version is "v{current_version}"'},
        )
    before = _effective(storage.stored_document(record))
    after = _effective(document)
    at = now_iso()
    audit_row = audit_record(
        workspace_id,
        actor.user_id,
        "system_config.updated",
        "system_config",
        workspace_id,
        changes=field_changes(before, after),
        correlation_id=correlation_id,
        at=at,
    )
    try:
        saved = storage.save(workspace_id, record, document, actor.user_id, at, audit_row)
    except Conflict as error:
        if expected_version is not None:  # the caller named a version, and it is gone: say so as If-Match does
            raise PreconditionFailed("the system configuration has changed since you read it") from error
        raise
    return _public(saved, after)


def field_changes(before: dict, after: dict) -> dict:
    """``{"<section>/<field>": {"from", "to"}}`` for every field whose effective value differs."""
    changes = {}
    for section in SECTIONS:
        for name in sorted(set(before.get(section, {})) | set(after.get(section, {}))):
            old, new = before.get(section, {}).get(name), after.get(section, {}).get(name)
            if old != new:
                changes[f"{section}/{name}"] = {"from": old, "to": new}
    return changes


def _effective(stored: dict) -> dict:
    """Defaults overlaid field by field with what is stored (a list replaces the default list whole)."""
    effective = copy.deepcopy(DEFAULTS)
    for section, fields in stored.items():
        if section in effective and isinstance(fields, dict):
            effective[section].update(copy.deepcopy(fields))
    return effective


def _public(record, effective: dict) -> dict:
    return {
        "version": int(record.version) if record is not None else 0,
        "updated_at": record.updated_at if record is not None else None,
        "updated_by": record.updated_by if record is not None else None,
        **effective,
    }
