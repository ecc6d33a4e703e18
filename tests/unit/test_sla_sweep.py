"""The SLA sweep on in-process moto, with the clock injected: it reads only the timers that have come due,
warns then breaches, emits ``ticket.sla_breached`` exactly once per ticket and target however sweeps overlap
or are retried, and never touches a ticket that has ended (whose timers leave the index)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.clock import ManualClock, format_time
from chalicelib.domain import sla_breaches, sla_sweep, sla_timers
from chalicelib.domain.sla_timers import TIMER_SHARDS, due_bucket, minute_bucket
from chalicelib.domain.ticket_records import set_index_keys
from chalicelib.domain.tickets import new_ticket_item
from chalicelib.models.base import transaction
from chalicelib.models.events import EventItem
from chalicelib.models.sla import SlaTimerItem, find_breach
from chalicelib.models.tickets import TicketItem, ticket_pk

START = datetime(2026, 11, 23, 12, 0, 10, tzinfo=UTC)


@pytest.fixture
def clock():
    return ManualClock(START)


def open_ticket(workspace_id: str, clock: ManualClock, **fields) -> TicketItem:
    ticket_id = str(uuid.uuid4())
    data = {"title": "Heating is off", "requester_id": "req-1", "priority": "high"}
    ticket = new_ticket_item(workspace_id, ticket_id, "agent-1", data, format_time(clock.now()), number=1000)
    for name, value in fields.items():
        setattr(ticket, name, value)
    set_index_keys(ticket)
    ticket.save()
    return ticket


def arm(ticket: TicketItem, clock: ManualClock, target="resolution", due_in=None, warn_in=None) -> None:
    """What sla-clock does on create: the ticket's timers saved in the ticket's transaction."""
    due_at = format_time(clock.now() + due_in)
    warn_at = format_time(clock.now() + warn_in) if warn_in else None
    with transaction() as write:
        for timer_write in sla_timers.schedule(ticket, target, due_at, warn_at, now=clock.now):
            timer_write.add_to(write)


def reload(ticket: TicketItem) -> TicketItem:
    return TicketItem.get(ticket.pk, "TICKET", consistent_read=True)


def events_of(ticket: TicketItem, event_type: str) -> list[EventItem]:
    events = EventItem.query(f"WS#{ticket.workspace_id}", EventItem.sk.startswith("EVENT#"), consistent_read=True)
    return [event for event in events if event.subject_id == ticket.id and event.type == event_type]


def timers_of(ticket: TicketItem) -> list[SlaTimerItem]:
    return list(SlaTimerItem.query(ticket.pk, SlaTimerItem.sk.startswith("TIMER#"), consistent_read=True))


def indexed_timers(moment: datetime) -> list[SlaTimerItem]:
    bucket = minute_bucket(moment)
    return [timer for shard in range(TIMER_SHARDS) for timer in SlaTimerItem.due.query(due_bucket(bucket, shard))]


def test_sweep_reads_only_the_timers_that_are_due(aws, workspace_id, clock):
    due = open_ticket(workspace_id, clock)
    later_this_minute = open_ticket(workspace_id, clock)
    next_week = open_ticket(workspace_id, clock)
    arm(due, clock, due_in=timedelta(seconds=20))
    arm(later_this_minute, clock, due_in=timedelta(seconds=40))
    arm(next_week, clock, due_in=timedelta(days=7))
    clock.advance(seconds=30)

    report = sla_sweep.sweep(now=clock.now)

    assert report.timers_read == 1
    assert reload(due).sla_status == "breached"
    assert reload(later_this_minute).sla_status is None
    assert reload(next_week).sla_status is None


def test_a_ticket_is_warned_then_breached(aws, workspace_id, clock):
    ticket = open_ticket(workspace_id, clock, sla_status="on_track")
    arm(ticket, clock, due_in=timedelta(minutes=4), warn_in=timedelta(minutes=3))

    clock.advance(minutes=3, seconds=1)
    sla_sweep.sweep(now=clock.now)
    warned = reload(ticket)
    clock.advance(minutes=1)
    sla_sweep.sweep(now=clock.now)
    breached = reload(ticket)

    assert warned.sla_status == "warning"
    assert len(events_of(ticket, "ticket.sla_warning")) == 1
    assert breached.sla_status == "breached"
    assert breached.breached_at == format_time(clock.now())
    [event] = events_of(ticket, "ticket.sla_breached")
    assert '"target":"resolution"' in event.data
    assert timers_of(ticket) == []


def test_a_warning_is_given_only_to_a_ticket_on_track(aws, workspace_id, clock):
    ticket = open_ticket(workspace_id, clock, sla_status="paused")
    arm(ticket, clock, due_in=timedelta(minutes=4), warn_in=timedelta(minutes=1))
    clock.advance(minutes=2)

    sla_sweep.sweep(now=clock.now)

    assert reload(ticket).sla_status == "paused"
    assert events_of(ticket, "ticket.sla_warning") == []
    assert [timer.kind for timer in timers_of(ticket)] == ["deadline"]


def test_two_overlapping_sweeps_breach_a_ticket_once(aws, workspace_id, clock):
    ticket = open_ticket(workspace_id, clock)
    arm(ticket, clock, due_in=timedelta(seconds=5))
    clock.advance(minutes=1)
    # The first sweep has read the due timer when the second one runs from start to end.
    first_sweeps_timers = [
        timer
        for bucket in sla_sweep.buckets_to_sweep(None, clock.now())
        for timer in sla_sweep.due_timers(bucket, clock.now())
    ]

    second = sla_sweep.sweep(now=clock.now)
    first = [sla_breaches.act_on(timer, now=clock.now) for timer in first_sweeps_timers]

    assert second.breached == 1
    assert first == [False]
    assert len(events_of(ticket, "ticket.sla_breached")) == 1


def test_a_retried_sweep_changes_nothing(aws, workspace_id, clock):
    ticket = open_ticket(workspace_id, clock)
    arm(ticket, clock, due_in=timedelta(seconds=5))
    clock.advance(minutes=1)
    sla_sweep.sweep(now=clock.now)
    version = reload(ticket).version

    retried = sla_sweep.sweep(now=clock.now)

    assert retried.breached == 0
    assert reload(ticket).version == version
    assert len(events_of(ticket, "ticket.sla_breached")) == 1


def test_a_breach_is_once_per_target_even_when_its_timer_is_armed_again(aws, workspace_id, clock):
    ticket = open_ticket(workspace_id, clock)
    arm(ticket, clock, due_in=timedelta(seconds=5))
    clock.advance(minutes=1)
    sla_sweep.sweep(now=clock.now)
    arm(ticket, clock, due_in=timedelta(seconds=5))  # a priority change after the breach, say
    arm(ticket, clock, target="first_response", due_in=timedelta(seconds=5))
    clock.advance(minutes=1)

    sla_sweep.sweep(now=clock.now)

    breaches = events_of(ticket, "ticket.sla_breached")
    assert sorted(event.data.split('"target":"')[1].split('"')[0] for event in breaches) == [
        "first_response",
        "resolution",
    ]
    assert reload(ticket).breached_at == format_time(START + timedelta(minutes=1))  # the first breach's time


def test_a_resolved_tickets_timers_leave_the_index(aws, workspace_id, clock):
    ticket = open_ticket(workspace_id, clock)
    arm(ticket, clock, due_in=timedelta(seconds=30), warn_in=timedelta(seconds=20))
    ticket.status = "resolved"
    with transaction() as write:  # what sla-clock adds to the resolving transaction
        write.save(ticket)
        for timer_write in sla_timers.clear(ticket, "resolution"):
            timer_write.add_to(write)

    assert indexed_timers(clock.now()) == []
    clock.advance(minutes=1)
    assert sla_sweep.sweep(now=clock.now).timers_read == 0


def test_a_ticket_that_ended_with_its_timers_left_behind_is_not_breached(aws, workspace_id, clock):
    ticket = open_ticket(workspace_id, clock)
    arm(ticket, clock, due_in=timedelta(seconds=30))
    ticket.status = "closed"
    ticket.save()
    clock.advance(minutes=1)

    sla_sweep.sweep(now=clock.now)

    assert reload(ticket).sla_status is None
    assert events_of(ticket, "ticket.sla_breached") == []
    assert find_breach(workspace_id, ticket.id, "resolution") is None
    assert timers_of(ticket) == []


def test_a_missed_run_is_caught_up_from_the_watermark(aws, workspace_id, clock):
    sla_sweep.sweep(now=clock.now)
    tickets = [open_ticket(workspace_id, clock) for _ in range(3)]
    for minutes, ticket in enumerate(tickets, start=2):
        arm(ticket, clock, due_in=timedelta(minutes=minutes))
    clock.advance(minutes=10)  # the schedule did not fire for ten minutes

    report = sla_sweep.sweep(now=clock.now)

    assert report.breached == 3
    assert all(reload(ticket).sla_status == "breached" for ticket in tickets)


def test_catching_up_is_bounded(clock):
    three_days_ago = minute_bucket(clock.now() - timedelta(days=3))

    buckets = sla_sweep.buckets_to_sweep(three_days_ago, clock.now())

    assert len(buckets) == sla_sweep.MAX_CATCH_UP // timedelta(minutes=1) + 1
    assert buckets[-1] == minute_bucket(clock.now())


def test_a_timer_armed_after_its_time_is_found_by_the_next_sweep(aws, workspace_id, clock):
    clock.advance(minutes=5)
    sla_sweep.sweep(now=clock.now)  # the watermark is now five minutes on
    ticket = open_ticket(workspace_id, clock)
    arm(ticket, clock, due_in=timedelta(minutes=-4))  # a resume long after the warning time, say

    report = sla_sweep.sweep(now=clock.now)

    assert report.breached == 1


def test_an_unknown_target_is_refused(aws, workspace_id, clock):
    from chalicelib.errors import ValidationError

    ticket = open_ticket(workspace_id, clock)
    with pytest.raises(ValidationError):
        sla_timers.schedule(ticket, "lunch", format_time(clock.now()))


def test_timer_keys_sort_as_times_do_whatever_offset_they_were_given(aws, workspace_id, clock):
    ticket = open_ticket(workspace_id, clock)
    [deadline, _] = sla_timers.schedule(ticket, "resolution", "2026-11-23T13:00:00+01:00", now=clock.now)

    assert deadline.item.due_at == "2026-11-23T12:00:00.000000Z"
    assert deadline.item.pk == ticket_pk(workspace_id, ticket.id)
