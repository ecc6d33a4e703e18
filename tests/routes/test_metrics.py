"""The metrics routes: JSON under /api/v1/metrics and the Prometheus text at /metrics, read from
the counters the ticket-counters consumer keeps (fed here with the workspace's real events)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.counters import deliver_counters
from tests.routes.http_helpers import call, open_ticket

TICKETS = "/api/v1/tickets"


@pytest.fixture
def busy_workspace(client, as_role, clock):
    """Four tickets: one resolved after 90 s, one moved to urgent and in progress, two new; a CSAT."""
    admin, agent = as_role("admin"), as_role("agent")
    resolved, moved, *_new = [open_ticket(client, agent, priority=p)["id"] for p in ("high", "low", "low", "medium")]
    clock.advance(seconds=90)
    call(client, "POST", f"{TICKETS}/{resolved}/status", agent, {"status": "resolved"})
    call(client, "PATCH", f"{TICKETS}/{moved}", agent, {"priority": "urgent", "status": "in_progress"})
    _submit_csat(admin["x-workspace-id"], "good")
    deliver_counters(admin["x-workspace-id"])
    return admin


def _submit_csat(workspace_id: str, score: str) -> None:
    from chalicelib.domain.events import new_event
    from chalicelib.events.catalogue import Topic

    new_event(Topic.TICKET_CSAT_SUBMITTED, workspace_id, "ticket", "t-csat", {"score": score}, None).save()


def test_summary_counts_open_tickets_by_status_and_priority_and_today(client, busy_workspace, clock):
    response = call(client, "GET", "/api/v1/metrics/summary", busy_workspace)

    assert response.status_code == 200
    assert response.json == {
        "open": {
            "total": 3,
            "by_status": {"new": 2, "open": 0, "in_progress": 1, "awaiting_user_response": 0, "on_hold": 0},
            "by_priority": {"low": 1, "medium": 1, "high": 0, "urgent": 1},
        },
        "today": clock.now().date().isoformat(),
        "created_today": 4,
        "resolved_today": 1,
        "csat": {"good": 1, "bad": 0},
    }


def test_sla_over_resolved_tickets(client, busy_workspace):
    response = call(client, "GET", "/api/v1/metrics/sla", busy_workspace)

    assert response.json == {"total": 1, "met": 1, "sla_attainment": 1.0}


def test_resolution_times(client, busy_workspace):
    response = call(client, "GET", "/api/v1/metrics/resolution", busy_workspace)

    assert response.json == {"count": 1, "avg_resolution_ms": 90_000, "p50_ms": 90_000, "p90_ms": 114_000}


def test_tickets_per_day_are_zero_filled(client, as_role, clock):
    first_day = clock.now().date()
    open_ticket(client, as_role("agent", user_id="agent-1"))
    clock.advance(days=2)
    admin, agent = as_role("admin"), as_role("agent", user_id="agent-1")  # tokens of that day
    open_ticket(client, agent)
    open_ticket(client, agent)
    deliver_counters(admin["x-workspace-id"])
    days = [(first_day + timedelta(days=offset)).isoformat() for offset in range(-1, 4)]

    response = call(client, "GET", f"/api/v1/metrics/tickets?from={days[0]}&to={days[-1]}", admin)

    assert response.status_code == 200
    assert response.json["daily"] == [
        {"day": day, "count": count} for day, count in zip(days, [0, 1, 0, 2, 0], strict=True)
    ]


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-11-05&to=2026-11-01", "to"),
        ("from=2025-01-01&to=2026-01-02", "to"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-W47-1&to=2026-12-01", "from"),
        ("to=2026-12-01", "from"),
    ],
    ids=["reversed", "longer-than-366-days", "no-such-day", "not-yyyy-mm-dd", "missing-from"],
)
def test_a_bad_day_range_is_a_400(client, as_role, query, field):
    response = call(client, "GET", f"/api/v1/metrics/tickets?{query}", as_role("admin"))

    assert response.status_code == 400
    assert field in response.json["details"]


def test_a_full_year_is_allowed(client, as_role):
    response = call(client, "GET", "/api/v1/metrics/tickets?from=2024-01-01&to=2024-12-31", as_role("admin"))

    assert response.status_code == 200
    assert len(response.json["daily"]) == 366


@pytest.mark.parametrize(
    "path", ["/api/v1/metrics/summary", "/api/v1/metrics/sla", "/api/v1/metrics/resolution", "/metrics"]
)
def test_only_admins_read_metrics(client, as_role, path):
    assert call(client, "GET", path, as_role("agent")).status_code == 403


def test_a_new_workspace_has_zero_metrics(client, as_role):
    admin = as_role("admin")

    summary = call(client, "GET", "/api/v1/metrics/summary", admin).json
    sla = call(client, "GET", "/api/v1/metrics/sla", admin).json

    assert summary["open"]["total"] == summary["created_today"] == 0
    assert sla == {"total": 0, "met": 0, "sla_attainment": None}


def test_prometheus_text_parses_and_carries_the_counters(client, busy_workspace):
    response = client.http.get("/metrics", headers=busy_workspace)

    families = {family.name: family for family in text_string_to_metric_families(response.body.decode())}

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")

    open_by_status = {s.labels["status"]: s.value for s in families["deskflow_tickets_open"].samples}
    assert open_by_status["new"] == 2 and open_by_status["in_progress"] == 1
    assert {s.labels["priority"]: s.value for s in families["deskflow_tickets_open_by_priority"].samples} == {
        "low": 1,
        "medium": 1,
        "high": 0,
        "urgent": 1,
    }
    assert families["deskflow_tickets_created"].type == "counter"
    assert families["deskflow_tickets_created"].samples[0].value == 4
    assert families["deskflow_tickets_resolved"].samples[0].value == 1
    assert {s.labels["score"]: s.value for s in families["deskflow_csat_responses"].samples} == {"good": 1, "bad": 0}
    histogram = {(s.name, s.labels.get("le")): s.value for s in families["deskflow_ticket_resolution_seconds"].samples}
    assert histogram[("deskflow_ticket_resolution_seconds_bucket", "60.0")] == 0
    assert histogram[("deskflow_ticket_resolution_seconds_bucket", "120.0")] == 1
    assert histogram[("deskflow_ticket_resolution_seconds_bucket", "+Inf")] == 1
    assert histogram[("deskflow_ticket_resolution_seconds_sum", None)] == 90.0
    assert histogram[("deskflow_ticket_resolution_seconds_count", None)] == 1


def test_prometheus_label_values_are_escaped():
    from chalicelib.http.prometheus import Family, render

    text = render([Family("deskflow_x", "gauge", "a \\ help\nline").add(1, team='a"b\\c\nd')])

    (family,) = text_string_to_metric_families(text)
    assert family.samples[0].labels == {"team": 'a"b\\c\nd'}
    assert family.documentation == "a \\ help\nline"


def test_metrics_reads_do_not_depend_on_how_many_tickets_there_are(client, as_role):
    from chalicelib import aws

    admin, agent = as_role("admin"), as_role("agent")
    calls = []
    client_ = aws.dynamodb()
    client_.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    def reads_per_route():
        counts = {}
        for path in ["/api/v1/metrics/summary", "/api/v1/metrics/sla", "/api/v1/metrics/resolution", "/metrics"]:
            calls.clear()
            assert client.http.get(path, headers=admin).status_code == 200
            counts[path] = list(calls)
        return counts

    open_ticket(client, agent)
    deliver_counters(admin["x-workspace-id"])
    with_one = reads_per_route()
    for _ in range(20):
        open_ticket(client, agent)
    deliver_counters(admin["x-workspace-id"])
    with_many = reads_per_route()

    assert with_one == with_many
    assert all("Scan" not in names for names in with_many.values())
