"""Ticket watchers: parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, ANY_MEMBER, REQUESTER
from chalicelib.domain import watchers
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply, no_content
from chalicelib.http.schemas import TIME, list_of, named

routes = RouteFamily("tickets")

WATCHERS_PATH = "/api/v1/tickets/{ticket_id}/watchers"

WATCHER = named(
    "Watcher",
    {
        "type": "object",
        "required": ["ticket_id", "user_id", "added_by", "added_at"],
        "properties": {
            "ticket_id": {"type": "string"},
            "user_id": {"type": "string"},
            "added_by": {"type": "string"},
            "added_at": TIME,
        },
    },
)
WATCHER_LIST = list_of("WatcherList", WATCHER)
ADD_WATCHER = named(
    "WatcherAdd",
    {
        "type": "object",
        "required": ["user_id"],
        "additionalProperties": False,
        "properties": {"user_id": {"type": "string", "minLength": 1, "maxLength": 128}},
    },
)


@routes.route(
    WATCHERS_PATH,
    "GET",
    operation_id="listWatchers",
    summary="List a ticket's watchers",
    roles=ANY_MEMBER,
    query=PAGE_QUERY,
    response=WATCHER_LIST,
)
def list_watchers(request):
    ticket_ref = request.path_params["ticket_id"]
    scope = f"watchers|{request.workspace_id}|{ticket_ref}|{request.principal.user_id}"
    items, next_key = watchers.list_watchers(
        request.workspace_id, request.principal, ticket_ref, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "user_id", "asc", {})


@routes.route(
    WATCHERS_PATH,
    "POST",
    operation_id="addWatcher",
    summary="Watch a ticket (staff add members who can see it; requesters add themselves). "
    "Adding a watcher twice changes nothing and answers the same watcher.",
    roles=frozenset({ADMIN, AGENT, REQUESTER}),
    body=ADD_WATCHER,
    response=WATCHER,
)
def add_watcher(request):
    watcher, _added = watchers.add_watcher(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.body["user_id"],
        request.correlation_id,
    )
    return Reply(watcher)


@routes.route(
    f"{WATCHERS_PATH}/{{user_id}}",
    "DELETE",
    operation_id="removeWatcher",
    summary="Stop a user watching a ticket (staff, or the watcher themselves)",
    roles=ANY_MEMBER,
    status=204,
)
def remove_watcher(request):
    watchers.remove_watcher(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.path_params["user_id"],
        request.correlation_id,
    )
    return no_content()
