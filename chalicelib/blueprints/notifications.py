"""Each user's notification feed: parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.auth.roles import ANY_MEMBER
from chalicelib.domain import notifications
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import NULLABLE_STRING, NULLABLE_TIME, TIME, list_of, named

routes = RouteFamily("ticket_extras")

FEED_PATH = "/api/v1/notifications"

NOTIFICATION = named(
    "Notification",
    {
        "type": "object",
        "required": ["id", "type", "ticket_id", "summary", "detail", "occurred_at", "read", "read_at"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string", "description": "The event's topic, e.g. ticket.commented"},
            "ticket_id": {"type": "string"},
            "ticket_number": NULLABLE_STRING,
            "ticket_title": NULLABLE_STRING,
            "actor_id": {**NULLABLE_STRING, "description": "Who made the change (null for the system)"},
            "summary": {"type": "string"},
            "detail": {"type": "object", "description": "What changed, as this recipient may see it"},
            "occurred_at": TIME,
            "read": {"type": "boolean"},
            "read_at": {**NULLABLE_TIME, "description": "Set by a single read; null when read by read-all"},
        },
    },
)
_UNREAD_COUNT = {"type": "integer", "minimum": 0, "description": "The caller's unread notifications"}
_FEED_ENVELOPE = list_of("NotificationFeed", NOTIFICATION)
NOTIFICATION_FEED = {
    **_FEED_ENVELOPE,
    "required": [*_FEED_ENVELOPE["required"], "unread_count"],
    "properties": {**_FEED_ENVELOPE["properties"], "unread_count": _UNREAD_COUNT},
}
ALL_READ = named(
    "NotificationsAllRead",
    {
        "type": "object",
        "required": ["unread_count", "read_before"],
        "properties": {"unread_count": _UNREAD_COUNT, "read_before": TIME},
    },
)


@routes.route(
    FEED_PATH,
    "GET",
    operation_id="listNotifications",
    summary="The caller's notification feed, newest first, with the unread count",
    roles=ANY_MEMBER,
    query=PAGE_QUERY,
    response=NOTIFICATION_FEED,
)
def list_notifications(request):
    user_id = request.principal.user_id
    scope = f"notifications|{request.workspace_id}|{user_id}"
    items, next_key, unread = notifications.list_feed(
        request.workspace_id, user_id, request.query["limit"], start_key(request, scope)
    )
    return {**page(request, items, next_key, scope, "occurred_at", "desc", {}), "unread_count": unread}


@routes.route(
    f"{FEED_PATH}/{{notification_id}}/read",
    "POST",
    operation_id="markNotificationRead",
    summary="Mark one of the caller's notifications read",
    roles=ANY_MEMBER,
    response=NOTIFICATION,
)
def mark_read(request):
    notification = notifications.mark_read(
        request.workspace_id, request.principal.user_id, request.path_params["notification_id"]
    )
    return Reply(notification)


@routes.route(
    f"{FEED_PATH}/read-all",
    "POST",
    operation_id="markAllNotificationsRead",
    summary="Mark every notification in the caller's feed read",
    roles=ANY_MEMBER,
    response=ALL_READ,
)
def mark_all_read(request):
    return Reply(notifications.mark_all_read(request.workspace_id, request.principal.user_id))
