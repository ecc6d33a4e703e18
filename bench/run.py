"""``make bench``: print Deskflow's performance figures and write them to ``bench/results.json``.

1. DynamoDB round trips per ticket request (``bench.round_trips``)
2. items read for one list page with 1,000 and 20,000 tickets in the workspace (``bench.list_reads``)
3. cold import time of every ``functions/`` module (``bench.cold_imports``)
4. write units of create, patch, status change and comment, item by item (``bench.write_units``);
   DynamoDB reads of the metrics routes at 10 and 100 tickets (``bench.metrics_reads``)
5. items one SLA sweep reads with 10,000 and 100,000 open tickets, 10 due, on DynamoDB Local
   (``bench.sla_sweep_reads``)
6. ``make run`` on DynamoDB Local over HTTP: latency at 200 and 20,000 tickets, memory, ready time
   (``bench.local_stack``)

Sections 1-4 use in-process moto (``mock_aws``); nothing leaves the machine. Exits 0 whatever
the figures are: they are for reading, and the tables mark where a target is missed.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from bench.dynamodb_calls import COUNTER
from bench.environment import apply_bench_env

RESULTS_FILE = Path(__file__).resolve().parent / "results.json"


def main() -> int:
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]  # other work on the machine inflates every millisecond below
    COUNTER.install()  # before any botocore session exists, so every client is counted
    apply_bench_env()
    round_trips, shape_problems, list_reads, seed_timings = _measure_against_moto()
    cold_imports = _measure_cold_imports()
    from bench import write_units

    with _section("write units per ticket operation"):
        write_unit_costs = write_units.run_against_moto()
    from bench import metrics_reads

    with _section("metrics reads at 10 and 100 tickets"):
        metrics_read_costs = metrics_reads.run_against_moto()
    from bench import sla_sweep_reads

    with _section("SLA sweep reads at 10,000 and 100,000 open tickets"):
        sweep_reads = sla_sweep_reads.run_against_dynamodb_local()
    local_stack = _measure_local_stack()
    elapsed = round(time.perf_counter() - started, 1)
    _print_report(round_trips, shape_problems, list_reads, seed_timings, cold_imports, elapsed)
    print(write_units.render(write_unit_costs))
    print(sla_sweep_reads.render(sweep_reads))
    print(metrics_reads.render(metrics_read_costs))
    from bench.local_stack import print_figures

    print_figures(local_stack)
    print(f"Load average at start: {load_at_start:.1f} on {os.cpu_count()} CPUs (timings are wall-clock)")
    from bench.report import write_results

    write_results(
        RESULTS_FILE,
        {
            "environment": {**_environment(elapsed), "load_average_at_start": load_at_start},
            "round_trips": round_trips,
            "list_reads": list_reads,
            "seeding": seed_timings,
            "seed_shape_differences": shape_problems,
            "cold_imports": cold_imports,
            "write_units": write_units.as_results(write_unit_costs),
            "sla_sweep_reads": sla_sweep_reads.as_results(sweep_reads),
            "metrics_reads": [vars(reads) for reads in metrics_read_costs],
            "local_stack": local_stack,
        },
    )
    print(f"Figures written to {RESULTS_FILE}")
    return 0


def _measure_against_moto():
    from chalice.test import Client
    from moto import mock_aws

    from bench.list_reads import measure_list_reads, shape_differences
    from bench.round_trips import measure_round_trips

    with mock_aws():
        apply_bench_env()
        from infra.bootstrap import bootstrap

        bootstrap()
        from app import app

        with Client(app) as client:
            with _section("round trips per request"):
                round_trips = measure_round_trips(client)  # first: moto copies a table per transaction
            with _section("seeded ticket shape check"):
                shape_problems = shape_differences(client)
            with _section("list page reads at 1,000 and 20,000 tickets (seeding takes a minute)"):
                list_reads, seed_timings = measure_list_reads(client)
    apply_bench_env()
    return round_trips, shape_problems, list_reads, seed_timings


def _measure_cold_imports():
    from bench.cold_imports import measure_cold_imports

    with _section("cold imports of functions/ modules"):
        return measure_cold_imports()


def _measure_local_stack():
    from bench.local_stack import measure_local_stack

    with _section("make run on DynamoDB Local (three starts, 20,000 tickets seeded)"):
        return measure_local_stack()


SECTION_SECONDS: dict[str, float] = {}


@contextmanager
def _section(name: str):
    """Announce a step on stderr and remember how long it took."""
    print(f"... {name}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        yield
    finally:
        SECTION_SECONDS[name] = round(time.perf_counter() - started, 1)


def _print_report(round_trips, shape_problems, list_reads, seed_timings, cold_imports, elapsed) -> None:
    from bench.cold_imports import TARGET_MS
    from bench.list_reads import LIST_QUERIES, READ_BUDGET, WORKSPACE_SIZES
    from bench.report import render_table
    from chalicelib.domain.ticket_listing import MAX_ITEMS_READ

    print()
    print(
        render_table(
            "DynamoDB round trips per request (chalice.test.Client over in-process moto)",
            ["request", "status", "DynamoDB calls", "of which caller check", "by operation", "median ms"],
            [[r.request, r.status, r.calls, r.caller_check, r.operations, r.median_ms] for r in round_trips],
        )
    )
    small, large = WORKSPACE_SIZES
    rows = []
    for label, _query, exercises in LIST_QUERIES:
        at = {read.tickets_in_workspace: read for read in list_reads if read.query == label}
        verdict = "equal" if at[small].items_read == at[large].items_read else "DIFFERENT"
        rows.append(
            [
                label,
                exercises,
                _items_read(at[small]),
                _items_read(at[large]),
                f"{at[small].query_calls} / {at[large].query_calls}",
                f"{_returned(at[small])} / {_returned(at[large])}",
                verdict,
            ]
        )
    print(
        render_table(
            f"Items read (sum of Query ScannedCount) for one list page, {small:,} vs {large:,} tickets",
            ["list", "exercises", f"read @{small:,}", f"read @{large:,}", "Query calls", "returned", "verdict"],
            rows,
        )
    )
    print(
        f"MAX_ITEMS_READ = {MAX_ITEMS_READ}; a page needs limit + 1 = 26 matches. '>' marks a request the bench"
        f" stopped after it read more than {READ_BUDGET} items."
    )
    seeding = ", ".join(f"{t.tickets:,} tickets ({t.items_written:,} items) in {t.seconds} s" for t in seed_timings)
    print(f"Seeding by BatchWriteItem: {seeding}")
    print("Seeded ticket shape vs. API-created: " + ("identical" if not shape_problems else "; ".join(shape_problems)))
    print()
    print(
        render_table(
            f"Cold import of functions/ modules (fresh interpreter each, median of runs; target < {TARGET_MS} ms)",
            ["module", "median ms", "fastest", "slowest", "target", "heaviest packages (self ms)"],
            [
                [
                    c.module,
                    c.median_ms,
                    c.fastest_ms,
                    c.slowest_ms,
                    "ok" if c.within_target else "MISSED",
                    c.heaviest_packages or "-",
                ]
                for c in cold_imports
            ],
        )
    )
    sections = ", ".join(f"{name.split(' (')[0]} {seconds} s" for name, seconds in SECTION_SECONDS.items())
    print(f"Bench ran in {elapsed} s ({sections})")


def _items_read(read) -> str:
    return f"> {read.items_read}" if read.stopped_over_budget else str(read.items_read)


def _returned(read) -> str:
    return "stopped" if read.returned is None else str(read.returned)


def _environment(elapsed: float) -> dict:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "moto": version("moto"),
        "pynamodb": version("pynamodb"),
        "botocore": version("botocore"),
        "bench_seconds": elapsed,
        "section_seconds": SECTION_SECONDS,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


if __name__ == "__main__":
    sys.exit(main())
