"""Workspace metrics, read from the counters the ticket-counters consumer keeps
(``chalicelib.domain.ticket_counters``): never the whole table, and the cost of every read is independent
of how many tickets the workspace holds (one or two GetItems; the daily series one Query of at
most one item per day asked for).

The counters trail the tickets by the event delivery delay (seconds), and they count from the
moment the consumer first saw a workspace's events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from chalicelib.clock import utcnow
from chalicelib.domain.ticket_counters import CSAT_SCORES, OPEN_STATUSES
from chalicelib.domain.ticket_rules import PRIORITIES, STATUSES
from chalicelib.errors import ValidationError
from chalicelib.models.metrics import (
    RESOLUTION_BUCKET_BOUNDS_MS,
    CounterItem,
    DayItem,
    ResolutionItem,
    bucket_attribute,
    day_key,
    days_between,
    get_counters,
    resolution_key,
    ticket_counters_key,
)

MAX_DAYS = 366
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BUCKET_COUNT = len(RESOLUTION_BUCKET_BOUNDS_MS) + 1  # the last one is unbounded


def summary(workspace_id: str) -> dict:
    """Open tickets by status and priority, today's (UTC) created and resolved, CSAT counts."""
    totals = get_counters(CounterItem, ticket_counters_key(workspace_id))
    today = utcnow().date().isoformat()
    day = get_counters(DayItem, day_key(workspace_id, today))
    by_status = {status: totals.get(f"status_{status}", 0) for status in OPEN_STATUSES}
    return {
        "open": {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "by_priority": {priority: totals.get(f"open_priority_{priority}", 0) for priority in PRIORITIES},
        },
        "today": today,
        "created_today": day.get("created", 0),
        "resolved_today": day.get("resolved", 0),
        "csat": {score: totals.get(f"csat_{score}", 0) for score in CSAT_SCORES},
    }


def sla(workspace_id: str) -> dict:
    """Resolutions and how many met their SLA (a resolution counts as met unless its ticket had
    breached); ``sla_attainment`` is met/total, None before the first resolution."""
    totals = get_counters(CounterItem, ticket_counters_key(workspace_id))
    total, met = totals.get("sla_total", 0), totals.get("sla_met", 0)
    return {"total": total, "met": met, "sla_attainment": met / total if total else None}


@dataclass(frozen=True)
class ResolutionTimes:
    count: int
    sum_ms: int
    buckets: tuple[int, ...]  # per bucket of RESOLUTION_BUCKET_BOUNDS_MS, then the unbounded one


def resolution_times(workspace_id: str) -> ResolutionTimes:
    counters = get_counters(ResolutionItem, resolution_key(workspace_id))
    return ResolutionTimes(
        count=counters.get("count", 0),
        sum_ms=counters.get("sum_ms", 0),
        buckets=tuple(counters.get(bucket_attribute(index), 0) for index in range(BUCKET_COUNT)),
    )


def resolution(workspace_id: str) -> dict:
    """Mean resolution time (exact: a sum and a count) and the median and 90th percentile,
    *estimated* from a histogram with log-scale buckets (1 minute doubling to about 22.8 days):
    within the bucket holding the percentile, linear interpolation between its bounds, as
    Prometheus' ``histogram_quantile`` does, so an estimate is never off by more than that
    bucket's width; beyond the last bound the estimate is that bound. None before the first."""
    times = resolution_times(workspace_id)
    if not times.count:
        return {"count": 0, "avg_resolution_ms": None, "p50_ms": None, "p90_ms": None}
    return {
        "count": times.count,
        "avg_resolution_ms": round(times.sum_ms / times.count),
        "p50_ms": estimate_percentile(times.buckets, 0.5),
        "p90_ms": estimate_percentile(times.buckets, 0.9),
    }


def estimate_percentile(buckets: tuple[int, ...], quantile: float) -> int | None:
    """The ``quantile`` (0..1) of the durations a histogram counted (see ``resolution``)."""
    total = sum(buckets)
    if total <= 0:
        return None
    rank = quantile * total
    below = 0
    for index, count in enumerate(buckets):
        if count > 0 and below + count >= rank:
            if index >= len(RESOLUTION_BUCKET_BOUNDS_MS):
                return RESOLUTION_BUCKET_BOUNDS_MS[-1]
            lower = RESOLUTION_BUCKET_BOUNDS_MS[index - 1] if index else 0
            upper = RESOLUTION_BUCKET_BOUNDS_MS[index]
            return round(lower + (upper - lower) * (rank - below) / count)
        below += count
    return RESOLUTION_BUCKET_BOUNDS_MS[-1]


def daily_created(workspace_id: str, first_day: str | None, last_day: str | None) -> dict:
    """Tickets created on each UTC day from ``first_day`` to ``last_day`` (``YYYY-MM-DD``, both
    included, at most ``MAX_DAYS``), days without tickets as 0. ValidationError for a missing or
    malformed day or a bad range."""
    missing = [name for name, value in (("from", first_day), ("to", last_day)) if not value]
    if missing:
        raise ValidationError("from and to are required", details=dict.fromkeys(missing, "is required"))
    start, end = _day(first_day, "from"), _day(last_day, "to")
    if end < start:
        raise ValidationError("to is before from", details={"to": "must not be before from"})
    length = (end - start).days + 1
    if length > MAX_DAYS:
        raise ValidationError("the range is too long", details={"to": f"at most {MAX_DAYS} days after from"})
    counted = days_between(workspace_id, start.isoformat(), end.isoformat())
    days = [(start + timedelta(days=offset)).isoformat() for offset in range(length)]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "daily": [{"day": day, "count": counted.get(day, {}).get("created", 0)} for day in days],
    }


def _day(text: str, name: str) -> date:
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValidationError(f"{name} is invalid", details={name: "must be a date, YYYY-MM-DD"})


def prometheus_snapshot(workspace_id: str) -> dict:
    """Everything ``GET /metrics`` exposes, in one shape: totals, statuses, open priorities,
    SLA and CSAT counts and the resolution histogram."""
    totals = get_counters(CounterItem, ticket_counters_key(workspace_id))
    return {
        "totals": {
            name: totals.get(name, 0)
            for name in ("tickets_created", "tickets_deleted", "tickets_resolved", "comments_added", "assignments")
        },
        "by_status": {status: totals.get(f"status_{status}", 0) for status in STATUSES},
        "open_by_priority": {priority: totals.get(f"open_priority_{priority}", 0) for priority in PRIORITIES},
        "sla": {"total": totals.get("sla_total", 0), "met": totals.get("sla_met", 0)},
        "csat": {score: totals.get(f"csat_{score}", 0) for score in CSAT_SCORES},
        "resolution": resolution_times(workspace_id),
    }
