"""The ticket's SLA clock, driven through the ticket commands with the injected clock (moto in-process):
deadlines on create, pause/resume, priority change, first response, met/breached, fast SLA, the
timers the sweep is told about, and the explanation's arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.clock import ManualClock, format_time, parse_time, use_clock
from chalicelib.domain import sla, sla_policies, sla_timers, tickets
from chalicelib.errors import Forbidden
from chalicelib.models.tickets import TicketItem, ticket_pk

MONDAY_8AM = datetime(2026, 11, 23, 8, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE_HOURS = {
    "timezone": "Europe/Berlin",
    "working_hours": {
        day: [{"start": "09:00", "end": "17:00"}] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    },
    "holidays": ["2026-12-25"],
}


def policy(calendar=None, **targets) -> dict:
    document = {"targets": {p: dict(t) for p, t in sla_policies.DEFAULT_POLICY["targets"].items()}}
    document["targets"].update(targets)
    if calendar:
        document["calendar"] = calendar
    return document


@pytest.fixture
def at(aws):
    with use_clock(ManualClock(MONDAY_8AM)) as manual:
        yield manual


@pytest.fixture
def agent(workspace_id):
    return Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))


@pytest.fixture
def admin(workspace_id):
    return Principal("admin-1", "admin@example.com", frozenset({"admin"}), (workspace_id,))


@pytest.fixture
def requester(workspace_id):
    return Principal("req-1", "req@example.com", frozenset({"requester"}), (workspace_id,))


@pytest.fixture
def timer_calls(monkeypatch):
    """What the clock asks of the sweep's timers (``sla_timers`` is the interface to sla-sweep)."""
    calls = []

    def schedule(ticket, target, due_at, warn_at=None):
        calls.append(("schedule", target, due_at, warn_at))
        return []

    def clear(ticket, target):
        calls.append(("clear", target))
        return []

    monkeypatch.setattr(sla_timers, "schedule", schedule)
    monkeypatch.setattr(sla_timers, "clear", clear)
    return calls


def stored(workspace_id: str, ticket: dict) -> TicketItem:
    return TicketItem.get(ticket_pk(workspace_id, ticket["id"]), "TICKET", consistent_read=True)


def due(ticket: dict, target: str = "resolution") -> datetime:
    return parse_time(ticket[f"{target}_due_at"])


def open_ticket(workspace_id, actor, **fields) -> dict:
    return tickets.create_ticket(workspace_id, actor, {"title": "Printer on fire", **fields}, None)


def move(workspace_id, actor, ticket, status) -> dict:
    return tickets.change_status(workspace_id, actor, ticket["id"], status, None, None)


def test_new_ticket_gets_deadlines_from_the_default_policy(at, workspace_id, agent):
    ticket = open_ticket(workspace_id, agent, priority="medium")
    assert due(ticket, "first_response") == MONDAY_8AM + timedelta(hours=8)
    assert due(ticket) == MONDAY_8AM + timedelta(hours=48)
    assert ticket["sla_status"] == "on_track"
    assert ticket["escalation_level"] == 0 and ticket["breached_at"] is None
    assert int(stored(workspace_id, ticket).sla_policy_version) == 0


def test_deadlines_count_only_business_hours_of_the_policy_calendar(at, workspace_id, agent, admin):
    sla_policies.put_policy(workspace_id, admin, policy(OFFICE_HOURS), None)
    at.set(datetime(2026, 11, 27, 16, tzinfo=BERLIN))  # Friday 16:00 in Berlin
    ticket = open_ticket(workspace_id, agent, priority="high")  # 4 h first response
    assert due(ticket, "first_response") == datetime(2026, 11, 30, 12, tzinfo=BERLIN)


def test_pause_moves_deadlines_by_exactly_the_paused_business_time(at, workspace_id, agent, admin):
    sla_policies.put_policy(workspace_id, admin, policy(OFFICE_HOURS), None)
    at.set(datetime(2026, 11, 23, 10, tzinfo=BERLIN))  # Monday 10:00
    ticket = open_ticket(workspace_id, agent, priority="medium")  # 48 business hours
    before = due(ticket)
    at.set(datetime(2026, 11, 23, 15, tzinfo=BERLIN))
    move(workspace_id, agent, ticket, "awaiting_user_response")
    at.set(datetime(2026, 11, 24, 11, tzinfo=BERLIN))  # paused 2 h Monday + 2 h Tuesday of business time
    resumed = move(workspace_id, agent, ticket, "open")
    assert sla_policies_between(before, due(resumed)) == 4 * 3600
    assert resumed["sla_status"] == "on_track"


def sla_policies_between(start: datetime, end: datetime) -> float:
    calendar = sla_policies.build_calendar(OFFICE_HOURS)
    from chalicelib.domain.sla_calendar import business_seconds_between

    return business_seconds_between(calendar, start, end)


def test_clock_stands_still_while_paused(at, workspace_id, agent):
    ticket = open_ticket(workspace_id, agent, priority="urgent")  # 4 h resolution, 24x7
    tickets.add_comment(workspace_id, agent, ticket["id"], "On it.", False, None)
    at.advance(hours=1)
    paused = move(workspace_id, agent, ticket, "on_hold")
    assert paused["sla_status"] == "paused"
    at.advance(hours=10)  # past the original deadline
    explanation = sla.explain(stored(workspace_id, ticket))
    assert explanation["status"] == "paused"
    assert explanation["targets"]["resolution"]["elapsed_business_seconds"] == 3600
    resumed = move(workspace_id, agent, ticket, "in_progress")
    assert due(resumed) == MONDAY_8AM + timedelta(hours=14)
    assert resumed["sla_status"] == "on_track"


def test_timers_are_cleared_on_pause_and_scheduled_again_on_resume(at, workspace_id, agent, timer_calls):
    ticket = open_ticket(workspace_id, agent, priority="urgent")
    assert timer_calls == [
        (
            "schedule",
            "first_response",
            format_time(MONDAY_8AM + timedelta(hours=1)),
            format_time(MONDAY_8AM + timedelta(minutes=45)),
        ),
        (
            "schedule",
            "resolution",
            format_time(MONDAY_8AM + timedelta(hours=4)),
            format_time(MONDAY_8AM + timedelta(hours=3)),
        ),
    ]
    timer_calls.clear()
    at.advance(minutes=10)
    move(workspace_id, agent, ticket, "awaiting_user_response")
    assert timer_calls == [("clear", "first_response"), ("clear", "resolution")]
    timer_calls.clear()
    at.advance(minutes=20)
    move(workspace_id, agent, ticket, "open")
    assert [call[:3] for call in timer_calls] == [
        ("schedule", "first_response", format_time(MONDAY_8AM + timedelta(minutes=80))),
        ("schedule", "resolution", format_time(MONDAY_8AM + timedelta(hours=4, minutes=20))),
    ]


def test_a_warning_already_passed_is_not_scheduled_again(at, workspace_id, agent, timer_calls):
    ticket = open_ticket(workspace_id, agent, priority="urgent")  # warns at 45 min for first response
    at.advance(minutes=50)
    move(workspace_id, agent, ticket, "on_hold")
    at.advance(minutes=5)
    timer_calls.clear()
    resumed = move(workspace_id, agent, ticket, "open")
    assert ("schedule", "first_response", format_time(MONDAY_8AM + timedelta(minutes=65)), None) in timer_calls
    assert resumed["sla_status"] == "warning"


def test_priority_change_recomputes_from_creation_keeping_paused_time(at, workspace_id, agent, timer_calls):
    ticket = open_ticket(workspace_id, agent, priority="low")  # 72 h resolution
    at.advance(minutes=30)
    move(workspace_id, agent, ticket, "on_hold")
    at.advance(minutes=45)
    move(workspace_id, agent, ticket, "open")
    timer_calls.clear()
    at.advance(minutes=15)
    raised = tickets.update_ticket(workspace_id, agent, ticket["id"], {"priority": "urgent"}, None)
    assert due(raised) == MONDAY_8AM + timedelta(hours=4, minutes=45)
    assert due(raised, "first_response") == MONDAY_8AM + timedelta(hours=1, minutes=45)
    assert [call[:2] for call in timer_calls] == [("schedule", "first_response"), ("schedule", "resolution")]


def test_priority_change_while_paused_moves_deadlines_but_arms_no_timer(at, workspace_id, agent, timer_calls):
    ticket = open_ticket(workspace_id, agent, priority="low")
    move(workspace_id, agent, ticket, "on_hold")
    timer_calls.clear()
    changed = tickets.update_ticket(workspace_id, agent, ticket["id"], {"priority": "high"}, None)
    assert due(changed) == MONDAY_8AM + timedelta(hours=24)
    assert all(call[0] == "clear" for call in timer_calls)


def test_first_public_staff_comment_stops_the_first_response_clock(at, workspace_id, agent, requester, timer_calls):
    ticket = open_ticket(workspace_id, requester, priority="high")
    at.advance(minutes=5)
    tickets.add_comment(workspace_id, requester, ticket["id"], "any news?", False, None)
    tickets.add_comment(workspace_id, agent, ticket["id"], "looking (internal)", True, None)
    assert stored(workspace_id, ticket).first_responded_at is None
    timer_calls.clear()
    at.advance(minutes=5)
    tickets.add_comment(workspace_id, agent, ticket["id"], "On it.", False, None)
    item = stored(workspace_id, ticket)
    assert item.first_responded_at == format_time(MONDAY_8AM + timedelta(minutes=10))
    assert timer_calls == [("clear", "first_response")]
    at.advance(minutes=5)
    timer_calls.clear()
    tickets.add_comment(workspace_id, agent, ticket["id"], "Second reply", False, None)
    assert timer_calls == []
    assert stored(workspace_id, ticket).first_responded_at == item.first_responded_at


def test_late_first_response_leaves_the_deadline_timer_for_the_sweep(at, workspace_id, agent, timer_calls):
    ticket = open_ticket(workspace_id, agent, priority="urgent")
    at.advance(hours=2)
    timer_calls.clear()
    tickets.add_comment(workspace_id, agent, ticket["id"], "Sorry for the wait", False, None)
    assert timer_calls == []
    assert sla.explain(stored(workspace_id, ticket))["targets"]["first_response"]["met"] is False


def test_after_first_response_a_priority_change_moves_only_resolution(at, workspace_id, agent):
    ticket = open_ticket(workspace_id, agent, priority="low")
    at.advance(minutes=10)
    tickets.add_comment(workspace_id, agent, ticket["id"], "On it.", False, None)
    changed = tickets.update_ticket(workspace_id, agent, ticket["id"], {"priority": "urgent"}, None)
    assert changed["first_response_due_at"] == ticket["first_response_due_at"]
    assert due(changed) == MONDAY_8AM + timedelta(hours=4)


def test_resolving_in_time_is_met(at, workspace_id, agent, timer_calls):
    ticket = open_ticket(workspace_id, agent, priority="urgent")
    at.advance(minutes=30)
    tickets.add_comment(workspace_id, agent, ticket["id"], "On it.", False, None)
    at.advance(hours=1)
    timer_calls.clear()
    resolved = move(workspace_id, agent, ticket, "resolved")
    assert resolved["sla_status"] == "met" and resolved["breached_at"] is None
    assert timer_calls == [("clear", "first_response"), ("clear", "resolution")]


def test_resolving_late_is_breached_at_the_deadline(at, workspace_id, agent):
    ticket = open_ticket(workspace_id, agent, priority="urgent")
    at.advance(minutes=30)
    tickets.add_comment(workspace_id, agent, ticket["id"], "On it.", False, None)
    at.advance(hours=5)
    resolved = move(workspace_id, agent, ticket, "resolved")
    assert resolved["sla_status"] == "breached"
    assert resolved["breached_at"] == format_time(MONDAY_8AM + timedelta(hours=4))


def test_resolving_from_a_pause_is_judged_when_the_clock_last_ran(at, workspace_id, agent):
    ticket = open_ticket(workspace_id, agent, priority="urgent")
    tickets.add_comment(workspace_id, agent, ticket["id"], "On it.", False, None)
    at.advance(hours=3)
    move(workspace_id, agent, ticket, "awaiting_user_response")
    at.advance(hours=30)
    assert move(workspace_id, agent, ticket, "resolved")["sla_status"] == "met"


def test_reopening_resumes_with_the_resolved_time_paused(at, workspace_id, agent):
    ticket = open_ticket(workspace_id, agent, priority="urgent")
    tickets.add_comment(workspace_id, agent, ticket["id"], "On it.", False, None)
    at.advance(hours=1)
    move(workspace_id, agent, ticket, "resolved")
    at.advance(hours=2)
    reopened = move(workspace_id, agent, ticket, "open")
    assert reopened["sla_status"] == "on_track"
    assert due(reopened) == MONDAY_8AM + timedelta(hours=6)


def test_fast_sla_scales_an_hour_to_a_second_and_ignores_the_calendar(at, workspace_id, agent, admin):
    sla_policies.put_policy(workspace_id, admin, policy(OFFICE_HOURS), None)
    at.set(datetime(2026, 11, 28, 12, tzinfo=UTC))  # a Saturday
    ticket = open_ticket(workspace_id, agent, priority="urgent", simulate_fast_sla=True)
    assert due(ticket, "first_response") == datetime(2026, 11, 28, 12, 0, 1, tzinfo=UTC)
    assert due(ticket) == datetime(2026, 11, 28, 12, 0, 4, tzinfo=UTC)
    at.advance(seconds=3)
    assert sla.explain(stored(workspace_id, ticket))["status"] == "breached"


def test_requesters_cannot_ask_for_a_fast_sla(at, workspace_id, requester):
    with pytest.raises(Forbidden):
        open_ticket(workspace_id, requester, simulate_fast_sla=True)


def test_a_new_policy_does_not_move_tickets_already_open(at, workspace_id, agent, admin):
    ticket = open_ticket(workspace_id, agent, priority="low")
    sla_policies.put_policy(
        workspace_id, admin, policy(low={"first_response": "01:00:00", "resolution": "02:00:00"}), None
    )
    at.advance(minutes=1)
    changed = tickets.update_ticket(workspace_id, agent, ticket["id"], {"priority": "medium"}, None)
    assert due(changed) == MONDAY_8AM + timedelta(hours=48)  # the default's medium, which the ticket follows
    assert due(open_ticket(workspace_id, agent, priority="low")) == MONDAY_8AM + timedelta(minutes=1, hours=2)


def test_status_warns_after_the_threshold_and_breaches_at_the_deadline(at, workspace_id, agent):
    ticket = open_ticket(workspace_id, agent, priority="urgent")  # first response 1 h, warning at 75 %
    at.advance(minutes=44)
    assert sla.explain(stored(workspace_id, ticket))["status"] == "on_track"
    at.advance(minutes=1)
    assert sla.explain(stored(workspace_id, ticket))["status"] == "warning"
    at.advance(minutes=15)
    assert sla.explain(stored(workspace_id, ticket))["status"] == "breached"


def test_running_segments_add_up_to_elapsed_business_time(at, workspace_id, agent, admin):
    sla_policies.put_policy(workspace_id, admin, policy(OFFICE_HOURS), None)
    at.set(datetime(2026, 11, 20, 14, 7, tzinfo=BERLIN))  # a Friday afternoon
    ticket = open_ticket(workspace_id, agent, priority="low")
    for hours, status in ((20, "on_hold"), (50, "open"), (3, "awaiting_user_response"), (1.5, "in_progress")):
        at.advance(hours=hours)
        move(workspace_id, agent, ticket, status)
    at.advance(hours=26)
    explanation = sla.explain(stored(workspace_id, ticket))
    parts = explanation["segments"]
    running = sum(part["business_seconds"] for part in parts if part["kind"] == "running")
    assert running == explanation["elapsed_business_seconds"]
    assert {part["kind"] for part in parts} == {"running", "paused", "outside_business_hours"}
    assert parts[0]["start"] == ticket["created_at"] and parts[-1]["end"] == explanation["as_of"]
    assert all(a["end"] == b["start"] for a, b in zip(parts, parts[1:], strict=False))
    calendar = sla_policies.build_calendar(OFFICE_HOURS)
    from chalicelib.domain.sla_calendar import business_seconds_between

    total = business_seconds_between(calendar, parse_time(ticket["created_at"]), parse_time(explanation["as_of"]))
    assert running + explanation["paused_business_seconds"] == total
    resolution = explanation["targets"]["resolution"]
    assert resolution["remaining_business_seconds"] == 72 * 3600 - running


def test_pause_history_is_capped_and_the_explanation_still_adds_up(at, workspace_id, agent):
    ticket = open_ticket(workspace_id, agent, priority="low")
    for _ in range(sla.MAX_PAUSES_KEPT + 5):
        at.advance(minutes=1)
        move(workspace_id, agent, ticket, "on_hold")
        at.advance(minutes=2)
        move(workspace_id, agent, ticket, "open")
    at.advance(minutes=1)
    item = stored(workspace_id, ticket)
    explanation = sla.explain(item)
    assert explanation["pauses_kept"] == sla.MAX_PAUSES_KEPT
    assert explanation["summarized_until"] is not None
    assert explanation["paused_business_seconds"] == (sla.MAX_PAUSES_KEPT + 5) * 120
    running = sum(part["business_seconds"] for part in explanation["segments"] if part["kind"] == "running")
    assert running == explanation["elapsed_business_seconds"] == (sla.MAX_PAUSES_KEPT + 6) * 60
