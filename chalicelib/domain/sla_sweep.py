"""The SLA sweep: every minute, act on the timers that have come due, and only on those.

It Queries the sparse ``due`` index bucket by bucket (one Query per shard per minute) from the watermark
to now, with the key condition ``due_key <= now``: a timer not yet due is never read, so a sweep reads the
same whether the workspace holds ten open tickets or a hundred thousand. The watermark is the minute the
last sweep reached; the next one starts a minute before it (timers filed by a writer whose clock lagged),
so a missed run is caught up, at most ``MAX_CATCH_UP`` minutes per run (the next runs do the rest). The
current minute is swept again next time: what was due is gone by then (acting deletes the timer), what
was not is still not read.

Overlapping or retried sweeps are harmless: each timer is acted on through ``sla_breaches``, whose
conditional writes warn and breach exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.clock import format_time, utcnow
from chalicelib.domain import sla_breaches
from chalicelib.domain.sla_timers import TIMER_SHARDS, bucket_start, buckets_between, due_bucket, minute_bucket
from chalicelib.errors import Conflict
from chalicelib.logs import get_logger
from chalicelib.models.sla import SlaTimerItem, find_watermark, save_watermark

MAX_CATCH_UP = timedelta(minutes=60)
LOOKBACK = timedelta(minutes=1)
MAX_TIMERS_PER_SWEEP = 1000  # the rest wait for the next run, which starts from the same bucket
PAGE_SIZE = 100

Clock = Callable[[], datetime]


@dataclass
class SweepReport:
    buckets: list[str] = field(default_factory=list)
    timers_read: int = 0
    warned: int = 0
    breached: int = 0
    skipped: int = 0  # taken by another sweep, or the ticket had ended or moved on

    def as_dict(self) -> dict:
        return {
            "from": self.buckets[0] if self.buckets else None,
            "through": self.buckets[-1] if self.buckets else None,
            "timers_read": self.timers_read,
            "warned": self.warned,
            "breached": self.breached,
            "skipped": self.skipped,
        }


def buckets_to_sweep(watermark: str | None, now: datetime) -> list[str]:
    """The minute buckets one sweep at ``now`` queries, oldest first (bounded by ``MAX_CATCH_UP``)."""
    current = minute_bucket(now)
    oldest = now - MAX_CATCH_UP
    start = oldest if watermark is None else max(bucket_start(watermark) - LOOKBACK, oldest)
    return buckets_between(minute_bucket(start), current)


def due_timers(bucket: str, now: datetime):
    """The timers of one minute bucket that are due at ``now`` (all shards), oldest first."""
    due_by = format_time(now) + "$"  # due_key is "<due_at>#...": "#" sorts before "$", so due_at <= now
    for shard in range(TIMER_SHARDS):
        yield from SlaTimerItem.due.query(
            due_bucket(bucket, shard), SlaTimerItem.due_key <= due_by, page_size=PAGE_SIZE
        )


def sweep(*, now: Clock = utcnow) -> SweepReport:
    """Act on every timer due at ``now`` in the buckets since the watermark; move the watermark."""
    moment = now()
    report = SweepReport(buckets=buckets_to_sweep(find_watermark(), moment))
    reached = None
    for bucket in report.buckets:
        if report.timers_read >= MAX_TIMERS_PER_SWEEP:
            break
        for timer in due_timers(bucket, moment):
            report.timers_read += 1
            _act(timer, report, now)
        reached = bucket
    if reached is not None:
        save_watermark(reached)
    get_logger().info("sla sweep", extra=report.as_dict())
    return report


def _act(timer: SlaTimerItem, report: SweepReport, now: Clock) -> None:
    try:
        acted = sla_breaches.act_on(timer, now=now)
    except Conflict:
        report.skipped += 1  # the ticket kept changing: the timer stays for the next sweep
        return
    if not acted:
        report.skipped += 1
    elif timer.kind == "warning":
        report.warned += 1
    else:
        report.breached += 1
