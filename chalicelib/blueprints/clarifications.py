"""Clarification routes (seed 001): request information from the requester, and record the answer."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, REQUESTER, STAFF
from chalicelib.blueprints.ticket_schemas import TICKET
from chalicelib.domain import clarifications
from chalicelib.http.registry import RouteFamily

routes = RouteFamily("approvals")

_MARKDOWN = {"type": "string", "minLength": 1, "maxLength": 20000, "pattern": r"\S"}
REQUEST_INFO = {
    "title": "InformationRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["question"],
    "properties": {"question": {**_MARKDOWN, "description": "markdown; the requester sees it"}},
}
USER_RESPONSE = {
    "title": "UserResponse",
    "type": "object",
    "additionalProperties": False,
    "required": ["answer"],
    "properties": {"answer": _MARKDOWN},
}
CLARIFIED_TICKET = {
    **TICKET,
    "title": "ClarifiedTicket",
    "properties": {
        **TICKET["properties"],
        "question_comment_id": {"type": "string"},
        "answer_comment_id": {"type": "string"},
    },
}


@routes.route(
    "/api/v1/tickets/{ticket_id}/request-info",
    "POST",
    operation_id="requestInformation",
    summary="Ask the requester for information; the ticket waits on the answer",
    roles=STAFF,
    body=REQUEST_INFO,
    response=CLARIFIED_TICKET,
    errors=frozenset({409}),
)
def request_info(request):
    return clarifications.request_info(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.body["question"],
        request.correlation_id,
    )


@routes.route(
    "/api/v1/tickets/{ticket_id}/user-response",
    "POST",
    operation_id="recordUserResponse",
    summary="Record the requester's answer; the ticket returns to its previous status",
    roles=frozenset({ADMIN, AGENT, REQUESTER}),
    body=USER_RESPONSE,
    response=CLARIFIED_TICKET,
    errors=frozenset({409}),
)
def user_response(request):
    return clarifications.user_response(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.body["answer"],
        request.correlation_id,
    )
