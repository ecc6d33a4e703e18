"""The tickets route family: create, read, update, status, assignment, comments, history, delete."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import add_team, call, open_ticket

TICKETS = "/api/v1/tickets"


def test_creating_a_ticket_returns_it_with_a_readable_number_and_etag(client, as_role):
    agent = as_role("agent")

    response = call(client, "POST", TICKETS, agent, {"title": "Leak", "priority": "high", "tags": ["Plumbing"]})

    assert response.status_code == 201
    assert response.json["number"] == "DF-1001"
    assert response.json["status"] == "new"
    assert response.json["tags"] == ["plumbing"]
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Location"] == f"{TICKETS}/{response.json['id']}"


def test_ticket_numbers_are_sequential_within_a_workspace_and_independent_across_workspaces(client, as_role):
    first = open_ticket(client, as_role("agent"))
    second = open_ticket(client, as_role("agent"))
    elsewhere = open_ticket(client, as_role("agent", workspace="other-ws"))

    assert (first["number"], second["number"]) == ("DF-1001", "DF-1002")
    assert elsewhere["number"] == "DF-1001"


@pytest.mark.parametrize(
    ("given", "stored"),
    [("urgent", "urgent"), ("P1", "urgent"), ("p2", "high"), ("3", "medium"), (4, "low"), ("P4", "low")],
)
def test_priority_accepts_names_p_levels_and_numbers(client, as_role, given, stored):
    ticket = open_ticket(client, as_role("agent"), priority=given)

    assert ticket["priority"] == stored


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "no title"}, "title"),
        ({"title": "x", "priority": "P9"}, "priority"),
        ({"title": "x", "urgency": 5}, "urgency"),
        ({"title": "x", "ticket_class": "bug"}, "ticket_class"),
        ({"title": "x", "colour": "red"}, "colour"),
        ({"title": "x", "tags": ["ok", "not ok"]}, "tags[1]"),
        ({"title": "x", "custom_fields": "not an object"}, "custom_fields"),
        ({"title": 7}, "title"),
        ({"title": "x", "priority": True}, "priority"),
    ],
)
def test_invalid_ticket_input_is_a_400_naming_the_field(client, as_role, body, field):
    response = call(client, "POST", TICKETS, as_role("agent"), body)

    assert response.status_code == 400
    assert response.json["code"] == "validation_error"
    assert field in response.json["details"]


def test_blank_title_is_refused(client, as_role):
    response = call(client, "POST", TICKETS, as_role("agent"), {"title": "   "})

    assert response.status_code == 400
    assert response.json["details"] == {"title": "must not be blank"}


def test_malformed_json_is_a_400_and_non_json_is_a_415(client, as_role):
    headers = as_role("agent")

    malformed = call(client, "POST", TICKETS, headers, '{"title": ')
    form = call(client, "POST", TICKETS, {**headers, "Content-Type": "application/x-www-form-urlencoded"}, "title=x")

    assert (malformed.status_code, malformed.json["code"]) == (400, "invalid_json")
    assert (form.status_code, form.json["code"]) == (415, "unsupported_media_type")


def test_a_requester_opens_tickets_only_for_themselves(client, as_role):
    requester = as_role("requester", user_id="req-1")

    own = open_ticket(client, requester)
    for_someone_else = call(client, "POST", TICKETS, requester, {"title": "x", "requester_id": "req-2"})

    assert own["requester_id"] == "req-1"
    assert for_someone_else.status_code == 403


def test_staff_may_open_a_ticket_on_behalf_of_a_requester(client, as_role, member):
    requester = member("requester")

    ticket = open_ticket(client, as_role("agent"), requester_id=requester)

    assert ticket["requester_id"] == requester


def test_a_viewer_cannot_open_tickets(client, as_role):
    response = call(client, "POST", TICKETS, as_role("viewer"), {"title": "x"})

    assert response.status_code == 403


def test_a_ticket_can_be_read_by_id_or_by_number(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent, description="Pooling water", custom_fields={"floor": 3})

    by_id = call(client, "GET", f"{TICKETS}/{ticket['id']}", agent)
    by_number = call(client, "GET", f"{TICKETS}/{ticket['number'].lower()}", agent)

    assert by_id.json == ticket
    assert by_number.json["id"] == ticket["id"]
    assert by_id.json["custom_fields"] == {"floor": 3}
    assert by_id.headers["ETag"] == '"v1"'


def test_another_workspaces_ticket_is_answered_exactly_like_a_missing_one(client, as_role):
    ticket = open_ticket(client, as_role("agent"))
    outsider = as_role("admin", workspace="intruder-ws")

    foreign = call(client, "GET", f"{TICKETS}/{ticket['id']}", outsider)
    missing = call(client, "GET", f"{TICKETS}/does-not-exist", outsider)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json == missing.json


def test_a_requester_cannot_see_someone_elses_ticket(client, as_role):
    ticket = open_ticket(client, as_role("requester", user_id="req-1"))

    response = call(client, "GET", f"{TICKETS}/{ticket['id']}", as_role("requester", user_id="req-2"))

    assert response.status_code == 404


def test_patch_changes_fields_and_records_each_change_in_history(client, as_role):
    agent = as_role("agent", user_id="agent-7")
    ticket = open_ticket(client, agent, priority="low")

    patched = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"priority": "P1", "category": "plumbing"})
    history = call(client, "GET", f"{TICKETS}/{ticket['id']}/history", agent)

    assert patched.status_code == 200
    assert (patched.json["priority"], patched.json["category"], patched.json["version"]) == ("urgent", "plumbing", 2)
    assert patched.headers["ETag"] == '"v2"'
    changes = {row["field"]: (row["from"], row["to"], row["actor_id"]) for row in history.json["data"]}
    assert changes["priority"] == ("low", "urgent", "agent-7")
    assert changes["category"] == (None, "plumbing", "agent-7")
    assert changes["ticket"] == (None, "created", "agent-7")


def test_patch_with_a_stale_if_match_is_refused_with_412_and_changes_nothing(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}"
    call(client, "PATCH", path, {**agent, "If-Match": '"v1"'}, {"title": "First edit"})

    stale = call(client, "PATCH", path, {**agent, "If-Match": '"v1"'}, {"title": "Second edit"})

    assert stale.status_code == 412
    assert call(client, "GET", path, agent).json["title"] == "First edit"


def test_patch_with_the_current_etag_succeeds(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}"
    current = call(client, "GET", path, agent).headers["ETag"]

    response = call(client, "PATCH", path, {**agent, "If-Match": current}, {"title": "Edited"})

    assert response.status_code == 200


def test_a_lost_race_is_a_409_and_never_a_silent_overwrite(client, as_role, monkeypatch):
    from chalicelib.domain import tickets as ticket_domain
    from chalicelib.models.tickets import TicketItem, ticket_pk

    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}"
    workspace = agent["x-workspace-id"]
    stale_copy = TicketItem.get(ticket_pk(workspace, ticket["id"]), "TICKET")
    call(client, "PATCH", path, agent, {"title": "Winner"})
    monkeypatch.setattr(ticket_domain, "_load", lambda *_args: stale_copy)

    loser = call(client, "PATCH", path, agent, {"title": "Loser"})

    monkeypatch.undo()
    assert (loser.status_code, loser.json["code"]) == (409, "concurrent_update")
    assert call(client, "GET", path, agent).json["title"] == "Winner"
    fields = [row["to"] for row in call(client, "GET", f"{path}/history", agent).json["data"]]
    assert "Loser" not in fields


def test_a_requester_may_edit_the_title_of_their_ticket_but_not_its_priority(client, as_role):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)
    path = f"{TICKETS}/{ticket['id']}"

    title = call(client, "PATCH", path, requester, {"title": "Clearer title"})
    priority = call(client, "PATCH", path, requester, {"priority": "urgent"})

    assert title.status_code == 200
    assert priority.status_code == 403
    assert "priority" in priority.json["details"]


def test_status_moves_along_allowed_transitions_and_stamps_resolution(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}/status"

    in_progress = call(client, "POST", path, agent, {"status": "in_progress"})
    resolved = call(client, "POST", path, agent, {"status": "resolved", "reason": "Replaced the seal"})
    closed = call(client, "POST", path, agent, {"status": "closed"})

    assert in_progress.json["status"] == "in_progress"
    assert resolved.json["resolved_at"] is not None
    assert closed.json["status"] == "closed" and closed.json["closed_at"] is not None


def test_a_forbidden_transition_is_a_409_naming_the_allowed_ones(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    response = call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "closed"})

    assert response.status_code == 409
    assert response.json["code"] == "invalid_transition"
    assert "resolved" in response.json["details"]["status"]


def test_closed_tickets_are_final(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}/status"
    for status in ("resolved", "closed"):
        call(client, "POST", path, agent, {"status": status})

    response = call(client, "POST", path, agent, {"status": "open"})

    assert response.status_code == 409


def test_reopening_a_resolved_ticket_clears_its_resolution_time(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}/status"
    call(client, "POST", path, agent, {"status": "resolved"})

    reopened = call(client, "POST", path, agent, {"status": "open"})

    assert reopened.json["status"] == "open"
    assert reopened.json["resolved_at"] is None


def test_a_requester_may_cancel_their_ticket_but_not_resolve_it(client, as_role):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)
    path = f"{TICKETS}/{ticket['id']}/status"

    resolve = call(client, "POST", path, requester, {"status": "resolved"})
    cancel = call(client, "POST", path, requester, {"status": "cancelled"})

    assert resolve.status_code == 403
    assert cancel.status_code == 200 and cancel.json["status"] == "cancelled"


def test_setting_the_current_status_again_changes_nothing(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    response = call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "new"})

    assert response.status_code == 200
    assert response.json["version"] == 1


def test_assignment_sets_assignee_and_team_and_null_unassigns(client, as_role, member):
    agent = as_role("agent")
    colleague = member("agent")
    add_team(agent["x-workspace-id"], "plumbing")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}/assignment"

    assigned = call(client, "POST", path, agent, {"assignee_id": colleague, "team": "plumbing"})
    unassigned = call(client, "POST", path, agent, {"assignee_id": None})

    assert (assigned.json["assignee_id"], assigned.json["team"]) == (colleague, "plumbing")
    assert unassigned.json["assignee_id"] is None


@pytest.mark.parametrize("who", ["nobody", "requester", "viewer", "agent elsewhere"])
def test_tickets_are_assigned_only_to_agents_and_admins_of_the_workspace(client, as_role, member, who):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    assignee = {
        "nobody": "no-such-user",
        "requester": member("requester"),
        "viewer": member("viewer"),
        "agent elsewhere": member("agent", workspace="elsewhere-ws"),
    }[who]

    via_assignment = call(client, "POST", f"{TICKETS}/{ticket['id']}/assignment", agent, {"assignee_id": assignee})
    via_patch = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"assignee_id": assignee})

    for response in (via_assignment, via_patch):
        assert (response.status_code, response.json["code"]) == (400, "assignee_invalid")
    assert call(client, "GET", f"{TICKETS}/{ticket['id']}", agent).json["version"] == 1


def test_requesters_cannot_assign_tickets(client, as_role):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)

    response = call(client, "POST", f"{TICKETS}/{ticket['id']}/assignment", requester, {"assignee_id": "req-1"})

    assert response.status_code == 403


def test_requesters_never_see_internal_comments(client, as_role):
    requester = as_role("requester", user_id="req-1")
    agent = as_role("agent")
    ticket = open_ticket(client, requester)
    path = f"{TICKETS}/{ticket['id']}/comments"
    call(client, "POST", path, agent, {"body_md": "Looks like the **seal**", "is_internal": True})
    call(client, "POST", path, agent, {"body": "We are on it", "visibility": "public"})

    staff_view = call(client, "GET", path, agent)
    requester_view = call(client, "GET", path, requester)
    requester_history = call(client, "GET", f"{TICKETS}/{ticket['id']}/history", requester)

    assert [c["body_md"] for c in staff_view.json["data"]] == ["Looks like the **seal**", "We are on it"]
    assert [c["body_md"] for c in requester_view.json["data"]] == ["We are on it"]
    assert sum(row["field"] == "comment" for row in requester_history.json["data"]) == 1


def test_requesters_cannot_write_internal_comments(client, as_role):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)

    response = call(
        client, "POST", f"{TICKETS}/{ticket['id']}/comments", requester, {"body_md": "x", "is_internal": True}
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    "body", [{}, {"is_internal": False}, {"body_md": ""}, {"body_md": "x", "is_internal": True, "visibility": "public"}]
)
def test_a_comment_needs_a_body_and_consistent_visibility(client, as_role, body):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    response = call(client, "POST", f"{TICKETS}/{ticket['id']}/comments", agent, body)

    assert response.status_code == 400


def test_comment_on_a_missing_ticket_is_a_404(client, as_role):
    response = call(client, "POST", f"{TICKETS}/nope/comments", as_role("agent"), {"body_md": "hello"})

    assert response.status_code == 404


def test_only_admins_delete_and_a_deleted_ticket_is_gone_from_reads_and_lists(client, as_role):
    admin = as_role("admin")
    ticket = open_ticket(client, admin)
    path = f"{TICKETS}/{ticket['id']}"

    by_agent = call(client, "DELETE", path, as_role("agent"))
    by_admin = call(client, "DELETE", path, admin)

    assert by_agent.status_code == 403
    assert by_admin.status_code == 204 and by_admin.body == b""
    assert call(client, "GET", path, admin).status_code == 404
    assert call(client, "GET", f"{TICKETS}/{ticket['number']}", admin).status_code == 404
    assert call(client, "GET", TICKETS, admin).json["data"] == []


def test_every_change_writes_its_outbox_event_with_the_correlation_id(client, as_role, member):
    from chalicelib.domain.events import envelope
    from chalicelib.models.events import EventItem

    agent = as_role("agent", **{"x-correlation-id": "trace-123"})
    ticket = open_ticket(client, agent)
    call(client, "POST", f"{TICKETS}/{ticket['id']}/assignment", agent, {"assignee_id": member("agent")})
    call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "open"})
    call(client, "POST", f"{TICKETS}/{ticket['id']}/comments", agent, {"body_md": "hi"})
    call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"title": "New title"})

    events = [envelope(e) for e in EventItem.query(f"WS#{agent['x-workspace-id']}")]

    assert [e["type"] for e in events] == [
        "ticket.created",
        "ticket.assigned",
        "ticket.status_changed",
        "ticket.commented",
        "ticket.updated",
    ]
    assert {e["correlation_id"] for e in events} == {"trace-123"}
    assert all(e["subject"] == {"type": "ticket", "id": ticket["id"]} for e in events)
    assert events[2]["data"].items() >= {"from": "new", "to": "open", "reason": None, "priority": "medium"}.items()


def test_refused_input_does_not_spend_a_ticket_number(client, as_role):
    agent = as_role("agent")
    call(client, "POST", TICKETS, agent, {"title": "   "})
    call(client, "POST", TICKETS, agent, {"title": "x", "custom_fields": {"blob": "y" * 20000}})

    ticket = open_ticket(client, agent)

    assert ticket["number"] == "DF-1001"


def test_custom_json_is_accepted_as_an_alias_of_custom_fields(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent, custom_json={"floor": 3})

    patched = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"custom_json": {"floor": 4}})
    both = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"custom_json": {}, "custom_fields": {}})

    assert ticket["custom_fields"] == {"floor": 3}
    assert patched.json["custom_fields"] == {"floor": 4}
    assert both.status_code == 400
