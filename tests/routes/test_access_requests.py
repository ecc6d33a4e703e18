"""Access requests (seed 001): a child ticket for the owning team and an approval gate on the original
ticket; the decision, carried out by the access-grants consumer, grants access and resumes the work."""

from __future__ import annotations

from chalicelib.events.catalogue import ACCESS_GRANTS
from tests.routes.http_helpers import call, open_ticket
from tests.unit.test_event_delivery import drain, lambda_event

ACCESS = {
    "agent_id": "agent-123",
    "resource": "GitLab project demo/private-infra",
    "permission": "Developer repository read access",
    "account_ref": "agent-123",
    "risk_level": "medium",
    "sync_provider": False,
    "reason": "Repository API returned 403; read access is needed before evidence can be reviewed.",
    "approval_policy": {"approvers": [{"user_id": "appr-1"}]},
}


def request_access(client, headers, ticket_id, **overrides):
    return call(client, "POST", f"/api/v1/tickets/{ticket_id}/access-request", headers, {**ACCESS, **overrides})


def carry_out_decisions(messages: list[dict] | None = None) -> list[dict]:
    """Publish what is pending and run the access-grants consumer on what reaches its queue (or on
    ``messages`` again, as a redelivery); returns the messages it ran on."""
    from chalicelib.domain.events import publish_pending
    from functions.access_grants_consumer import handler

    if messages is None:
        publish_pending()
        messages = drain(ACCESS_GRANTS.queue)
    assert handler(lambda_event(messages, ACCESS_GRANTS.queue), None)["batchItemFailures"] == []
    return messages


def test_an_access_request_opens_a_child_ticket_and_a_gate(client, as_role):
    agent = as_role("agent", user_id="agent-1")
    as_role("agent", user_id="appr-1")
    original = open_ticket(client, agent)

    created = request_access(client, agent, original["id"])

    assert created.status_code == 201, created.body
    child = call(client, "GET", f"/api/v1/tickets/{created.json['access_ticket_id']}", agent).json
    assert (child["ticket_class"], child["tags"]) == ("service_request", ["access-request"])
    assert child["custom_fields"]["parent_ticket_id"] == original["id"]
    assert created.json["grant_status"] == "pending"
    assert (created.json["change"]["kind"], created.json["change"]["ticket_id"]) == ("access_request", original["id"])


def test_approval_grants_access_and_puts_the_original_ticket_back_to_work(client, as_role):
    agent, approver = as_role("agent", user_id="agent-1"), as_role("agent", user_id="appr-1")
    original = open_ticket(client, agent)
    call(client, "POST", f"/api/v1/tickets/{original['id']}/status", agent, {"status": "on_hold"})
    created = request_access(client, agent, original["id"]).json

    call(client, "POST", f"/api/v1/changes/{created['change_id']}/approve", approver, {})
    carry_out_decisions(carry_out_decisions())  # the second time as a redelivery: it changes nothing

    child = call(client, "GET", f"/api/v1/tickets/{created['access_ticket_id']}", agent).json
    resumed = call(client, "GET", f"/api/v1/tickets/{original['id']}", agent).json
    listed = call(client, "GET", f"/api/v1/tickets/{original['id']}/access-requests", agent).json["data"]
    assert (child["status"], resumed["status"]) == ("resolved", "in_progress")
    assert [(item["change_id"], item["grant_status"]) for item in listed] == [(created["change_id"], "granted")]


def test_a_rejected_access_request_cancels_its_child_ticket(client, as_role):
    agent, approver = as_role("agent", user_id="agent-1"), as_role("agent", user_id="appr-1")
    original = open_ticket(client, agent)
    created = request_access(client, agent, original["id"]).json

    call(client, "POST", f"/api/v1/changes/{created['change_id']}/reject", approver, {"reason": "no"})
    carry_out_decisions()

    child = call(client, "GET", f"/api/v1/tickets/{created['access_ticket_id']}", agent).json
    assert child["status"] == "cancelled"
    assert call(client, "GET", f"/api/v1/tickets/{original['id']}", agent).json["status"] == "new"


def test_a_gate_that_cannot_be_opened_leaves_no_access_ticket_waiting(client, as_role):
    agent = as_role("agent", user_id="agent-1")
    original = open_ticket(client, agent)

    refused = request_access(client, agent, original["id"], approval_policy={"approvers": [{"user_id": "nobody"}]})

    assert refused.status_code == 400
    children = call(client, "GET", "/api/v1/tickets?tag=access-request", agent).json["data"]
    assert [child["status"] for child in children] == ["cancelled"]


def test_an_access_request_on_an_unknown_ticket_is_404_and_requesters_cannot_make_one(client, as_role):
    agent, requester = as_role("agent"), as_role("requester", user_id="req-1")
    own = open_ticket(client, requester)

    assert request_access(client, agent, "no-such-ticket").status_code == 404
    assert request_access(client, requester, own["id"]).status_code == 403
