"""Customer satisfaction surveys (seed 002): one single-use, expiring token per resolution.

- Issued when a ticket becomes ``resolved``, in the same transaction as the status change
  (``issue_on_resolve``): a ``CsatTokenItem`` keyed by the token's hash, the token on the ticket for
  staff to send by their own channel (``csat_token``/``csat_url``, never shown to requesters), and a
  ``ticket.csat_requested`` event carrying the survey URL.
- Resolved again after a reopen, the ticket gets a new token; an unanswered older one is revoked in
  that same transaction and from then on is answered 404, like an unknown one. An answered one stays
  answered (409).
- Answered once (``submit``): one transaction marks the token answered (conditional: a race of two
  submissions records one), takes the token off the ticket (bumping its version, so a concurrent
  ticket write cannot put it back), and writes a history row, an audit row and the
  ``ticket.csat_submitted`` event the metrics count.

The respondent is not signed in: the token is the capability. History and audit name the ticket's
requester as the actor, the person the survey was issued for.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.clock import format_time, now_iso, utcnow
from chalicelib.domain import ticket_rules as rules
from chalicelib.domain.audit import audit_record
from chalicelib.domain.events import new_event
from chalicelib.domain.ticket_records import history_row, number_label
from chalicelib.errors import Conflict, NotFound
from chalicelib.events.catalogue import Topic
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.csat import CSAT_SK, CsatTokenItem, csat_token_pk
from chalicelib.models.tickets import TicketItem, ticket_pk

TOKEN_TTL = timedelta(days=14)
SCORES = ("good", "bad")
MAX_COMMENT_LENGTH = 2000
SURVEY_PATH = "/api/v1/csat/"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32): 256 random bits


def survey_url(token: str) -> str:
    """Where the survey lives, relative to the API's host (the link staff send)."""
    return SURVEY_PATH + token


def ticket_fields(ticket: TicketItem, viewer: Principal | None) -> dict:
    """The survey fields of a ticket's public shape: staff see the open survey's token and URL (null
    when there is none); requesters and anyone unnamed see neither field."""
    if viewer is None or not rules.is_staff(viewer):
        return {}
    token = ticket.csat_token
    return {"csat_token": token, "csat_url": survey_url(token) if token else None}


def issue_on_resolve(change) -> list[tuple[CsatTokenItem, object]]:
    """When ``change`` (a ticket change about to be committed) resolves the ticket: put a new token on
    the ticket, emit ``ticket.csat_requested``, and return the (item, condition) writes for the
    commit: the new token, and the revocation of an unanswered earlier one. Nothing otherwise."""
    ticket = change.ticket
    if change.changed.get("status", {}).get("to") != "resolved":
        return []
    writes: list[tuple[CsatTokenItem, object]] = []
    if ticket.csat_token:
        # Still unanswered (answering takes it off the ticket): revoke it, but only if it is still
        # unanswered now; otherwise the commit fails as a concurrent change, as it should.
        earlier = CsatTokenItem(pk=csat_token_pk(ticket.csat_token), sk=CSAT_SK)
        writes.append((_revoked(earlier, ticket), CsatTokenItem.answered_at.does_not_exist()))
    token = secrets.token_urlsafe(32)
    expires_at = format_time(utcnow() + TOKEN_TTL)
    item = CsatTokenItem(
        pk=csat_token_pk(token),
        sk=CSAT_SK,
        workspace_id=ticket.workspace_id,
        ticket_id=ticket.id,
        issued_at=change.at,
        expires_at=expires_at,
    )
    writes.append((item, CsatTokenItem.pk.does_not_exist()))
    ticket.csat_token = token
    change.emit(
        Topic.TICKET_CSAT_REQUESTED,
        {"ticket_id": ticket.id, "survey_url": survey_url(token), "expires_at": expires_at},
    )
    return writes


def _revoked(item: CsatTokenItem, ticket: TicketItem) -> CsatTokenItem:
    item.workspace_id = ticket.workspace_id
    item.ticket_id = ticket.id
    item.issued_at = item.expires_at = now_iso()
    item.revoked = True
    return item


@dataclass(frozen=True)
class Survey:
    """What the survey form shows."""

    ticket_number: str
    ticket_title: str
    answered: bool


def open_survey(token: str) -> Survey:
    """The survey behind ``token``; NotFound when unknown, revoked, expired or its ticket is gone."""
    item = _live_token(token)
    ticket = _ticket(item)
    return Survey(number_label(int(ticket.number)), ticket.title, item.answered_at is not None)


def submit(token: str, score: str, comment: str | None, correlation_id: str | None) -> dict:
    """Record the answer once. NotFound for an unknown, revoked or expired token (or a deleted
    ticket), Conflict when it has been answered already (the loser of a race included)."""
    item = _live_token(token)
    if item.answered_at is not None:
        raise _answered()
    ticket = _ticket(item)
    at = now_iso()
    comment = (comment or "").strip() or None
    actor_id = ticket.requester_id
    row = history_row(ticket, actor_id, at, "csat", None, score, correlation_id, note=comment)
    event = new_event(
        Topic.TICKET_CSAT_SUBMITTED,
        ticket.workspace_id,
        "ticket",
        ticket.id,
        {"score": score, "ticket_id": ticket.id},
        correlation_id,
        at,
        actor_id=actor_id,
    )
    audit = audit_record(
        ticket.workspace_id,
        actor_id,
        "csat.submitted",
        "ticket",
        ticket.id,
        changes={"csat": {"from": None, "to": score}},
        correlation_id=correlation_id,
        at=at,
    )
    answer = [
        CsatTokenItem.answered_at.set(at),
        CsatTokenItem.score.set(score),
        CsatTokenItem.comment.set(comment) if comment else CsatTokenItem.comment.remove(),
    ]
    try:
        with transaction() as write:
            write.update(
                item,
                actions=answer,
                condition=CsatTokenItem.answered_at.does_not_exist()
                & (CsatTokenItem.revoked == False)  # noqa: E712
                & (CsatTokenItem.expires_at > at),
            )
            # Off the ticket, bumping its version (so a concurrent full write of the ticket fails
            # rather than putting the token back); guarded so a newer token is never taken off.
            write.update(
                TicketItem(pk=ticket.pk, sk="TICKET", version=ticket.version),
                actions=[TicketItem.csat_token.remove()],
                condition=TicketItem.csat_token == token,
                add_version_condition=False,
            )
            write.save(row)
            write.save(event)
            write.save(audit)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" not in codes and "TransactionConflict" not in codes:
            raise
        if _live_token(token).answered_at is not None:
            raise _answered() from error
        raise Conflict("the survey changed while it was answered; try again", code="concurrent_update") from error
    return {"ticket_id": ticket.id, "score": score, "comment": comment, "answered_at": at}


def _answered() -> Conflict:
    return Conflict("this survey has already been answered", code="csat_already_answered")


def _live_token(token: str) -> CsatTokenItem:
    not_found = NotFound("survey not found or expired", code="csat_not_found")
    if not _TOKEN.match(token):
        raise not_found
    try:
        item = CsatTokenItem.get(csat_token_pk(token), CSAT_SK, consistent_read=True)
    except DoesNotExist:
        raise not_found from None
    if item.revoked or item.expires_at <= now_iso():
        raise not_found
    return item


def _ticket(item: CsatTokenItem) -> TicketItem:
    try:
        ticket = TicketItem.get(ticket_pk(item.workspace_id, item.ticket_id), "TICKET", consistent_read=True)
    except DoesNotExist:
        raise NotFound("survey not found or expired", code="csat_not_found") from None
    if ticket.deleted_at is not None:
        raise NotFound("survey not found or expired", code="csat_not_found")
    return ticket
