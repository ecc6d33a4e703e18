"""The ``ai-triage`` consumer and the triage queue.

From ticket events it keeps:
- the triage queue: a ticket opened from a classification or routing that nobody was assigned waits
  here, with the AI's suggestion, until it is assigned, finished or deleted. The entry is written only
  while the ticket is still waiting (a condition check on the ticket in the same transaction), and a
  later assignment's event removes it, so events may come in any order and tickets that never wait cost
  the queue nothing;
- training labels: a category a person gave a ticket (on create or by a change), and staff correcting the
  category of an AI-classified ticket, which also judges that classification (``ai_feedback.judge``).

Each event is applied once: its receipt commits with its effect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.clock import utcnow
from chalicelib.domain import ai_feedback
from chalicelib.errors import NotFound
from chalicelib.events.catalogue import AI_TRIAGE, Topic
from chalicelib.models.ai import LOG_SK, TicketLogItem, TriageItem, ticket_log_pk, triage_list, triage_pk
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.events import ReceiptItem, receipt_key
from chalicelib.models.intake import created_key
from chalicelib.models.sizing import compact_json
from chalicelib.models.tickets import TicketItem, ticket_pk

CONSUMER = AI_TRIAGE.name
RECEIPT_DAYS = 14
FINISHED = ("resolved", "closed", "cancelled")
TICKET_SK = "TICKET"


def apply_event(event: dict) -> bool:
    """Apply one ticket event; False when its receipt shows it was applied before."""
    receipt = _receipt(event["id"])
    try:
        _APPLY.get(event["type"], _nothing)(event, receipt)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error) and _received(event["id"]):
            return False
        raise
    return True


def _created(event: dict, receipt: ReceiptItem) -> None:
    data = event.get("data") or {}
    ticket = data.get("ticket") or {}
    suggestion = data.get("ai_suggestion")
    routing = data.get("routing")
    if ticket.get("assignee_id") or not (suggestion or routing):
        _created_with(event, ticket, suggestion, _writes(receipt))
        return
    entry = _entry(event, ticket, suggestion, routing)
    try:
        _created_with(event, ticket, suggestion, _writes(receipt, entry))
    except TransactWriteError as error:
        if "ConditionalCheckFailed" not in cancellation_codes(error) or _received(event["id"]):
            raise
        _created_with(event, ticket, suggestion, _writes(receipt))  # assigned, finished or deleted already


def _created_with(event: dict, ticket: dict, suggestion: dict | None, more: Callable) -> None:
    if ticket.get("category") and not suggestion:
        ai_feedback.add_ticket_label(event["workspace_id"], ticket["id"], _text(ticket), ticket["category"], more)
    else:
        _commit(more)


def _updated(event: dict, receipt: ReceiptItem) -> None:
    changes = (event.get("data") or {}).get("changes") or {}
    category = (changes.get("category") or {}).get("to")
    if "category" not in changes or not category:
        _commit(_writes(receipt))
        return
    workspace_id, ticket_id = event["workspace_id"], event["subject"]["id"]
    ticket = _ticket(workspace_id, ticket_id)
    if ticket is None:
        _commit(_writes(receipt))
        return
    log_id = _log_of(workspace_id, ticket_id)
    if log_id is not None:
        try:
            log = ai_feedback.get_log(workspace_id, log_id)
        except NotFound:  # the log is gone: the change still teaches the category
            log = None
        if log is not None:
            ai_feedback.judge(log, category, ai_feedback.CORRECTION, event.get("actor_id"), more=_writes(receipt))
            return
    text = _text({"title": ticket.title, "description": ticket.description})
    ai_feedback.add_ticket_label(workspace_id, ticket_id, text, category, _writes(receipt))


def _left_when(event: dict) -> bool:
    data = event.get("data") or {}
    if event["type"] == Topic.TICKET_ASSIGNED:
        return bool(data.get("to"))
    if event["type"] == Topic.TICKET_STATUS_CHANGED:
        return data.get("to") in FINISHED
    return event["type"] == Topic.TICKET_DELETED


def _left(event: dict, receipt: ReceiptItem) -> None:
    waiting = _waiting(event["workspace_id"], event["subject"]["id"]) if _left_when(event) else None
    _commit(_writes(receipt, leaving=waiting))


def _nothing(event: dict, receipt: ReceiptItem) -> None:
    _commit(_writes(receipt))


_APPLY = {
    Topic.TICKET_CREATED: _created,
    Topic.TICKET_UPDATED: _updated,
    Topic.TICKET_ASSIGNED: _left,
    Topic.TICKET_STATUS_CHANGED: _left,
    Topic.TICKET_DELETED: _left,
}


def _writes(
    receipt: ReceiptItem,
    entry: TriageItem | None = None,
    *,
    leaving: TriageItem | None = None,
) -> Callable:
    """What one event writes, for a transaction: the receipt; an entry, only while the ticket is still
    unassigned, open and not deleted (a condition check on it); or the removal of one that is waiting."""

    def more(write) -> None:
        write.save(receipt, condition=ReceiptItem.pk.does_not_exist())
        if entry is not None:
            write.save(entry, condition=TriageItem.pk.does_not_exist())
            write.condition_check(
                TicketItem,
                ticket_pk(entry.workspace_id, entry.ticket_id),
                TICKET_SK,
                condition=TicketItem.assignee_id.does_not_exist()
                & TicketItem.deleted_at.does_not_exist()
                & ~TicketItem.status.is_in(*FINISHED),
            )
        if leaving is not None:
            write.delete(leaving)

    return more


def _entry(event: dict, ticket: dict, suggestion: dict | None, routing: dict | None) -> TriageItem:
    workspace_id = event["workspace_id"]
    if routing and not routing.get("matched", True):
        reason = "no_rule_matched"
    elif routing:
        reason = "rule_without_auto_assign"
    else:
        reason = "not_auto_assigned"
    return TriageItem(
        pk=triage_pk(workspace_id, ticket["id"]),
        workspace_id=workspace_id,
        ticket_id=ticket["id"],
        ticket_number=ticket.get("number"),
        title=ticket.get("title"),
        reason=reason,
        suggestion=compact_json(suggestion) if suggestion else None,
        created_at=event["occurred_at"],
        list_key=triage_list(workspace_id),
        created_key=created_key(event["occurred_at"], ticket["id"]),
    )


def _text(ticket: dict) -> str:
    return f"{ticket.get('title') or ''}\n{ticket.get('description') or ''}".strip()


def _ticket(workspace_id: str, ticket_id: str) -> TicketItem | None:
    try:
        return TicketItem.get(ticket_pk(workspace_id, ticket_id), "TICKET")
    except DoesNotExist:
        return None


def _log_of(workspace_id: str, ticket_id: str) -> str | None:
    try:
        return TicketLogItem.get(ticket_log_pk(workspace_id, ticket_id), LOG_SK).log_id
    except DoesNotExist:
        return None


def _receipt(event_id: str) -> ReceiptItem:
    pk, sk = receipt_key(CONSUMER, event_id)
    return ReceiptItem(pk=pk, sk=sk, expires_at=utcnow() + timedelta(days=RECEIPT_DAYS))


def _received(event_id: str) -> bool:
    try:
        ReceiptItem.get(*receipt_key(CONSUMER, event_id), consistent_read=True)
        return True
    except DoesNotExist:
        return False


def _commit(more: Callable) -> None:
    with transaction() as write:
        more(write)


def _waiting(workspace_id: str, ticket_id: str) -> TriageItem | None:
    try:
        return TriageItem.get(triage_pk(workspace_id, ticket_id), "TRIAGE", consistent_read=True)
    except DoesNotExist:
        return None


# --- the queue -----------------------------------------------------------------------------------


def list_waiting(workspace_id: str, limit: int, start: dict | None, newest_first: bool = False):
    """The tickets waiting in triage, oldest first (the queue's order) unless ``newest_first``."""
    query = TriageItem.lists.query(
        triage_list(workspace_id), limit=limit, last_evaluated_key=start, scan_index_forward=not newest_first
    )
    items = list(query)
    return [entry_to_public(item) for item in items], query.last_evaluated_key


def entry_to_public(item: TriageItem) -> dict:
    return {
        "ticket_id": item.ticket_id,
        "ticket_number": item.ticket_number,
        "title": item.title,
        "reason": item.reason,
        "suggestion": json.loads(item.suggestion) if item.suggestion else None,
        "waiting_since": item.created_at,
    }
