"""Reading a ticket's SLA clock for a caller who may see the ticket."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.auth.principal import Principal
from chalicelib.domain import sla, tickets
from chalicelib.errors import NotFound
from chalicelib.models.tickets import TicketItem, ticket_pk


def explain_ticket(workspace_id: str, actor: Principal, ticket_ref: str) -> dict:
    """``sla.explain`` for a ticket by id or number. NotFound when the caller cannot see it, or when it
    was opened before tickets had an SLA clock (code ``sla_not_started``)."""
    ticket_id = tickets.get_ticket(workspace_id, actor, ticket_ref)["id"]  # visibility rules live there
    try:
        ticket = TicketItem.get(ticket_pk(workspace_id, ticket_id), "TICKET", consistent_read=True)
    except DoesNotExist:
        raise NotFound("ticket not found") from None
    if not sla.has_clock(ticket):
        raise NotFound("this ticket has no SLA clock", code="sla_not_started")
    return sla.explain(ticket)
