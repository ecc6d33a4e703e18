"""Change requests (approval gates): request, vote to a quorum, reject, expire, complete; who may do
what; every transition on the ticket timeline, in the audit log and on the outbox."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import call, open_ticket


@pytest.fixture
def people(as_role):
    """The requester of changes, three named approvers and an admin."""
    return {
        "agent": as_role("agent", user_id="agent-req"),
        "a1": as_role("agent", user_id="appr-1"),
        "a2": as_role("agent", user_id="appr-2"),
        "a3": as_role("agent", user_id="appr-3"),
        "admin": as_role("admin", user_id="admin-1"),
    }


def request_change(client, headers, ticket_id, **policy):
    body = {
        "ticket_id": ticket_id,
        "agent_id": "agent-26",
        "action": "block_url",
        "target": "https://example.invalid/phish",
        "reason": "Confirmed phishing URL.",
        "risk_level": "medium",
        "approval_policy": {"requires_human": True, **policy},
    }
    response = call(client, "POST", "/api/v1/changes", headers, body)
    assert response.status_code == 201, response.body
    return response.json


def two_of_three(client, people, ticket_id, **policy):
    approvers = [{"user_id": "appr-1"}, {"user_id": "appr-2"}, {"user_id": "appr-3"}]
    return request_change(client, people["agent"], ticket_id, approvers=approvers, quorum=2, **policy)


def vote(client, headers, change_id, decision="approve", **body):
    return call(client, "POST", f"/api/v1/changes/{change_id}/{decision}", headers, body)


def test_a_change_is_approved_when_the_quorum_is_reached(client, people):
    ticket = open_ticket(client, people["agent"])
    change = two_of_three(client, people, ticket["id"])

    first = vote(client, people["a1"], change["id"], reason="looks right")
    second = vote(client, people["a2"], change["id"])

    assert change["status"] == "pending" and change["execution_arn"]
    assert (first.json["status"], first.json["approvals"]) == ("pending", 1)
    assert (second.json["status"], second.json["decided_by"]) == ("approved", "appr-2")


def test_a_vote_after_the_decision_is_refused(client, people):
    change = two_of_three(client, people, open_ticket(client, people["agent"])["id"])
    vote(client, people["a1"], change["id"])
    vote(client, people["a2"], change["id"])

    late = vote(client, people["a3"], change["id"], "reject")

    assert late.status_code == 409
    assert late.json["code"] == "change_decided"


def test_one_rejection_decides_the_change(client, people):
    change = two_of_three(client, people, open_ticket(client, people["agent"])["id"])
    vote(client, people["a1"], change["id"])

    rejected = vote(client, people["a2"], change["id"], "reject", reason="Insufficient evidence")

    assert rejected.json["status"] == "rejected"
    assert vote(client, people["a3"], change["id"]).status_code == 409


def test_an_approver_votes_once(client, people):
    change = two_of_three(client, people, open_ticket(client, people["agent"])["id"])
    vote(client, people["a1"], change["id"])

    again = vote(client, people["a1"], change["id"])

    assert again.status_code == 409
    assert again.json["code"] == "already_voted"


def test_the_requester_cannot_approve_their_own_change(client, people, as_role):
    ticket = open_ticket(client, people["agent"])
    change = request_change(
        client, people["a1"], ticket["id"], approvers=[{"user_id": "appr-1"}, {"user_id": "appr-2"}]
    )

    own = vote(client, people["a1"], change["id"])

    assert own.status_code == 403
    assert own.json["code"] == "own_change"


def test_only_a_named_approver_or_a_holder_of_a_named_role_may_vote(client, people, as_role):
    ticket = open_ticket(client, people["agent"])
    by_user = two_of_three(client, people, ticket["id"])
    by_role = request_change(client, people["agent"], ticket["id"], approvers=[{"role": "admin"}])

    assert vote(client, as_role("agent", user_id="bystander"), by_user["id"]).status_code == 403
    assert vote(client, people["a1"], by_role["id"]).status_code == 403
    assert vote(client, people["admin"], by_role["id"]).json["status"] == "approved"


def test_a_vote_after_expiry_is_refused_and_the_change_leaves_the_pending_list(client, people, clock):
    change = two_of_three(client, people, open_ticket(client, people["agent"])["id"], expires_in=60)
    clock.advance(seconds=61)

    late = vote(client, people["a1"], change["id"])
    pending = call(client, "GET", "/api/v1/changes/pending", people["a1"]).json["data"]
    status = call(client, "GET", f"/api/v1/changes/{change['id']}/status", people["a1"]).json

    assert late.status_code == 409 and late.json["code"] == "change_expired"
    assert pending == []
    assert status["expired"] is True


def test_only_an_approved_change_can_be_completed(client, people):
    change = two_of_three(client, people, open_ticket(client, people["agent"])["id"])
    path = f"/api/v1/changes/{change['id']}/complete"
    body = {"result": "URL block applied", "completed_by": "agent_26"}

    too_early = call(client, "POST", path, people["agent"], body)
    vote(client, people["a1"], change["id"])
    vote(client, people["a2"], change["id"])
    completed = call(client, "POST", path, people["agent"], body)

    assert too_early.status_code == 409
    assert (completed.json["status"], completed.json["result"]) == ("completed", "URL block applied")


def test_every_transition_writes_a_ticket_note_an_event_and_an_audit_row(client, people):
    ticket = open_ticket(client, people["agent"])
    change = two_of_three(client, people, ticket["id"])
    vote(client, people["a1"], change["id"])
    vote(client, people["a2"], change["id"])
    call(client, "POST", f"/api/v1/changes/{change['id']}/complete", people["agent"], {"result": "done"})

    notes = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/comments", people["agent"]).json["data"]
    detail = call(client, "GET", f"/api/v1/changes/{change['id']}", people["a1"]).json
    outbox = call(client, "GET", "/api/v1/events/outbox?limit=100", people["admin"]).json["data"]

    assert [note["body_md"].split("**")[0] for note in notes] == ["Change requested: ", "Change ", "Change "]
    assert all(note["is_internal"] for note in notes)
    assert [entry["event"] for entry in detail["timeline"]] == ["requested", "voted", "voted", "approved", "completed"]
    assert [v["user_id"] for v in detail["votes"]] == ["appr-1", "appr-2"]
    change_events = [row["type"] for row in outbox if row["subject"]["type"] == "change"]
    assert sorted(change_events) == ["change.approved", "change.completed", "change.requested"]
    audited = audit_actions(people["admin"]["x-workspace-id"], change["id"])
    assert sorted(audited) == [
        "change.approved",
        "change.completed",
        "change.requested",
        "change.voted",
        "change.voted",
    ]


def audit_actions(workspace_id: str, change_id: str) -> list[str]:
    from chalicelib.models.audit import AuditItem, target_key

    return [row.action for row in AuditItem.by_target.query(target_key(workspace_id, "change", change_id))]


def test_lists_filter_by_status_ticket_and_agent_newest_first(client, people, clock):
    first_ticket, second_ticket = open_ticket(client, people["agent"]), open_ticket(client, people["agent"])
    older = two_of_three(client, people, first_ticket["id"])
    clock.advance(seconds=1)
    newer = two_of_three(client, people, second_ticket["id"])
    vote(client, people["a1"], older["id"], "reject")

    def listed(query):
        return [c["id"] for c in call(client, "GET", f"/api/v1/changes{query}", people["a1"]).json["data"]]

    assert listed("") == [newer["id"], older["id"]]
    assert listed("?status=rejected") == [older["id"]]
    assert listed(f"?ticket_id={second_ticket['id']}") == [newer["id"]]
    assert listed("?agent_id=agent-26&status=pending") == [newer["id"]]
    assert listed("/pending") == [newer["id"]]


def test_a_change_without_human_approval_is_approved_at_once(client, people):
    change = request_change(client, people["agent"], open_ticket(client, people["agent"])["id"], requires_human=False)

    assert (change["status"], change["decided_by"], change["execution_arn"]) == ("approved", "system", None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ticket_id": "no-such-ticket"}, "ticket_id"),
        ({"approval_policy": {"approvers": [{"user_id": "stranger"}]}}, "approval_policy.approvers[0].user_id"),
        ({"approval_policy": {"approvers": [{"user_id": "appr-1"}], "quorum": 2}}, "approval_policy.quorum"),
        ({"approval_policy": {"approvers": [{"team": "x"}]}}, "approval_policy.approvers[0]"),
        ({"risk_level": "extreme"}, "risk_level"),
    ],
)
def test_a_change_request_with_bad_input_is_refused(client, people, change, field):
    ticket = open_ticket(client, people["agent"])
    body = {"ticket_id": ticket["id"], "action": "restart", **change}

    response = call(client, "POST", "/api/v1/changes", people["agent"], body)

    assert response.status_code == 400, response.body
    assert field in response.json["details"]


def test_requesters_cannot_request_or_read_changes_and_viewers_can_read(client, people, as_role):
    change = two_of_three(client, people, open_ticket(client, people["agent"])["id"])
    requester, viewer = as_role("requester"), as_role("viewer")

    assert call(client, "POST", "/api/v1/changes", requester, {"ticket_id": "x", "action": "y"}).status_code == 403
    assert call(client, "GET", f"/api/v1/changes/{change['id']}", requester).status_code == 403
    assert call(client, "GET", f"/api/v1/changes/{change['id']}", viewer).status_code == 200


def test_another_workspace_sees_no_such_change(client, people, as_role):
    change = two_of_three(client, people, open_ticket(client, people["agent"])["id"])
    other = as_role("admin", workspace="ws-elsewhere")

    assert call(client, "GET", f"/api/v1/changes/{change['id']}", other).status_code == 404
    assert vote(client, other, change["id"]).status_code == 404


def test_a_change_may_name_its_ticket_by_number(client, people):
    ticket = open_ticket(client, people["agent"])

    change = request_change(client, people["agent"], ticket["number"], approvers=[{"user_id": "appr-1"}])

    assert change["ticket_id"] == ticket["id"]
