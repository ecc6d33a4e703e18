"""Each user's notification feed, built from ticket events by the ``notifications`` consumer.

Who hears about an event (never its actor):
- the ticket's **requester**, about its public changes and replies only: not internal comments, not
  the SLA clock's warnings, breaches and escalations, not a deletion (the ticket is gone from their
  view), and of field edits only those outside the staff's routing (``ROUTING_FIELDS``);
- its **assignee** (and, on a reassignment, the previous one) and every **watcher**, about every change.
A recipient also has to be able to see what the event reports *now*: an active member of the
workspace, and for internal news one whose role sees the whole workspace (a requester watching their
own ticket still gets only its public news). Recipients are read from the ticket item, its watcher
items and the directory when the event arrives (event data does not carry them).

Once per (event, recipient): a notification's key is derived from the event id and the recipient, and
it is written with a conditional put, in one transaction with the ADD to the recipient's unread
counter. A redelivered event finds its receipt (written after every recipient is done) and does
nothing; one that failed half way is retried, and the conditional puts skip whoever already has it.

Unread count: a per-user state item holds ``unread`` (moved by ADD in the same transaction as each
notification and each read) and ``read_before``, the mark read-all sets: every notification written
up to then counts as read, so read-all is one write whatever the feed's size. A notification written
concurrently is counted only when it is newer than the mark (a condition on the state item), and
single reads never take the count below zero. Notifications expire ``RETENTION_DAYS`` after they are
written; an unread one that expires stays counted until the next read-all.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError

from chalicelib.clock import format_time, now_iso, parse_time, utcnow
from chalicelib.domain import directory
from chalicelib.domain.ticket_records import number_label
from chalicelib.domain.watchers import SEES_EVERY_TICKET, ticket_watcher_ids
from chalicelib.errors import NotFound
from chalicelib.events.catalogue import NOTIFICATIONS, Topic
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.events import ReceiptItem, receipt_key
from chalicelib.models.notifications import (
    NOTIFICATION_PREFIX,
    STATE_SK,
    FeedStateItem,
    NotificationItem,
    feed_pk,
    notification_sk,
)
from chalicelib.models.sizing import compact_json
from chalicelib.models.tickets import TicketItem, ticket_pk

CONSUMER = NOTIFICATIONS.name
RETENTION_DAYS = 90
RECEIPT_DAYS = 14

# Topics whose news is for staff only, whatever the data says.
INTERNAL_TOPICS = frozenset(
    {Topic.TICKET_SLA_WARNING, Topic.TICKET_SLA_BREACHED, Topic.TICKET_ESCALATED, Topic.TICKET_DELETED}
)
# Fields the staff route tickets by: a requester is not told when only these change.
ROUTING_FIELDS = frozenset({"team", "tags", "source"})
# Changes that have events of their own (status_changed, assigned): ticket.updated leaves them out.
OWN_EVENT_FIELDS = frozenset({"status", "assignee_id"})

_ID = re.compile(r"^(\d{20})-([0-9a-f]{32})$")


# --- the consumer --------------------------------------------------------------------------------


def apply_notification_event(event: dict) -> bool:
    """Notify everyone this event concerns; False when it had already been applied (a redelivery)."""
    receipt_pk, receipt_sk = receipt_key(CONSUMER, event["id"])
    try:
        ReceiptItem.get(receipt_pk, receipt_sk, consistent_read=True)
        return False
    except DoesNotExist:
        pass
    for notification in notifications_for(event):
        deliver(notification)
    ReceiptItem(pk=receipt_pk, sk=receipt_sk, expires_at=utcnow() + timedelta(days=RECEIPT_DAYS)).save()
    return True


def notifications_for(event: dict) -> list[NotificationItem]:
    """The notifications one event makes (not saved): one per recipient, shaped for that recipient."""
    subject = event.get("subject") or {}
    if subject.get("type") != "ticket":
        return []
    workspace_id = event["workspace_id"]
    try:
        ticket = TicketItem.get(ticket_pk(workspace_id, subject["id"]), "TICKET", consistent_read=True)
    except DoesNotExist:
        return []
    kind, data = event["type"], event.get("data") or {}
    followers = {ticket.assignee_id, *ticket_watcher_ids(ticket)}
    if kind == Topic.TICKET_ASSIGNED:
        followers |= {data.get("from"), data.get("to")}
    candidates = (followers | {ticket.requester_id}) - {None, event.get("actor_id")}
    notifications = []
    for user_id in sorted(candidates):
        roles = directory.member_roles(workspace_id, user_id)
        if not roles:
            continue  # no longer an active member
        sees_internal = user_id in followers and bool(roles & SEES_EVERY_TICKET)
        if not sees_internal and user_id != ticket.requester_id:
            continue  # cannot open this ticket
        content = _content(kind, data, ticket, public_only=not sees_internal)
        if content is not None:
            notifications.append(_notification(event, user_id, ticket, *content))
    return notifications


def _content(kind: str, data: dict, ticket: TicketItem, public_only: bool) -> tuple[str, dict] | None:
    """(summary, detail) of an event for a recipient, or None when it is nothing for them."""
    number = number_label(int(ticket.number))
    if public_only and kind in INTERNAL_TOPICS:
        return None
    if kind == Topic.TICKET_CREATED:
        return f"{number} was opened: {ticket.title}", {}
    if kind == Topic.TICKET_UPDATED:
        hidden = OWN_EVENT_FIELDS | (ROUTING_FIELDS if public_only else frozenset())
        fields = sorted(name for name in (data.get("changes") or {}) if name not in hidden)
        return (f"{number} changed: {', '.join(fields)}", {"fields": fields}) if fields else None
    if kind == Topic.TICKET_ASSIGNED:
        detail = {"from": data.get("from"), "to": data.get("to")}
        return (f"{number} was assigned" if detail["to"] else f"{number} was unassigned"), detail
    if kind == Topic.TICKET_STATUS_CHANGED:
        detail = {"from": data.get("from"), "to": data.get("to")}
        return f"{number} moved from {detail['from']} to {detail['to']}", detail
    if kind == Topic.TICKET_COMMENTED:
        internal = bool(data.get("is_internal", True))  # a comment not said to be public is not shown
        if internal and public_only:
            return None
        detail = {"comment_id": data.get("comment_id"), "is_internal": internal}
        return (f"Internal note on {number}" if internal else f"New reply on {number}"), detail
    if kind == Topic.TICKET_CSAT_REQUESTED:
        return f"How did we do on {number}?", {}  # never the token: staff send it by their own channel
    summaries = {
        Topic.TICKET_DELETED: f"{number} was deleted",
        Topic.TICKET_SLA_WARNING: f"{number} is close to breaching its SLA",
        Topic.TICKET_SLA_BREACHED: f"{number} breached its SLA",
        Topic.TICKET_ESCALATED: f"{number} was escalated",
    }
    return (summaries[kind], {}) if kind in summaries else None


def _notification(event: dict, user_id: str, ticket: TicketItem, summary: str, detail: dict) -> NotificationItem:
    occurred_at = format_time(parse_time(event["occurred_at"]))
    digest = hashlib.sha256(f"{event['id']}|{user_id}".encode()).hexdigest()[:32]
    created = utcnow()
    return NotificationItem(
        pk=feed_pk(event["workspace_id"], user_id),
        sk=notification_sk(occurred_at, digest),
        id=f"{re.sub(r'[^0-9]', '', occurred_at)}-{digest}",
        workspace_id=event["workspace_id"],
        user_id=user_id,
        event_id=event["id"],
        type=event["type"],
        occurred_at=occurred_at,
        created_at=format_time(created),
        actor_id=event.get("actor_id"),
        ticket_id=ticket.id,
        ticket_number=number_label(int(ticket.number)),
        ticket_title=ticket.title,
        summary=summary,
        detail=compact_json(detail),
        expires_at=created + timedelta(days=RETENTION_DAYS),
    )


def deliver(notification: NotificationItem) -> bool:
    """Write one notification and count it unread, once; False when it already existed."""
    state = FeedStateItem(pk=notification.pk, sk=STATE_SK)
    newer_than_mark = FeedStateItem.read_before.does_not_exist() | (FeedStateItem.read_before < notification.created_at)
    try:
        with transaction() as write:
            write.save(notification, condition=NotificationItem.pk.does_not_exist())
            write.update(state, actions=[FeedStateItem.unread.add(1)], condition=newer_than_mark)
        return True
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if codes[:1] == ["ConditionalCheckFailed"]:
            return False  # this recipient already has it
        if codes[1:2] != ["ConditionalCheckFailed"]:
            raise
    # A read-all marked everything up to now read while this was being written: it is born read.
    try:
        notification.save(condition=NotificationItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


# --- the feed ------------------------------------------------------------------------------------


def notification_to_public(item: NotificationItem, state: FeedStateItem | None) -> dict:
    read_before = state.read_before if state else None
    return {
        "id": item.id,
        "type": item.type,
        "ticket_id": item.ticket_id,
        "ticket_number": item.ticket_number,
        "ticket_title": item.ticket_title,
        "actor_id": item.actor_id,
        "summary": item.summary,
        "detail": json.loads(item.detail or "{}"),
        "occurred_at": item.occurred_at,
        "read": item.read_at is not None or (read_before is not None and item.created_at <= read_before),
        "read_at": item.read_at,
    }


def list_feed(workspace_id: str, user_id: str, limit: int, start_key: dict | None):
    """A page of the user's feed, newest first: ``(notifications, next_key, unread_count)``."""
    pk = feed_pk(workspace_id, user_id)
    items = list(
        NotificationItem.query(
            pk,
            NotificationItem.sk.startswith(NOTIFICATION_PREFIX),
            scan_index_forward=False,
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start_key,
        )
    )
    next_key = None
    if len(items) > limit:
        items = items[:limit]
        next_key = {"pk": {"S": items[-1].pk}, "sk": {"S": items[-1].sk}}
    state = _state(pk)
    return [notification_to_public(item, state) for item in items], next_key, _unread(state)


def unread_count(workspace_id: str, user_id: str) -> int:
    return _unread(_state(feed_pk(workspace_id, user_id)))


def mark_read(workspace_id: str, user_id: str, notification_id: str) -> dict:
    """Mark one of the user's notifications read (again is harmless); NotFound for any other id."""
    pk = feed_pk(workspace_id, user_id)
    for _attempt in range(3):
        item, state = _own(pk, notification_id), _state(pk)
        if notification_to_public(item, state)["read"]:
            return notification_to_public(item, state)
        at = now_iso()
        mark_unchanged = (
            FeedStateItem.read_before.does_not_exist()
            if state is None or state.read_before is None
            else FeedStateItem.read_before == state.read_before
        )
        try:
            with transaction() as write:
                write.update(
                    item,
                    actions=[NotificationItem.read_at.set(at)],
                    condition=NotificationItem.read_at.does_not_exist(),
                )
                write.update(
                    FeedStateItem(pk=pk, sk=STATE_SK),
                    actions=[FeedStateItem.unread.add(-1)],
                    condition=mark_unchanged & (FeedStateItem.unread > 0),
                )
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in cancellation_codes(error):
                raise
            continue  # read, or read-all, meanwhile; or the count already at zero: look again
        item.read_at = at
        return notification_to_public(item, state)
    # The count is at zero (an unread notification expired and read-all reset it): just mark it.
    item.update(actions=[NotificationItem.read_at.set(now_iso())])
    return notification_to_public(item, _state(pk))


def mark_all_read(workspace_id: str, user_id: str) -> dict:
    """Everything in the feed up to now counts as read: one write, whatever the feed holds."""
    at = now_iso()
    state = FeedStateItem(pk=feed_pk(workspace_id, user_id), sk=STATE_SK)
    state.update(actions=[FeedStateItem.read_before.set(at), FeedStateItem.unread.set(0)])
    return {"unread_count": 0, "read_before": at}


def _own(pk: str, notification_id: str) -> NotificationItem:
    match = _ID.match(notification_id)
    if not match:
        raise NotFound("notification not found")
    stamp, digest = match.groups()
    occurred_at = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[8:10]}:{stamp[10:12]}:{stamp[12:14]}.{stamp[14:]}Z"
    try:
        return NotificationItem.get(pk, notification_sk(occurred_at, digest), consistent_read=True)
    except DoesNotExist:
        raise NotFound("notification not found") from None


def _state(pk: str) -> FeedStateItem | None:
    try:
        return FeedStateItem.get(pk, STATE_SK, consistent_read=True)
    except DoesNotExist:
        return None


def _unread(state: FeedStateItem | None) -> int:
    return max(0, int(state.unread or 0)) if state else 0
