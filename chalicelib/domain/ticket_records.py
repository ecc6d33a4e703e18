"""Between a ticket's storage items and the shape clients see: list keys, tag entries,
history rows and the public dictionary."""

from __future__ import annotations

import json
import uuid

from chalicelib.errors import ValidationError
from chalicelib.models.sizing import compact_json
from chalicelib.models.tickets import HistoryItem, TicketItem, TicketTagItem, ticket_pk
from infra.tables import TICKET_LIST_DIMENSIONS

NUMBER_PREFIX = "DF-"
MAX_CUSTOM_FIELDS_BYTES = 16 * 1024
UNASSIGNED = "~unassigned"
DEFAULT_SOURCE = "api"  # a ticket opened through the API stores no source (fewer bytes, fewer write units)

# The dimensions keyed on the ticket item itself (tags are keyed on tag entries).
_TICKET_KEYED = tuple(dimension for dimension in TICKET_LIST_DIMENSIONS if dimension.name != "tag")


def number_label(number: int) -> str:
    return f"{NUMBER_PREFIX}{number}"


def dimension_key(workspace_id: str, dimension: str, value: str) -> str:
    """An index hash key: ``<workspace>#<dimension>#<value>``, so dimensions can share an index."""
    return f"{workspace_id}#{dimension}#{value}"


def _dimension_value(ticket: TicketItem, dimension: str, attribute: str) -> str | None:
    value = getattr(ticket, attribute)
    if dimension == "assignee" and value is None:
        return UNASSIGNED
    return value


def _created_key(ticket: TicketItem) -> str:
    return f"{ticket.created_at}#{ticket.id}"


def set_index_keys(ticket: TicketItem) -> None:
    """Point the list indexes at the ticket (or take it out of all of them once deleted).

    Only keys whose value changes make an index write: a status change re-keys ``by-status``
    and ``by-ws-updated`` and leaves the other indexes alone."""
    live = ticket.deleted_at is None
    ws = ticket.workspace_id
    ticket.ws_key = ws if live else None
    ticket.created_key = _created_key(ticket) if live else None
    ticket.updated_key = f"{ticket.updated_at}#{ticket.id}" if live else None
    for dimension in _TICKET_KEYED:
        value = _dimension_value(ticket, dimension.name, dimension.attribute)
        key = dimension_key(ws, dimension.name, value) if live and value is not None else None
        setattr(ticket, dimension.key, key)


def tag_entries(ticket: TicketItem) -> list[TicketTagItem]:
    """The ticket's entries in its tags' lists (none once deleted). They hold keys only, so
    they are written when tags change and left alone otherwise."""
    if ticket.deleted_at is not None:
        return []
    return [
        TicketTagItem(
            pk=ticket.pk,
            sk=f"TAG#{tag}",
            label_key=dimension_key(ticket.workspace_id, "tag", tag),
            created_key=_created_key(ticket),
        )
        for tag in ticket.tags or []
    ]


def history_row(
    ticket: TicketItem, actor_id: str, at: str, field: str, before, after, correlation_id, internal=False, note=None
):
    row_id = str(uuid.uuid4())
    return HistoryItem(
        pk=ticket_pk(ticket.workspace_id, ticket.id),
        sk=f"HISTORY#{at}#{row_id}",
        id=row_id,
        ticket_id=ticket.id,
        actor_id=actor_id,
        at=at,
        field=field,
        from_value=None if before is None else compact_json(before),
        to_value=None if after is None else compact_json(after),
        internal=internal,
        note=note,
        correlation_id=correlation_id,
    )


def history_to_public(row: HistoryItem) -> dict:
    return {
        "id": row.id,
        "ticket_id": row.ticket_id,
        "actor_id": row.actor_id,
        "at": row.at,
        "field": row.field,
        "from": None if row.from_value is None else json.loads(row.from_value),
        "to": None if row.to_value is None else json.loads(row.to_value),
        "note": row.note,
    }


def to_public(ticket: TicketItem, viewer=None) -> dict:
    """The ticket as the API shows it; with ``viewer`` (a Principal), also what only some viewers
    see (the open CSAT survey, for staff: ``chalicelib.domain.csat.ticket_fields``)."""
    public = {
        "id": ticket.id,
        "number": number_label(int(ticket.number)),
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "urgency": None if ticket.urgency is None else int(ticket.urgency),
        "category": ticket.category,
        "subcategory": ticket.subcategory,
        "ticket_class": ticket.ticket_class,
        "requester_id": ticket.requester_id,
        "assignee_id": ticket.assignee_id,
        "team": ticket.team,
        "building_id": ticket.building_id,
        "apartment_id": ticket.apartment_id,
        "source": ticket.source or DEFAULT_SOURCE,
        "tags": list(ticket.tags or []),
        "custom_fields": json.loads(ticket.custom_fields or "{}"),
        "created_by": ticket.created_by,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "first_response_due_at": ticket.first_response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "sla_status": ticket.sla_status,
        "breached_at": ticket.breached_at,
        "escalation_level": int(ticket.escalation_level or 0),
        "version": int(ticket.version or 0),
    }
    if viewer is not None:
        from chalicelib.domain.csat import ticket_fields  # csat builds on this module

        public.update(ticket_fields(ticket, viewer))
    return public


def field_value(ticket: TicketItem, field: str):
    if field == "custom_fields":
        return json.loads(ticket.custom_fields or "{}")
    if field == "tags":
        return list(ticket.tags or [])
    value = getattr(ticket, field)
    if field == "source":
        return value or DEFAULT_SOURCE
    return int(value) if field == "urgency" and value is not None else value


def custom_fields_text(value: dict) -> str:
    """``custom_fields`` as stored. Raises ValidationError for numbers JSON cannot carry
    (NaN, Infinity: they would come back as invalid JSON on every read and list) and for
    more than ``MAX_CUSTOM_FIELDS_BYTES``."""
    try:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ValidationError(
            "custom_fields holds a number JSON cannot represent",
            details={"custom_fields": "numbers must be finite (no NaN or Infinity)"},
        ) from None
    if len(text.encode()) > MAX_CUSTOM_FIELDS_BYTES:
        raise ValidationError("custom_fields is too large", details={"custom_fields": "must be at most 16 KiB"})
    return text


def set_field(ticket: TicketItem, field: str, value) -> None:
    if field == "custom_fields":
        ticket.custom_fields = custom_fields_text(value)
    else:
        setattr(ticket, field, value)
