"""RACI routing (seed 001): a ticket created with ``auto_assign: true`` runs the workspace's enabled rules in
order; the first match gives it to its group's least-loaded responsible member (loads from the ticket
counters, fed by the ticket events), makes the accountable and consulted watch it, and leaves a history row
naming the rule. No match leaves it unassigned."""

from __future__ import annotations

import pytest

from tests.counters import deliver_counters, outbox_envelopes
from tests.routes.http_helpers import add_team, call, open_ticket

RACI = "/api/v1/intake/raci"


@pytest.fixture
def admin(as_role):
    return as_role("admin", user_id="admin-1")


@pytest.fixture
def agent(as_role):
    return as_role("agent", user_id="agent-a")


@pytest.fixture
def staff(member, agent):
    """agent-a (the ``agent`` caller), agent-b, agent-c, a viewer and a requester."""
    for user_id in ("agent-b", "agent-c"):
        member("agent", user_id=user_id)
    member("viewer", user_id="viewer-1")
    member("requester", user_id="req-1")


def group(client, admin, name, responsible, accountable=(), consulted=(), team=None) -> str:
    members = {"responsible": list(responsible), "accountable": list(accountable), "consulted": list(consulted)}
    body = {"name": name, "members": members, **({"team": team} if team else {})}
    response = call(client, "POST", f"{RACI}/groups", admin, body)
    assert response.status_code == 201, response.body
    return response.json["id"]


def rule(client, admin, name, group_id, **fields) -> dict:
    body = {"name": name, "enabled": True, "group_id": group_id, "auto_assign": True, **fields}
    response = call(client, "POST", f"{RACI}/rules", admin, body)
    assert response.status_code == 201, response.body
    return response.json


def routed(client, headers, **fields) -> dict:
    return open_ticket(client, headers, auto_assign=True, **fields)


def created_event(workspace_id, ticket_id) -> dict:
    (event,) = [
        event
        for event in outbox_envelopes(workspace_id)
        if event["type"] == "ticket.created" and event["subject"]["id"] == ticket_id
    ]
    return event


def assign(client, headers, ticket_id, assignee_id):
    response = call(client, "POST", f"/api/v1/tickets/{ticket_id}/assignment", headers, {"assignee_id": assignee_id})
    assert response.status_code == 200, response.body


def test_the_first_matching_rule_wins(client, admin, agent, staff, workspace_id):
    plumbers = group(client, admin, "Plumbers", ["agent-b"])
    desk = group(client, admin, "Desk", ["agent-c"])
    rule(client, admin, "Catch-all", desk, position=20)
    first = rule(client, admin, "Plumbing", plumbers, position=10, category="PLUMBING")

    plumbing = routed(client, agent, category="plumbing")
    other = routed(client, agent, category="Hardware")

    assert plumbing["assignee_id"] == "agent-b"
    assert other["assignee_id"] == "agent-c"
    assert created_event(workspace_id, plumbing["id"])["data"]["routing"] == {
        "matched": True,
        "rule_id": first["id"],
        "rule_name": "Plumbing",
        "group_id": plumbers,
        "assigned": True,
    }


def test_a_rule_matches_only_when_every_field_it_sets_matches(client, admin, agent, staff):
    urgent = group(client, admin, "Urgent incidents", ["agent-b"])
    rule(client, admin, "Urgent incidents", urgent, ticket_class="incident", priority="urgent")

    matching = routed(client, agent, ticket_class="incident", priority="P1")
    wrong_priority = routed(client, agent, ticket_class="incident", priority="high")
    wrong_class = routed(client, agent, ticket_class="service_request", priority="urgent")

    assert matching["assignee_id"] == "agent-b"
    assert (wrong_priority["assignee_id"], wrong_class["assignee_id"]) == (None, None)


def test_disabled_rules_are_skipped(client, admin, agent, staff):
    first, second = group(client, admin, "First", ["agent-b"]), group(client, admin, "Second", ["agent-c"])
    disabled = rule(client, admin, "Off", first, position=1)
    rule(client, admin, "On", second, position=2)
    assert call(client, "PATCH", f"{RACI}/rules/{disabled['id']}", admin, {"enabled": False}).status_code == 200

    ticket = routed(client, agent)

    assert ticket["assignee_id"] == "agent-c"


def test_a_keyword_matches_as_a_word_of_the_title_or_description_ignoring_case(client, admin, agent, staff):
    plumbers = group(client, admin, "Plumbers", ["agent-b"])
    rule(client, admin, "Leaks", plumbers, keywords=["leak", "burst pipe"])

    in_title = routed(client, agent, title="LEAK in the kitchen")
    in_description = routed(client, agent, title="Kitchen", description="There is a burst   pipe under the sink.")
    part_of_a_word = routed(client, agent, title="Leaky faucet", description="it drips")

    assert (in_title["assignee_id"], in_description["assignee_id"]) == ("agent-b", "agent-b")
    assert part_of_a_word["assignee_id"] is None


def test_the_least_loaded_responsible_member_takes_the_ticket(client, admin, agent, staff, workspace_id):
    desk = group(client, admin, "Desk", ["agent-a", "agent-b", "agent-c"])
    rule(client, admin, "Everything", desk)
    for assignee in ("agent-a", "agent-a", "agent-b", "agent-c"):
        assign(client, agent, open_ticket(client, agent)["id"], assignee)
    deliver_counters(workspace_id)  # loads: a 2, b 1, c 1

    first = routed(client, agent)  # b and c tie: b is listed first
    deliver_counters(workspace_id)  # loads: a 2, b 2, c 1
    second = routed(client, agent)

    assert (first["assignee_id"], second["assignee_id"]) == ("agent-b", "agent-c")


def test_resolved_tickets_no_longer_count_towards_the_load(client, admin, agent, staff, workspace_id):
    desk = group(client, admin, "Desk", ["agent-b", "agent-a"])
    rule(client, admin, "Everything", desk)
    busy = [open_ticket(client, agent)["id"] for _ in range(2)]
    for ticket_id in busy:
        assign(client, agent, ticket_id, "agent-b")
    assign(client, agent, open_ticket(client, agent)["id"], "agent-a")
    deliver_counters(workspace_id)  # loads: b 2, a 1
    assert routed(client, agent)["assignee_id"] == "agent-a"

    for ticket_id in busy:
        resolved = call(client, "POST", f"/api/v1/tickets/{ticket_id}/status", agent, {"status": "resolved"})
        assert resolved.status_code == 200, resolved.body
    deliver_counters(workspace_id)  # loads: b 0, a 2

    assert routed(client, agent)["assignee_id"] == "agent-b"


def test_a_reassignment_with_a_status_change_moves_the_load_whatever_order_the_events_come_in(
    client, admin, agent, workspace_id, staff
):
    from chalicelib.domain.ticket_counters import apply_ticket_event
    from chalicelib.models.metrics import assignee_loads

    ticket = open_ticket(client, agent)
    assign(client, agent, ticket["id"], "agent-b")
    patched = call(
        client, "PATCH", f"/api/v1/tickets/{ticket['id']}", agent, {"assignee_id": "agent-c", "status": "on_hold"}
    )
    assert patched.status_code == 200, patched.body
    withdrawn = open_ticket(client, agent)
    assign(client, agent, withdrawn["id"], "agent-c")
    assert call(client, "DELETE", f"/api/v1/tickets/{withdrawn['id']}", admin).status_code == 204

    for event in reversed(outbox_envelopes(workspace_id)):
        apply_ticket_event(event)

    assert assignee_loads(workspace_id, ["agent-b", "agent-c"]) == {"agent-b": 0, "agent-c": 1}


def test_the_accountable_and_consulted_watch_the_ticket(client, admin, agent, staff):
    desk = group(client, admin, "Desk", ["agent-b"], accountable=["admin-1", "viewer-1"], consulted=["agent-c"])
    rule(client, admin, "Everything", desk)

    ticket = routed(client, agent)

    watchers = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/watchers", agent).json["data"]
    assert sorted(watcher["user_id"] for watcher in watchers) == ["admin-1", "agent-c", "viewer-1"]


def test_a_history_row_names_the_rule(client, admin, agent, staff):
    desk = group(client, admin, "Desk", ["agent-b"])
    rule(client, admin, "Front desk", desk)

    ticket = routed(client, agent)

    history = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/history", agent).json["data"]
    assert [(row["field"], row["to"]) for row in history if row["field"] == "routing"] == [("routing", "Front desk")]


def test_no_matching_rule_leaves_the_ticket_unassigned(client, admin, agent, staff, workspace_id):
    plumbers = group(client, admin, "Plumbers", ["agent-b"], accountable=["agent-c"])
    rule(client, admin, "Plumbing", plumbers, category="Plumbing")

    ticket = routed(client, agent, category="Electrical")

    assert ticket["assignee_id"] is None
    assert created_event(workspace_id, ticket["id"])["data"]["routing"] == {"matched": False}
    assert call(client, "GET", f"/api/v1/tickets/{ticket['id']}/watchers", agent).json["data"] == []


def test_a_rule_without_auto_assign_matches_but_assigns_nobody(client, admin, agent, staff, workspace_id):
    desk = group(client, admin, "Desk", ["agent-b"], consulted=["agent-c"])
    rule(client, admin, "Watch only", desk, auto_assign=False)

    ticket = routed(client, agent)

    assert ticket["assignee_id"] is None
    routing = created_event(workspace_id, ticket["id"])["data"]["routing"]
    assert (routing["matched"], routing["rule_name"], routing["assigned"]) == (True, "Watch only", False)
    watchers = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/watchers", agent).json["data"]
    assert [watcher["user_id"] for watcher in watchers] == ["agent-c"]


def test_the_groups_team_is_set_when_the_ticket_has_none(client, admin, agent, staff, workspace_id):
    add_team(workspace_id, "plumbing")
    add_team(workspace_id, "facilities")
    plumbers = group(client, admin, "Plumbers", ["agent-b"], team="plumbing")
    rule(client, admin, "Plumbing", plumbers)

    without_team = routed(client, agent)
    with_team = routed(client, agent, team="facilities")

    assert (without_team["team"], with_team["team"]) == ("plumbing", "facilities")


def test_without_auto_assign_no_rule_runs(client, admin, agent, staff, workspace_id):
    desk = group(client, admin, "Desk", ["agent-b"])
    rule(client, admin, "Everything", desk)

    ticket = open_ticket(client, agent)

    assert ticket["assignee_id"] is None
    assert "routing" not in created_event(workspace_id, ticket["id"])["data"]


def test_a_requester_may_ask_for_routing(client, admin, staff, as_role):
    desk = group(client, admin, "Desk", ["agent-b"])
    rule(client, admin, "Everything", desk)

    ticket = routed(client, as_role("requester", user_id="req-1"))

    assert ticket["assignee_id"] == "agent-b"


def test_a_member_who_left_the_workspace_or_lost_the_role_is_passed_over(client, admin, agent, staff):
    desk = group(client, admin, "Desk", ["agent-b", "agent-c", "agent-a"], accountable=["viewer-1", "admin-1"])
    rule(client, admin, "Everything", desk)
    left = call(client, "PATCH", "/api/v1/users/agent-b", admin, {"status": "deactivated"})
    demoted = call(client, "PATCH", "/api/v1/users/viewer-1", admin, {"roles": ["requester"]})
    assert (left.status_code, demoted.status_code) == (200, 200), (left.body, demoted.body)

    ticket = routed(client, agent)

    assert ticket["assignee_id"] == "agent-c"
    watchers = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/watchers", agent).json["data"]
    assert [watcher["user_id"] for watcher in watchers] == ["admin-1"]
