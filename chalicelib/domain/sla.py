"""The ticket's SLA clock: deadlines for first response and resolution, kept on the ticket and written in
the same transaction as the ticket change that moves them.

The clock counts business time (the policy's calendar) from the ticket's creation. It stands still
while the ticket waits (``awaiting_user_response``, ``on_hold``) and once it has ended (``resolved``,
``closed``, ``cancelled``; a reopened ticket resumes). Whatever business time it stood still is added
to every running target, so a deadline is always::

    due_at = created_at + (target + paused business time)    counted in business time

which moves a deadline by exactly the paused business time and lets a priority change recompute from
the creation with the new targets, losing nothing. State on the ticket: ``sla_policy_version`` (the
policy snapshot it follows), ``simulate_fast_sla``, the two ``*_due_at``, ``first_responded_at``,
``sla_halted_at`` (when the clock last stopped running), ``sla_paused_seconds`` and ``sla_pauses``
(the latest ``MAX_PAUSES_KEPT`` pause intervals, for the explanation; older ones are folded into a
summary that keeps their total).

Every time deadlines are set, moved, paused or cleared the clock asks ``sla_timers`` for the timer
writes (the sweep's index) and hands them to the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from chalicelib.auth.principal import Principal
from chalicelib.clock import format_time, parse_time, utcnow
from chalicelib.domain import sla_timers
from chalicelib.domain.sla_calendar import (
    ALWAYS_OPEN,
    OPEN,
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    segments,
)
from chalicelib.domain.sla_policies import Policy, current_policy, policy_version
from chalicelib.domain.ticket_rules import is_staff
from chalicelib.errors import Conflict, Forbidden
from chalicelib.models.tickets import TicketItem

FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"
TARGETS = (FIRST_RESPONSE, RESOLUTION)
PAUSING_STATUSES = frozenset({"awaiting_user_response", "on_hold"})
ENDED_STATUSES = frozenset({"resolved", "closed", "cancelled"})
ON_TRACK, WARNING, BREACHED, MET, PAUSED = "on_track", "warning", "breached", "met", "paused"
MAX_PAUSES_KEPT = 50  # bounds the ticket item; older pauses keep only their total (see explanation)
FAST_SLA_SCALE = 1 / 3600  # simulate_fast_sla: an hour of target passes in a second


@dataclass(frozen=True)
class Terms:
    """What a ticket's clock runs on: its policy version, scaled for a fast-SLA ticket."""

    policy: Policy
    fast: bool

    @property
    def calendar(self) -> BusinessCalendar:
        return ALWAYS_OPEN if self.fast else self.policy.calendar  # a demo must not wait for Monday

    def target_seconds(self, priority: str, target: str) -> float:
        seconds = self.policy.target_seconds(priority, target)
        return seconds * FAST_SLA_SCALE if self.fast else seconds


def terms_of(ticket: TicketItem) -> Terms:
    return Terms(policy_version(ticket.workspace_id, int(ticket.sla_policy_version)), bool(ticket.simulate_fast_sla))


def has_clock(ticket: TicketItem) -> bool:
    return ticket.sla_policy_version is not None


# --- commands: each mutates the ticket and returns the timer writes for the same transaction ------------


def start_clock(ticket: TicketItem, actor: Principal, fast: bool = False) -> None:
    """Start a new ticket's clock with the policy in force (``fast``: seed 000's ``simulate_fast_sla``,
    staff only). Sets the deadlines; ``track`` then arms the timers when the ticket is written."""
    if fast and not is_staff(actor):
        raise Forbidden("only agents and admins create fast-SLA tickets", details={"simulate_fast_sla": "staff only"})
    terms = Terms(current_policy(ticket.workspace_id), fast)
    ticket.sla_policy_version = terms.policy.version
    ticket.simulate_fast_sla = True if fast else None
    ticket.sla_paused_seconds = None  # stored once the clock has paused (a ticket under 1 KB costs half)
    ticket.sla_status = ON_TRACK
    _set_deadlines(ticket, terms)


def track(ticket: TicketItem, changed: dict, at: str) -> list:
    """Follow a ticket change (``changed``: field → {from, to}) on the clock: creation arms the timers,
    a pausing or ending status halts the clock, leaving it resumes it, a priority change recomputes
    the deadlines, deletion clears the timers. Returns the timer writes (at most one per target)."""
    if not has_clock(ticket):
        return []
    if ticket.deleted_at is not None:
        return _clear(ticket, TARGETS)
    if ticket.version is None:
        return _arm(ticket, terms_of(ticket), parse_time(at))
    status = changed.get("status", {}).get("to")
    if status is None and "priority" not in changed:
        return []
    halting = status in PAUSING_STATUSES or status in ENDED_STATUSES
    if "priority" not in changed and not halting and ticket.sla_halted_at is None:
        return []  # from one running status to another: the deadlines and their timers stand
    terms = terms_of(ticket)
    moment = parse_time(at)
    if status is not None and halting and ticket.sla_halted_at is None:
        ticket.sla_halted_at = at
    elif status is not None and not halting and ticket.sla_halted_at is not None:
        _resume(ticket, terms, moment)
    _set_deadlines(ticket, terms)
    if ticket.status in ENDED_STATUSES:
        ticket.sla_status = _outcome(ticket)
        return _clear(ticket, TARGETS)
    if ticket.sla_halted_at is not None:
        ticket.sla_status = BREACHED if ticket.sla_status == BREACHED else PAUSED
        return _clear(ticket, TARGETS)
    return _arm(ticket, terms, moment)


def record_first_response(ticket: TicketItem, actor: Principal, is_internal: bool, at: str) -> list | None:
    """Stop the first-response clock on the first public comment by staff. None when this comment is
    not that; otherwise the timer writes (the ticket is changed and must be written). A late response
    leaves the deadline timer for the sweep, so the breach is still recorded, once."""
    if not has_clock(ticket) or ticket.first_responded_at or is_internal or not is_staff(actor):
        return None
    ticket.first_responded_at = at
    last_running = min(parse_time(at), _halted_at(ticket) or parse_time(at))
    if last_running > parse_time(ticket.first_response_due_at):
        return []
    if ticket.sla_status == WARNING and not _warned(ticket, terms_of(ticket), parse_time(at), (RESOLUTION,)):
        ticket.sla_status = ON_TRACK
    return _clear(ticket, (FIRST_RESPONSE,))


# --- the explanation -------------------------------------------------------------------------------


def explain(ticket: TicketItem, now: datetime | None = None) -> dict:
    """The clock, told: segments (running, paused, outside business hours) from creation to now (or to
    the end), elapsed and remaining business time per target, the policy used, and the status. The
    running segments add up to ``elapsed_business_seconds``."""
    now = now or utcnow()
    terms = terms_of(ticket)
    ended = ticket.status in ENDED_STATUSES
    halted_at = _halted_at(ticket)
    end = halted_at if ended and halted_at else now
    pauses = _pauses(ticket)
    intervals = [(parse_time(s), parse_time(e), seconds) for s, e, seconds in pauses["intervals"]]
    if halted_at is not None and not ended:
        intervals.append((halted_at, now, business_seconds_between(terms.calendar, halted_at, now)))
    timeline = _timeline(ticket, terms, pauses, intervals, end)
    elapsed = sum(part["business_seconds"] for part in timeline if part["kind"] == "running")
    targets = {target: _target_view(ticket, terms, target, end, pauses, intervals) for target in TARGETS}
    return {
        "ticket_id": ticket.id,
        "status": _status_now(ticket, terms, now),
        "clock": "stopped" if ended else PAUSED if halted_at else "running",
        "as_of": format_time(now),
        "started_at": ticket.created_at,
        "elapsed_business_seconds": elapsed,
        "paused_business_seconds": sum(seconds for _, _, seconds in intervals) + pauses["summarized_paused"],
        "remaining_business_seconds": targets[RESOLUTION]["remaining_business_seconds"],
        "targets": targets,
        "policy": _policy_view(ticket, terms),
        "segments": timeline,
        "pauses_kept": len(pauses["intervals"]),
        "max_pauses_kept": MAX_PAUSES_KEPT,
        "summarized_until": pauses["summarized_until"],
    }


# --- internals ---------------------------------------------------------------------------------------


def _live_targets(ticket: TicketItem) -> tuple[str, ...]:
    return TARGETS if ticket.first_responded_at is None else (RESOLUTION,)


def _set_deadlines(ticket: TicketItem, terms: Terms) -> None:
    for target in _live_targets(ticket):
        setattr(ticket, f"{target}_due_at", format_time(_due(ticket, terms, target)))


def _due(ticket: TicketItem, terms: Terms, target: str, fraction: float = 1.0) -> datetime:
    budget = fraction * terms.target_seconds(ticket.priority, target) + float(ticket.sla_paused_seconds or 0)
    try:
        return add_business_seconds(terms.calendar, parse_time(ticket.created_at), budget)
    except ValueError:  # the policy is checked for this; only years of pauses in a thin calendar get here
        raise Conflict(
            "the SLA calendar has no working time left for this ticket's deadline", code="sla_deadline_unreachable"
        ) from None


def _warn_at(ticket: TicketItem, terms: Terms, target: str) -> datetime:
    return _due(ticket, terms, target, terms.policy.warning_fraction)


def _warned(ticket: TicketItem, terms: Terms, moment: datetime, targets) -> bool:
    return any(_warn_at(ticket, terms, target) <= moment for target in targets)


def _arm(ticket: TicketItem, terms: Terms, moment: datetime) -> list:
    """Schedule the live targets' timers; a warning already passed is not scheduled again."""
    live = _live_targets(ticket)
    if ticket.sla_status != BREACHED:
        ticket.sla_status = WARNING if _warned(ticket, terms, moment, live) else ON_TRACK
    writes = []
    for target in live:
        warn_at = _warn_at(ticket, terms, target)
        writes += sla_timers.schedule(
            ticket, target, getattr(ticket, f"{target}_due_at"), format_time(warn_at) if warn_at > moment else None
        )
    return writes


def _clear(ticket: TicketItem, targets) -> list:
    return [write for target in targets for write in sla_timers.clear(ticket, target)]


def _halted_at(ticket: TicketItem) -> datetime | None:
    return parse_time(ticket.sla_halted_at) if ticket.sla_halted_at else None


def _resume(ticket: TicketItem, terms: Terms, moment: datetime) -> None:
    start = _halted_at(ticket)
    paused = business_seconds_between(terms.calendar, start, moment)
    ticket.sla_paused_seconds = float(ticket.sla_paused_seconds or 0) + paused
    ticket.sla_halted_at = None
    pauses = _pauses(ticket)
    pauses["intervals"].append([format_time(start), format_time(moment), paused])
    while len(pauses["intervals"]) > MAX_PAUSES_KEPT:
        _, oldest_end, oldest_seconds = pauses["intervals"].pop(0)
        pauses["summarized_until"] = oldest_end
        pauses["summarized_paused"] += oldest_seconds
    ticket.sla_pauses = json.dumps(pauses, separators=(",", ":"))


def _pauses(ticket: TicketItem) -> dict:
    if not ticket.sla_pauses:
        return {"intervals": [], "summarized_until": None, "summarized_paused": 0.0}
    return json.loads(ticket.sla_pauses)


def _outcome(ticket: TicketItem) -> str:
    """met or breached, judged at the moment the clock last ran."""
    if ticket.sla_status == BREACHED or ticket.breached_at:
        return BREACHED
    last_running = _halted_at(ticket)
    first_response_stop = min(last_running, _time_or(ticket.first_responded_at, last_running))
    due = {target: parse_time(getattr(ticket, f"{target}_due_at")) for target in TARGETS}
    late = [due[FIRST_RESPONSE]] if due[FIRST_RESPONSE] < first_response_stop else []
    late += [due[RESOLUTION]] if due[RESOLUTION] < last_running else []
    if late:
        ticket.breached_at = format_time(min(late))
        return BREACHED
    return MET


def _time_or(text: str | None, default: datetime) -> datetime:
    return parse_time(text) if text else default


def _status_now(ticket: TicketItem, terms: Terms, now: datetime) -> str:
    if ticket.status in ENDED_STATUSES:
        return ticket.sla_status or MET
    if ticket.sla_status == BREACHED:
        return BREACHED
    if ticket.sla_halted_at:
        return PAUSED
    live = _live_targets(ticket)
    if any(parse_time(getattr(ticket, f"{target}_due_at")) <= now for target in live):
        return BREACHED  # due already, whether or not the sweep has been round yet
    if ticket.sla_status == WARNING or _warned(ticket, terms, now, live):
        return WARNING
    return ON_TRACK


def _running_seconds_until(ticket, terms: Terms, moment: datetime, pauses: dict, intervals: list) -> float:
    """Business time the clock ran from creation until ``moment``."""
    created = parse_time(ticket.created_at)
    paused = (
        pauses["summarized_paused"]
        if pauses["summarized_until"] and parse_time(pauses["summarized_until"]) <= moment
        else 0.0
    )
    for start, end, seconds in intervals:
        if end <= moment:
            paused += seconds
        elif start < moment:
            paused += business_seconds_between(terms.calendar, start, moment)
    return business_seconds_between(terms.calendar, created, moment) - paused


def _target_view(ticket, terms: Terms, target: str, end: datetime, pauses: dict, intervals: list) -> dict:
    stopped_at = ticket.first_responded_at if target == FIRST_RESPONSE else None
    until = min(end, parse_time(stopped_at)) if stopped_at else end
    target_seconds = terms.target_seconds(ticket.priority, target)
    elapsed = _running_seconds_until(ticket, terms, until, pauses, intervals)
    due_at = getattr(ticket, f"{target}_due_at")
    return {
        "target_business_seconds": target_seconds,
        "due_at": due_at,
        "warn_at": format_time(_warn_at(ticket, terms, target)) if not stopped_at else None,
        "stopped_at": stopped_at,
        "elapsed_business_seconds": elapsed,
        "remaining_business_seconds": max(0.0, target_seconds - elapsed),
        "met": None if stopped_at is None and ticket.status not in ENDED_STATUSES else elapsed <= target_seconds,
    }


def _timeline(ticket, terms: Terms, pauses: dict, intervals: list, end: datetime) -> list[dict]:
    created = parse_time(ticket.created_at)
    parts: list[dict] = []
    cursor = created
    if pauses["summarized_until"]:
        # the oldest pauses were dropped to bound the item: their span is one summarised running segment
        cursor = parse_time(pauses["summarized_until"])
        running = business_seconds_between(terms.calendar, created, cursor) - pauses["summarized_paused"]
        parts.append(_segment("running", created, cursor, running, summarized=True))
    for start, stop, seconds in intervals:
        parts += _calendar_parts(terms.calendar, cursor, min(start, end))
        if start < end:
            parts.append(_segment(PAUSED, start, min(stop, end), seconds))
        cursor = max(cursor, stop)
    parts += _calendar_parts(terms.calendar, cursor, end)
    return parts


def _calendar_parts(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[dict]:
    if end <= start:
        return []
    return [
        _segment("running", part.start, part.end, part.seconds)
        if part.kind == OPEN
        else _segment("outside_business_hours", part.start, part.end, 0.0)
        for part in segments(calendar, start, end)
    ]


def _segment(kind: str, start: datetime, end: datetime, seconds: float, summarized: bool = False) -> dict:
    segment = {"kind": kind, "start": format_time(start), "end": format_time(end), "business_seconds": seconds}
    if summarized:
        segment["summarized"] = True
    return segment


def _policy_view(ticket: TicketItem, terms: Terms) -> dict:
    document = terms.policy.document
    return {
        "version": terms.policy.version,
        "is_default": terms.policy.version == 0,
        "priority": ticket.priority,
        "simulate_fast_sla": terms.fast,
        "targets": dict(document["targets"][ticket.priority]),
        "effective_target_seconds": {target: terms.target_seconds(ticket.priority, target) for target in TARGETS},
        "warning_threshold_percent": document["warning_threshold_percent"],
        "calendar": {"24x7": True} if terms.fast else document["calendar"],
    }
