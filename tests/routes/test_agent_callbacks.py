"""Agent workflow callbacks: signed with the workspace's callback secret, deduplicated on
x-agentfield-delivery, recorded as completed/failed with ``workflow.completed`` emitted once."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.routes.http_helpers import call

CALLBACK_SECRET = "agentfield-callback-secret-0123"
CALLBACK = "/api/v1/webhooks/workflow-completed"


def callback(client, workspace: str, body=None, *, secret=CALLBACK_SECRET, delivery_id=None, raw=None, signature=None):
    from chalicelib.domain.webhook_signatures import sha256_signature

    raw = raw if raw is not None else json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "x-workspace-id": workspace,
        "x-agentfield-delivery": delivery_id or str(uuid.uuid4()),
    }
    if signature is not False:
        headers["x-agentfield-signature"] = signature or sha256_signature(secret, raw)
    response = client.http.post(CALLBACK, headers=headers, body=raw)
    response.json = json.loads(response.body) if response.body else None
    return response


@pytest.fixture
def configured(client, as_role):
    response = call(
        client, "PUT", "/api/v1/integrations/agents", as_role("admin"), {"callback_secret": CALLBACK_SECRET}
    )
    assert response.status_code == 200, response.body
    return response.json


def execution(workspace_id: str, execution_id: str):
    from chalicelib.domain.agent_callbacks import get_execution

    return get_execution(workspace_id, execution_id)


def completed_events(workspace_id: str) -> list[dict]:
    from chalicelib.domain.events import envelope
    from chalicelib.models.events import EventItem

    items = EventItem.query(f"WS#{workspace_id}", EventItem.sk.startswith("EVENT#"))
    return [envelope(item) for item in items if item.type == "workflow.completed"]


def test_configuring_answers_the_callback_url_and_never_the_secret(configured):
    assert configured["callback_url"].endswith(CALLBACK)
    assert CALLBACK_SECRET not in json.dumps(configured)


def test_completed_callback_records_the_execution_and_emits_workflow_completed(client, configured, workspace_id):
    body = {"execution_id": "exec-42", "workflow_id": "wf-triage", "status": "succeeded", "output": {"summary": "ok"}}

    response = callback(client, workspace_id, body)

    assert response.status_code == 200, response.body
    assert response.json == {"execution_id": "exec-42", "status": "completed", "duplicate": False}
    recorded = execution(workspace_id, "exec-42")
    assert recorded.status == "completed"
    assert json.loads(recorded.output) == {"summary": "ok"}
    events = completed_events(workspace_id)
    assert [event["data"]["execution_id"] for event in events] == ["exec-42"]


def test_failed_callback_records_the_failure(client, configured, workspace_id):
    response = callback(client, workspace_id, {"executionId": "exec-7", "status": "failed", "error": "tool timed out"})

    assert response.status_code == 200, response.body
    assert execution(workspace_id, "exec-7").status == "failed"
    assert execution(workspace_id, "exec-7").error == "tool timed out"


def test_redelivered_callback_changes_nothing(client, configured, workspace_id):
    delivery_id = str(uuid.uuid4())
    body = {"execution_id": "exec-1", "status": "completed", "output": [1, 2]}

    callback(client, workspace_id, body, delivery_id=delivery_id)
    again = callback(client, workspace_id, body, delivery_id=delivery_id)

    assert again.status_code == 200
    assert again.json["duplicate"] is True
    assert len(completed_events(workspace_id)) == 1


def test_wrong_signature_is_refused_and_records_nothing(client, configured, workspace_id):
    response = callback(client, workspace_id, {"execution_id": "exec-1", "status": "completed"}, secret="x" * 20)

    assert response.status_code == 401
    assert execution(workspace_id, "exec-1") is None


def test_missing_signature_is_refused(client, configured, workspace_id):
    response = callback(client, workspace_id, {"execution_id": "exec-1", "status": "completed"}, signature=False)

    assert response.status_code == 401


def test_workspace_without_a_callback_secret_answers_404(client, aws):
    response = callback(client, "ws-no-agents", {"execution_id": "exec-1", "status": "completed"})

    assert response.status_code == 404


def test_malformed_json_after_a_valid_signature_is_400(client, configured, workspace_id):
    response = callback(client, workspace_id, raw=b"{not json")

    assert response.status_code == 400
    assert completed_events(workspace_id) == []


def test_callback_without_a_known_status_is_400(client, configured, workspace_id):
    response = callback(client, workspace_id, {"execution_id": "exec-1", "status": "sleeping"})

    assert response.status_code == 400
    assert response.json["details"]["status"]


def test_oversized_callback_is_413(client, configured, workspace_id):
    body = {"execution_id": "exec-1", "status": "completed", "output": "x" * (1024 * 1024)}

    assert callback(client, workspace_id, body).status_code == 413


def test_output_too_large_to_store_is_413_and_nothing_is_written(client, configured, workspace_id):
    body = {"execution_id": "exec-1", "status": "completed", "output": "x" * (500 * 1024)}

    response = callback(client, workspace_id, body)

    assert response.status_code == 413
    assert execution(workspace_id, "exec-1") is None
