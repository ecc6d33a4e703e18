"""The SLA lists: breaches and escalated tickets, newest first.

Each is a Query on a sparse index of the ``sla`` table (only breach records, only escalation records carry
its keys), keyed by the workspace, then one BatchGetItem for the page's tickets, so a page reads about a
page however many tickets the workspace holds.
"""

from __future__ import annotations

import json

from chalicelib.domain.ticket_records import number_label
from chalicelib.models.sla import SlaBreachItem, SlaEscalationItem
from chalicelib.models.tickets import TicketItem


def _ticket_summaries(workspace_id: str, records: list) -> dict[str, dict]:
    keys = list({(record.pk, "TICKET") for record in records})
    summaries = {}
    for ticket in TicketItem.batch_get(keys) if keys else []:
        if ticket.deleted_at is not None:
            continue
        summaries[ticket.id] = {
            "number": number_label(int(ticket.number)),
            "title": ticket.title,
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee_id": ticket.assignee_id,
            "team": ticket.team,
            "sla_status": ticket.sla_status,
            "escalation_level": int(ticket.escalation_level or 0),
        }
    return summaries


def _page(index, hash_name: str, hash_key: str, range_name: str, limit: int, start_key: dict | None):
    items = list(index.query(hash_key, scan_index_forward=False, limit=limit + 1, last_evaluated_key=start_key))
    next_key = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        next_key = {
            "pk": {"S": last.pk},
            "sk": {"S": last.sk},
            hash_name: {"S": hash_key},
            range_name: {"S": getattr(last, range_name)},
        }
    return items, next_key


def list_breaches(workspace_id: str, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """A page of the workspace's SLA breaches (one per ticket and target), newest first."""
    records, next_key = _page(
        SlaBreachItem.by_workspace, "breach_list_key", workspace_id, "breached_key", limit, start_key
    )
    tickets = _ticket_summaries(workspace_id, records)
    return [
        {
            "ticket_id": record.ticket_id,
            "target": record.target,
            "due_at": record.due_at,
            "breached_at": record.breached_at,
            "ticket": tickets.get(record.ticket_id),
        }
        for record in records
    ], next_key


def list_escalated(workspace_id: str, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """A page of the workspace's escalated tickets, most recently escalated first."""
    records, next_key = _page(
        SlaEscalationItem.by_workspace, "escalated_list_key", workspace_id, "escalated_key", limit, start_key
    )
    tickets = _ticket_summaries(workspace_id, records)
    return [
        {
            "ticket_id": record.ticket_id,
            "target": record.target,
            "escalation_level": int(record.level),
            "escalated_at": record.escalated_at,
            "escalated_to": json.loads(record.escalated_to),
            "ticket": tickets.get(record.ticket_id),
        }
        for record in records
    ], next_key
