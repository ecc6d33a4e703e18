"""Between a ticket's storage items and the shape clients see: index keys, tag entries,
history rows and the public dictionary."""

from __future__ import annotations

import json
import uuid

from chalicelib.models.tickets import HistoryItem, TicketItem, TicketTagItem, ticket_pk

NUMBER_PREFIX = "DF-"
UNASSIGNED = "~unassigned"

# list dimension → the ticket attribute whose value keys that dimension's index
INDEXED_ATTRIBUTES = {
    "status": "status",
    "priority": "priority",
    "assignee": "assignee_id",
    "requester": "requester_id",
    "team": "team",
    "category": "category",
}


def number_label(number: int) -> str:
    return f"{NUMBER_PREFIX}{number}"


def set_index_keys(ticket: TicketItem) -> None:
    """Point every list index at the ticket (or take it out of all of them once deleted)."""
    live = ticket.deleted_at is None
    ws = ticket.workspace_id
    ticket.ws_key = ws if live else None
    for dimension, attribute in INDEXED_ATTRIBUTES.items():
        value = getattr(ticket, attribute)
        if dimension == "assignee" and value is None:
            value = UNASSIGNED
        setattr(ticket, f"{dimension}_key", f"{ws}#{value}" if live and value is not None else None)
    ticket.created_key = f"{ticket.created_at}#{ticket.id}" if live else None
    ticket.updated_key = f"{ticket.updated_at}#{ticket.id}" if live else None


def tag_entries(ticket: TicketItem) -> list[TicketTagItem]:
    if ticket.deleted_at is not None:
        return []
    # Written in the same transaction that bumps the version, so the snapshot carries the next one.
    snapshot = json.dumps({**to_public(ticket), "version": int(ticket.version or 0) + 1}, separators=(",", ":"))
    return [
        TicketTagItem(
            pk=ticket.pk,
            sk=f"TAG#{tag}",
            ticket_id=ticket.id,
            tag_key=f"{ticket.workspace_id}#{tag}",
            created_key=ticket.created_key,
            updated_key=ticket.updated_key,
            snapshot=snapshot,
            status=ticket.status,
            priority=ticket.priority,
            assignee_id=ticket.assignee_id,
            requester_id=ticket.requester_id,
            team=ticket.team,
            category=ticket.category,
            tags=list(ticket.tags or []),
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
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
        from_value=None if before is None else json.dumps(before, separators=(",", ":")),
        to_value=None if after is None else json.dumps(after, separators=(",", ":")),
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


def to_public(ticket: TicketItem) -> dict:
    return {
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
        "source": ticket.source,
        "tags": list(ticket.tags or []),
        "custom_fields": json.loads(ticket.custom_fields or "{}"),
        "created_by": ticket.created_by,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "version": int(ticket.version or 0),
    }


def field_value(ticket: TicketItem, field: str):
    if field == "custom_fields":
        return json.loads(ticket.custom_fields or "{}")
    if field == "tags":
        return list(ticket.tags or [])
    value = getattr(ticket, field)
    return int(value) if field == "urgency" and value is not None else value


def set_field(ticket: TicketItem, field: str, value) -> None:
    if field == "custom_fields":
        ticket.custom_fields = json.dumps(value, separators=(",", ":"), sort_keys=True)
    else:
        setattr(ticket, field, value)
