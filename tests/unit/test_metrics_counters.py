"""The ticket counters behind the metrics, fed the real event envelopes the ticket domain writes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.auth.principal import Principal
from tests.counters import deliver_counters, outbox_envelopes

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def agent(workspace_id):
    return Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))


@pytest.fixture
def admin(workspace_id):
    return Principal("admin-1", "admin@example.com", frozenset({"admin"}), (workspace_id,))


@pytest.fixture
def at_start(clock):
    clock.set(START)
    return clock


def open_tickets(workspace_id, agent, *priorities):
    from chalicelib.domain.tickets import create_ticket

    return [create_ticket(workspace_id, agent, {"title": "Leak", "priority": p}, None)["id"] for p in priorities]


def resolve(workspace_id, agent, ticket_id):
    from chalicelib.domain.tickets import change_status

    change_status(workspace_id, agent, ticket_id, "resolved", None, None)


def summary(workspace_id):
    from chalicelib.domain.metrics import summary

    return summary(workspace_id)


def test_new_tickets_count_as_open_by_status_and_priority_and_as_created_today(aws, at_start, workspace_id, agent):
    open_tickets(workspace_id, agent, "high", "high", "low")

    deliver_counters(workspace_id)

    result = summary(workspace_id)
    assert result["open"]["total"] == 3
    assert result["open"]["by_status"]["new"] == 3
    assert result["open"]["by_priority"] == {"low": 1, "medium": 0, "high": 2, "urgent": 0}
    assert (result["today"], result["created_today"], result["resolved_today"]) == ("2026-11-23", 3, 0)


def test_delivering_every_event_again_changes_no_counter(aws, at_start, workspace_id, agent):
    from chalicelib.domain.metrics import resolution, sla
    from chalicelib.domain.tickets import update_ticket

    first, second = open_tickets(workspace_id, agent, "high", "low")
    update_ticket(workspace_id, agent, first, {"priority": "urgent"}, None)
    at_start.advance(minutes=5)
    resolve(workspace_id, agent, second)
    assert deliver_counters(workspace_id) == 5  # 2 created, 1 updated, 1 resolved, 1 csat_requested
    before = (summary(workspace_id), sla(workspace_id), resolution(workspace_id))

    applied_again = deliver_counters(workspace_id)

    assert applied_again == 0
    assert (summary(workspace_id), sla(workspace_id), resolution(workspace_id)) == before


def test_a_priority_change_moves_an_open_ticket_to_its_new_priority(aws, at_start, workspace_id, agent):
    from chalicelib.domain.tickets import update_ticket

    (ticket,) = open_tickets(workspace_id, agent, "low")
    update_ticket(workspace_id, agent, ticket, {"priority": "P1"}, None)

    deliver_counters(workspace_id)

    assert summary(workspace_id)["open"]["by_priority"] == {"low": 0, "medium": 0, "high": 0, "urgent": 1}


def test_a_priority_change_of_a_resolved_ticket_leaves_the_open_counts_alone(aws, at_start, workspace_id, agent):
    from chalicelib.domain.tickets import update_ticket

    (ticket,) = open_tickets(workspace_id, agent, "low")
    resolve(workspace_id, agent, ticket)
    update_ticket(workspace_id, agent, ticket, {"priority": "high"}, None)

    deliver_counters(workspace_id)

    assert summary(workspace_id)["open"]["by_priority"] == {"low": 0, "medium": 0, "high": 0, "urgent": 0}


@pytest.mark.parametrize("order", ["as emitted", "reversed"])
def test_changing_priority_and_status_in_one_update_adds_up_in_any_delivery_order(
    aws, at_start, workspace_id, agent, order
):
    from chalicelib.domain.ticket_counters import apply_ticket_event
    from chalicelib.domain.tickets import update_ticket

    moved, resolved = open_tickets(workspace_id, agent, "low", "low")
    update_ticket(workspace_id, agent, moved, {"priority": "high", "status": "in_progress"}, None)
    update_ticket(workspace_id, agent, resolved, {"priority": "urgent", "status": "resolved"}, None)
    events = outbox_envelopes(workspace_id)

    for event in events if order == "as emitted" else reversed(events):
        apply_ticket_event(event)

    result = summary(workspace_id)["open"]
    assert result["by_priority"] == {"low": 0, "medium": 0, "high": 1, "urgent": 0}
    assert (result["by_status"]["in_progress"], result["total"]) == (1, 1)


def test_resolving_cancelling_and_deleting_take_tickets_out_of_the_open_counts(
    aws, at_start, workspace_id, agent, admin
):
    from chalicelib.domain.tickets import change_status, delete_ticket

    resolved, cancelled, deleted, kept = open_tickets(workspace_id, agent, "high", "high", "urgent", "low")
    resolve(workspace_id, agent, resolved)
    change_status(workspace_id, agent, cancelled, "cancelled", None, None)
    delete_ticket(workspace_id, admin, deleted, None)

    deliver_counters(workspace_id)

    result = summary(workspace_id)
    assert result["open"]["by_priority"] == {"low": 1, "medium": 0, "high": 0, "urgent": 0}
    assert result["open"]["total"] == 1
    assert (result["created_today"], result["resolved_today"]) == (4, 1)


def test_resolution_time_of_identical_durations_is_exact(aws, at_start, workspace_id, agent):
    from chalicelib.domain.metrics import resolution

    tickets = open_tickets(workspace_id, agent, *["medium"] * 10)
    at_start.advance(seconds=90)
    for ticket in tickets:
        resolve(workspace_id, agent, ticket)

    deliver_counters(workspace_id)

    # All ten in the (1 min, 2 min] bucket: interpolation puts p50 at its middle, p90 at 90% of it.
    assert resolution(workspace_id) == {"count": 10, "avg_resolution_ms": 90_000, "p50_ms": 90_000, "p90_ms": 114_000}


def test_resolution_percentiles_are_estimated_within_their_bucket(aws, at_start, workspace_id, agent):
    from chalicelib.domain.metrics import resolution

    tickets = open_tickets(workspace_id, agent, *["medium"] * 10)
    at_start.advance(seconds=30)
    for ticket in tickets[:4]:
        resolve(workspace_id, agent, ticket)
    at_start.set(START + timedelta(minutes=5))
    for ticket in tickets[4:8]:
        resolve(workspace_id, agent, ticket)
    at_start.set(START + timedelta(hours=2))
    for ticket in tickets[8:]:
        resolve(workspace_id, agent, ticket)

    deliver_counters(workspace_id)

    result = resolution(workspace_id)
    assert result["avg_resolution_ms"] == (4 * 30_000 + 4 * 300_000 + 2 * 7_200_000) // 10  # exact
    assert result["p50_ms"] == 300_000  # 5th of 10: first of four in (4 min, 8 min]
    # 9th of 10: the middle of (64 min, 128 min]; the true value, 120 min, is in the same bucket.
    assert result["p90_ms"] == 5_760_000


def test_no_resolution_yet_means_no_figures(aws, workspace_id):
    from chalicelib.domain.metrics import resolution, sla

    assert resolution(workspace_id) == {"count": 0, "avg_resolution_ms": None, "p50_ms": None, "p90_ms": None}
    assert sla(workspace_id) == {"total": 0, "met": 0, "sla_attainment": None}


def test_a_resolution_counts_as_met_unless_its_ticket_had_breached(aws, at_start, workspace_id, agent):
    from chalicelib.domain.metrics import sla
    from chalicelib.domain.ticket_counters import apply_ticket_event

    tickets = open_tickets(workspace_id, agent, "high", "high", "high", "high")
    for ticket in tickets:
        resolve(workspace_id, agent, ticket)
    events = outbox_envelopes(workspace_id)
    resolutions = [e for e in events if e["type"] == "ticket.status_changed"]
    # What the SLA engine's tickets will say: this one had breached when it was resolved.
    resolutions[0] = {**resolutions[0], "data": {**resolutions[0]["data"], "sla_breached": True}}

    for event in [e for e in events if e["type"] != "ticket.status_changed"] + resolutions:
        apply_ticket_event(event)

    assert all(e["data"]["sla_breached"] is False for e in resolutions[1:])
    assert sla(workspace_id) == {"total": 4, "met": 3, "sla_attainment": 0.75}


def test_csat_scores_are_counted(aws, workspace_id):
    from chalicelib.domain.events import envelope, new_event
    from chalicelib.domain.ticket_counters import apply_ticket_event
    from chalicelib.events.catalogue import Topic

    for score in ("good", "good", "bad"):
        event = new_event(
            Topic.TICKET_CSAT_SUBMITTED, workspace_id, "ticket", str(uuid.uuid4()), {"score": score}, None
        )
        apply_ticket_event(envelope(event))

    assert summary(workspace_id)["csat"] == {"good": 2, "bad": 1}


def test_a_status_change_from_before_events_carried_priority_moves_only_the_status_counts(aws, workspace_id):
    from chalicelib.domain.events import envelope, new_event
    from chalicelib.domain.metrics import resolution, sla
    from chalicelib.domain.ticket_counters import apply_ticket_event
    from chalicelib.events.catalogue import Topic

    old_shape = {"from": "new", "to": "resolved", "reason": None}
    apply_ticket_event(envelope(new_event(Topic.TICKET_STATUS_CHANGED, workspace_id, "ticket", "t-1", old_shape, None)))

    result = summary(workspace_id)
    assert result["open"]["by_status"]["new"] == -1  # its creation was counted before the counters existed
    assert result["open"]["by_priority"] == {"low": 0, "medium": 0, "high": 0, "urgent": 0}
    assert sla(workspace_id)["total"] == 1
    assert resolution(workspace_id)["count"] == 0


def test_every_resolution_histogram_bucket_is_a_declared_attribute():
    from chalicelib.domain.metrics import BUCKET_COUNT
    from chalicelib.models.metrics import ResolutionItem, bucket_attribute

    declared = {name for name in ResolutionItem.get_attributes() if name.startswith("bucket_")}

    assert declared == {bucket_attribute(index) for index in range(BUCKET_COUNT)}
