"""Delivery is at least once: for every subscription in the catalogue, a batch delivered a second time
changes nothing in any table or in the files bucket.

The events come from a realistic stretch of work through the API (tickets opened, commented on
publicly and internally, assigned, moved through their statuses), published by the real outbox
publisher and routed by the real bus rules to each subscription's queue (in-process moto).
"""

from __future__ import annotations

import importlib

import pytest

from chalicelib.events.catalogue import SUBSCRIPTIONS
from infra.tables import TABLES
from tests.routes.http_helpers import call, open_ticket
from tests.unit.test_event_delivery import drain, lambda_event

FACILITIES_GRAPH = {
    "nodes": [
        {"temp_id": "start", "name": "Triage", "role": "agent", "is_start": True},
        {"temp_id": "end", "name": "Done", "role": "agent", "is_end": True},
    ],
    "edges": [{"from_temp_id": "start", "to_temp_id": "end"}],
}


def work_through_the_api(client, as_role) -> None:
    agent, requester = as_role("agent", user_id="agent-1"), as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester, title="Heating broken")  # resolved at the end, with an access gate
    path = f"/api/v1/tickets/{ticket['id']}"
    steps = [
        ("POST", f"{path}/comments", requester, {"body": "Since this morning"}),
        ("POST", f"{path}/comments", agent, {"body": "Boiler model?", "is_internal": True}),
        ("POST", f"{path}/assignment", agent, {"assignee_id": "agent-1"}),
        ("PATCH", path, agent, {"priority": "P1"}),
        ("POST", f"{path}/status", agent, {"status": "in_progress"}),
        ("POST", f"{path}/comments", agent, {"body": "Engineer on the way"}),
        ("POST", f"{path}/force-breach", as_role("admin", user_id="admin-1"), {}),
        ("POST", f"{path}/status", agent, {"status": "resolved"}),
        ("POST", "/api/v1/exports/tickets", agent, {}),
    ]
    for method, step_path, headers, body in steps:
        response = call(client, method, step_path, headers, body)
        assert response.status_code in (200, 201, 202), (step_path, response.body)
    approver = as_role("agent", user_id="appr-1")
    access = {"resource": "repo", "permission": "read", "approval_policy": {"approvers": [{"user_id": "appr-1"}]}}
    gate = call(client, "POST", f"{path}/access-request", agent, access).json
    assert call(client, "POST", f"/api/v1/changes/{gate['change_id']}/approve", approver, {}).status_code == 200
    admin = as_role("admin", user_id="admin-1")
    workflow = {"workflow": {"name": "Facilities", "category": "Facilities"}, "graph": FACILITIES_GRAPH}
    workflow_id = call(client, "POST", "/api/v1/workflows", admin, workflow).json["workflow_id"]
    assert call(client, "POST", f"/api/v1/workflows/{workflow_id}/activate", admin).status_code == 200
    open_ticket(client, agent, title="Printer jam", category="Facilities")  # a workflow task starts
    deleted = open_ticket(client, agent, title="Duplicate")
    assert call(client, "DELETE", f"/api/v1/tickets/{deleted['id']}", as_role("admin")).status_code == 204
    log_id = call(client, "POST", "/api/v1/intake/classify", agent, {"description": "water leak"}).json["ai_log_id"]
    feedback = {"actual_category": "plumbing"}
    assert call(client, "PATCH", f"/api/v1/ai/logs/{log_id}/feedback", agent, feedback).status_code == 200
    assert call(client, "POST", "/api/v1/ai/train", admin).status_code == 202  # a model trained once


def everything_stored() -> dict:
    from chalicelib import aws
    from chalicelib.settings import get_settings

    settings = get_settings()
    stored = {}
    for short_name in TABLES:
        pages = aws.dynamodb().get_paginator("scan").paginate(TableName=settings.table_name(short_name))
        stored[short_name] = sorted(repr(sorted(item.items())) for page in pages for item in page["Items"])
    objects = aws.s3().list_objects_v2(Bucket=settings.files_bucket).get("Contents", [])
    stored["files"] = sorted((entry["Key"], entry["ETag"]) for entry in objects)
    return stored


@pytest.mark.parametrize("subscription", sorted(SUBSCRIPTIONS.values(), key=lambda s: s.name), ids=lambda s: s.name)
def test_a_batch_delivered_twice_changes_nothing_the_second_time(client, as_role, subscription):
    from chalicelib.domain.events import publish_pending

    work_through_the_api(client, as_role)
    publish_pending()
    messages = drain(subscription.queue)
    assert messages, f"the work above emits none of the topics {subscription.name} wants"
    handler = importlib.import_module(subscription.handler).handler

    first = handler(lambda_event(messages, subscription.queue), None)
    after_first = everything_stored()
    second = handler(lambda_event(messages, subscription.queue), None)

    assert first["batchItemFailures"] == [] and second["batchItemFailures"] == []
    assert everything_stored() == after_first
