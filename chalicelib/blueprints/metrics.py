"""Workspace metrics for admins, read from counters the event consumers keep (never the whole table):
JSON under ``/api/v1/metrics/...`` and the Prometheus text format at ``/metrics``."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN
from chalicelib.domain import metrics
from chalicelib.domain.ticket_counters import CSAT_SCORES, OPEN_STATUSES
from chalicelib.domain.ticket_rules import PRIORITIES
from chalicelib.http import prometheus
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import named

routes = RouteFamily("admin")

ADMINS = frozenset({ADMIN})
_COUNT = {"type": "integer"}
_NULLABLE_MS = {"type": ["integer", "null"]}
_DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _counts(name: str, keys) -> dict:
    return named(name, {"type": "object", "required": list(keys), "properties": dict.fromkeys(keys, _COUNT)})


SUMMARY = named(
    "MetricsSummary",
    {
        "type": "object",
        "required": ["open", "today", "created_today", "resolved_today", "csat"],
        "properties": {
            "open": {
                "type": "object",
                "required": ["total", "by_status", "by_priority"],
                "properties": {
                    "total": _COUNT,
                    "by_status": _counts("OpenByStatus", OPEN_STATUSES),
                    "by_priority": _counts("OpenByPriority", PRIORITIES),
                },
            },
            "today": {**_DAY, "description": "The UTC day `created_today` and `resolved_today` count"},
            "created_today": _COUNT,
            "resolved_today": _COUNT,
            "csat": _counts("CsatCounts", CSAT_SCORES),
        },
    },
)
SLA = named(
    "MetricsSla",
    {
        "type": "object",
        "required": ["total", "met", "sla_attainment"],
        "properties": {
            "total": {**_COUNT, "description": "Resolutions counted"},
            "met": {**_COUNT, "description": "Resolutions whose ticket had not breached its SLA"},
            "sla_attainment": {"type": ["number", "null"], "description": "met / total; null when total is 0"},
        },
    },
)
RESOLUTION = named(
    "MetricsResolution",
    {
        "type": "object",
        "required": ["count", "avg_resolution_ms", "p50_ms", "p90_ms"],
        "description": (
            "Resolution time is resolved_at - created_at. The mean is exact; p50 and p90 are estimated from "
            "a histogram of log-scale buckets (1 minute doubling up to about 22.8 days) by linear "
            "interpolation within the bucket, so they are within that bucket's width of the true value."
        ),
        "properties": {
            "count": _COUNT,
            "avg_resolution_ms": _NULLABLE_MS,
            "p50_ms": _NULLABLE_MS,
            "p90_ms": _NULLABLE_MS,
        },
    },
)
DAILY = named(
    "MetricsDaily",
    {
        "type": "object",
        "required": ["from", "to", "daily"],
        "properties": {
            "from": _DAY,
            "to": _DAY,
            "daily": {
                "type": "array",
                "items": named(
                    "DayCount",
                    {"type": "object", "required": ["day", "count"], "properties": {"day": _DAY, "count": _COUNT}},
                ),
            },
        },
    },
)
DAILY_QUERY = {
    "from": {**_DAY, "description": "First UTC day, YYYY-MM-DD"},
    "to": {**_DAY, "description": f"Last UTC day (included), at most {metrics.MAX_DAYS} days from `from`"},
}


@routes.route(
    "/api/v1/metrics/summary",
    "GET",
    operation_id="getMetricsSummary",
    summary="Open tickets by status and priority, created and resolved today (UTC), CSAT counts",
    roles=ADMINS,
    response=SUMMARY,
)
def get_summary(request):
    return metrics.summary(request.workspace_id)


@routes.route(
    "/api/v1/metrics/sla",
    "GET",
    operation_id="getMetricsSla",
    summary="SLA attainment over resolved tickets",
    roles=ADMINS,
    response=SLA,
)
def get_sla(request):
    return metrics.sla(request.workspace_id)


@routes.route(
    "/api/v1/metrics/resolution",
    "GET",
    operation_id="getMetricsResolution",
    summary="Mean resolution time and estimated p50/p90 (from a log-scale histogram)",
    roles=ADMINS,
    response=RESOLUTION,
)
def get_resolution(request):
    return metrics.resolution(request.workspace_id)


@routes.route(
    "/api/v1/metrics/tickets",
    "GET",
    operation_id="getMetricsTicketsDaily",
    summary="Tickets created per UTC day over a date range (zero-filled)",
    roles=ADMINS,
    query=DAILY_QUERY,
    response=DAILY,
)
def get_daily(request):
    return metrics.daily_created(request.workspace_id, request.query.get("from"), request.query.get("to"))


@routes.route(
    "/metrics",
    "GET",
    operation_id="getPrometheusMetrics",
    summary="The workspace's metrics in the Prometheus text format (0.0.4)",
    roles=ADMINS,
    raw_response=True,
    content_type=prometheus.CONTENT_TYPE,
)
def get_prometheus_metrics(request):
    text = prometheus.render(_families(metrics.prometheus_snapshot(request.workspace_id)))
    return Reply(text, headers={"Cache-Control": "no-store"})


def _families(snapshot: dict) -> list[prometheus.Family]:
    Family, totals, sla = prometheus.Family, snapshot["totals"], snapshot["sla"]
    return [
        _labelled(
            "deskflow_tickets_open",
            "Live tickets not resolved, closed or cancelled, by status.",
            "status",
            {status: snapshot["by_status"][status] for status in OPEN_STATUSES},
        ),
        _labelled(
            "deskflow_tickets_open_by_priority",
            "Live open tickets by priority.",
            "priority",
            snapshot["open_by_priority"],
        ),
        _labelled("deskflow_tickets", "Live (not deleted) tickets by status.", "status", snapshot["by_status"]),
        Family("deskflow_tickets_created_total", "counter", "Tickets created.").add(totals["tickets_created"]),
        Family("deskflow_tickets_resolved_total", "counter", "Resolutions.").add(totals["tickets_resolved"]),
        Family("deskflow_tickets_deleted_total", "counter", "Tickets deleted.").add(totals["tickets_deleted"]),
        Family("deskflow_ticket_comments_total", "counter", "Comments added.").add(totals["comments_added"]),
        Family("deskflow_ticket_assignments_total", "counter", "Assignments made.").add(totals["assignments"]),
        Family("deskflow_sla_resolutions_total", "counter", "Resolutions counted for SLA.").add(sla["total"]),
        Family("deskflow_sla_met_total", "counter", "Resolutions within SLA (not breached).").add(sla["met"]),
        _labelled(
            "deskflow_csat_responses_total", "CSAT survey answers by score.", "score", snapshot["csat"], kind="counter"
        ),
        _resolution_histogram(snapshot["resolution"]),
    ]


def _labelled(name: str, help_text: str, label: str, values: dict, kind: str = "gauge") -> prometheus.Family:
    family = prometheus.Family(name, kind, help_text)
    for value, count in values.items():
        family.add(count, **{label: value})
    return family


def _resolution_histogram(times: metrics.ResolutionTimes) -> prometheus.Family:
    family = prometheus.Family(
        "deskflow_ticket_resolution_seconds", "histogram", "Time from creation to resolution (log-scale buckets)."
    )
    cumulative = 0
    bounds = [repr(bound_ms / 1000) for bound_ms in metrics.RESOLUTION_BUCKET_BOUNDS_MS] + ["+Inf"]
    for bound, count in zip(bounds, times.buckets, strict=True):
        cumulative += count
        family.add(cumulative, "_bucket", le=bound)
    family.add(times.sum_ms / 1000, "_sum")
    family.add(times.count, "_count")
    return family
