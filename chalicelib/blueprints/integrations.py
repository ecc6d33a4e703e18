"""Integration routes: each workspace's GitHub and agent-callback settings (admin), and the two
incoming webhooks. The webhooks are public (no token): the signature over the raw body is their
authentication, their delivery id their idempotency key, and the body is parsed only once it is
verified (``chalicelib.domain.github_webhooks``, ``chalicelib.domain.agent_callbacks``)."""

from __future__ import annotations

import re
from urllib.parse import quote

from chalicelib.auth.roles import ADMIN
from chalicelib.domain import agent_callbacks, github_webhooks, integrations
from chalicelib.http.pipeline import parse_json_body
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.settings import get_settings

routes = RouteFamily("integrations")

ADMINS = frozenset({ADMIN})
PUBLIC = {"auth": False, "tenant": False, "idempotent": False}
GITHUB_WEBHOOK_PATH = "/api/v1/integrations/github/webhook"
AGENT_CALLBACK_PATH = "/api/v1/webhooks/workflow-completed"
_WORKSPACE_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}
_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,255}$")
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com$")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
_SECRET = {"type": "string", "minLength": 16, "maxLength": 256}

GITHUB_CONFIG_BODY = {
    "title": "GithubIntegrationRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["enabled"],
    "properties": {
        "enabled": {"type": "boolean"},
        "secret": {**_SECRET, "description": "the webhook secret set on GitHub; required the first time"},
    },
}
GITHUB_CONFIG = {
    "title": "GithubIntegration",
    "type": "object",
    "required": ["enabled", "webhook_url"],
    "properties": {"enabled": {"type": "boolean"}, "webhook_url": {"type": "string"}},
}
AGENTS_CONFIG_BODY = {
    "title": "AgentIntegrationRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["callback_secret"],
    "properties": {"callback_secret": _SECRET},
}
AGENTS_CONFIG = {
    "title": "AgentIntegration",
    "type": "object",
    "required": ["configured", "callback_url"],
    "properties": {"configured": {"type": "boolean"}, "callback_url": {"type": "string"}},
}
DELIVERY_RESULT = {
    "title": "WebhookDeliveryResult",
    "type": "object",
    "required": ["delivery_id", "event", "result", "detail"],
    "properties": {
        "delivery_id": {"type": "string"},
        "event": {"type": "string"},
        "result": {"type": "string", "enum": ["applied", "duplicate", "ignored", "not_applied"]},
        "detail": {"type": "string"},
        "ticket_id": {"type": ["string", "null"]},
    },
}
CALLBACK_RESULT = {
    "title": "WorkflowCallbackResult",
    "type": "object",
    "required": ["execution_id", "status", "duplicate"],
    "properties": {
        "execution_id": {"type": "string"},
        "status": {"type": "string", "enum": ["completed", "failed"]},
        "duplicate": {"type": "boolean"},
    },
}


@routes.route(
    "/api/v1/integrations/github",
    "PUT",
    operation_id="configureGithubIntegration",
    summary="Switch the workspace's GitHub webhook on or off and set its secret (never answered)",
    roles=ADMINS,
    body=GITHUB_CONFIG_BODY,
    response=GITHUB_CONFIG,
)
def configure_github(request):
    body = request.body
    enabled = integrations.configure_github(
        request.workspace_id, request.principal, body["enabled"], body.get("secret"), request.correlation_id
    )
    url = f"{_base_url(request)}{GITHUB_WEBHOOK_PATH}?workspace={quote(request.workspace_id)}"
    return {"enabled": enabled, "webhook_url": url}


@routes.route(
    "/api/v1/integrations/agents",
    "PUT",
    operation_id="configureAgentIntegration",
    summary="Set the secret agent workflow callbacks are signed with (never answered)",
    roles=ADMINS,
    body=AGENTS_CONFIG_BODY,
    response=AGENTS_CONFIG,
)
def configure_agents(request):
    integrations.configure_agents(
        request.workspace_id, request.principal, request.body["callback_secret"], request.correlation_id
    )
    return {"configured": True, "callback_url": f"{_base_url(request)}{AGENT_CALLBACK_PATH}"}


@routes.route(
    GITHUB_WEBHOOK_PATH,
    "POST",
    operation_id="receiveGithubWebhook",
    summary="GitHub webhook (X-Hub-Signature-256 with the workspace's secret; deduplicated on X-GitHub-Delivery)",
    query={"workspace": _WORKSPACE_ID},
    response=DELIVERY_RESULT,
    errors=frozenset({400, 401, 404, 409, 413}),
    **PUBLIC,
)
def receive_github_webhook(request):
    headers = request.headers
    delivery = github_webhooks.verified_delivery(
        request.query.get("workspace"),
        headers.get("x-github-event"),
        headers.get("x-github-delivery"),
        headers.get("x-hub-signature-256"),
        request.raw_body,
    )
    outcome = github_webhooks.apply(delivery, parse_json_body(request.raw_body), request.correlation_id)
    return Reply(outcome.to_public(), status=200 if outcome.acted_on else 202)


@routes.route(
    AGENT_CALLBACK_PATH,
    "POST",
    operation_id="receiveWorkflowCallback",
    summary="Agent workflow completed (x-agentfield-signature; deduplicated on x-agentfield-delivery)",
    response=CALLBACK_RESULT,
    errors=frozenset({400, 401, 404, 413}),
    **PUBLIC,
)
def receive_workflow_callback(request):
    headers = request.headers
    callback = agent_callbacks.verified_callback(
        _workspace_header(headers.get("x-workspace-id")),
        headers.get("x-agentfield-delivery"),
        headers.get("x-agentfield-signature"),
        request.raw_body,
    )
    return agent_callbacks.complete_execution(callback, parse_json_body(request.raw_body), request.correlation_id)


def _workspace_header(value: str | None) -> str | None:
    """A well-formed workspace id, or None (which no integration is configured for: 404)."""
    return value if value and re.fullmatch(_WORKSPACE_ID["pattern"], value) else None


def _base_url(request) -> str:
    """Where callers reach this API, read from the request: API Gateway sets Host and X-Forwarded-Proto,
    and its own execute-api host serves the API under the stage's path (the stage is DESKFLOW_STAGE,
    see the template); the local gateway serves plain http on loopback. A malformed Host gives a
    relative URL."""
    host = request.headers.get("host", "")
    if not _HOST.match(host):
        return ""
    hostname = host[: host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
    default_proto = "http" if hostname in _LOOPBACK_HOSTS else "https"
    proto = request.headers.get("x-forwarded-proto", default_proto).split(",")[0].strip().lower()
    if proto not in {"http", "https"}:
        return ""
    stage = f"/{get_settings().stage}" if _EXECUTE_API_HOST.match(hostname) else ""
    return f"{proto}://{host}{stage}"
