"""Access request routes (seed 001's permission wall): a child ticket plus an approval gate."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, STAFF, VIEWER
from chalicelib.blueprints.changes import APPROVAL_POLICY, CHANGE, RISK_LEVEL
from chalicelib.domain import access_requests
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import list_of

routes = RouteFamily("approvals")

_TEXT = {"type": "string", "minLength": 1, "maxLength": 500}
ACCESS_REQUEST_BODY = {
    "title": "AccessRequestInput",
    "type": "object",
    "additionalProperties": False,
    "required": ["resource", "permission"],
    "properties": {
        "agent_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "resource": _TEXT,
        "permission": _TEXT,
        "account_ref": _TEXT,
        "assignment_group": {"type": "string", "minLength": 1, "maxLength": 100, "description": "the owning team"},
        "risk_level": RISK_LEVEL,
        "sync_provider": {"type": "boolean", "description": "accepted for seed 001 clients; no provider sync here"},
        "reason": {"type": "string", "maxLength": 4000},
        "approval_policy": APPROVAL_POLICY,
    },
}
ACCESS_REQUEST = {
    "title": "AccessRequest",
    "type": "object",
    "required": ["ticket_id", "access_ticket_id", "change_id", "grant_status", "change"],
    "properties": {
        "ticket_id": {"type": "string"},
        "access_ticket_id": {"type": "string"},
        "access_ticket_number": {"type": ["string", "null"]},
        "change_id": {"type": "string"},
        "grant_status": {"type": "string", "enum": ["pending", "granted", "rejected", "expired"]},
        "change": CHANGE,
    },
}
TICKET_ACCESS = "/api/v1/tickets/{ticket_id}"


@routes.route(
    f"{TICKET_ACCESS}/access-request",
    "POST",
    operation_id="requestAccess",
    summary="Open an access request: a child ticket for the owning team and an approval gate",
    roles=STAFF,
    body=ACCESS_REQUEST_BODY,
    response=ACCESS_REQUEST,
    status=201,
)
def request_access(request):
    created = access_requests.request_access(
        request.workspace_id, request.principal, request.path_params["ticket_id"], request.body, request.correlation_id
    )
    return Reply(created, status=201)


@routes.route(
    f"{TICKET_ACCESS}/access-requests",
    "GET",
    operation_id="listAccessRequests",
    summary="A ticket's access requests with their child tickets and grant status",
    roles=frozenset({ADMIN, AGENT, VIEWER}),
    query=PAGE_QUERY,
    response=list_of("AccessRequestList", ACCESS_REQUEST),
)
def list_access_requests(request):
    scope = f"access|{request.workspace_id}|{request.path_params['ticket_id']}"
    items, next_key = access_requests.list_access_requests(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.query["limit"],
        start_key(request, scope),
    )
    return page(request, items, next_key, scope, "created_at", "desc", {})
