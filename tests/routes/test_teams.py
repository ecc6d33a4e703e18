"""Teams: admins create and edit them, staff read them, tickets are routed to them by id."""

from __future__ import annotations

from chalicelib.models.audit import AuditItem, audit_pk
from tests.routes.http_helpers import call, open_ticket

TEAMS = "/api/v1/teams"


def create_team(client, headers, name="Plumbing", **fields):
    response = call(client, "POST", TEAMS, headers, {"name": name, **fields})
    assert response.status_code == 201, response.body
    return response.json


def test_an_admin_creates_a_team_with_members_that_staff_can_read(client, as_role, member):
    plumber = member("agent")
    team = create_team(client, as_role("admin"), members=[plumber], description="Pipes and leaks")

    fetched = call(client, "GET", f"{TEAMS}/{team['id']}", as_role("agent"))

    assert fetched.status_code == 200
    assert (fetched.json["name"], fetched.json["members"]) == ("Plumbing", [plumber])
    assert fetched.headers["ETag"] == '"v1"'


def test_team_names_are_unique_per_workspace_ignoring_case(client, as_role):
    admin = as_role("admin")
    create_team(client, admin, name="Night Shift")

    again = call(client, "POST", TEAMS, admin, {"name": "night  shift"})

    assert again.status_code == 409
    assert again.json["code"] == "team_name_taken"


def test_the_same_name_is_free_in_another_workspace(client, as_role):
    create_team(client, as_role("admin"))

    elsewhere = call(client, "POST", TEAMS, as_role("admin", workspace="ws-other"), {"name": "Plumbing"})

    assert elsewhere.status_code == 201


def test_a_team_member_must_be_staff_of_the_workspace(client, as_role, member):
    requester = member("requester")

    response = call(client, "POST", TEAMS, as_role("admin"), {"name": "Ops", "members": [requester, "nobody"]})

    assert response.status_code == 400
    assert response.json["code"] == "team_member_invalid"
    assert "members" in response.json["details"]


def test_agents_read_teams_but_cannot_create_them(client, as_role):
    response = call(client, "POST", TEAMS, as_role("agent"), {"name": "Rogue"})

    assert response.status_code == 403


def test_renaming_frees_the_old_name_and_takes_the_new_one(client, as_role, workspace_id):
    admin = as_role("admin")
    team = create_team(client, admin, name="Electrics")

    renamed = call(client, "PATCH", f"{TEAMS}/{team['id']}", {**admin, "If-Match": '"v1"'}, {"name": "Electrical"})
    reused = call(client, "POST", TEAMS, admin, {"name": "Electrics"})
    clash = call(client, "PATCH", f"{TEAMS}/{team['id']}", admin, {"name": "electrics"})

    assert (renamed.status_code, renamed.json["name"], renamed.json["version"]) == (200, "Electrical", 2)
    assert reused.status_code == 201
    assert clash.status_code == 409
    actions = [row.action for row in AuditItem.query(audit_pk(workspace_id)) if row.target_type == "team"]
    assert actions == ["team.created", "team.updated", "team.created"]


def test_a_stale_if_match_is_a_412(client, as_role):
    admin = as_role("admin")
    team = create_team(client, admin)
    call(client, "PATCH", f"{TEAMS}/{team['id']}", admin, {"description": "first"})

    stale = call(client, "PATCH", f"{TEAMS}/{team['id']}", {**admin, "If-Match": '"v1"'}, {"description": "second"})

    assert stale.status_code == 412


def test_another_workspaces_team_is_not_found(client, as_role):
    team = create_team(client, as_role("admin"))

    response = call(client, "GET", f"{TEAMS}/{team['id']}", as_role("admin", workspace="ws-other"))

    assert response.status_code == 404


def test_the_list_pages_through_teams_in_name_order(client, as_role):
    admin = as_role("admin")
    for name in ("Water", "Access", "Lifts"):
        create_team(client, admin, name=name)

    first = call(client, "GET", f"{TEAMS}?limit=2", admin)
    second = call(client, "GET", f"{TEAMS}?limit=2&cursor={first.json['page']['next_cursor']}", admin)

    names = [team["name"] for team in first.json["data"] + second.json["data"]]
    assert names == ["Access", "Lifts", "Water"]
    assert first.json["sort"] == {"by": "name", "order": "asc"}


def test_a_ticket_takes_a_team_id_and_the_by_team_list_finds_it(client, as_role):
    agent = as_role("agent")
    team = create_team(client, as_role("admin"))

    ticket = open_ticket(client, agent, team_id=team["id"])
    listed = call(client, "GET", f"/api/v1/tickets?team={team['id']}", agent)

    assert ticket["team"] == team["id"]
    assert [row["id"] for row in listed.json["data"]] == [ticket["id"]]


def test_an_unknown_team_on_a_ticket_is_a_400_naming_team(client, as_role):
    agent = as_role("agent")

    opened = call(client, "POST", "/api/v1/tickets", agent, {"title": "Leak", "team": "team_nope"})
    ticket = open_ticket(client, agent)
    patched = call(client, "PATCH", f"/api/v1/tickets/{ticket['id']}", agent, {"team_id": "team_nope"})
    assigned = call(
        client, "POST", f"/api/v1/tickets/{ticket['id']}/assignment", agent, {"assignee_id": None, "team": "x"}
    )

    assert (opened.status_code, opened.json["details"]) == (400, {"team": "is not a team of this workspace"})
    assert (patched.status_code, list(patched.json["details"])) == (400, ["team"])
    assert (assigned.status_code, list(assigned.json["details"])) == (400, ["team"])
