"""DynamoDB round trips per ticket request, counted with ``bench.dynamodb_calls`` while the route
runs through ``chalice.test.Client`` over in-process moto.

Each scenario runs ``REPEATS`` times, each time on a fresh ticket, after one unmeasured warm-up
pass (the first call of a process builds clients). The count must be the same every time;
if it is not, the row shows the range. Milliseconds are in-process moto, median of the repeats:
only good for comparing routes with each other.

``caller check`` is the share of the calls spent deciding who the caller is (profile, membership
and token revocation, ``chalicelib.auth.sessions.resolve``): one BatchGetItem. A ticket get is
that plus one GetItem: ``GET_TARGET`` round trips in all.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from bench.api import ApiResponse, BenchApi, idempotency_key
from bench.dynamodb_calls import COUNTER
from bench.seed_tickets import ensure_team

REPEATS = 3
GET_TARGET = 2  # a ticket get, the caller check included (issue 6)
LIST_BACKGROUND_TICKETS = 30  # more than a page, so the list scenario reads a full page of 25
TICKET_BODY = {"title": "Printer on floor 3 is jammed", "priority": "high", "category": "hardware", "tags": ["printer"]}


@dataclass(frozen=True)
class RoundTrip:
    request: str
    status: int
    calls: str
    operations: str
    median_ms: float
    caller_check: str = "-"


@dataclass(frozen=True)
class Scenario:
    request: str
    run: Callable[[BenchApi, dict], ApiResponse]
    prepare: Callable[[BenchApi], dict]


def _new_ticket(api: BenchApi) -> dict:
    return api.call("POST", "/api/v1/tickets", body=TICKET_BODY).body


def _nothing(_api: BenchApi) -> dict:
    return {}


def _replayable_create(api: BenchApi) -> dict:
    key = idempotency_key()
    api.call("POST", "/api/v1/tickets", body=TICKET_BODY, **{"Idempotency-Key": key})
    return {"key": key}


def _ticket_and_assignee(api: BenchApi) -> dict:
    """A ticket and a real agent of the workspace (assignees are checked against the directory)."""
    from chalicelib.domain.directory import create_user

    agent = create_user(api.workspace_id, f"{idempotency_key()}@example.com", "bench-password", ["agent"])
    return {**_new_ticket(api), "assignee_id": agent["id"]}


def _commented_ticket(api: BenchApi) -> dict:
    ticket = _new_ticket(api)
    api.call("POST", f"/api/v1/tickets/{ticket['id']}/comments", body={"body_md": "Looking into it."})
    return ticket


def _path(ticket: dict, suffix: str = "") -> str:
    return f"/api/v1/tickets/{ticket['id']}{suffix}"


SCENARIOS = [
    Scenario("POST /tickets", lambda api, _t: api.call("POST", "/api/v1/tickets", body=TICKET_BODY), _nothing),
    Scenario(
        "POST /tickets + Idempotency-Key",
        lambda api, _t: api.call("POST", "/api/v1/tickets", body=TICKET_BODY, **{"Idempotency-Key": idempotency_key()}),
        _nothing,
    ),
    Scenario(
        "POST /tickets, key replayed",
        lambda api, prior: api.call("POST", "/api/v1/tickets", body=TICKET_BODY, **{"Idempotency-Key": prior["key"]}),
        _replayable_create,
    ),
    Scenario("GET /tickets/{id}", lambda api, t: api.call("GET", _path(t)), _new_ticket),
    Scenario("GET /tickets/DF-n", lambda api, t: api.call("GET", f"/api/v1/tickets/{t['number']}"), _new_ticket),
    Scenario("GET /tickets (page of 25)", lambda api, _t: api.call("GET", "/api/v1/tickets"), _nothing),
    Scenario(
        "PATCH /tickets/{id}",
        lambda api, t: api.call("PATCH", _path(t), body={"title": "Printer jammed again", "priority": "urgent"}),
        _new_ticket,
    ),
    Scenario(
        "PATCH /tickets/{id} + If-Match",
        lambda api, t: api.call("PATCH", _path(t), body={"priority": "low"}, **{"If-Match": f'"v{t["version"]}"'}),
        _new_ticket,
    ),
    Scenario(
        "POST /tickets/{id}/status",
        lambda api, t: api.call("POST", _path(t, "/status"), body={"status": "in_progress"}),
        _new_ticket,
    ),
    Scenario(
        "POST /tickets/{id}/assignment",
        lambda api, t: api.call("POST", _path(t, "/assignment"), body={"assignee_id": t["assignee_id"], "team": "it"}),
        _ticket_and_assignee,
    ),
    Scenario(
        "POST /tickets/{id}/comments",
        lambda api, t: api.call("POST", _path(t, "/comments"), body={"body_md": "On my way."}),
        _new_ticket,
    ),
    Scenario("GET /tickets/{id}/comments", lambda api, t: api.call("GET", _path(t, "/comments")), _commented_ticket),
    Scenario("GET /tickets/{id}/history", lambda api, t: api.call("GET", _path(t, "/history")), _commented_ticket),
    Scenario("DELETE /tickets/{id}", lambda api, t: api.call("DELETE", _path(t), role="admin"), _new_ticket),
]


def measure_round_trips(client) -> list[RoundTrip]:
    api = BenchApi(client, "bench-round-trips")
    ensure_team(api.workspace_id, "it")  # the assignment scenario routes to team "it"
    for _ in range(LIST_BACKGROUND_TICKETS):
        _new_ticket(api)
    for scenario in SCENARIOS:  # warm-up: clients, connections, lazy imports
        scenario.run(api, scenario.prepare(api))
    return [_measure(api, scenario) for scenario in SCENARIOS]


def _measure(api: BenchApi, scenario: Scenario) -> RoundTrip:
    totals, checks, timings, operations, status = [], [], [], "", 0
    for _ in range(REPEATS):
        prepared = scenario.prepare(api)
        with COUNTER.measure() as measurement, _caller_check_counted() as caller_check:
            response = scenario.run(api, prepared)
        totals.append(measurement.total)
        checks.append(sum(caller_check))
        timings.append(response.elapsed_ms)
        operations, status = measurement.describe(), response.status
    return RoundTrip(
        scenario.request, status, _spread(totals), operations, round(statistics.median(timings), 1), _spread(checks)
    )


def _spread(counts: list[int]) -> str:
    return str(counts[0]) if len(set(counts)) == 1 else f"{min(counts)}-{max(counts)}"


@contextmanager
def _caller_check_counted():
    """Count, apart, the DynamoDB calls made while the pipeline resolves the caller."""
    from chalicelib.auth import sessions

    real_resolve, counts = sessions.resolve, []

    def counted(*args, **kwargs):
        with COUNTER.measure() as measurement:
            try:
                return real_resolve(*args, **kwargs)
            finally:
                counts.append(measurement.total)

    sessions.resolve = counted
    try:
        yield counts
    finally:
        sessions.resolve = real_resolve
