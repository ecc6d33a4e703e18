"""The GitHub webhook: verified over the raw body with the workspace's own secret, deduplicated on
X-GitHub-Delivery, and mirrored onto tickets (issues, comments, failed runs)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.routes import github_payloads as payloads
from tests.routes.http_helpers import call

SECRET = "It's a Secret to Everybody"
WEBHOOK = "/api/v1/integrations/github/webhook"


def sign(secret: str, raw: bytes) -> str:
    from chalicelib.domain.webhook_signatures import sha256_signature

    return sha256_signature(secret, raw)


def deliver(
    client, workspace: str, event: str, payload=None, *, secret=SECRET, delivery_id=None, raw=None, signature=None
):
    """One delivery as GitHub sends it; ``signature=False`` leaves the signature header out."""
    raw = raw if raw is not None else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "30",
    }
    if signature is not False:
        headers["X-Hub-Signature-256"] = signature or sign(secret, raw)
    response = client.http.post(f"{WEBHOOK}?workspace={workspace}", headers=headers, body=raw)
    response.json = json.loads(response.body) if response.body else None
    return response


def configure(client, headers: dict, enabled: bool = True, secret: str | None = SECRET):
    body = {"enabled": enabled} | ({"secret": secret} if secret else {})
    return call(client, "PUT", "/api/v1/integrations/github", headers, body)


@pytest.fixture
def admin(client, as_role):
    headers = as_role("admin")
    assert configure(client, headers).status_code == 200
    return headers


def tickets_of(client, admin: dict) -> list[dict]:
    return call(client, "GET", "/api/v1/tickets?limit=100", admin).json["data"]


def ticket(client, admin: dict, ticket_id: str) -> dict:
    response = call(client, "GET", f"/api/v1/tickets/{ticket_id}", admin)
    assert response.status_code == 200, response.body
    return response.json


def events_of(workspace_id: str, event_type: str) -> list[dict]:
    from chalicelib.domain.events import envelope
    from chalicelib.models.events import EventItem

    items = EventItem.query(f"WS#{workspace_id}", EventItem.sk.startswith("EVENT#"))
    return [envelope(item) for item in items if item.type == event_type]


def test_signature_is_the_one_githubs_documentation_gives():
    assert sign(SECRET, b"Hello, World!") == ("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")


def test_configuring_answers_the_webhook_url_and_never_the_secret(client, as_role, workspace_id):
    response = configure(client, as_role("admin"))

    assert response.status_code == 200
    assert response.json["enabled"] is True
    assert response.json["webhook_url"].endswith(f"{WEBHOOK}?workspace={workspace_id}")
    assert SECRET.encode() not in response.body


@pytest.mark.parametrize(
    ("headers", "base"),
    [
        ({"Host": "127.0.0.1:8000"}, "http://127.0.0.1:8000"),
        ({"Host": "desk.example.com", "X-Forwarded-Proto": "https"}, "https://desk.example.com"),
        (  # API Gateway's own host serves the API under the stage's path
            {"Host": "a1b2c3.execute-api.eu-west-1.amazonaws.com", "X-Forwarded-Proto": "https"},
            "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/test",
        ),
    ],
)
def test_webhook_url_is_where_callers_reach_the_api(client, as_role, workspace_id, headers, base):
    response = configure(client, as_role("admin", **headers))

    assert response.json["webhook_url"] == f"{base}{WEBHOOK}?workspace={workspace_id}"


def test_configuring_is_audited_without_the_secret(client, as_role, workspace_id):
    from chalicelib.models.audit import AuditItem, audit_pk

    configure(client, as_role("admin"))
    configure(client, as_role("admin"), secret="a-rotated-secret-of-some-length")

    rows = [row for row in AuditItem.query(audit_pk(workspace_id)) if row.action == "integration.updated"]
    assert len(rows) == 2
    assert json.loads(rows[1].changes) == {"secret": {"from": "[redacted]", "to": "[redacted]"}}
    assert all(SECRET not in (row.changes or "") for row in rows)


def test_only_admins_configure_the_integration(client, as_role):
    assert configure(client, as_role("agent")).status_code == 403


def test_first_configuration_needs_a_secret(client, as_role):
    assert configure(client, as_role("admin"), secret=None).status_code == 400


def test_ping_is_answered(client, admin, workspace_id):
    response = deliver(client, workspace_id, "ping", payloads.ping())

    assert response.status_code == 200
    assert response.json["result"] == "applied"


def test_opened_issue_opens_a_ticket_linked_to_it(client, admin, workspace_id):
    response = deliver(client, workspace_id, "issues", payloads.issues("opened"))

    assert response.status_code == 200, response.body
    opened = ticket(client, admin, response.json["ticket_id"])
    assert opened["title"] == "[octocat/Hello-World#1347] Found a bug"
    assert opened["description"].startswith("It crashes")
    assert opened["source"] == "github"
    assert opened["status"] == "new"


def test_edited_issue_updates_the_title_and_description(client, admin, workspace_id):
    ticket_id = deliver(client, workspace_id, "issues", payloads.issues("opened")).json["ticket_id"]

    response = deliver(
        client, workspace_id, "issues", payloads.issues("edited", title="Crash on start", body="Only on Windows")
    )

    assert response.status_code == 200, response.body
    edited = ticket(client, admin, ticket_id)
    assert edited["title"] == "[octocat/Hello-World#1347] Crash on start"
    assert edited["description"].startswith("Only on Windows")


def test_closed_issue_resolves_the_ticket_and_reopened_reopens_it(client, admin, workspace_id):
    ticket_id = deliver(client, workspace_id, "issues", payloads.issues("opened")).json["ticket_id"]

    deliver(client, workspace_id, "issues", payloads.issues("closed"))
    assert ticket(client, admin, ticket_id)["status"] == "resolved"

    deliver(client, workspace_id, "issues", payloads.issues("reopened"))
    assert ticket(client, admin, ticket_id)["status"] == "open"


def test_issue_comment_becomes_a_public_comment_on_the_linked_ticket(client, admin, workspace_id):
    ticket_id = deliver(client, workspace_id, "issues", payloads.issues("opened")).json["ticket_id"]

    response = deliver(client, workspace_id, "issue_comment", payloads.issue_comment(body="Me too, on Windows 11"))

    assert response.status_code == 200, response.body
    comments = call(client, "GET", f"/api/v1/tickets/{ticket_id}/comments", admin).json["data"]
    assert len(comments) == 1
    assert comments[0]["is_internal"] is False
    assert "Me too, on Windows 11" in comments[0]["body_md"]
    assert "hubot" in comments[0]["body_md"]


def test_comment_on_an_issue_without_a_ticket_changes_nothing(client, admin, workspace_id):
    response = deliver(client, workspace_id, "issue_comment", payloads.issue_comment(number=9))

    assert response.status_code == 200
    assert response.json["result"] == "not_applied"
    assert tickets_of(client, admin) == []


def test_failed_workflow_run_opens_one_incident_and_emits_pipeline_failed(client, admin, workspace_id):
    first = deliver(client, workspace_id, "workflow_run", payloads.workflow_run("failure"))
    again = deliver(client, workspace_id, "workflow_run", payloads.workflow_run("failure"))  # a new delivery id

    assert first.status_code == 200, first.body
    incident = ticket(client, admin, first.json["ticket_id"])
    assert incident["ticket_class"] == "incident"
    assert incident["priority"] == "high"
    assert "Build" in incident["title"]
    assert again.json["result"] == "not_applied"
    assert len(tickets_of(client, admin)) == 1
    failed = events_of(workspace_id, "pipeline.failed")
    assert len(failed) == 1
    assert failed[0]["data"]["run_id"] == "30433642"
    assert failed[0]["data"]["ticket_id"] == incident["id"]


def test_timed_out_check_run_opens_an_incident(client, admin, workspace_id):
    response = deliver(client, workspace_id, "check_run", payloads.check_run("timed_out"))

    assert response.status_code == 200, response.body
    assert "Octocoders-linter" in ticket(client, admin, response.json["ticket_id"])["title"]
    assert len(events_of(workspace_id, "pipeline.failed")) == 1


def test_successful_run_is_recorded_and_ignored(client, admin, workspace_id):
    response = deliver(client, workspace_id, "workflow_run", payloads.workflow_run("success"))

    assert response.status_code == 202
    assert tickets_of(client, admin) == []


def test_unhandled_event_is_answered_202_and_recorded(client, admin, workspace_id):
    delivery_id = str(uuid.uuid4())

    first = deliver(client, workspace_id, "star", payloads.star(), delivery_id=delivery_id)
    again = deliver(client, workspace_id, "star", payloads.star(), delivery_id=delivery_id)

    assert first.status_code == 202
    assert first.json["result"] == "ignored"
    assert again.status_code == 200
    assert again.json["result"] == "duplicate"


def test_replayed_delivery_id_changes_nothing(client, admin, workspace_id):
    delivery_id = str(uuid.uuid4())
    first = deliver(client, workspace_id, "issues", payloads.issues("opened"), delivery_id=delivery_id)

    replay = deliver(client, workspace_id, "issues", payloads.issues("opened"), delivery_id=delivery_id)

    assert replay.status_code == 200
    assert replay.json["result"] == "duplicate"
    assert [item["id"] for item in tickets_of(client, admin)] == [first.json["ticket_id"]]


def test_replayed_comment_delivery_adds_no_second_comment(client, admin, workspace_id):
    ticket_id = deliver(client, workspace_id, "issues", payloads.issues("opened")).json["ticket_id"]
    delivery_id = str(uuid.uuid4())

    deliver(client, workspace_id, "issue_comment", payloads.issue_comment(), delivery_id=delivery_id)
    deliver(client, workspace_id, "issue_comment", payloads.issue_comment(), delivery_id=delivery_id)

    assert len(call(client, "GET", f"/api/v1/tickets/{ticket_id}/comments", admin).json["data"]) == 1


def test_tampered_body_is_refused(client, admin, workspace_id):
    raw = json.dumps(payloads.issues("opened")).encode()
    signature = sign(SECRET, raw)
    tampered = raw.replace(b"Found a bug", b"Found a bag")

    response = deliver(client, workspace_id, "issues", raw=tampered, signature=signature)

    assert response.status_code == 401
    assert tickets_of(client, admin) == []


def test_wrong_secret_is_refused(client, admin, workspace_id):
    response = deliver(client, workspace_id, "issues", payloads.issues("opened"), secret="not the secret at all")

    assert response.status_code == 401
    assert tickets_of(client, admin) == []


def test_missing_signature_is_refused(client, admin, workspace_id):
    response = deliver(client, workspace_id, "issues", payloads.issues("opened"), signature=False)

    assert response.status_code == 401
    assert tickets_of(client, admin) == []


def test_another_workspaces_secret_does_not_open_this_workspace(client, as_role, admin, workspace_id):
    other = f"ws-{uuid.uuid4().hex[:12]}"
    configure(client, as_role("admin", workspace=other), secret="the-other-workspaces-secret")

    response = deliver(client, workspace_id, "issues", payloads.issues("opened"), secret="the-other-workspaces-secret")

    assert response.status_code == 401
    assert tickets_of(client, admin) == []


def test_disabled_integration_answers_404(client, admin, workspace_id):
    configure(client, admin, enabled=False, secret=None)

    response = deliver(client, workspace_id, "issues", payloads.issues("opened"))

    assert response.status_code == 404
    assert tickets_of(client, admin) == []


def test_workspace_without_the_integration_answers_404(client, aws):
    assert deliver(client, "ws-never-configured", "ping", payloads.ping()).status_code == 404


def test_webhook_switched_off_for_the_deployment_answers_404(client, admin, workspace_id, env):
    env.set(GITHUB_WEBHOOK_ENABLED="false")

    assert deliver(client, workspace_id, "ping", payloads.ping()).status_code == 404


def test_oversized_payload_is_refused_413(client, admin, workspace_id):
    payload = payloads.issues("opened", body="x" * (1024 * 1024 + 1))

    response = deliver(client, workspace_id, "issues", payload)

    assert response.status_code == 413
    assert tickets_of(client, admin) == []


def test_malformed_json_with_a_valid_signature_is_400_and_records_nothing(client, admin, workspace_id):
    delivery_id = str(uuid.uuid4())

    broken = deliver(client, workspace_id, "issues", raw=b'{"action": "opened", "issue": ', delivery_id=delivery_id)
    fixed = deliver(client, workspace_id, "issues", payloads.issues("opened"), delivery_id=delivery_id)

    assert broken.status_code == 400
    assert fixed.json["result"] == "applied"  # the broken one left no delivery record behind


def test_payload_missing_what_its_event_needs_is_400(client, admin, workspace_id):
    payload = payloads.issues("opened")
    del payload["issue"]["number"]

    response = deliver(client, workspace_id, "issues", payload)

    assert response.status_code == 400
    assert tickets_of(client, admin) == []


def test_the_payload_never_picks_the_workspace(client, admin, workspace_id):
    payload = payloads.issues("opened") | {"workspace": "ws-someone-else", "workspace_id": "ws-someone-else"}

    response = deliver(client, workspace_id, "issues", payload)

    assert [item["id"] for item in tickets_of(client, admin)] == [response.json["ticket_id"]]
