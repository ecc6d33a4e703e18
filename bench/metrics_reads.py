"""DynamoDB reads of the metrics routes against the number of tickets in the workspace.

The metrics are read from counter items the ticket-counters consumer keeps, so what a metrics
request reads should not depend on how many tickets there are. Tickets are created through the
domain (so their events are the real ones), every event is applied to the counters as the
consumer would, and each metrics route is called at each workspace size; every DynamoDB call it
makes (the caller check included) is recorded with the items it returned and their size.

    python -m bench.metrics_reads
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib.models.sizing import item_size

WORKSPACE = "bench-metrics"
TICKET_COUNTS = (10, 100)  # moto copies a table per transaction: seeding more takes minutes
ROUTES = (
    "/api/v1/metrics/summary",
    "/api/v1/metrics/sla",
    "/api/v1/metrics/resolution",
    "/api/v1/metrics/tickets?from=2026-01-01&to=2026-12-31",
    "/metrics",
)
_READS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")


@dataclass(frozen=True)
class RouteReads:
    route: str
    tickets: int
    calls: tuple[str, ...]
    items: int
    read_units: int  # strongly consistent: one per started 4 KB of each item returned


class ReadRecorder:
    def __init__(self, client) -> None:
        self.calls: list[tuple[str, list[dict]]] = []
        for operation in _READS:
            client.meta.events.register(f"after-call.dynamodb.{operation}", self._after)

    def _after(self, model, parsed=None, **_kwargs) -> None:
        parsed = parsed or {}
        items = parsed.get("Items") or ([parsed["Item"]] if parsed.get("Item") else [])
        for returned in (parsed.get("Responses") or {}).values() if isinstance(parsed.get("Responses"), dict) else []:
            items = items + list(returned)
        self.calls.append((model.name, items))


def measure(client) -> list[RouteReads]:
    from bench.api import BenchApi
    from chalicelib import aws
    from chalicelib.auth.principal import Principal
    from chalicelib.domain.tickets import change_status, create_ticket

    api = BenchApi(client, WORKSPACE)
    agent = Principal("bench-agent", "agent@example.com", frozenset({"agent"}), (WORKSPACE,))
    api.headers("admin")  # makes the caller a member before anything is recorded
    recorder = ReadRecorder(aws.dynamodb())
    results, created = [], 0
    for size in TICKET_COUNTS:
        while created < size:
            ticket = create_ticket(WORKSPACE, agent, {"title": "Printer jammed", "priority": "high"}, None)
            if created % 3 == 0:
                change_status(WORKSPACE, agent, ticket["id"], "resolved", None, None)
            created += 1
        _deliver_counters()
        for route in ROUTES:
            recorder.calls.clear()
            response = client.http.get(route, headers=api.headers("admin"))
            assert response.status_code == 200, response.body
            items = [item for _name, returned in recorder.calls for item in returned]
            units = sum(max(1, math.ceil(item_size(item) / 4096)) for item in items)
            results.append(RouteReads(route, size, tuple(name for name, _ in recorder.calls), len(items), units))
    return results


def _deliver_counters() -> None:
    """Every outbox event applied to the counters, as the consumer applies it (receipts included)."""
    from chalicelib.domain.events import envelope
    from chalicelib.domain.ticket_counters import apply_ticket_event
    from chalicelib.models.events import EVENT_SK_PREFIX, EventItem

    for event in EventItem.query(f"WS#{WORKSPACE}", EventItem.sk.startswith(EVENT_SK_PREFIX)):
        apply_ticket_event(envelope(event))


def render(results: list[RouteReads]) -> str:
    from bench.report import render_table

    small, large = TICKET_COUNTS
    rows = []
    for route in ROUTES:
        at = {reads.tickets: reads for reads in results if reads.route == route}
        same = (at[small].calls, at[small].items, at[small].read_units) == (
            at[large].calls,
            at[large].items,
            at[large].read_units,
        )
        rows.append(
            [
                route,
                " ".join(at[large].calls),
                f"{at[small].items} / {at[large].items}",
                f"{at[small].read_units} / {at[large].read_units}",
                "equal" if same else "DIFFERENT",
            ]
        )
    return render_table(
        f"Metrics reads (caller check included) at {small} vs {large} tickets",
        ["route", "DynamoDB calls", "items read", "read units", "verdict"],
        rows,
    )


def run_against_moto() -> list[RouteReads]:
    from chalice.test import Client
    from moto import mock_aws

    from bench.environment import apply_bench_env

    apply_bench_env()
    with mock_aws():
        apply_bench_env()
        from infra.bootstrap import bootstrap

        bootstrap()
        from app import app

        with Client(app) as client:
            results = measure(client)
    apply_bench_env()
    return results


if __name__ == "__main__":
    print(render(run_against_moto()))
