"""What every intake channel (chat, image, intake sessions) does the same way: turn text into a title,
decide whether a classified ticket is routed, open the ticket and tell the classification's log.

The routing gate is the workspace's: ``ai.auto_assign_enabled`` and the classification's confidence at
or above ``ai.auto_assign_confidence_threshold`` (``chalicelib.domain.system_config``). Below it the
ticket opens unassigned, in triage, with the suggestion carried in its ``ticket.created`` event.
"""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.domain import classification, system_config, tickets
from chalicelib.domain import ticket_rules as rules
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


def routes_automatically(workspace_id: str, confidence: float) -> bool:
    """Whether a ticket classified with ``confidence`` runs the RACI rules (auto-assignment)."""
    ai = system_config.current(workspace_id)["ai"]
    return bool(ai["auto_assign_enabled"]) and confidence >= float(ai["auto_assign_confidence_threshold"])


def suggestion(result: Classification) -> dict:
    """The classification behind a ticket, as its ``ticket.created`` event carries it."""
    return {
        "category": result.category,
        "confidence": result.confidence,
        "model_version": result.model_version,
        "ai_log_id": result.ai_log_id,
        "provider": result.provider,
    }


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
    route = allow_routing and routes_automatically(workspace_id, result.confidence)
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
            # the classifier answers "question" for text that is no work order; that is no ticket class
            "ticket_class": result.ticket_class if result.ticket_class in rules.TICKET_CLASSES else None,
            "priority": result.suggested_priority,
        },
        route=route,
        suggestion=suggestion(result),
    )
    classification.record_outcome(
        workspace_id, result.ai_log_id, ticket["id"], auto_assigned=ticket["assignee_id"] is not None
    )
    return ticket
