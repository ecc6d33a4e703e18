"""Ticket routes: parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, ANY_MEMBER, REQUESTER
from chalicelib.blueprints import ticket_schemas as schemas
from chalicelib.domain import ticket_listing, tickets
from chalicelib.errors import ValidationError
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.request import etag_for
from chalicelib.http.responses import Reply, no_content

routes = RouteFamily("tickets")

WRITERS = frozenset({ADMIN, AGENT, REQUESTER})
STAFF = frozenset({ADMIN, AGENT})
TICKET_PATH = "/api/v1/tickets/{ticket_id}"


def _ticket_reply(ticket: dict, status: int = 200) -> Reply:
    headers = {"Location": f"/api/v1/tickets/{ticket['id']}"} if status == 201 else {}
    return Reply(ticket, status=status, etag=etag_for(ticket["version"]), headers=headers)


@routes.route(
    "/api/v1/tickets",
    "POST",
    operation_id="createTicket",
    summary="Open a ticket",
    roles=WRITERS,
    body=schemas.CREATE_TICKET,
    response=schemas.TICKET,
    status=201,
    response_headers=("ETag", "Location"),
)
def create_ticket(request):
    data = dict(request.body)
    auto_assign = data.pop("auto_assign", False)
    ticket = tickets.create_ticket(
        request.workspace_id, request.principal, data, request.correlation_id, route=bool(auto_assign)
    )
    return _ticket_reply(ticket, status=201)


@routes.route(
    "/api/v1/tickets",
    "GET",
    operation_id="listTickets",
    summary="List tickets (filters, sort, cursor)",
    roles=ANY_MEMBER,
    query=schemas.LIST_QUERY,
    response=schemas.TICKET_LIST,
)
def list_tickets(request):
    query = ticket_listing.build_query(request.principal, request.query)
    scope = query.scope(request.workspace_id)
    items, next_key = ticket_listing.list_tickets(
        request.workspace_id, query, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, query.sort, query.order, query.filters)


@routes.route(
    TICKET_PATH,
    "GET",
    operation_id="getTicket",
    summary="Get a ticket by id or number",
    roles=ANY_MEMBER,
    response=schemas.TICKET,
    response_headers=("ETag",),
)
def get_ticket(request):
    return _ticket_reply(tickets.get_ticket(request.workspace_id, request.principal, request.path_params["ticket_id"]))


@routes.route(
    TICKET_PATH,
    "PATCH",
    operation_id="updateTicket",
    summary="Update a ticket",
    roles=WRITERS,
    body=schemas.UPDATE_TICKET,
    response=schemas.TICKET,
    if_match=True,
    response_headers=("ETag",),
)
def update_ticket(request):
    ticket = tickets.update_ticket(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.body,
        request.correlation_id,
        request.expected_version(),
    )
    return _ticket_reply(ticket)


@routes.route(
    TICKET_PATH,
    "DELETE",
    operation_id="deleteTicket",
    summary="Delete a ticket (history is kept)",
    roles=frozenset({ADMIN}),
    status=204,
    if_match=True,
)
def delete_ticket(request):
    tickets.delete_ticket(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.correlation_id,
        request.expected_version(),
    )
    return no_content()


@routes.route(
    f"{TICKET_PATH}/status",
    "POST",
    operation_id="changeTicketStatus",
    summary="Change a ticket's status",
    roles=WRITERS,
    body=schemas.CHANGE_STATUS,
    response=schemas.TICKET,
    if_match=True,
    response_headers=("ETag",),
)
def change_status(request):
    ticket = tickets.change_status(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.body["status"],
        request.body.get("reason"),
        request.correlation_id,
        request.expected_version(),
    )
    return _ticket_reply(ticket)


@routes.route(
    f"{TICKET_PATH}/assignment",
    "POST",
    operation_id="assignTicket",
    summary="Assign a ticket",
    roles=STAFF,
    body=schemas.ASSIGN,
    response=schemas.TICKET,
    if_match=True,
    response_headers=("ETag",),
)
def assign_ticket(request):
    ticket = tickets.assign_ticket(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.body["assignee_id"],
        request.body.get("team"),
        request.correlation_id,
        request.expected_version(),
    )
    return _ticket_reply(ticket)


@routes.route(
    f"{TICKET_PATH}/comments",
    "POST",
    operation_id="addComment",
    summary="Comment on a ticket (markdown; internal or public)",
    roles=WRITERS,
    body=schemas.ADD_COMMENT,
    response=schemas.COMMENT,
    status=201,
)
def add_comment(request):
    body_md, is_internal = _comment_input(request.body)
    comment = tickets.add_comment(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        body_md,
        is_internal,
        request.correlation_id,
    )
    return Reply(comment, status=201)


def _comment_input(body: dict) -> tuple[str, bool]:
    """Seed 002's ``body_md``/``is_internal``, or the aliases ``body``/``visibility`` (the schema
    guarantees one of the two bodies is present)."""
    body_md = body.get("body_md", body.get("body"))
    if "is_internal" in body and "visibility" in body and body["is_internal"] != (body["visibility"] == "internal"):
        raise ValidationError("is_internal and visibility disagree", details={"visibility": "contradicts is_internal"})
    is_internal = body["is_internal"] if "is_internal" in body else body.get("visibility") == "internal"
    return body_md, is_internal


def _child_list(request, lister, scope_name: str):
    ticket_ref = request.path_params["ticket_id"]
    scope = f"{scope_name}|{request.workspace_id}|{ticket_ref}|{request.principal.user_id}"
    items, next_key = lister(
        request.workspace_id, request.principal, ticket_ref, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "created_at", "asc", {})


@routes.route(
    f"{TICKET_PATH}/comments",
    "GET",
    operation_id="listComments",
    summary="List a ticket's comments",
    roles=ANY_MEMBER,
    query=PAGE_QUERY,
    response=schemas.COMMENT_LIST,
)
def list_comments(request):
    return _child_list(request, tickets.list_comments, "comments")


@routes.route(
    f"{TICKET_PATH}/history",
    "GET",
    operation_id="listHistory",
    summary="A ticket's change history: who, when, field, from, to",
    roles=ANY_MEMBER,
    query=PAGE_QUERY,
    response=schemas.HISTORY_LIST,
)
def list_history(request):
    return _child_list(request, tickets.list_history, "history")
