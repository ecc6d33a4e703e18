"""Ticket watchers: who follows a ticket (and so gets its events in their notification feed).

- Staff add any active member of the workspace who can see the ticket: staff and viewers see every
  ticket; a requester sees only their own, so only the ticket's requester may be added among them
  (anyone else would be notified about a ticket they cannot open). A requester adds only themselves,
  and only on their own ticket (other tickets are 404 to them, as everywhere).
- Adding a watcher twice is harmless: the second call changes nothing and answers the same watcher
  (``added`` False, the route's 200 instead of 201).
- Staff remove any watcher; anyone removes themselves.

Every change writes the watcher item, a ticket history row and an audit row in one transaction that
also checks the ticket is still live.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import ADMIN, AGENT, VIEWER
from chalicelib.clock import now_iso
from chalicelib.domain import directory
from chalicelib.domain import ticket_rules as rules
from chalicelib.domain.audit import audit_record
from chalicelib.domain.ticket_records import history_row
from chalicelib.domain.tickets import visible_ticket
from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.tickets import TicketItem
from chalicelib.models.watchers import WATCHER_PREFIX, WatcherItem, watcher_sk

SEES_EVERY_TICKET = frozenset({ADMIN, AGENT, VIEWER})


def watcher_to_public(item: WatcherItem) -> dict:
    return {"ticket_id": item.ticket_id, "user_id": item.user_id, "added_by": item.added_by, "added_at": item.added_at}


def list_watchers(workspace_id: str, actor: Principal, ticket_ref: str, limit: int, start_key: dict | None):
    """A page of the ticket's watchers in user-id order: ``(watchers, next_key)``."""
    ticket = visible_ticket(workspace_id, actor, ticket_ref)
    items = list(
        WatcherItem.query(
            ticket.pk,
            WatcherItem.sk.startswith(WATCHER_PREFIX),
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start_key,
        )
    )
    next_key = None
    if len(items) > limit:
        items = items[:limit]
        next_key = {"pk": {"S": items[-1].pk}, "sk": {"S": items[-1].sk}}
    return [watcher_to_public(item) for item in items], next_key


def ticket_watcher_ids(ticket: TicketItem) -> list[str]:
    """Every watcher's user id (a Query on the ticket's partition, paged by PynamoDB)."""
    return [item.user_id for item in WatcherItem.query(ticket.pk, WatcherItem.sk.startswith(WATCHER_PREFIX))]


def add_watcher(
    workspace_id: str, actor: Principal, ticket_ref: str, user_id: str, correlation_id: str | None
) -> tuple[dict, bool]:
    """Make ``user_id`` watch the ticket; ``(watcher, added)`` where ``added`` is False when they
    already did (nothing is written then)."""
    ticket = visible_ticket(workspace_id, actor, ticket_ref)
    if not rules.is_staff(actor) and user_id != actor.user_id:
        raise Forbidden("requesters can only add themselves as watchers", code="watcher_forbidden")
    _require_can_watch(workspace_id, ticket, user_id)
    existing = _get(ticket, user_id)
    if existing is not None:
        return watcher_to_public(existing), False
    at = now_iso()
    watcher = WatcherItem(
        pk=ticket.pk, sk=watcher_sk(user_id), ticket_id=ticket.id, user_id=user_id, added_by=actor.user_id, added_at=at
    )
    try:
        _write(ticket, actor, at, correlation_id, "added", None, user_id, save=watcher)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if codes[:1] == ["ConditionalCheckFailed"]:
            raise NotFound("ticket not found") from error
        if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":  # added at the same moment by another call
            return watcher_to_public(_get(ticket, user_id) or watcher), False
        raise
    return watcher_to_public(watcher), True


def remove_watcher(workspace_id: str, actor: Principal, ticket_ref: str, user_id: str, correlation_id) -> None:
    """Stop ``user_id`` watching the ticket (staff, or the watcher themselves); NotFound when they
    were not watching it."""
    ticket = visible_ticket(workspace_id, actor, ticket_ref)
    if not rules.is_staff(actor) and user_id != actor.user_id:
        raise Forbidden("only staff remove other people's watches", code="watcher_forbidden")
    watcher = _get(ticket, user_id)
    if watcher is None:
        raise NotFound("watcher not found")
    try:
        _write(ticket, actor, now_iso(), correlation_id, "removed", user_id, None, delete=watcher)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise NotFound("watcher not found") from error
        raise


# --- internals ---------------------------------------------------------------------------


def _require_can_watch(workspace_id: str, ticket: TicketItem, user_id: str) -> None:
    roles = directory.member_roles(workspace_id, user_id)
    if not roles:
        raise ValidationError(
            "the watcher must be a member of this workspace",
            details={"user_id": "is not an active member of this workspace"},
            code="watcher_invalid",
        )
    if not roles & SEES_EVERY_TICKET and user_id != ticket.requester_id:
        raise ValidationError(
            "the watcher cannot see this ticket",
            details={"user_id": "is a requester of other tickets; requesters watch only their own"},
            code="watcher_invalid",
        )


def _get(ticket: TicketItem, user_id: str) -> WatcherItem | None:
    try:
        return WatcherItem.get(ticket.pk, watcher_sk(user_id), consistent_read=True)
    except DoesNotExist:
        return None


def _write(
    ticket: TicketItem, actor: Principal, at: str, correlation_id, verb: str, before, after, save=None, delete=None
):
    """The watcher change with its history row and audit row, on a ticket that is still live."""
    row = history_row(ticket, actor.user_id, at, "watcher", before, after, correlation_id)
    audit = audit_record(
        ticket.workspace_id,
        actor.user_id,
        f"ticket.watcher_{verb}",
        "ticket",
        ticket.id,
        changes={"watcher": {"from": before, "to": after}},
        correlation_id=correlation_id,
        at=at,
    )
    with transaction() as write:
        write.condition_check(TicketItem, ticket.pk, "TICKET", condition=TicketItem.deleted_at.does_not_exist())
        if save is not None:
            write.save(save, condition=WatcherItem.pk.does_not_exist())
        else:
            write.delete(delete, condition=WatcherItem.pk.exists())
        write.save(row)
        write.save(audit)
