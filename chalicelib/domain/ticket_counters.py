"""The ticket-counters consumer: keeps per-workspace ticket counts from ticket events.

Delivery is at least once, so each event is applied together with a receipt in one
transaction; a redelivered event finds its receipt and changes nothing.

Every event moves the counters by deltas read from that event alone (never from what the
counters hold), so events may arrive in any order and still add up. The one subtle pair is an
update that changes priority and status at once: ``ticket.updated`` moves the open-by-priority
count at the status *before* the update, ``ticket.status_changed`` at the priority *after* it,
which together move the ticket from (old status, old priority) to (new status, new priority).
Each resolution counts once towards the SLA and resolution-time figures, a reopened ticket that
is resolved again counts again.

Assignee loads (open tickets per assignee, read by RACI routing) follow the same rule with the
assignee in place of the priority: ``ticket.assigned`` carries the status *before* the change and
moves the ticket between assignees at that status, ``ticket.status_changed`` carries the assignee
*after* it and moves that assignee's ticket between statuses, which together move the ticket from
(old assignee, old status) to (new assignee, new status) whatever order they arrive in. Events from
before these fields existed move no load.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError

from chalicelib.clock import parse_time, utcnow
from chalicelib.domain.ticket_rules import PRIORITIES, STATUSES
from chalicelib.events.catalogue import TICKET_COUNTERS, Topic
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.events import ReceiptItem, receipt_key
from chalicelib.models.metrics import (
    RESOLUTION_BUCKET_BOUNDS_MS,
    AssigneeLoadItem,
    CounterItem,
    DayItem,
    ResolutionItem,
    assignee_load_key,
    bucket_attribute,
    day_key,
    get_counters,
    resolution_key,
    ticket_counters_key,
)

CONSUMER = TICKET_COUNTERS.name
RECEIPT_DAYS = 14
FINISHED_STATUSES = ("resolved", "closed", "cancelled")
OPEN_STATUSES = tuple(status for status in STATUSES if status not in FINISHED_STATUSES)
CSAT_SCORES = ("good", "bad")


@dataclass
class CounterMoves:
    """What one event adds to each counter item (``{attribute: delta}``); ``day`` is the UTC date
    (``YYYY-MM-DD``) whose day item ``daily`` moves."""

    totals: dict[str, int] = field(default_factory=dict)
    resolution: dict[str, int] = field(default_factory=dict)
    day: str | None = None
    daily: dict[str, int] = field(default_factory=dict)
    loads: dict[str, int] = field(default_factory=dict)  # user id -> change in open tickets assigned

    def add(self, name: str, delta: int) -> None:
        self.totals[name] = self.totals.get(name, 0) + delta

    def move_open(self, status: str | None, priority: str | None, delta: int) -> None:
        """Count a ticket in (``delta`` 1) or out of (-1) the open-by-priority figures, when it is open."""
        if status in OPEN_STATUSES and priority in PRIORITIES:
            self.add(f"open_priority_{priority}", delta)

    def move_load(self, assignee_id: str | None, status: str | None, delta: int) -> None:
        """Count a ticket in (1) or out of (-1) its assignee's open tickets, when it is open and assigned."""
        if assignee_id and status in OPEN_STATUSES:
            self.loads[assignee_id] = self.loads.get(assignee_id, 0) + delta


def counter_changes(event: dict) -> CounterMoves:
    """How one event envelope moves the counters. Data that events from before a field was added
    lack (a status change without ``priority`` or ``created_at``) moves only what it can."""
    data = event.get("data") or {}
    kind = event.get("type")
    moves = CounterMoves()
    if kind == Topic.TICKET_CREATED:
        ticket = data["ticket"]
        moves.add("tickets_created", 1)
        moves.add(f"status_{ticket['status']}", 1)
        moves.move_open(ticket["status"], ticket.get("priority"), 1)
        moves.move_load(ticket.get("assignee_id"), ticket["status"], 1)
        moves.day, moves.daily = _day(event), {"created": 1}
    elif kind == Topic.TICKET_UPDATED:
        changes = data.get("changes") or {}
        if "priority" in changes:
            status_before = changes["status"]["from"] if "status" in changes else data.get("status")
            moves.move_open(status_before, changes["priority"]["from"], -1)
            moves.move_open(status_before, changes["priority"]["to"], 1)
    elif kind == Topic.TICKET_STATUS_CHANGED:
        moves.add(f"status_{data['from']}", -1)
        moves.add(f"status_{data['to']}", 1)
        moves.move_open(data["from"], data.get("priority"), -1)
        moves.move_open(data["to"], data.get("priority"), 1)
        moves.move_load(data.get("assignee_id"), data["from"], -1)
        moves.move_load(data.get("assignee_id"), data["to"], 1)
        if data["to"] == "resolved":
            _count_resolution(moves, event, data)
    elif kind == Topic.TICKET_DELETED:
        moves.add("tickets_deleted", 1)
        moves.add(f"status_{data['status']}", -1)
        moves.move_open(data["status"], data.get("priority"), -1)
        moves.move_load(data.get("assignee_id"), data["status"], -1)
    elif kind == Topic.TICKET_COMMENTED:
        moves.add("comments_added", 1)
    elif kind == Topic.TICKET_ASSIGNED:
        moves.add("assignments", 1)
        moves.move_load(data.get("from"), data.get("status"), -1)
        moves.move_load(data.get("to"), data.get("status"), 1)
    elif kind == Topic.TICKET_CSAT_SUBMITTED and data.get("score") in CSAT_SCORES:
        moves.add(f"csat_{data['score']}", 1)
    return moves


def _count_resolution(moves: CounterMoves, event: dict, data: dict) -> None:
    moves.add("tickets_resolved", 1)
    moves.add("sla_total", 1)
    if data.get("sla_breached") is not True:
        moves.add("sla_met", 1)
    moves.day, moves.daily = _day(event), {"resolved": 1}
    if data.get("created_at"):
        took = parse_time(event["occurred_at"]) - parse_time(data["created_at"])
        duration_ms = max(0, round(took / timedelta(milliseconds=1)))
        bucket = bisect_left(RESOLUTION_BUCKET_BOUNDS_MS, duration_ms)
        moves.resolution = {"count": 1, "sum_ms": duration_ms, bucket_attribute(bucket): 1}


def _day(event: dict) -> str:
    return parse_time(event["occurred_at"]).date().isoformat()


def apply_ticket_event(event: dict) -> bool:
    """Apply one event envelope; False when it had already been applied (a redelivery)."""
    moves = counter_changes(event)
    workspace_id = event["workspace_id"]
    receipt_pk, receipt_sk = receipt_key(CONSUMER, event["id"])
    receipt = ReceiptItem(pk=receipt_pk, sk=receipt_sk, expires_at=utcnow() + timedelta(days=RECEIPT_DAYS))
    updates = [
        (CounterItem, ticket_counters_key(workspace_id), moves.totals),
        (ResolutionItem, resolution_key(workspace_id), moves.resolution),
    ]
    if moves.day:
        updates.append((DayItem, day_key(workspace_id, moves.day), moves.daily))
    for assignee_id, delta in sorted(moves.loads.items()):
        if delta:  # a move between two open statuses leaves the load as it was
            updates.append((AssigneeLoadItem, assignee_load_key(workspace_id, assignee_id), {"open_assigned": delta}))
    try:
        with transaction() as write:
            write.save(receipt, condition=ReceiptItem.pk.does_not_exist())
            for model, (pk, sk), deltas in updates:
                if deltas:
                    write.update(
                        model(pk=pk, sk=sk),
                        actions=[getattr(model, name).add(delta) for name, delta in deltas.items()],
                    )
    except TransactWriteError as error:
        if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True


def ticket_counts(workspace_id: str) -> dict[str, int]:
    return get_counters(CounterItem, ticket_counters_key(workspace_id))
