"""Ticket watchers: who may add and remove whom, bad input, and the 404s of the ticket routes."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import call, open_ticket


def watchers_path(ticket: dict) -> str:
    return f"/api/v1/tickets/{ticket['id']}/watchers"


def watcher_ids(client, headers, ticket) -> list[str]:
    response = call(client, "GET", watchers_path(ticket), headers)
    assert response.status_code == 200, response.body
    return [watcher["user_id"] for watcher in response.json["data"]]


def audit_actions(workspace_id: str) -> list[str]:
    from chalicelib.models.audit import AuditItem, audit_pk

    return [row.action for row in AuditItem.query(audit_pk(workspace_id))]


def test_staff_add_a_colleague_who_then_appears_in_the_list_with_who_added_them(client, as_role, member):
    agent = as_role("agent", user_id="agent-1")
    colleague = member("agent")
    ticket = open_ticket(client, agent)

    response = call(client, "POST", watchers_path(ticket), agent, {"user_id": colleague})

    assert response.status_code == 200
    assert response.json["user_id"] == colleague
    assert response.json["added_by"] == "agent-1"
    assert watcher_ids(client, agent, ticket) == [colleague]


def test_adding_a_watcher_twice_answers_the_same_watcher_and_records_one_change(client, as_role, member, workspace_id):
    agent = as_role("agent")
    colleague = member("agent")
    ticket = open_ticket(client, agent)

    first = call(client, "POST", watchers_path(ticket), agent, {"user_id": colleague})
    second = call(client, "POST", watchers_path(ticket), agent, {"user_id": colleague})
    history = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/history", agent).json["data"]

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json == first.json
    assert watcher_ids(client, agent, ticket) == [colleague]
    assert [row["to"] for row in history if row["field"] == "watcher"] == [colleague]
    assert audit_actions(workspace_id).count("ticket.watcher_added") == 1


def test_adding_and_removing_a_watcher_each_write_a_history_row_and_an_audit_row(client, as_role, member, workspace_id):
    agent = as_role("agent", user_id="agent-1")
    colleague = member("agent")
    ticket = open_ticket(client, agent)

    call(client, "POST", watchers_path(ticket), agent, {"user_id": colleague})
    removed = call(client, "DELETE", f"{watchers_path(ticket)}/{colleague}", agent)
    history = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/history", agent).json["data"]

    assert removed.status_code == 204
    assert watcher_ids(client, agent, ticket) == []
    assert [(row["from"], row["to"], row["actor_id"]) for row in history if row["field"] == "watcher"] == [
        (None, colleague, "agent-1"),
        (colleague, None, "agent-1"),
    ]
    assert sorted(a for a in audit_actions(workspace_id) if a.startswith("ticket.watcher")) == [
        "ticket.watcher_added",
        "ticket.watcher_removed",
    ]


def test_a_requester_watches_their_own_ticket_but_cannot_add_anyone_else(client, as_role, member):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)

    themselves = call(client, "POST", watchers_path(ticket), requester, {"user_id": "req-1"})
    someone_else = call(client, "POST", watchers_path(ticket), requester, {"user_id": member("agent")})

    assert themselves.status_code == 200
    assert someone_else.status_code == 403
    assert watcher_ids(client, requester, ticket) == ["req-1"]


def test_a_requester_cannot_watch_or_list_the_watchers_of_someone_elses_ticket(client, as_role):
    owner = as_role("requester", user_id="req-1")
    stranger = as_role("requester", user_id="req-2")
    ticket = open_ticket(client, owner)

    added = call(client, "POST", watchers_path(ticket), stranger, {"user_id": "req-2"})
    listed = call(client, "GET", watchers_path(ticket), stranger)

    assert (added.status_code, listed.status_code) == (404, 404)


def test_staff_cannot_make_a_requester_watch_a_ticket_that_requester_cannot_see(client, as_role, member):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    other_requester = member("requester")

    response = call(client, "POST", watchers_path(ticket), agent, {"user_id": other_requester})

    assert response.status_code == 400
    assert response.json["code"] == "watcher_invalid"
    assert watcher_ids(client, agent, ticket) == []


def test_staff_may_add_the_tickets_own_requester_as_a_watcher(client, as_role, member):
    agent = as_role("agent")
    requester = member("requester")
    ticket = open_ticket(client, agent, requester_id=requester)

    response = call(client, "POST", watchers_path(ticket), agent, {"user_id": requester})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "user_id"), ({"user_id": ""}, "user_id"), ({"user_id": 7}, "user_id"), ({"user_id": "a", "x": 1}, "x")],
)
def test_malformed_watcher_input_is_a_400_naming_the_field(client, as_role, body, field):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    response = call(client, "POST", watchers_path(ticket), agent, body)

    assert response.status_code == 400
    assert field in response.json["details"]


def test_an_unknown_user_or_a_member_of_another_workspace_cannot_be_added(client, as_role, member):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    outsider = member("agent", workspace="other-ws")

    unknown = call(client, "POST", watchers_path(ticket), agent, {"user_id": "nobody"})
    foreign = call(client, "POST", watchers_path(ticket), agent, {"user_id": outsider})

    assert (unknown.status_code, foreign.status_code) == (400, 400)
    assert unknown.json["details"] == {"user_id": "is not an active member of this workspace"}


def test_watchers_of_a_missing_deleted_or_foreign_ticket_are_404(client, as_role):
    agent = as_role("agent", user_id="agent-1")
    admin = as_role("admin")
    deleted = open_ticket(client, agent)
    call(client, "DELETE", f"/api/v1/tickets/{deleted['id']}", admin)
    foreign = open_ticket(client, as_role("agent", user_id="agent-1", workspace="other-ws"))

    for ticket in ({"id": "no-such-ticket"}, deleted, foreign):
        assert call(client, "GET", watchers_path(ticket), agent).status_code == 404
        assert call(client, "POST", watchers_path(ticket), agent, {"user_id": "agent-1"}).status_code == 404
        assert call(client, "DELETE", f"{watchers_path(ticket)}/agent-1", agent).status_code == 404


def test_a_watcher_removes_themselves_but_a_requester_cannot_remove_others(client, as_role, member):
    agent = as_role("agent")
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)
    colleague = member("agent")
    call(client, "POST", watchers_path(ticket), agent, {"user_id": colleague})
    call(client, "POST", watchers_path(ticket), requester, {"user_id": "req-1"})

    refused = call(client, "DELETE", f"{watchers_path(ticket)}/{colleague}", requester)
    left = call(client, "DELETE", f"{watchers_path(ticket)}/req-1", requester)

    assert (refused.status_code, left.status_code) == (403, 204)
    assert watcher_ids(client, agent, ticket) == [colleague]


def test_removing_someone_who_is_not_watching_is_a_404(client, as_role, member):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    response = call(client, "DELETE", f"{watchers_path(ticket)}/{member('agent')}", agent)

    assert response.status_code == 404


def test_a_viewer_lists_watchers_but_cannot_add_any(client, as_role):
    agent = as_role("agent", user_id="agent-1")
    viewer = as_role("viewer", user_id="viewer-1")
    ticket = open_ticket(client, agent)
    call(client, "POST", watchers_path(ticket), agent, {"user_id": "agent-1"})

    listed = call(client, "GET", watchers_path(ticket), viewer)
    added = call(client, "POST", watchers_path(ticket), viewer, {"user_id": "viewer-1"})

    assert listed.json["data"][0]["user_id"] == "agent-1"
    assert added.status_code == 403


def test_the_watcher_list_pages_with_a_cursor(client, as_role, member):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    colleagues = sorted(member("agent") for _ in range(3))
    for colleague in colleagues:
        call(client, "POST", watchers_path(ticket), agent, {"user_id": colleague})

    first = call(client, "GET", f"{watchers_path(ticket)}?limit=2", agent).json
    second = call(client, "GET", f"{watchers_path(ticket)}?limit=2&cursor={first['page']['next_cursor']}", agent).json

    assert [w["user_id"] for w in first["data"] + second["data"]] == colleagues
    assert second["page"]["next_cursor"] is None
