"""Outgoing webhook routes (admin): subscriptions, their delivery log, and replaying a delivery."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN
from chalicelib.domain import outgoing_webhooks
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply, no_content
from chalicelib.http.schemas import list_of, string_enum

routes = RouteFamily("integrations")

ADMINS = frozenset({ADMIN})
SUBSCRIPTIONS_PATH = "/api/v1/webhooks/subscriptions"
SUBSCRIPTION_PATH = SUBSCRIPTIONS_PATH + "/{subscription_id}"
DELIVERIES_PATH = SUBSCRIPTION_PATH + "/deliveries"

_TOPIC = string_enum("WebhookTopic", outgoing_webhooks.TOPICS)
_NULLABLE_STRING = {"type": ["string", "null"]}
SUBSCRIPTION_BODY = {
    "title": "WebhookSubscriptionRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["url", "topics"],
    "properties": {
        "url": {"type": "string", "minLength": 1, "maxLength": 2048, "description": "an http(s) URL on a public host"},
        "topics": {"type": "array", "minItems": 1, "maxItems": len(outgoing_webhooks.TOPICS), "items": _TOPIC},
        "description": {"type": "string", "maxLength": 500},
    },
}
_SUBSCRIPTION_PROPERTIES = {
    "id": {"type": "string"},
    "url": {"type": "string"},
    "topics": {"type": "array", "items": _TOPIC},
    "description": _NULLABLE_STRING,
    "created_at": {"type": "string", "format": "date-time"},
    "created_by": {"type": "string"},
}
SUBSCRIPTION = {
    "title": "WebhookSubscription",
    "type": "object",
    "required": ["id", "url", "topics", "created_at"],
    "properties": _SUBSCRIPTION_PROPERTIES,
}
NEW_SUBSCRIPTION = {
    "title": "NewWebhookSubscription",
    "type": "object",
    "required": ["id", "url", "topics", "created_at", "secret"],
    "properties": {
        **_SUBSCRIPTION_PROPERTIES,
        "secret": {
            "type": "string",
            "description": "whsec_<base64>: shown this once; verify webhook-signature with it",
        },
    },
}
SUBSCRIPTION_LIST = {
    "title": "WebhookSubscriptionList",
    "type": "object",
    "required": ["data"],
    "properties": {"data": {"type": "array", "items": SUBSCRIPTION}},
}
ATTEMPT = {
    "title": "WebhookAttempt",
    "type": "object",
    "required": ["at", "trigger", "status_code", "duration_ms", "error", "succeeded"],
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "trigger": {"type": "string", "enum": ["delivery", "replay"]},
        "status_code": {"type": ["integer", "null"]},
        "duration_ms": {"type": "number"},
        "error": _NULLABLE_STRING,
        "succeeded": {"type": "boolean"},
    },
}
DELIVERY = {
    "title": "WebhookDelivery",
    "type": "object",
    "required": ["id", "subscription_id", "event_id", "event_type", "status", "attempt_count", "attempts"],
    "properties": {
        "id": {"type": "string"},
        "subscription_id": {"type": "string"},
        "event_id": {"type": "string"},
        "event_type": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "retrying", "delivered", "failed"]},
        "attempt_count": {"type": "integer"},
        "attempts": {"type": "array", "items": ATTEMPT},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "delivered_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
DELIVERY_LIST = list_of("WebhookDeliveryList", DELIVERY)


@routes.route(
    SUBSCRIPTIONS_PATH,
    "POST",
    operation_id="createWebhookSubscription",
    summary="Subscribe a URL to event topics (the signing secret is shown in this answer only)",
    roles=ADMINS,
    body=SUBSCRIPTION_BODY,
    response=NEW_SUBSCRIPTION,
    status=201,
    errors=frozenset({409}),
)
def create_subscription(request):
    body = request.body
    created = outgoing_webhooks.create_subscription(
        request.workspace_id,
        request.principal,
        body["url"],
        body["topics"],
        body.get("description"),
        request.correlation_id,
    )
    return Reply(created, status=201)


@routes.route(
    SUBSCRIPTIONS_PATH,
    "GET",
    operation_id="listWebhookSubscriptions",
    summary="The workspace's webhook subscriptions (without secrets)",
    roles=ADMINS,
    response=SUBSCRIPTION_LIST,
)
def list_subscriptions(request):
    return {"data": outgoing_webhooks.list_subscriptions(request.workspace_id)}


@routes.route(
    SUBSCRIPTION_PATH,
    "DELETE",
    operation_id="deleteWebhookSubscription",
    summary="Stop sending to a subscription",
    roles=ADMINS,
    status=204,
)
def delete_subscription(request):
    outgoing_webhooks.delete_subscription(
        request.workspace_id, request.principal, request.path_params["subscription_id"], request.correlation_id
    )
    return no_content()


@routes.route(
    DELIVERIES_PATH,
    "GET",
    operation_id="listWebhookDeliveries",
    summary="A subscription's deliveries, newest first, with every attempt (status code, duration, error)",
    roles=ADMINS,
    query=PAGE_QUERY,
    response=DELIVERY_LIST,
)
def list_deliveries(request):
    subscription_id = request.path_params["subscription_id"]
    scope = f"webhook-deliveries|{request.workspace_id}|{subscription_id}"
    items, next_key = outgoing_webhooks.list_deliveries(
        request.workspace_id, subscription_id, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "created_at", "desc", {})


@routes.route(
    DELIVERIES_PATH + "/{delivery_id}/replay",
    "POST",
    operation_id="replayWebhookDelivery",
    summary="Send a recorded delivery again now and record the attempt",
    roles=ADMINS,
    response=DELIVERY,
    errors=frozenset({409}),
)
def replay_delivery(request):
    params = request.path_params
    return outgoing_webhooks.replay_delivery(request.workspace_id, params["subscription_id"], params["delivery_id"])
