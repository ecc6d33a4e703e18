"""A ticket's SLA over HTTP: the public ticket carries its deadlines, and GET /tickets/{id}/sla explains
the clock (segments, elapsed and remaining business time, policy, status), with the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.clock import ManualClock, format_time, parse_time, use_clock
from tests.routes.http_helpers import call, open_ticket

MONDAY_8AM = datetime(2026, 11, 23, 8, tzinfo=UTC)
OFFICE = {
    "timezone": "America/New_York",
    "working_hours": {day: [{"start": "09:00", "end": "17:00"}] for day in ("monday", "tuesday", "wednesday")},
    "holidays": [],
}


@pytest.fixture
def at():
    with use_clock(ManualClock(MONDAY_8AM)) as manual:
        yield manual


def explain(client, headers, ticket):
    response = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/sla", headers)
    assert response.status_code == 200, response.body
    return response.json


def set_status(client, headers, ticket, status):
    response = call(client, "POST", f"/api/v1/tickets/{ticket['id']}/status", headers, {"status": status})
    assert response.status_code == 200, response.body
    return response.json


def test_a_new_ticket_carries_its_deadlines_and_sla_fields(client, as_role, at):
    ticket = open_ticket(client, as_role("agent"), priority="P1")
    assert ticket["first_response_due_at"] == format_time(MONDAY_8AM + timedelta(hours=1))
    assert ticket["resolution_due_at"] == format_time(MONDAY_8AM + timedelta(hours=4))
    assert ticket["sla_status"] == "on_track"
    assert ticket["breached_at"] is None and ticket["escalation_level"] == 0
    fetched = call(client, "GET", f"/api/v1/tickets/{ticket['id']}", as_role("agent")).json
    assert fetched["resolution_due_at"] == ticket["resolution_due_at"]


def test_seed_000_fast_sla_ticket_is_due_in_seconds(client, as_role, at):
    ticket = open_ticket(client, as_role("agent"), priority="high", simulate_fast_sla=True)
    assert parse_time(ticket["first_response_due_at"]) == MONDAY_8AM + timedelta(seconds=4)
    assert parse_time(ticket["resolution_due_at"]) == MONDAY_8AM + timedelta(seconds=24)
    at.advance(seconds=25)
    assert explain(client, as_role("agent"), ticket)["status"] == "breached"


def test_a_requester_cannot_open_a_fast_sla_ticket(client, as_role, at):
    response = call(client, "POST", "/api/v1/tickets", as_role("requester"), {"title": "x", "simulate_fast_sla": True})
    assert response.status_code == 403


def test_the_explanation_tells_segments_elapsed_remaining_policy_and_status(client, as_role, at):
    admin, agent = as_role("admin"), as_role("agent")
    put = call(client, "PUT", "/api/v1/sla/policies", admin, {"targets": _targets(), "calendar": OFFICE})
    assert put.status_code == 200, put.body
    ticket = open_ticket(client, agent, priority="medium")  # 08:00 UTC is 03:00 in New York: outside hours
    at.advance(hours=8)  # 16:00 UTC = 11:00 New York: two business hours have run
    explanation = explain(client, agent, ticket)
    assert [part["kind"] for part in explanation["segments"]] == ["outside_business_hours", "running"]
    assert explanation["elapsed_business_seconds"] == 2 * 3600
    assert explanation["remaining_business_seconds"] == 46 * 3600
    assert explanation["policy"]["version"] == 1 and explanation["policy"]["targets"]["resolution"] == "48:00:00"
    assert explanation["status"] == "on_track" and explanation["clock"] == "running"


def test_paused_ticket_is_explained_as_paused_and_its_deadline_moves_on_resume(client, as_role, at):
    agent = as_role("agent")
    ticket = open_ticket(client, agent, priority="urgent")
    at.advance(minutes=20)
    assert set_status(client, agent, ticket, "awaiting_user_response")["sla_status"] == "paused"
    at.advance(hours=2)
    explanation = explain(client, agent, ticket)
    assert explanation["status"] == "paused" and explanation["clock"] == "paused"
    assert [part["kind"] for part in explanation["segments"]] == ["running", "paused"]
    assert explanation["segments"][1]["business_seconds"] == 2 * 3600
    resumed = set_status(client, agent, ticket, "open")
    assert resumed["resolution_due_at"] == format_time(MONDAY_8AM + timedelta(hours=6))
    assert resumed["sla_status"] == "on_track"


def test_running_segments_add_up_to_the_elapsed_business_time(client, as_role, at):
    call(client, "PUT", "/api/v1/sla/policies", as_role("admin"), {"targets": _targets(), "calendar": OFFICE})
    ticket = open_ticket(client, as_role("agent", user_id="agent-1"), priority="low")
    for hours, status in ((9, "on_hold"), (4, "in_progress"), (30, "awaiting_user_response"), (3, "open")):
        at.advance(hours=hours)
        set_status(client, as_role("agent", user_id="agent-1"), ticket, status)  # a fresh token at each hour
    at.advance(hours=50)
    explanation = explain(client, as_role("agent", user_id="agent-1"), ticket)
    running = [part["business_seconds"] for part in explanation["segments"] if part["kind"] == "running"]
    assert sum(running) == explanation["elapsed_business_seconds"] > 0
    assert explanation["targets"]["resolution"]["elapsed_business_seconds"] == explanation["elapsed_business_seconds"]


def test_first_public_agent_comment_is_the_first_response(client, as_role, at):
    agent = as_role("agent")
    ticket = open_ticket(client, agent, priority="high")
    at.advance(minutes=30)
    body = {"body_md": "We are on it", "visibility": "public"}
    assert call(client, "POST", f"/api/v1/tickets/{ticket['id']}/comments", agent, body).status_code == 201
    first_response = explain(client, agent, ticket)["targets"]["first_response"]
    assert first_response["stopped_at"] == format_time(MONDAY_8AM + timedelta(minutes=30))
    assert first_response["met"] is True and first_response["elapsed_business_seconds"] == 1800


def test_resolved_in_time_is_met(client, as_role, at):
    agent_id = "agent-1"
    agent = as_role("agent", user_id=agent_id)
    ticket = open_ticket(client, agent, priority="medium")
    at.advance(hours=1)
    call(client, "POST", f"/api/v1/tickets/{ticket['id']}/comments", agent, {"body_md": "fixed"})
    resolved = set_status(client, agent, ticket, "resolved")
    assert resolved["sla_status"] == "met"
    explanation = explain(client, agent, ticket)
    assert explanation["status"] == "met" and explanation["clock"] == "stopped"
    at.advance(days=30)
    later = as_role("agent", user_id=agent_id)  # a token from the new "now"
    assert explain(client, later, ticket)["elapsed_business_seconds"] == 3600  # stopped stays stopped


def test_requesters_see_the_clock_of_their_own_tickets_only(client, as_role, at):
    mine = open_ticket(client, as_role("requester", user_id="req-1"))
    assert explain(client, as_role("requester", user_id="req-1"), mine)["status"] == "on_track"
    other = call(client, "GET", f"/api/v1/tickets/{mine['id']}/sla", as_role("requester", user_id="req-2"))
    assert other.status_code == 404


def test_an_unknown_ticket_has_no_clock(client, as_role, at):
    assert call(client, "GET", "/api/v1/tickets/nope/sla", as_role("agent")).status_code == 404


def _targets() -> dict:
    return {
        "low": {"first_response": "08:00:00", "resolution": "72:00:00"},
        "medium": {"first_response": "04:00:00", "resolution": "48:00:00"},
        "high": {"first_response": "02:00:00", "resolution": "24:00:00"},
        "urgent": {"first_response": "00:30:00", "resolution": "04:00:00"},
    }
