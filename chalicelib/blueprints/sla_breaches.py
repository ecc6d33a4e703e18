"""SLA breach routes: force a breach (admin, seed 000), list breaches and escalated tickets."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, VIEWER
from chalicelib.blueprints import ticket_schemas
from chalicelib.domain import sla_breaches, sla_lists
from chalicelib.domain.sla_timers import TARGETS
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.request import etag_for
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import NULLABLE_STRING, NULLABLE_TIME, TIME, list_of, named, string_enum

routes = RouteFamily("sla")

WORKSPACE_READERS = frozenset({ADMIN, AGENT, VIEWER})

SLA_TARGET = string_enum("SlaTarget", TARGETS)
SLA_STATUS = string_enum("SlaStatus", ["on_track", "warning", "breached", "met", "paused"])

FORCE_BREACH = named(
    "ForceBreach",
    {
        "type": "object",
        "additionalProperties": False,
        "description": "target: the SLA target to breach (default resolution)",
        "properties": {"target": SLA_TARGET},
    },
)

TICKET_WITH_SLA = named(
    "TicketWithSla",
    {
        **ticket_schemas.TICKET,
        "required": [*ticket_schemas.TICKET["required"], "sla_status", "escalation_level"],
        "properties": {
            **ticket_schemas.TICKET["properties"],
            "sla_status": {"anyOf": [SLA_STATUS, {"type": "null"}]},
            "breached_at": NULLABLE_TIME,
            "escalation_level": {"type": "integer", "minimum": 0},
        },
    },
)

TICKET_SUMMARY = named(
    "SlaTicketSummary",
    {
        "type": ["object", "null"],
        "properties": {
            "number": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "string"},
            "priority": {"type": "string"},
            "assignee_id": NULLABLE_STRING,
            "team": NULLABLE_STRING,
            "sla_status": NULLABLE_STRING,
            "escalation_level": {"type": "integer"},
        },
    },
)

BREACH = named(
    "SlaBreach",
    {
        "type": "object",
        "required": ["ticket_id", "target", "due_at", "breached_at", "ticket"],
        "properties": {
            "ticket_id": {"type": "string"},
            "target": SLA_TARGET,
            "due_at": TIME,
            "breached_at": TIME,
            "ticket": TICKET_SUMMARY,
        },
    },
)

ESCALATED = named(
    "SlaEscalatedTicket",
    {
        "type": "object",
        "required": ["ticket_id", "target", "escalation_level", "escalated_at", "escalated_to", "ticket"],
        "properties": {
            "ticket_id": {"type": "string"},
            "target": SLA_TARGET,
            "escalation_level": {"type": "integer", "minimum": 1},
            "escalated_at": TIME,
            "escalated_to": {"type": "object"},
            "ticket": TICKET_SUMMARY,
        },
    },
)


def _list(request, lister, name: str, sort_by: str):
    scope = f"sla-{name}|{request.workspace_id}"
    items, next_key = lister(request.workspace_id, request.query["limit"], start_key(request, scope))
    return page(request, items, next_key, scope, sort_by, "desc", {})


@routes.route(
    "/api/v1/sla/breaches",
    "GET",
    operation_id="listSlaBreaches",
    summary="SLA breaches, newest first",
    roles=WORKSPACE_READERS,
    query=PAGE_QUERY,
    response=list_of("SlaBreachList", BREACH),
)
def list_breaches(request):
    return _list(request, sla_lists.list_breaches, "breaches", "breached_at")


@routes.route(
    "/api/v1/sla/escalated",
    "GET",
    operation_id="listSlaEscalated",
    summary="Escalated tickets, most recently escalated first",
    roles=WORKSPACE_READERS,
    query=PAGE_QUERY,
    response=list_of("SlaEscalatedList", ESCALATED),
)
def list_escalated(request):
    return _list(request, sla_lists.list_escalated, "escalated", "escalated_at")


@routes.route(
    "/api/v1/tickets/{ticket_id}/force-breach",
    "POST",
    operation_id="forceSlaBreach",
    summary="Put a ticket into SLA breach now (admin)",
    roles=frozenset({ADMIN}),
    body=FORCE_BREACH,
    response=TICKET_WITH_SLA,
    errors=frozenset({409}),
    response_headers=("ETag",),
)
def force_breach(request):
    ticket = sla_breaches.force_breach(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.body.get("target", "resolution"),
        request.correlation_id,
    )
    return Reply(ticket, etag=etag_for(ticket["version"]))
