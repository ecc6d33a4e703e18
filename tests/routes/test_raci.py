"""RACI groups and rules (seed 001): admins write them, admins and agents read them; rules come back in
the order they apply; a group a rule uses cannot be deleted; another workspace's group is a 404."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import add_team, call

RACI = "/api/v1/intake/raci"
GROUPS = f"{RACI}/groups"
RULES = f"{RACI}/rules"


@pytest.fixture
def admin(as_role):
    return as_role("admin", user_id="admin-1")


@pytest.fixture
def agents(member):
    return [member("agent", user_id="agent-a"), member("agent", user_id="agent-b")]


def make_group(client, headers, name="Facilities", **fields):
    body = {"name": name, "members": {"responsible": ["agent-a"]}, **fields}
    response = call(client, "POST", GROUPS, headers, body)
    assert response.status_code == 201, response.body
    return response.json


def make_rule(client, headers, group_id, name="Leaks", **fields):
    body = {"name": name, "enabled": True, "group_id": group_id, "auto_assign": True, **fields}
    response = call(client, "POST", RULES, headers, body)
    assert response.status_code == 201, response.body
    return response.json


def test_an_admin_creates_a_group_and_reads_it_back(client, admin, agents, workspace_id):
    add_team(workspace_id, "plumbing")
    body = {
        "name": "Plumbing",
        "team": "plumbing",
        "members": {"responsible": ["agent-a", "agent-b"], "accountable": ["admin-1"], "informed": ["agent-a"]},
    }

    created = call(client, "POST", GROUPS, admin, body)
    read = call(client, "GET", f"{GROUPS}/{created.json['id']}", admin)

    assert created.status_code == 201, created.body
    assert created.headers["Location"] == f"{GROUPS}/{created.json['id']}"
    assert read.status_code == 200
    assert read.headers["ETag"] == '"v1"'
    assert read.json["members"] == {
        "responsible": ["agent-a", "agent-b"],
        "accountable": ["admin-1"],
        "consulted": [],
        "informed": ["agent-a"],
    }
    assert (read.json["name"], read.json["team"], read.json["rule_count"]) == ("Plumbing", "plumbing", 0)


def test_an_admin_creates_a_rule_for_a_group(client, admin, agents):
    group = make_group(client, admin)

    rule = make_rule(
        client,
        admin,
        group["id"],
        ticket_class="incident",
        category="Plumbing",
        priority="P2",
        keywords=["leak", " Leak ", "burst pipe"],
        auto_assign_agent="triage-bot",
        auto_agent_model="gpt-small",
        auto_agent_prompt="Summarise the leak",
    )

    read = call(client, "GET", f"{RULES}/{rule['id']}", admin).json
    assert read["priority"] == "high"
    assert read["keywords"] == ["leak", "burst pipe"]
    assert (read["ticket_class"], read["category"], read["group_id"]) == ("incident", "Plumbing", group["id"])
    assert (read["auto_assign_agent"], read["auto_agent_model"], read["auto_agent_prompt"]) == (
        "triage-bot",
        "gpt-small",
        "Summarise the leak",
    )
    assert call(client, "GET", f"{GROUPS}/{group['id']}", admin).json["rule_count"] == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"members": {}}, "name"),
        ({"name": "   ", "members": {}}, "name"),
        ({"name": "G"}, "members"),
        ({"name": "G", "members": {"owner": ["agent-a"]}}, "members.owner"),
        ({"name": "G", "members": {"responsible": ["nobody"]}}, "members.responsible"),
        ({"name": "G", "members": {"responsible": ["req-1"]}}, "members.responsible"),
        ({"name": "G", "members": {"consulted": ["req-1"]}}, "members.consulted"),
        ({"name": "G", "team": "no-such-team", "members": {}}, "team"),
    ],
)
def test_a_group_with_bad_fields_is_refused(client, admin, agents, member, body, field):
    member("requester", user_id="req-1")

    response = call(client, "POST", GROUPS, admin, body)

    assert response.status_code == 400, response.body
    assert field in response.json["details"], response.json


def test_a_requester_may_be_informed(client, admin, agents, member):
    member("requester", user_id="req-1")

    response = call(client, "POST", GROUPS, admin, {"name": "G", "members": {"informed": ["req-1"]}})

    assert response.status_code == 201, response.body


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"group_id": "grp_unknown"}, "group_id"),
        ({"ticket_class": "rumour"}, "ticket_class"),
        ({"priority": "P9"}, "priority"),
        ({"keywords": [""]}, "keywords[0]"),
        ({"position": -1}, "position"),
        ({"enabled": "yes"}, "enabled"),
    ],
)
def test_a_rule_with_bad_fields_is_refused(client, admin, agents, fields, field):
    group = make_group(client, admin)
    body = {"name": "R", "enabled": True, "group_id": group["id"], "auto_assign": True, **fields}

    response = call(client, "POST", RULES, admin, body)

    assert response.status_code == 400, response.body
    assert field in response.json["details"], response.json


def test_a_rule_needs_name_enabled_group_and_auto_assign(client, admin):
    response = call(client, "POST", RULES, admin, {})

    assert response.status_code == 400
    assert {"name", "enabled", "group_id", "auto_assign"} <= set(response.json["details"])


def test_only_admins_write_and_only_staff_read(client, admin, agents, as_role):
    group = make_group(client, admin)
    agent, requester = as_role("agent", user_id="agent-a"), as_role("requester")

    writes = [
        call(client, "POST", GROUPS, agent, {"name": "G", "members": {}}),
        call(client, "PATCH", f"{GROUPS}/{group['id']}", agent, {"name": "Renamed"}),
        call(client, "DELETE", f"{GROUPS}/{group['id']}", agent),
        call(client, "POST", RULES, agent, {"name": "R", "enabled": True, "group_id": group["id"], "auto_assign": 1}),
    ]
    reads = [call(client, "GET", path, agent) for path in (RACI, GROUPS, RULES, f"{GROUPS}/{group['id']}")]
    requester_reads = [call(client, "GET", path, requester) for path in (RACI, GROUPS, RULES)]

    assert [response.status_code for response in writes] == [403, 403, 403, 403]
    assert [response.status_code for response in reads] == [200, 200, 200, 200]
    assert [response.status_code for response in requester_reads] == [403, 403, 403]


def test_another_workspaces_group_and_rule_are_not_found(client, admin, agents, as_role):
    group = make_group(client, admin)
    rule = make_rule(client, admin, group["id"])
    other_admin = as_role("admin", user_id="admin-2", workspace="ws-elsewhere")

    answers = [
        call(client, "GET", f"{GROUPS}/{group['id']}", other_admin),
        call(client, "PATCH", f"{GROUPS}/{group['id']}", other_admin, {"name": "Mine"}),
        call(client, "DELETE", f"{GROUPS}/{group['id']}", other_admin),
        call(client, "GET", f"{RULES}/{rule['id']}", other_admin),
        call(client, "PATCH", f"{RULES}/{rule['id']}", other_admin, {"enabled": False}),
        call(client, "DELETE", f"{RULES}/{rule['id']}", other_admin),
    ]
    other_rule = call(
        client, "POST", RULES, other_admin, {"name": "R", "enabled": True, "group_id": group["id"], "auto_assign": True}
    )

    assert [response.status_code for response in answers] == [404] * 6
    assert (other_rule.status_code, other_rule.json["code"]) == (400, "raci_group_invalid")
    assert call(client, "GET", f"{GROUPS}/{group['id']}", admin).json["name"] == "Facilities"


def test_a_group_used_by_a_rule_cannot_be_deleted_until_the_rule_is_gone(client, admin, agents):
    group = make_group(client, admin)
    rule = make_rule(client, admin, group["id"])

    refused = call(client, "DELETE", f"{GROUPS}/{group['id']}", admin)
    rule_deleted = call(client, "DELETE", f"{RULES}/{rule['id']}", admin)
    deleted = call(client, "DELETE", f"{GROUPS}/{group['id']}", admin)

    assert (refused.status_code, refused.json["code"]) == (409, "raci_group_in_use")
    assert rule_deleted.status_code == 204
    assert deleted.status_code == 204
    assert call(client, "GET", f"{GROUPS}/{group['id']}", admin).status_code == 404
    assert call(client, "GET", RACI, admin).json == {"groups": [], "rules": []}


def test_moving_a_rule_to_another_group_frees_the_first(client, admin, agents):
    first, second = make_group(client, admin, "First"), make_group(client, admin, "Second")
    rule = make_rule(client, admin, first["id"])

    moved = call(client, "PATCH", f"{RULES}/{rule['id']}", admin, {"group_id": second["id"]})

    assert moved.status_code == 200, moved.body
    assert call(client, "DELETE", f"{GROUPS}/{first['id']}", admin).status_code == 204
    assert call(client, "DELETE", f"{GROUPS}/{second['id']}", admin).status_code == 409


def test_rules_come_in_position_order_then_oldest_first(client, admin, agents):
    group = make_group(client, admin)
    make_rule(client, admin, group["id"], "Third", position=20)
    make_rule(client, admin, group["id"], "First", position=5)
    make_rule(client, admin, group["id"], "Second", position=20)
    make_rule(client, admin, group["id"], "Last")  # no position: after every rule

    listed = call(client, "GET", RULES, admin).json
    overview = call(client, "GET", RACI, admin).json

    assert [rule["name"] for rule in listed["data"]] == ["First", "Third", "Second", "Last"]
    assert listed["data"][-1]["position"] == 21
    assert [rule["name"] for rule in overview["rules"]] == ["First", "Third", "Second", "Last"]
    assert [group["name"] for group in overview["groups"]] == ["Facilities"]


def test_a_patch_moves_a_rule_and_clears_what_is_set_to_null(client, admin, agents):
    group = make_group(client, admin)
    first = make_rule(client, admin, group["id"], "First", position=1, category="Plumbing", keywords=["leak"])
    make_rule(client, admin, group["id"], "Second", position=2)

    patched = call(
        client, "PATCH", f"{RULES}/{first['id']}", admin, {"position": 3, "category": None, "keywords": None}
    )

    assert patched.status_code == 200, patched.body
    assert (patched.json["category"], patched.json["keywords"], patched.json["version"]) == (None, [], 2)
    assert patched.headers["ETag"] == '"v2"'
    assert [rule["name"] for rule in call(client, "GET", RULES, admin).json["data"]] == ["Second", "First"]


def test_lists_are_paged_with_a_cursor(client, admin, agents):
    group = make_group(client, admin)
    for position in range(5):
        make_rule(client, admin, group["id"], f"Rule {position}", position=position)
    for name in ("Second", "Third"):
        make_group(client, admin, name)

    first = call(client, "GET", f"{RULES}?limit=2", admin).json
    second = call(client, "GET", f"{RULES}?limit=2&cursor={first['page']['next_cursor']}", admin).json
    third = call(client, "GET", f"{RULES}?limit=2&cursor={second['page']['next_cursor']}", admin).json
    groups = call(client, "GET", f"{GROUPS}?limit=2", admin).json
    forged = call(client, "GET", f"{GROUPS}?cursor={first['page']['next_cursor']}", admin)

    names = [rule["name"] for page in (first, second, third) for rule in page["data"]]
    assert names == [f"Rule {position}" for position in range(5)]
    assert third["page"]["next_cursor"] is None
    assert (groups["page"]["returned"], [g["name"] for g in groups["data"]]) == (2, ["Facilities", "Second"])
    assert forged.status_code == 400


def test_a_stale_if_match_is_refused(client, admin, agents):
    group = make_group(client, admin)
    call(client, "PATCH", f"{GROUPS}/{group['id']}", admin, {"name": "Renamed"})

    stale = call(client, "PATCH", f"{GROUPS}/{group['id']}", {**admin, "If-Match": '"v1"'}, {"name": "Again"})
    stale_delete = call(client, "DELETE", f"{GROUPS}/{group['id']}", {**admin, "If-Match": '"v1"'})

    assert (stale.status_code, stale_delete.status_code) == (412, 412)
    assert call(client, "GET", f"{GROUPS}/{group['id']}", admin).json["name"] == "Renamed"


def test_a_patch_replaces_only_the_roles_it_names(client, admin, agents):
    group = make_group(client, admin, members={"responsible": ["agent-a"], "consulted": ["agent-b"]})

    patched = call(client, "PATCH", f"{GROUPS}/{group['id']}", admin, {"members": {"responsible": ["agent-b"]}})

    assert patched.status_code == 200, patched.body
    assert patched.json["members"]["responsible"] == ["agent-b"]
    assert patched.json["members"]["consulted"] == ["agent-b"]


def test_every_change_leaves_an_audit_row(client, admin, agents):
    group = make_group(client, admin)
    rule = make_rule(client, admin, group["id"])
    call(client, "PATCH", f"{RULES}/{rule['id']}", admin, {"enabled": False})
    call(client, "PATCH", f"{GROUPS}/{group['id']}", admin, {"name": "Renamed"})
    call(client, "DELETE", f"{RULES}/{rule['id']}", admin)
    call(client, "DELETE", f"{GROUPS}/{group['id']}", admin)

    rows = call(client, "GET", "/api/v1/audit-logs?limit=100", admin).json["data"]

    actions = sorted(row["action"] for row in rows if row["action"].startswith("raci_"))
    assert actions == sorted(
        [
            "raci_group.created",
            "raci_rule.created",
            "raci_rule.updated",
            "raci_group.updated",
            "raci_rule.deleted",
            "raci_group.deleted",
        ]
    )


def test_a_group_past_the_workspace_limit_is_refused(client, admin, agents, workspace_id, monkeypatch):
    from chalicelib.domain import raci

    monkeypatch.setattr(raci, "MAX_GROUPS", 2)
    make_group(client, admin, "One")
    make_group(client, admin, "Two")

    refused = call(client, "POST", GROUPS, admin, {"name": "Three", "members": {}})

    assert (refused.status_code, refused.json["code"]) == (400, "raci_limit_reached")
