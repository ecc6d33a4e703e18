"""Audit rows: every change in a workspace leaves one.

Domain code builds the row with ``audit_record`` and adds it to the transaction that makes the
change (next to the outbox event), so an audited change and its audit row commit or fail together.
Ticket changes are the exception, for their write cost on the hottest path: their outbox events
carry everything an audit row says, and the ``audit-trail`` consumer writes one row per event, keyed
by the event id (``chalicelib.domain.audit_trail``), so the row follows the change within seconds and
is never lost (the outbox) nor written twice (the key).
"""

from __future__ import annotations

import uuid

from chalicelib.clock import now_iso
from chalicelib.models.audit import AuditItem, actor_key, audit_pk, target_key
from chalicelib.models.sizing import compact_json


def audit_record(
    workspace_id: str,
    actor_id: str,
    action: str,
    target_type: str,
    target_id: str,
    changes: dict | None = None,
    correlation_id: str | None = None,
    at: str | None = None,
    audit_id: str | None = None,
) -> AuditItem:
    """An audit row, not yet saved. ``action`` is ``<target type>.<verb>`` (``requester.created``,
    ``system_config.updated``); ``changes`` maps a field to ``{"from": ..., "to": ...}``; secrets
    never belong in it. ``audit_id`` (default: a new uuid) makes the row's key: the event id, for a row
    written from an event."""
    at = at or now_iso()
    audit_id = audit_id or str(uuid.uuid4())
    return AuditItem(
        pk=audit_pk(workspace_id),
        sk=f"{at}#{audit_id}",
        id=audit_id,
        workspace_id=workspace_id,
        at=at,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        changes=compact_json(changes) if changes is not None else None,
        correlation_id=correlation_id,
        actor_key=actor_key(workspace_id, actor_id),
        target_key=target_key(workspace_id, target_type, target_id),
    )
