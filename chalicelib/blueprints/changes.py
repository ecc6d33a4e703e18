"""Change request routes (approval gates): parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, STAFF, VIEWER
from chalicelib.domain import changes
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import list_of, string_enum

routes = RouteFamily("approvals")

READERS = frozenset({ADMIN, AGENT, VIEWER})
CHANGE_PATH = "/api/v1/changes/{change_id}"
_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_TEXT = {"type": "string", "maxLength": 4000}
_TIME = {"type": "string", "format": "date-time"}
_STATUS = string_enum("ChangeStatus", changes.STATUSES)
RISK_LEVEL = string_enum("RiskLevel", changes.RISK_LEVELS)
_APPROVER = {
    "type": "object",
    "description": "a user (user_id) or everyone holding a role (role)",
    "additionalProperties": False,
    "properties": {"user_id": _ID, "role": string_enum("ApproverRole", [ADMIN, AGENT])},
    "anyOf": [{"required": ["user_id"]}, {"required": ["role"]}],
    "x-anyOf-message": "needs user_id or role",
}
APPROVAL_POLICY = {
    "title": "ApprovalPolicy",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "requires_human": {"type": "boolean", "default": True},
        "approvers": {"type": "array", "maxItems": 20, "items": _APPROVER, "description": "default: every admin"},
        "quorum": {"type": "integer", "minimum": 1, "maximum": 20, "default": 1},
        "expires_in": {
            "type": "integer",
            "minimum": 1,
            "maximum": changes.MAX_EXPIRES_IN,
            "default": changes.DEFAULT_EXPIRES_IN,
            "description": "seconds until an undecided change expires",
        },
        "auto_complete": {"type": "boolean", "default": False},
    },
}
REQUEST_CHANGE = {
    "title": "ChangeRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["ticket_id", "action"],
    "properties": {
        "ticket_id": _ID,
        "agent_id": _ID,
        "action": {"type": "string", "minLength": 1, "maxLength": 200},
        "target": _TEXT,
        "reason": _TEXT,
        "command": _TEXT,
        "risk_level": RISK_LEVEL,
        "approval_policy": APPROVAL_POLICY,
    },
}
_NULLABLE_TEXT = {"type": ["string", "null"]}
CHANGE = {
    "title": "Change",
    "type": "object",
    "required": ["id", "ticket_id", "action", "status", "approvals", "quorum", "expires_at", "approval_policy"],
    "properties": {
        "id": {"type": "string"},
        "ticket_id": {"type": "string"},
        "agent_id": _NULLABLE_TEXT,
        "action": {"type": "string"},
        "target": {"type": "string"},
        "reason": {"type": "string"},
        "command": _NULLABLE_TEXT,
        "risk_level": {"type": "string"},
        "status": _STATUS,
        "approval_policy": {"type": "object"},
        "approvals": {"type": "integer"},
        "rejections": {"type": "integer"},
        "quorum": {"type": "integer"},
        "requested_by": {"type": "string"},
        "created_at": _TIME,
        "expires_at": _TIME,
        "expired": {"type": "boolean"},
        "decided_at": _NULLABLE_TEXT,
        "decided_by": _NULLABLE_TEXT,
        "completed_at": _NULLABLE_TEXT,
        "completed_by": _NULLABLE_TEXT,
        "result": _NULLABLE_TEXT,
        "execution_arn": _NULLABLE_TEXT,
        "kind": {"type": "string", "enum": ["change", "access_request"]},
        "access_ticket_id": _NULLABLE_TEXT,
    },
}
CHANGE_DETAIL = {
    **CHANGE,
    "title": "ChangeDetail",
    "required": [*CHANGE["required"], "votes", "timeline"],
    "properties": {
        **CHANGE["properties"],
        "votes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "user_id": {"type": "string"},
                    "decision": {"type": "string", "enum": ["approve", "reject"]},
                    "reason": {"type": "string"},
                    "at": _TIME,
                },
            },
        },
        "timeline": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "at": _TIME,
                    "event": {"type": "string"},
                    "by": {"type": "string"},
                    "note": {"type": "string"},
                },
            },
        },
    },
}
CHANGE_STATUS = {
    "title": "ChangeStatusSummary",
    "type": "object",
    "required": ["id", "status", "approvals", "quorum", "expires_at", "expired"],
    "properties": {
        "id": {"type": "string"},
        "status": _STATUS,
        "approvals": {"type": "integer"},
        "quorum": {"type": "integer"},
        "expires_at": _TIME,
        "decided_at": _NULLABLE_TEXT,
        "expired": {"type": "boolean"},
    },
}


def _vote_body(title: str, who: str) -> dict:
    return {
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "reason": _TEXT,
            who: {"type": "string", "maxLength": 200, "description": "seed 001's label; the caller is the voter"},
        },
    }


COMPLETE_BODY = {
    "title": "ChangeCompletion",
    "type": "object",
    "additionalProperties": False,
    "required": ["result"],
    "properties": {
        "result": {"type": "string", "minLength": 1, "maxLength": 4000},
        "completed_by": {"type": "string", "maxLength": 200, "description": "seed 001's label; the caller completes"},
    },
}
LIST_QUERY = {**PAGE_QUERY, "status": _STATUS, "agent_id": _ID, "ticket_id": _ID}


@routes.route(
    "/api/v1/changes",
    "POST",
    operation_id="requestChange",
    summary="Request a change behind an approval gate (starts its approval execution)",
    roles=STAFF,
    body=REQUEST_CHANGE,
    response=CHANGE,
    status=201,
    response_headers=("Location",),
)
def request_change(request):
    change = changes.request_change(request.workspace_id, request.principal, request.body, request.correlation_id)
    return Reply(change, status=201, headers={"Location": f"/api/v1/changes/{change['id']}"})


def _list(request, pending_only: bool):
    filters = {name: request.query[name] for name in ("status", "agent_id", "ticket_id") if request.query.get(name)}
    scope = f"changes|{request.workspace_id}|{pending_only}|{sorted(filters.items())}"
    items, next_key = changes.list_changes(
        request.workspace_id, filters, request.query["limit"], start_key(request, scope), pending_only=pending_only
    )
    return page(request, items, next_key, scope, "created_at", "desc", filters)


@routes.route(
    "/api/v1/changes",
    "GET",
    operation_id="listChanges",
    summary="List changes (filters status, agent_id, ticket_id), newest first",
    roles=READERS,
    query=LIST_QUERY,
    response=list_of("ChangeList", CHANGE),
)
def list_changes(request):
    return _list(request, pending_only=False)


@routes.route(
    "/api/v1/changes/pending",
    "GET",
    operation_id="listPendingChanges",
    summary="Changes waiting for a decision and not expired",
    roles=READERS,
    query={**PAGE_QUERY, "agent_id": _ID, "ticket_id": _ID},
    response=list_of("PendingChangeList", CHANGE),
)
def list_pending(request):
    return _list(request, pending_only=True)


@routes.route(
    CHANGE_PATH,
    "GET",
    operation_id="getChange",
    summary="A change with its votes and timeline",
    roles=READERS,
    response=CHANGE_DETAIL,
)
def get_change(request):
    return changes.get_change(request.workspace_id, request.path_params["change_id"])


@routes.route(
    f"{CHANGE_PATH}/status",
    "GET",
    operation_id="getChangeStatus",
    summary="A change's state, compact (for polling agents)",
    roles=READERS,
    response=CHANGE_STATUS,
)
def get_change_status(request):
    return changes.change_status(request.workspace_id, request.path_params["change_id"])


def _vote(request, decision: str):
    return changes.vote(
        request.workspace_id,
        request.principal,
        request.path_params["change_id"],
        decision,
        request.body.get("reason"),
        request.correlation_id,
    )


@routes.route(
    f"{CHANGE_PATH}/approve",
    "POST",
    operation_id="approveChange",
    summary="Approve a change (one vote per approver; the quorum decides)",
    roles=STAFF,
    body=_vote_body("ChangeApproval", "approved_by"),
    response=CHANGE,
    errors=frozenset({409}),
)
def approve_change(request):
    return _vote(request, "approve")


@routes.route(
    f"{CHANGE_PATH}/reject",
    "POST",
    operation_id="rejectChange",
    summary="Reject a change (one rejection decides it)",
    roles=STAFF,
    body=_vote_body("ChangeRejection", "rejected_by"),
    response=CHANGE,
    errors=frozenset({409}),
)
def reject_change(request):
    return _vote(request, "reject")


@routes.route(
    f"{CHANGE_PATH}/complete",
    "POST",
    operation_id="completeChange",
    summary="Record the result of an approved change",
    roles=STAFF,
    body=COMPLETE_BODY,
    response=CHANGE,
    errors=frozenset({409}),
)
def complete_change(request):
    return changes.complete(
        request.workspace_id,
        request.principal,
        request.path_params["change_id"],
        request.body["result"],
        request.correlation_id,
    )
