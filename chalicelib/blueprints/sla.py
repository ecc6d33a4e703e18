"""SLA routes: the workspace's policy and a ticket's clock explained. (Breaches, escalations and
force-breach live in ``sla_breaches``, the same family.)"""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, ANY_MEMBER, STAFF
from chalicelib.blueprints import sla_schemas as schemas
from chalicelib.domain import sla_explanation, sla_policies
from chalicelib.http.registry import RouteFamily
from chalicelib.http.request import etag_for
from chalicelib.http.responses import Reply

routes = RouteFamily("sla")

POLICIES_PATH = "/api/v1/sla/policies"


def _policy_reply(policy: dict) -> Reply:
    return Reply(policy, etag=etag_for(policy["version"]))


@routes.route(
    POLICIES_PATH,
    "GET",
    operation_id="getSlaPolicy",
    summary="The workspace's SLA policy (the default, version 0, until one is written)",
    roles=STAFF,
    response=schemas.POLICY,
    response_headers=("ETag",),
)
def get_policy(request):
    return _policy_reply(sla_policies.get_policy(request.workspace_id))


@routes.route(
    POLICIES_PATH,
    "PUT",
    operation_id="putSlaPolicy",
    summary="Replace the workspace's SLA policy (targets, warning threshold, calendar, escalation)",
    roles=frozenset({ADMIN}),
    body=schemas.POLICY_INPUT,
    response=schemas.POLICY,
    if_match=True,
    response_headers=("ETag",),
)
def put_policy(request):
    policy = sla_policies.put_policy(
        request.workspace_id, request.principal, request.body, request.correlation_id, request.expected_version()
    )
    return _policy_reply(policy)


@routes.route(
    "/api/v1/tickets/{ticket_id}/sla",
    "GET",
    operation_id="explainTicketSla",
    summary="A ticket's SLA clock explained: segments, elapsed and remaining business time, policy, status",
    roles=ANY_MEMBER,
    response=schemas.EXPLANATION,
)
def explain_ticket_sla(request):
    return sla_explanation.explain_ticket(request.workspace_id, request.principal, request.path_params["ticket_id"])
