"""What every intake channel (chat, image, intake sessions) does the same way: turn text into a title,
decide whether a classified ticket is routed, open the ticket and tell the classification's log.

The routing gate is the workspace's, decided with the classification (``Classification.auto_assignable``).
Below it the ticket opens unassigned, in triage, with the suggestion carried in its ``ticket.created`` event.
"""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.domain import classification, tickets
from chalicelib.domain.classification import Classification

TITLE_MAX = 200


def title_from(text: str, limit: int = TITLE_MAX) -> str:
    """The first non-blank line of ``text``, cut at a word boundary to at most ``limit`` characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = " ".join(line.split())
    if len(line) <= limit:
        return line
    cut = line[:limit]
    boundary = cut.rfind(" ")
    return (cut[:boundary] if boundary > limit // 2 else cut).rstrip(" ,.;:-")


def open_ticket(
    workspace_id: str,
    actor: Principal,
    result: Classification,
    source: str,
    data: dict,
    correlation_id: str | None,
    *,
    category: str | None = None,
    allow_routing: bool = True,
    ticket_id: str | None = None,
    linked_records=None,
    extra_puts=(),
) -> dict:
    """Open the ticket ``data`` (title, description, building and apartment ids) from channel ``source``
    with what ``result`` decided, routed when the gate allows it (and ``allow_routing``), then note the
    outcome on the classification's log. ``category`` overrides the classified one (the caller chose it).
    ``ticket_id``, ``linked_records``, ``extra_puts``: as ``tickets.create_ticket`` takes them, written in
    the ticket's transaction. Raises what ``create_ticket`` raises (ValidationError for unknown building or
    apartment ids, Conflict when a linked record's condition fails)."""
    route = allow_routing and result.auto_assignable
    ticket = tickets.create_ticket(
        workspace_id,
        actor,
        {name: value for name, value in data.items() if value is not None},
        correlation_id,
        linked_records=linked_records,
        extra_puts=extra_puts,
        ticket_id=ticket_id,
        channel_fields={
            "source": source,
            "category": category or result.category,
            "subcategory": result.subcategory,
            "ticket_class": result.ticket_class,
            "priority": result.suggested_priority,
        },
        route=route,
        suggestion=result.suggestion(),
    )
    classification.record_outcome(
        workspace_id, result.ai_log_id, ticket["id"], auto_assigned=ticket["assignee_id"] is not None
    )
    return ticket
