"""The workspace audit log, for its admins: who changed what, when (``GET /api/v1/audit-logs``)."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN
from chalicelib.domain import audit_logs
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.schemas import NULLABLE_STRING, STRING, TIME, list_of, named

routes = RouteFamily("admin")

_FILTER = {"type": "string", "minLength": 1, "maxLength": 256}
QUERY = {
    "actor": {**_FILTER, "description": "Only rows by this user id (`actor_id`)"},
    "action": {**_FILTER, "description": "Only this action, `<target type>.<verb>` (e.g. `ticket.status_changed`)"},
    "target_type": {**_FILTER, "description": "With `target_id`: only rows about this object (e.g. `ticket`)"},
    "target_id": {**_FILTER, "description": "With `target_type`: the object's id"},
    "from": {**TIME, "description": "Only rows at or after this time (RFC 3339)"},
    "to": {**TIME, "description": "Only rows at or before this time (RFC 3339)"},
    **PAGE_QUERY,
}
AUDIT_ROW = named(
    "AuditLogEntry",
    {
        "type": "object",
        "required": ["id", "at", "actor_id", "action", "target_type", "target_id", "changes", "correlation_id"],
        "properties": {
            "id": STRING,
            "at": TIME,
            "actor_id": STRING,
            "action": {**STRING, "description": "`<target type>.<verb>`"},
            "target_type": STRING,
            "target_id": STRING,
            "changes": {
                "type": ["object", "null"],
                "description": "What changed: `{field: {from, to}}`, or null",
                "additionalProperties": True,
            },
            "correlation_id": NULLABLE_STRING,
        },
    },
)


@routes.route(
    "/api/v1/audit-logs",
    "GET",
    operation_id="listAuditLogs",
    summary="The workspace's audit log, newest first (filter by actor, action, target, time range)",
    roles=frozenset({ADMIN}),
    query=QUERY,
    response=list_of("AuditLogList", AUDIT_ROW),
)
def list_audit_logs(request):
    query = audit_logs.build_query(request.query)
    scope = query.scope(request.workspace_id)
    rows, next_key = audit_logs.list_audit_logs(
        request.workspace_id, query, request.query["limit"], start_key(request, scope)
    )
    return page(request, rows, next_key, scope, "at", "desc", query.filters)
