"""The ``audit-trail`` consumer: one audit row per ticket change event, written from the outbox event.

Ticket changes leave their audit rows here rather than in their own transaction (``chalicelib.domain.audit``
says why). The row is keyed by the event id and written only if absent, so a redelivered event changes
nothing; its action is the event's topic, its ``changes`` what the event says moved.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError

from chalicelib.domain.audit import audit_record
from chalicelib.events.catalogue import Topic
from chalicelib.models.audit import AuditItem

# The field a topic's ``{"from", "to"}`` data moves.
_MOVED_FIELD = {Topic.TICKET_STATUS_CHANGED: "status", Topic.TICKET_ASSIGNED: "assignee_id"}


def record_ticket_event(event: dict) -> bool:
    """Write the event's audit row; False when it was written before (a redelivery)."""
    row = audit_record(
        event["workspace_id"],
        event.get("actor_id") or "system",
        event["type"],
        event["subject"]["type"],
        event["subject"]["id"],
        changes_of(event),
        event.get("correlation_id"),
        event["occurred_at"],
        audit_id=event["id"],
    )
    try:
        row.save(condition=AuditItem.pk.does_not_exist())
    except PutError as error:
        if "ConditionalCheckFailed" in str(error):
            return False
        raise
    return True


def changes_of(event: dict) -> dict | None:
    data = event.get("data") or {}
    if "changes" in data:
        return data["changes"] or None
    field = _MOVED_FIELD.get(event["type"])
    if field and "to" in data:
        return {field: {"from": data.get("from"), "to": data["to"]}}
    if event["type"] == Topic.TICKET_COMMENTED and data.get("comment_id"):
        return {"comment": {"from": None, "to": data["comment_id"]}}
    return None
