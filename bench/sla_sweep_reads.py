"""What one SLA sweep reads, against the number of open tickets that are not due.

The ``sla`` table is seeded with one deadline timer per open ticket (BatchWriteItem into DynamoDB Local, in
memory: moto copies a whole table for every transaction, and a sweep's breaches are transactions),
due between an hour and thirty days ahead, plus ten tickets whose timers are due now. A sweep one minute
after the last is measured: "items read" is the sum of ``ScannedCount`` over its Query calls (the index
entries DynamoDB evaluates and bills), and the calls it makes by operation. Then 90,000 more open
tickets and ten more due ones are added and the next minute's sweep measured. Target: equal reads.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from bench.dynamodb_calls import COUNTER

OPEN_TICKETS = (10_000, 100_000)
DUE_TICKETS = 10
WORKSPACE = "bench-sla"
START = datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC)


@dataclass(frozen=True)
class SweepRead:
    open_tickets: int
    due_tickets: int
    breached: int
    timers_read: int
    items_read: int
    query_calls: int
    calls: str
    seed_seconds: float


def _seed_not_due(count: int, now: datetime) -> None:
    from chalicelib.domain.sla_timers import DEADLINE, timer_item
    from chalicelib.models.sla import SlaTimerItem

    with SlaTimerItem.batch_write() as batch:
        for n in range(count):
            due_at = now + timedelta(hours=1) + timedelta(seconds=(n * 7919) % (30 * 24 * 3600))
            batch.save(
                timer_item(WORKSPACE, str(uuid.uuid4()), "resolution", DEADLINE, due_at.isoformat(), now=lambda: now)
            )


def _seed_due(count: int, now: datetime) -> None:
    """Real tickets (the sweep breaches them) with a deadline a few seconds before the sweep."""
    from chalicelib.clock import format_time
    from chalicelib.domain import sla_timers
    from chalicelib.domain.ticket_records import set_index_keys
    from chalicelib.domain.tickets import new_ticket_item
    from chalicelib.models.base import transaction

    for n in range(count):
        data = {"title": f"Due {n}", "requester_id": "bench-requester"}
        ticket = new_ticket_item(WORKSPACE, str(uuid.uuid4()), "bench-agent", data, format_time(now), number=n)
        set_index_keys(ticket)
        with transaction() as write:
            write.save(ticket)
            due_at = format_time(now + timedelta(seconds=20))
            for timer_write in sla_timers.schedule(ticket, "resolution", due_at, now=lambda: now):
                timer_write.add_to(write)


def measure_sweep_reads() -> list[SweepRead]:
    from chalicelib.clock import ManualClock
    from chalicelib.domain.sla_sweep import sweep

    clock = ManualClock(START)
    sweep(now=clock.now)  # the watermark, as the minute before
    reads, seeded = [], 0
    for size in OPEN_TICKETS:
        started = time.perf_counter()
        _seed_not_due(size - seeded, clock.now())
        _seed_due(DUE_TICKETS, clock.now())
        seed_seconds = round(time.perf_counter() - started, 1)
        seeded = size
        clock.advance(minutes=1)
        with COUNTER.measure() as measurement:
            report = sweep(now=clock.now)
        reads.append(
            SweepRead(
                open_tickets=size,
                due_tickets=DUE_TICKETS,
                breached=report.breached,
                timers_read=report.timers_read,
                items_read=measurement.items_read(),
                query_calls=measurement.query_calls(),
                calls=measurement.describe(),
                seed_seconds=seed_seconds,
            )
        )
    return reads


def render(reads: list[SweepRead]) -> str:
    from bench.report import render_table

    if not reads:
        return "SLA sweep reads: not measured (DynamoDB Local needs Java and `make dynamodb-local`)\n"
    verdict = "equal" if len({read.items_read for read in reads}) == 1 else "DIFFERENT"
    table = render_table(
        "One SLA sweep (a minute after the last): open tickets not due vs items read",
        ["open tickets", "due", "breached", "timers read", "items read", "Query calls", "DynamoDB calls"],
        [
            [
                f"{r.open_tickets:,}",
                r.due_tickets,
                r.breached,
                r.timers_read,
                r.items_read,
                r.query_calls,
                r.calls,
            ]
            for r in reads
        ],
    )
    return f"{table}Sweep reads at {' vs '.join(f'{r.open_tickets:,}' for r in reads)} open tickets: {verdict}\n"


def as_results(reads: list[SweepRead]) -> list[dict]:
    return [asdict(read) for read in reads]


def run_against_dynamodb_local() -> list[SweepRead]:
    """Measure on a throwaway DynamoDB Local (its database in a temporary folder); [] without Java or
    the jar (``make dynamodb-local``)."""
    import os
    import tempfile
    from pathlib import Path

    from bench.environment import apply_bench_env
    from infra.local.dynamodb_local import find_distribution, find_java, start_dynamodb_local

    if find_java() is None or find_distribution() is None:
        return []
    in_memory = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="deskflow-bench-sla-", dir=in_memory) as folder:
        dynamodb_local = start_dynamodb_local(Path(folder))
        try:
            apply_bench_env()
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_local.endpoint_url
            _forget_cached_clients()
            from infra.bootstrap import ensure_tables

            ensure_tables()
            return measure_sweep_reads()
        finally:
            dynamodb_local.stop()
            apply_bench_env()


def _forget_cached_clients() -> None:
    from chalicelib.aws import reset_clients
    from chalicelib.settings import reset_settings

    reset_settings()
    reset_clients()


if __name__ == "__main__":
    COUNTER.install()
    print(render(run_against_dynamodb_local()))
