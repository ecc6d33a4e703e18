"""What an SLA timer does to its ticket: a warning, a breach, an escalation step.

Each is one transaction: the ticket (guarded by its version, so a concurrent edit never overwrites the SLA
fields or is overwritten by them), one history row per changed field, the outbox event, the audit row, and
the SLA items that make it happen once:

- a warning deletes its timer on condition that it still exists: two sweeps holding the same timer warn once;
- a breach puts the (ticket, target) breach record on condition that there is none: however many sweeps,
  retries or forced breaches meet, ``ticket.sla_breached`` is emitted exactly once per ticket and target;
- an escalation raises ``escalation_level`` only from below the level it applies.

A lost race (the ticket changed in between) is read again and decided again; a ticket that has ended
(resolved, closed, cancelled, deleted) is never warned, breached or escalated: its timers are just deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.clock import format_time, utcnow
from chalicelib.domain import tickets
from chalicelib.domain.audit import audit_record
from chalicelib.domain.events import new_event
from chalicelib.domain.sla_timers import DEADLINE, KINDS, TARGETS, WARNING
from chalicelib.domain.ticket_records import history_row, set_index_keys, to_public
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.events.catalogue import Topic
from chalicelib.models.base import transaction
from chalicelib.models.sla import (
    SlaBreachItem,
    SlaEscalationItem,
    SlaTimerItem,
    breach_sk,
    find_breach,
    timer_sk,
)
from chalicelib.models.tickets import TicketItem, ticket_pk

SYSTEM_ACTOR = "system:sla"
ENDED_STATUSES = frozenset({"resolved", "closed", "cancelled"})
WARNABLE_STATUSES = frozenset({None, "on_track"})
ATTEMPTS = 5  # a ticket edited this many times while we decide is left for the next sweep

Clock = Callable[[], datetime]


def has_ended(ticket: TicketItem | None) -> bool:
    return ticket is None or ticket.deleted_at is not None or ticket.status in ENDED_STATUSES


def sla_view(ticket: TicketItem) -> dict:
    """The ticket as clients see it, with its SLA state."""
    return {
        **to_public(ticket),
        "sla_status": ticket.sla_status,
        "breached_at": ticket.breached_at,
        "escalation_level": int(ticket.escalation_level or 0),
    }


def load_ticket(workspace_id: str, ticket_id: str) -> TicketItem | None:
    try:
        return TicketItem.get(ticket_pk(workspace_id, ticket_id), "TICKET", consistent_read=True)
    except DoesNotExist:
        return None


@dataclass
class _SlaChange:
    """A ticket about to change because of its SLA, with what the write carries along."""

    ticket: TicketItem
    actor_id: str
    at: str
    correlation_id: str | None
    records: list = field(default_factory=list)
    changed: dict = field(default_factory=dict)

    def set(self, name: str, value) -> None:
        before = getattr(self.ticket, name)
        before = int(before) if name == "escalation_level" and before is not None else before
        if before == value:
            return
        setattr(self.ticket, name, value)
        self.changed[name] = {"from": before, "to": value}
        self.records.append(history_row(self.ticket, self.actor_id, self.at, name, before, value, self.correlation_id))

    def emit(self, topic: Topic, data: dict, action: str) -> None:
        ticket = self.ticket
        self.records.append(
            new_event(
                topic, ticket.workspace_id, "ticket", ticket.id, data, self.correlation_id, self.at, self.actor_id
            )
        )
        self.records.append(
            audit_record(
                ticket.workspace_id,
                self.actor_id,
                action,
                "ticket",
                ticket.id,
                self.changed,
                self.correlation_id,
                self.at,
            )
        )

    def commit(self, write_more: Callable) -> bool:
        """Write the ticket, the records and what ``write_more(write)`` adds; False when a condition failed."""
        ticket = self.ticket
        ticket.updated_at = self.at
        ticket.updated_by = self.actor_id
        set_index_keys(ticket)
        try:
            with transaction() as write:
                write.save(ticket)
                for record in self.records:
                    write.save(record)
                write_more(write)
        except TransactWriteError as error:
            if _lost_race(error):
                return False
            raise
        return True


def _lost_race(error: TransactWriteError) -> bool:
    codes = {reason.code for reason in (error.cancellation_reasons or []) if reason}
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"})


def _timer_key(workspace_id: str, ticket_id: str, target: str, kind: str) -> SlaTimerItem:
    return SlaTimerItem(pk=ticket_pk(workspace_id, ticket_id), sk=timer_sk(target, kind))


def _delete_timer(timer: SlaTimerItem) -> None:
    """Take a timer out of the index (already gone is fine: another sweep took it)."""
    timer.delete()


# --- warning -----------------------------------------------------------------------------------------


def warn(timer: SlaTimerItem, *, now: Clock = utcnow) -> bool:
    """Act on a due warning timer: ``sla_status`` on_track → warning and ``ticket.sla_warning``, once.

    True when this call warned; False when the timer was already taken, or the ticket has ended or is no
    longer on track (then the timer is just deleted)."""
    for _ in range(ATTEMPTS):
        ticket = load_ticket(timer.workspace_id, timer.ticket_id)
        if has_ended(ticket) or ticket.sla_status not in WARNABLE_STATUSES:
            _delete_timer(timer)
            return False
        change = _SlaChange(ticket, SYSTEM_ACTOR, format_time(now()), None)
        change.set("sla_status", "warning")
        change.emit(
            Topic.TICKET_SLA_WARNING,
            {"target": timer.target, "due_at": timer.due_at, "sla_status": "warning"},
            "ticket.sla_warned",
        )

        def write_more(write, timer=timer):
            write.delete(timer, condition=SlaTimerItem.pk.exists())

        if change.commit(write_more):
            return True
        if _timer_gone(timer):
            return False
    raise Conflict("the ticket kept changing while its SLA warning was written", code="concurrent_update")


def _timer_gone(timer: SlaTimerItem) -> bool:
    try:
        SlaTimerItem.get(timer.pk, timer.sk, consistent_read=True)
    except DoesNotExist:
        return True
    return False


# --- breach ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachOutcome:
    ticket: TicketItem | None
    breached: bool  # this call breached the target (and emitted ticket.sla_breached)


def breach(
    workspace_id: str,
    ticket_id: str,
    target: str,
    due_at: str | None = None,
    *,
    actor_id: str = SYSTEM_ACTOR,
    correlation_id: str | None = None,
    now: Clock = utcnow,
) -> BreachOutcome:
    """Put ``target`` of a ticket into breach: ``sla_status=breached``, ``breached_at`` (the first breach
    of the ticket), the breach record, ``ticket.sla_breached`` — exactly once per ticket and target. The
    target's timers leave the index in the same transaction. The sweep calls it for a due deadline timer;
    ``force_breach`` calls it for an admin. A ticket that has ended is not breached (its timers go)."""
    if target not in TARGETS:
        raise ValidationError(f"unknown SLA target {target!r}", details={"target": f"one of {', '.join(TARGETS)}"})
    for _ in range(ATTEMPTS):
        ticket = load_ticket(workspace_id, ticket_id)
        if has_ended(ticket) or find_breach(workspace_id, ticket_id, target) is not None:
            for kind in KINDS:
                _delete_timer(_timer_key(workspace_id, ticket_id, target, kind))
            return BreachOutcome(ticket, breached=False)
        at = format_time(now())
        change = _SlaChange(ticket, actor_id, at, correlation_id)
        change.set("sla_status", "breached")
        change.set("breached_at", ticket.breached_at or at)
        record = SlaBreachItem(
            pk=ticket.pk,
            sk=breach_sk(target),
            workspace_id=workspace_id,
            ticket_id=ticket_id,
            target=target,
            due_at=due_at or at,
            breached_at=at,
            breach_list_key=workspace_id,
            breached_key=f"{at}#{ticket_id}#{target}",
        )
        change.emit(
            Topic.TICKET_SLA_BREACHED,
            {
                "target": target,
                "due_at": record.due_at,
                "breached_at": at,
                "forced": actor_id != SYSTEM_ACTOR,
                "simulate_fast_sla": bool(ticket.simulate_fast_sla),
            },
            "ticket.sla_breached",
        )

        def write_more(write, record=record):
            write.save(record, condition=SlaBreachItem.pk.does_not_exist())
            for kind in KINDS:
                write.delete(_timer_key(workspace_id, ticket_id, target, kind))

        if change.commit(write_more):
            return BreachOutcome(ticket, breached=True)
    raise Conflict("the ticket kept changing while its breach was written", code="concurrent_update")


def force_breach(workspace_id: str, actor: Principal, ticket_ref: str, target: str, correlation_id: str | None) -> dict:
    """Breach ``target`` of a ticket now, for an admin (seed 000), through ``breach``: the same record,
    event and escalation as a due deadline. Forcing a ticket already in breach for that target changes
    nothing. NotFound for a ticket the caller cannot see; Conflict for one that has ended."""
    ticket_id = tickets.get_ticket(workspace_id, actor, ticket_ref)["id"]
    ticket = load_ticket(workspace_id, ticket_id)
    due_at = getattr(ticket, f"{target}_due_at", None) if ticket else None
    outcome = breach(workspace_id, ticket_id, target, due_at, actor_id=actor.user_id, correlation_id=correlation_id)
    if outcome.ticket is None or outcome.ticket.deleted_at is not None:
        raise NotFound("ticket not found")
    if has_ended(outcome.ticket):
        raise Conflict(f"a {outcome.ticket.status} ticket cannot breach its SLA", code="ticket_ended")
    return sla_view(outcome.ticket)


def act_on(timer: SlaTimerItem, *, now: Clock = utcnow) -> bool:
    """Act on one due timer; True when it warned or breached its ticket."""
    if timer.kind == WARNING:
        return warn(timer, now=now)
    if timer.kind == DEADLINE:
        return breach(timer.workspace_id, timer.ticket_id, timer.target, timer.due_at, now=now).breached
    raise ValueError(f"unknown timer kind {timer.kind!r}")


# --- escalation --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationStep:
    """One level of a ticket's escalation, as the state machine hands it to the consumer."""

    workspace_id: str
    ticket_id: str
    target: str  # the SLA target that was breached
    level: int
    escalate_to: dict  # {"team_id": ...} or {"user_id": ...}


def escalate(step: EscalationStep, *, now: Clock = utcnow) -> str:
    """Apply one escalation level: raise ``escalation_level`` to ``step.level``, hand the ticket to the
    level's team or user, emit ``ticket.escalated``. Returns ``escalated``, ``already`` (this level or a
    higher one was applied: a redelivered message) or ``ended`` (the ticket was resolved, closed,
    cancelled or deleted: the escalation must stop)."""
    for _ in range(ATTEMPTS):
        ticket = load_ticket(step.workspace_id, step.ticket_id)
        if has_ended(ticket):
            return "ended"
        if int(ticket.escalation_level or 0) >= step.level:
            return "already"
        at = format_time(now())
        change = _SlaChange(ticket, SYSTEM_ACTOR, at, None)
        change.set("escalation_level", step.level)
        if "team_id" in step.escalate_to:
            change.set("team", step.escalate_to["team_id"])
        if "user_id" in step.escalate_to:
            change.set("assignee_id", step.escalate_to["user_id"])
        change.emit(
            Topic.TICKET_ESCALATED,
            {"level": step.level, "target": step.target, "escalated_to": step.escalate_to},
            "ticket.escalated",
        )
        if "assignee_id" in change.changed:  # the assignees' load counters and the triage queue follow assignments
            moved = change.changed["assignee_id"]
            data = {"from": moved["from"], "to": moved["to"], "team": ticket.team, "status": ticket.status}
            change.emit(Topic.TICKET_ASSIGNED, data, "ticket.assigned")
        record = SlaEscalationItem(
            pk=ticket.pk,
            workspace_id=step.workspace_id,
            ticket_id=step.ticket_id,
            target=step.target,
            level=step.level,
            escalated_at=at,
            escalated_to=json.dumps(step.escalate_to, sort_keys=True),
            escalated_list_key=step.workspace_id,
            escalated_key=f"{at}#{step.ticket_id}",
        )

        def write_more(write, record=record):
            write.save(record)

        if change.commit(write_more):
            return "escalated"
    raise Conflict("the ticket kept changing while it was escalated", code="concurrent_update")
