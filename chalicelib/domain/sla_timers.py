"""SLA timers: the items the sweep finds when a ticket's warning or deadline comes.

One timer per (ticket, target, kind), ``target`` ``first_response`` or ``resolution``, ``kind`` ``warning``
or ``deadline``. ``schedule`` and ``clear`` do not write: they return ``TimerWrite``s for the caller to add to
the ticket's own transaction (create, priority change, pause/resume, resolve/close/delete), so a ticket and
its timers never disagree::

    with transaction() as write:
        write.save(ticket)
        for timer_write in sla_timers.schedule(ticket, "resolution", due_at, warn_at):
            timer_write.add_to(write)

A transaction may touch an item once: per target, add either ``schedule`` or ``clear``, not both.

A timer's bucket is the minute it is due in, or the current minute when it is already due (a resume after
the warning time, say): the sweep never goes back before its watermark, and a timer filed under a minute
it has already swept would never be found.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.clock import format_time, parse_time, utcnow
from chalicelib.errors import ValidationError
from chalicelib.models.sla import SlaTimerItem, timer_sk
from chalicelib.models.tickets import TicketItem, ticket_pk

TARGETS = ("first_response", "resolution")
WARNING, DEADLINE = "warning", "deadline"
KINDS = (WARNING, DEADLINE)
# Timers of one minute are spread over this many index partitions; the sweep queries each.
TIMER_SHARDS = 4
BUCKET_FORMAT = "%Y-%m-%dT%H:%M"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TimerWrite:
    """One write for the caller's transaction: put ``item`` (replacing any timer of the same ticket,
    target and kind), or delete it when ``delete`` is set (deleting a timer that is not there is fine)."""

    item: SlaTimerItem
    delete: bool = False

    def add_to(self, write) -> None:
        """Add this write to a PynamoDB ``TransactWrite`` (``chalicelib.models.base.transaction()``)."""
        if self.delete:
            write.delete(self.item)
        else:
            write.save(self.item)


def minute_bucket(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(BUCKET_FORMAT)


def bucket_start(bucket: str) -> datetime:
    return datetime.strptime(bucket, BUCKET_FORMAT).replace(tzinfo=UTC)


def shard_of(ticket_id: str) -> int:
    return zlib.crc32(ticket_id.encode()) % TIMER_SHARDS


def due_bucket(bucket: str, shard: int) -> str:
    return f"{bucket}#{shard}"


def timer_item(
    workspace_id: str, ticket_id: str, target: str, kind: str, due_at: str, *, now: Clock = utcnow
) -> SlaTimerItem:
    """A timer, not saved. Raises ValidationError for an unknown target or kind, or a time without offset."""
    if target not in TARGETS:
        raise ValidationError(f"unknown SLA target {target!r}", details={"target": f"one of {', '.join(TARGETS)}"})
    if kind not in KINDS:
        raise ValidationError(f"unknown timer kind {kind!r}")
    try:
        due = parse_time(due_at)
    except ValueError as error:
        raise ValidationError(f"due time is not RFC 3339 with an offset: {due_at!r}") from error
    canonical = format_time(due)  # fixed width, so due keys sort as times do
    filed_at = max(due, now().replace(second=0, microsecond=0))
    return SlaTimerItem(
        pk=ticket_pk(workspace_id, ticket_id),
        sk=timer_sk(target, kind),
        workspace_id=workspace_id,
        ticket_id=ticket_id,
        target=target,
        kind=kind,
        due_at=canonical,
        due_bucket=due_bucket(minute_bucket(filed_at), shard_of(ticket_id)),
        due_key=f"{canonical}#{ticket_id}#{target}#{kind}",
    )


def _placeholder(ticket: TicketItem, target: str, kind: str) -> SlaTimerItem:
    """A timer with only its key: enough to delete it."""
    return SlaTimerItem(pk=ticket_pk(ticket.workspace_id, ticket.id), sk=timer_sk(target, kind))


def schedule(
    ticket: TicketItem, target: str, due_at: str, warn_at: str | None = None, *, now: Clock = utcnow
) -> list[TimerWrite]:
    """The writes that (re)arm ``target``'s timers: a deadline at ``due_at`` and a warning at ``warn_at``
    (no warning when None: any earlier warning timer of that target is deleted)."""
    writes = [TimerWrite(timer_item(ticket.workspace_id, ticket.id, target, DEADLINE, due_at, now=now))]
    if warn_at is None:
        writes.append(TimerWrite(_placeholder(ticket, target, WARNING), delete=True))
    else:
        writes.append(TimerWrite(timer_item(ticket.workspace_id, ticket.id, target, WARNING, warn_at, now=now)))
    return writes


def clear(ticket: TicketItem, target: str) -> list[TimerWrite]:
    """The writes that take ``target``'s timers out of the sweep's index (pause, resolve, close, delete)."""
    if target not in TARGETS:
        raise ValidationError(f"unknown SLA target {target!r}", details={"target": f"one of {', '.join(TARGETS)}"})
    return [TimerWrite(_placeholder(ticket, target, kind), delete=True) for kind in KINDS]


def buckets_between(first: str, last: str) -> list[str]:
    """Every minute bucket from ``first`` to ``last``, both included (empty when ``first`` is later)."""
    start, end = bucket_start(first), bucket_start(last)
    buckets = []
    while start <= end:
        buckets.append(minute_bucket(start))
        start += timedelta(minutes=1)
    return buckets
