"""Clarifications (seed 001): staff ask the requester something, the ticket waits on the answer, and the
answer puts the ticket back where it was.

Both steps are ticket changes with a public note, so they use the ticket module's change machinery
(history rows, events, index keys, the version guard) and commit the note in the same transaction.
"""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.domain import ticket_rules as rules
from chalicelib.domain.ticket_notes import note_records
from chalicelib.domain.ticket_records import to_public
from chalicelib.domain.tickets import _Change, _commit, _load_visible, _status_changed_data
from chalicelib.errors import Conflict, Forbidden
from chalicelib.events.catalogue import Topic

AWAITING = "awaiting_user_response"


def request_info(workspace_id: str, actor: Principal, ticket_ref: str, question: str, correlation_id) -> dict:
    """Ask the requester a question (a public note) and set the ticket ``awaiting_user_response``.
    Conflict when the ticket already waits on an answer or is finished."""
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    if ticket.status == AWAITING:
        raise Conflict("the ticket is already waiting on the requester", code="already_awaiting_response")
    previous = ticket.status
    change = _Change(ticket, actor, correlation_id)
    rules.check_transition(actor, previous, AWAITING)
    change.set("status", AWAITING)
    change.history[-1].note = "information requested"
    ticket.status_before_info_request = previous
    change.emit(Topic.TICKET_STATUS_CHANGED, _status_changed_data(change, "information requested"))
    note = note_records(ticket, actor.user_id, question, False, correlation_id, change.at)
    _commit(change, extra_puts=[(item, None) for item in note.items])
    return {**to_public(ticket), "question_comment_id": note.items[0].id}


def user_response(workspace_id: str, actor: Principal, ticket_ref: str, answer: str, correlation_id) -> dict:
    """Record the requester's answer (a public note) and restore the status the question interrupted.
    The requester answers, or staff on their behalf; Conflict when nothing was asked."""
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    if not rules.is_staff(actor) and actor.user_id != ticket.requester_id:
        raise Forbidden("only the requester or staff answer for this ticket", code="role_forbidden")
    if ticket.status != AWAITING:
        raise Conflict("the ticket is not waiting on an answer", code="not_awaiting_response")
    restored = ticket.status_before_info_request or "open"
    change = _Change(ticket, actor, correlation_id)
    change.set("status", restored)  # the workflow's own move back, whoever answers
    change.history[-1].note = "requester answered"
    ticket.status_before_info_request = None
    change.emit(Topic.TICKET_STATUS_CHANGED, _status_changed_data(change, "requester answered"))
    note = note_records(ticket, actor.user_id, answer, False, correlation_id, change.at)
    _commit(change, extra_puts=[(item, None) for item in note.items])
    return {**to_public(ticket), "answer_comment_id": note.items[0].id}
