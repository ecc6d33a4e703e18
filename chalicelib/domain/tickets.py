"""Ticket commands and reads.

Every change is one DynamoDB transaction: the ticket (guarded by its version), one history row
per changed field, the outbox event(s) and the entries of tags added or removed. A lost race is
a 409 (or 412 when the caller sent If-Match); nothing is ever half written, and a change that
would need a record larger than DynamoDB holds is refused with 413 before anything is written.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import ADMIN
from chalicelib.clock import now_iso
from chalicelib.domain import csat, directory, raci_routing, sla, ticket_references
from chalicelib.domain import ticket_rules as rules
from chalicelib.domain.events import new_event
from chalicelib.domain.ticket_records import (
    DEFAULT_SOURCE,
    NUMBER_PREFIX,
    custom_fields_text,
    field_value,
    history_row,
    history_to_public,
    set_field,
    set_index_keys,
    tag_entries,
    to_public,
)
from chalicelib.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, ValidationError
from chalicelib.events.catalogue import Topic
from chalicelib.models import sizing
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.tickets import (
    CommentItem,
    HistoryItem,
    SequenceItem,
    TicketItem,
    TicketNumberItem,
    TicketTagItem,
    ticket_pk,
)
from chalicelib.models.watchers import WatcherItem, watcher_sk

FIRST_NUMBER = 1000
_WIDEST_NUMBER = 10**12 - 1  # what the size check assumes before a number is taken
_NUMBER = re.compile(rf"^{NUMBER_PREFIX}(\d{{1,12}})$", re.IGNORECASE)


@dataclass
class _Change:
    """A ticket about to be written, with what the write must carry along."""

    ticket: TicketItem
    actor: Principal
    correlation_id: str | None
    at: str = field(default_factory=now_iso)
    history: list = field(default_factory=list)
    events: list = field(default_factory=list)
    changed: dict = field(default_factory=dict)

    def set(self, name: str, value) -> None:
        before = field_value(self.ticket, name)
        if before == value:
            return
        set_field(self.ticket, name, value)
        self.changed[name] = {"from": before, "to": value}
        self.history.append(
            history_row(self.ticket, self.actor.user_id, self.at, name, before, value, self.correlation_id)
        )

    def records(self) -> list:
        """Everything this change writes besides the ticket and its tag entries (its audit rows follow from
        its events: ``chalicelib.domain.audit_trail``)."""
        return self.history + self.events

    def emit(self, event_type: str, data: dict) -> None:
        ticket = self.ticket
        self.events.append(
            new_event(
                event_type,
                ticket.workspace_id,
                "ticket",
                ticket.id,
                data,
                self.correlation_id,
                self.at,
                actor_id=self.actor.user_id,
                audience_id=ticket.requester_id,
            )
        )


def create_ticket(
    workspace_id: str,
    actor: Principal,
    data: dict,
    correlation_id: str | None,
    linked_records=None,
    extra_puts=(),
    ticket_id=None,
    *,
    channel_fields: dict | None = None,
    route: bool = False,
    suggestion: dict | None = None,
) -> dict:
    """Open a ticket. Requesters always open tickets for themselves; staff may name the requester.

    Intake channels (chat, image, intake sessions) pass what they decided themselves, which no caller
    typed: ``channel_fields`` (``source``, ``category``, ``subcategory``, ``ticket_class``, ``priority``)
    bypass the staff-only check; ``route`` runs the workspace's RACI rules
    (``chalicelib.domain.raci_routing``) in the same transaction; ``suggestion`` is the classification
    behind the ticket (category, confidence, model version, ``ai_log_id``), carried in the
    ``ticket.created`` event so the triage queue can show it.

    ``extra_puts``: ``(item, condition)`` pairs written in the same transaction (an integration's
    delivery record or link, which needs the new ticket's id: ``ticket_id`` gives it, else a new uuid);
    ``linked_records``, given the new TicketItem, returns more such pairs (an alert's link to its
    incident). A failed condition there is a Conflict and nothing is written.

    ``data`` uses the public field names (priority accepts P1–P4 and 1–4). Raises
    ValidationError for bad values or a requester outside the workspace, Forbidden when a
    requester names someone else or sets what only staff set, PayloadTooLarge for a ticket
    that cannot be stored.
    """
    data = ticket_references.with_team_alias(_resolve_aliases(data))
    requester_id = data.get("requester_id") or actor.user_id
    if not rules.is_staff(actor):
        if requester_id != actor.user_id:
            raise Forbidden("requesters can only open tickets for themselves", code="requester_mismatch")
        staff_only = [name for name in rules.STAFF_ONLY_ON_CREATE if name in data]
        if staff_only:
            raise Forbidden("your role cannot set these fields", details={name: "not editable" for name in staff_only})
    elif requester_id != actor.user_id and not directory.member_roles(workspace_id, requester_id):
        raise ValidationError(
            "the requester must be a member of this workspace",
            details={"requester_id": "is not a member of this workspace"},
            code="requester_invalid",
        )
    ticket_references.check(workspace_id, data)
    data = {**data, **_channel_fields(channel_fields)}
    at = now_iso()
    ticket_id = ticket_id or str(uuid.uuid4())
    ticket = new_ticket_item(workspace_id, ticket_id, actor.user_id, {**data, "requester_id": requester_id}, at)
    routing = _route(ticket) if route else None
    sla.start_clock(ticket, actor, bool(data.get("simulate_fast_sla")))
    ticket.number = _WIDEST_NUMBER
    opening = _opening(ticket, actor, correlation_id, at, suggestion, route, routing)
    _refuse_oversized([ticket, *opening.records()])
    ticket.number = number = _next_ticket_number(workspace_id)  # only once the input is known to be good
    change = _opening(ticket, actor, correlation_id, at, suggestion, route, routing)
    number_item = TicketNumberItem(pk=_number_pk(workspace_id, number), sk="NUMBER", ticket_id=ticket.id)
    linked = linked_records(ticket) if linked_records else []
    watchers = _routed_watchers(ticket, routing, actor, at)
    _commit(change, extra_puts=[(number_item, TicketNumberItem.pk.does_not_exist()), *linked, *extra_puts, *watchers])
    return to_public(ticket, actor)


def _route(ticket: TicketItem) -> raci_routing.Routing | None:
    """Run the workspace's RACI rules on the new ticket (not written yet): the first match's assignee, and
    its group's team when the ticket has none, are set on it directly."""
    routing = raci_routing.route(
        ticket.workspace_id,
        {
            "ticket_class": ticket.ticket_class,
            "category": ticket.category,
            "priority": ticket.priority,
            "title": ticket.title,
            "description": ticket.description,
            "team": ticket.team,
        },
    )
    if routing is not None:
        ticket.assignee_id = routing.assignee_id
        if routing.team:
            ticket.team = routing.team
    return routing


def _routed_watchers(ticket: TicketItem, routing, actor: Principal, at: str) -> list:
    """The routing group's accountable and consulted members, watching the new ticket (unconditional puts:
    the ticket's partition is new)."""
    if routing is None:
        return []
    return [
        (
            WatcherItem(
                pk=ticket.pk,
                sk=watcher_sk(user_id),
                ticket_id=ticket.id,
                user_id=user_id,
                added_by=actor.user_id,
                added_at=at,
            ),
            None,
        )
        for user_id in routing.watchers
    ]


CHANNEL_FIELDS = ("source", "category", "subcategory", "ticket_class", "priority")


def _channel_fields(fields: dict | None) -> dict:
    unknown = set(fields or {}) - set(CHANNEL_FIELDS)
    if unknown:
        raise ValueError(f"not a channel field: {sorted(unknown)}")
    return {name: value for name, value in (fields or {}).items() if value is not None}


def _opening(
    ticket: TicketItem,
    actor: Principal,
    correlation_id: str | None,
    at: str,
    suggestion: dict | None = None,
    route: bool = False,
    routing: raci_routing.Routing | None = None,
) -> _Change:
    change = _Change(ticket, actor, correlation_id, at=at)
    change.history.append(history_row(ticket, actor.user_id, at, "ticket", None, "created", correlation_id))
    if routing is not None:
        change.history.append(
            history_row(ticket, actor.user_id, at, "routing", None, routing.rule_name, correlation_id)
        )
    data = {"ticket": {**to_public(ticket), "version": 1}}
    if route:
        data["routing"] = routing.event_data() if routing is not None else dict(raci_routing.NO_MATCH)
    if suggestion:
        data["ai_suggestion"] = suggestion
    change.emit(Topic.TICKET_CREATED, data)
    return change


def new_ticket_item(
    workspace_id: str, ticket_id: str, actor_id: str, data: dict, at: str, number: int | None = None
) -> TicketItem:
    """A new ticket (status ``new``, unassigned) from create-ticket input; not saved, not indexed yet.
    Raises ValidationError for input the schema cannot catch (a blank title, oversized custom fields)."""
    ticket = TicketItem(
        pk=ticket_pk(workspace_id, ticket_id),
        sk="TICKET",
        id=ticket_id,
        workspace_id=workspace_id,
        number=number,
        title=data["title"].strip(),
        description=data.get("description") or "",
        status="new",
        priority=rules.normalize_priority(data.get("priority", "medium")),
        urgency=data.get("urgency"),
        category=data.get("category"),
        subcategory=data.get("subcategory"),
        ticket_class=data.get("ticket_class") or "incident",
        requester_id=data["requester_id"],
        assignee_id=None,
        team=data.get("team"),
        building_id=data.get("building_id"),
        apartment_id=data.get("apartment_id"),
        source=None if data.get("source") in (None, DEFAULT_SOURCE) else data["source"],
        tags=_clean_tags(data.get("tags") or []),
        custom_fields=custom_fields_text(data["custom_fields"]) if data.get("custom_fields") else None,
        created_by=actor_id,
        updated_by=actor_id,
        created_at=at,
        updated_at=at,
    )
    _require_title(ticket.title)
    return ticket


def get_ticket(workspace_id: str, actor: Principal, ticket_ref: str) -> dict:
    """A ticket by id or by number (``DF-1042``); NotFound when missing, deleted or not visible."""
    return to_public(_load_visible(workspace_id, actor, ticket_ref), actor)


def visible_ticket(workspace_id: str, actor: Principal, ticket_ref: str) -> TicketItem:
    """The live ticket item as ``actor`` may see it, for the ticket's child records (watchers, ...);
    NotFound when missing, deleted or not visible."""
    return _load_visible(workspace_id, actor, ticket_ref)


def update_ticket(
    workspace_id: str,
    actor: Principal,
    ticket_ref: str,
    data: dict,
    correlation_id: str | None,
    expected_version=None,
    extra_puts=(),
) -> dict:
    """Change any editable fields (and status/assignee, under their own rules) in one write
    (``extra_puts`` as in ``create_ticket``; not written when nothing changes)."""
    data = ticket_references.with_team_alias(_resolve_aliases(data))
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    _check_version(ticket, expected_version)
    allowed = rules.STAFF_EDITABLE_FIELDS if rules.is_staff(actor) else rules.REQUESTER_EDITABLE_FIELDS
    forbidden = [name for name in data if name not in allowed and name not in {"status", "assignee_id", "reason"}]
    if forbidden or ("assignee_id" in data and not rules.is_staff(actor)):
        fields = forbidden or ["assignee_id"]
        raise Forbidden("your role cannot change these fields", details={name: "not editable" for name in fields})
    ticket_references.check(workspace_id, data, ticket)
    change = _Change(ticket, actor, correlation_id)
    for name in allowed:
        if name in data:
            change.set(name, _normalized(name, data[name]))
    _require_title(ticket.title)
    if "status" in data:
        _apply_status(change, data["status"], data.get("reason"))
    if "assignee_id" in data:
        change.set("assignee_id", _checked_assignee(workspace_id, data["assignee_id"]))
    if not change.changed:
        return to_public(ticket, actor)
    change.emit(Topic.TICKET_UPDATED, {"changes": change.changed, "status": ticket.status})
    if "status" in change.changed:
        change.emit(Topic.TICKET_STATUS_CHANGED, _status_changed_data(change, data.get("reason")))
    if "assignee_id" in change.changed:
        status_before = change.changed["status"]["from"] if "status" in change.changed else ticket.status
        change.emit(Topic.TICKET_ASSIGNED, _assigned_data(change.changed["assignee_id"], ticket.team, status_before))
    _commit(change, expected_version=expected_version, extra_puts=[*csat.issue_on_resolve(change), *extra_puts])
    return to_public(ticket, actor)


def change_status(
    workspace_id: str,
    actor: Principal,
    ticket_ref: str,
    status: str,
    reason: str | None,
    correlation_id,
    expected_version=None,
    extra_puts=(),
) -> dict:
    """Move a ticket through its workflow; Conflict for a transition the workflow forbids
    (``extra_puts`` as in ``create_ticket``; not written when the status is already ``status``)."""
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    _check_version(ticket, expected_version)
    change = _Change(ticket, actor, correlation_id)
    _apply_status(change, status, reason)
    if not change.changed:
        return to_public(ticket, actor)
    change.emit(Topic.TICKET_STATUS_CHANGED, _status_changed_data(change, reason))
    _commit(change, expected_version=expected_version, extra_puts=[*csat.issue_on_resolve(change), *extra_puts])
    return to_public(ticket, actor)


def assign_ticket(
    workspace_id: str, actor: Principal, ticket_ref: str, assignee_id, team, correlation_id, expected_version=None
) -> dict:
    """Give a ticket to an assignee (None unassigns) and optionally a team. Staff only."""
    if not rules.is_staff(actor):
        raise Forbidden("only agents and admins assign tickets", code="role_forbidden")
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    _check_version(ticket, expected_version)
    change = _Change(ticket, actor, correlation_id)
    change.set("assignee_id", _checked_assignee(workspace_id, assignee_id))
    if team is not None:
        ticket_references.check(workspace_id, {"team": team})
        change.set("team", team)
    if not change.changed:
        return to_public(ticket, actor)
    before = change.changed.get("assignee_id", {}).get("from", ticket.assignee_id)
    change.emit(
        Topic.TICKET_ASSIGNED, _assigned_data({"from": before, "to": ticket.assignee_id}, ticket.team, ticket.status)
    )
    _commit(change, expected_version=expected_version)
    return to_public(ticket, actor)


def delete_ticket(workspace_id: str, actor: Principal, ticket_ref: str, correlation_id, expected_version=None) -> None:
    """Withdraw a ticket from every list and read (admins only). Its history stays for audit."""
    if not actor.has_any_role({ADMIN}):
        raise Forbidden("only admins delete tickets", code="role_forbidden")
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    _check_version(ticket, expected_version)
    change = _Change(ticket, actor, correlation_id)
    ticket.deleted_at = change.at
    change.history.append(history_row(ticket, actor.user_id, change.at, "ticket", "active", "deleted", correlation_id))
    change.emit(
        Topic.TICKET_DELETED,
        {
            "number": to_public(ticket)["number"],
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee_id": ticket.assignee_id,
        },
    )
    _commit(change, expected_version=expected_version)


def add_comment(
    workspace_id: str, actor: Principal, ticket_ref: str, body_md: str, is_internal: bool, correlation_id, extra_puts=()
):
    """Add a markdown comment. Internal comments are for staff; requesters never see them
    (``extra_puts`` as in ``create_ticket``: their failed condition is a Conflict)."""
    if is_internal and not rules.is_staff(actor):
        raise Forbidden("only agents and admins write internal comments", code="role_forbidden")
    if not body_md.strip():
        raise ValidationError("comment body is empty", details={"body_md": "must not be empty"})
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    at = now_iso()
    comment_id = str(uuid.uuid4())
    comment = CommentItem(
        pk=ticket.pk,
        sk=f"COMMENT#{at}#{comment_id}",
        id=comment_id,
        ticket_id=ticket.id,
        author_id=actor.user_id,
        body_md=body_md,
        is_internal=is_internal,
        created_at=at,
    )
    row = history_row(ticket, actor.user_id, at, "comment", None, comment_id, correlation_id, internal=is_internal)
    event = new_event(
        Topic.TICKET_COMMENTED,
        workspace_id,
        "ticket",
        ticket.id,
        {"comment_id": comment_id, "author_id": actor.user_id, "is_internal": is_internal},
        correlation_id,
        at,
        actor_id=actor.user_id,
        audience_id=ticket.requester_id,
    )
    _refuse_oversized([comment, row, event])
    first_response = sla.record_first_response(ticket, actor, is_internal, at)  # timer writes, or None
    try:
        with transaction() as write:
            # The ticket must still be live: a comment never lands on a deleted ticket.
            if first_response is None:
                write.condition_check(TicketItem, ticket.pk, "TICKET", condition=TicketItem.deleted_at.does_not_exist())
            else:  # it stops the first-response clock: the ticket is written, guarded by its version
                write.save(ticket, condition=TicketItem.deleted_at.does_not_exist())
                for timer_write in first_response:
                    timer_write.add_to(write)
            write.save(comment)
            write.save(row)
            write.save(event)
            for item, condition in extra_puts:
                write.save(item, condition=condition)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        # Without a first response the ticket is only checked, and condition checks go first.
        if first_response is None and codes[:1] == ["ConditionalCheckFailed"]:
            raise NotFound("ticket not found") from error
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise Conflict("a concurrent change touched the same records; retry", code="concurrent_update") from error
        raise
    return comment_to_public(comment)


def comment_to_public(comment: CommentItem) -> dict:
    return {
        "id": comment.id,
        "ticket_id": comment.ticket_id,
        "author_id": comment.author_id,
        "body_md": comment.body_md,
        "is_internal": bool(comment.is_internal),
        "created_at": comment.created_at,
    }


def list_comments(workspace_id: str, actor: Principal, ticket_ref: str, limit: int, start_key: dict | None):
    """A page of a ticket's comments, oldest first; internal ones only for staff and viewers."""
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    condition = None if rules.sees_whole_workspace(actor) else CommentItem.is_internal == False  # noqa: E712
    return _child_page(CommentItem, ticket.pk, "COMMENT#", condition, limit, start_key, comment_to_public)


def list_history(workspace_id: str, actor: Principal, ticket_ref: str, limit: int, start_key: dict | None):
    """A page of a ticket's change history, oldest first (internal-comment rows hidden from requesters)."""
    ticket = _load_visible(workspace_id, actor, ticket_ref)
    condition = None if rules.sees_whole_workspace(actor) else HistoryItem.internal == False  # noqa: E712
    return _child_page(HistoryItem, ticket.pk, "HISTORY#", condition, limit, start_key, history_to_public)


def _child_page(model, pk: str, prefix: str, condition, limit: int, start_key, shape):
    results = model.query(
        pk,
        model.sk.startswith(prefix),
        filter_condition=condition,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key=start_key,
    )
    items = list(results)
    next_key = None
    if len(items) > limit:
        items = items[:limit]
        next_key = {"pk": {"S": items[-1].pk}, "sk": {"S": items[-1].sk}}
    return [shape(item) for item in items], next_key


# --- internals ---------------------------------------------------------------------------


def _assigned_data(move: dict, team: str | None, status_before: str) -> dict:
    """``ticket.assigned`` data: the move (``from``, ``to``), the team, and the status *before* the change
    it belongs to (the assignee-load counters pair it with ``ticket.status_changed``, which carries the
    assignee *after* it: ``chalicelib.domain.ticket_counters``)."""
    return {**move, "team": team, "status": status_before}


def _status_changed_data(change: _Change, reason: str | None) -> dict:
    """``ticket.status_changed`` data: the move, and what the metrics count a resolution by (the
    SLA fields exist once the SLA engine sets them; until then a resolution counts as met) and the
    assignee after the change (for the assignee-load counters)."""
    ticket = change.ticket
    return {
        **change.changed["status"],
        "reason": reason,
        "assignee_id": ticket.assignee_id,
        "priority": ticket.priority,
        "created_at": ticket.created_at,
        "resolution_due_at": getattr(ticket, "resolution_due_at", None),
        "sla_breached": getattr(ticket, "sla_status", None) == "breached",
    }


def _apply_status(change: _Change, status: str, reason: str | None) -> None:
    ticket = change.ticket
    if status == ticket.status:
        return
    rules.check_transition(change.actor, ticket.status, status)
    change.set("status", status)
    if reason:
        change.history[-1].note = reason
    if status == "resolved":
        ticket.resolved_at = change.at
    elif status == "closed":
        ticket.closed_at = change.at
    elif status in rules.TRANSITIONS["resolved"]:  # reopened
        ticket.resolved_at = None


def _normalized(name: str, value):
    if name == "priority":
        return rules.normalize_priority(value)
    if name == "tags":
        return _clean_tags(value)
    if name == "title":
        return value.strip()
    if name == "custom_fields":
        custom_fields_text(value)  # refuses what cannot be stored
    return value


def _checked_assignee(workspace_id: str, assignee_id: str | None) -> str | None:
    """Tickets go to the workspace's agents and admins only (None unassigns)."""
    if assignee_id is not None and not directory.member_roles(workspace_id, assignee_id) & rules.STAFF_ROLES:
        raise ValidationError(
            "the assignee must be an agent or admin of this workspace",
            details={"assignee_id": "is not an agent or admin of this workspace"},
            code="assignee_invalid",
        )
    return assignee_id


def _resolve_aliases(data: dict) -> dict:
    """Seed 002 clients send ``custom_json``; it means ``custom_fields`` (both at once is ambiguous)."""
    if "custom_json" not in data:
        return data
    if "custom_fields" in data:
        raise ValidationError("give custom_fields or custom_json, not both", details={"custom_json": "conflicts"})
    data = dict(data)
    data["custom_fields"] = data.pop("custom_json")
    return data


def _require_title(title: str) -> None:
    if not title:
        raise ValidationError("title must not be blank", details={"title": "must not be blank"})


def _clean_tags(tags: list[str]) -> list[str]:
    cleaned = []
    for tag in tags:
        tag = tag.strip().lower()
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def _refuse_oversized(items: list) -> None:
    """PayloadTooLarge when any record of a change would exceed DynamoDB's item limit."""
    for item in items:
        if not sizing.fits(item):
            size_kb = -(-sizing.model_size(item) // 1024)
            record = type(item).__name__.removesuffix("Item").lower()
            raise PayloadTooLarge(
                "the change is too large to store",
                details={
                    "body": f"needs a {size_kb} KB {record} record; at most {sizing.MAX_ITEM_BYTES // 1024} KB fit"
                },
            )


def _number_pk(workspace_id: str, number: int) -> str:
    return f"WS#{workspace_id}#NUM#{number}"


def _next_ticket_number(workspace_id: str) -> int:
    sequence = SequenceItem(pk=f"WS#{workspace_id}", sk="COUNTER#ticket_number")
    sequence.update(actions=[SequenceItem.value.add(1)])
    return FIRST_NUMBER + int(sequence.value)


def _load(workspace_id: str, ticket_ref: str) -> TicketItem:
    ticket_id = ticket_ref
    number = _NUMBER.match(ticket_ref)
    if number:
        try:
            ticket_id = TicketNumberItem.get(_number_pk(workspace_id, int(number.group(1))), "NUMBER").ticket_id
        except DoesNotExist:
            raise NotFound("ticket not found") from None
    try:
        ticket = TicketItem.get(ticket_pk(workspace_id, ticket_id), "TICKET", consistent_read=True)
    except DoesNotExist:
        raise NotFound("ticket not found") from None
    if ticket.deleted_at is not None:
        raise NotFound("ticket not found")
    return ticket


def _load_visible(workspace_id: str, actor: Principal, ticket_ref: str) -> TicketItem:
    ticket = _load(workspace_id, ticket_ref)
    if not rules.can_view(actor, ticket.requester_id):
        raise NotFound("ticket not found")  # exactly as a missing one: no existence oracle
    return ticket


def _check_version(ticket: TicketItem, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != int(ticket.version):
        raise PreconditionFailed(
            "the ticket has changed since you read it", details={"If-Match": f'current version is "v{ticket.version}"'}
        )


def _commit(change: _Change, expected_version=None, extra_puts=()) -> None:
    ticket = change.ticket
    if ticket.version is not None:
        ticket.updated_at = change.at
        ticket.updated_by = change.actor.user_id
    timer_writes = sla.track(ticket, change.changed, change.at)  # the SLA clock follows the change
    set_index_keys(ticket)
    added_tags, removed_tags = _tag_changes(change)
    entries = [entry for entry in tag_entries(ticket) if entry.sk.removeprefix("TAG#") in added_tags]
    _refuse_oversized([ticket, *change.records()])
    try:
        with transaction() as write:
            write.save(ticket)
            for item, condition in extra_puts:
                write.save(item, condition=condition)
            for item in change.records() + entries:
                write.save(item)
            for tag in removed_tags:
                write.delete(TicketTagItem(pk=ticket.pk, sk=f"TAG#{tag}"))
            for timer_write in timer_writes:
                timer_write.add_to(write)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error) or "TransactionConflict" in cancellation_codes(error):
            if expected_version is not None:
                raise PreconditionFailed("the ticket has changed since you read it") from error
            raise Conflict(
                "the ticket was changed by someone else; reload and retry", code="concurrent_update"
            ) from error
        raise


def _tag_changes(change: _Change) -> tuple[set[str], set[str]]:
    """Tags whose entries this change writes and deletes: all of them for a new or deleted
    ticket, the difference when tags were edited, none otherwise (entries hold keys only)."""
    ticket = change.ticket
    tags = set(ticket.tags or [])
    if ticket.deleted_at is not None:
        return set(), tags
    if ticket.version is None:
        return tags, set()
    if "tags" in change.changed:
        before = set(change.changed["tags"]["from"])
        return tags - before, before - tags
    return set(), set()
