"""Technician profiles: skills, categories, availability; who is available for a category."""

from __future__ import annotations

from chalicelib.models.audit import AuditItem, audit_pk
from tests.routes.http_helpers import call

TECHNICIANS = "/api/v1/technicians"


def put_profile(client, headers, user_id, **fields):
    response = call(client, "PUT", f"{TECHNICIANS}/{user_id}", headers, fields)
    assert response.status_code == 200, response.body
    return response.json


def available_ids(client, headers, category=None) -> list[str]:
    path = f"{TECHNICIANS}/available" + (f"?category={category}" if category else "")
    response = call(client, "GET", path, headers)
    assert response.status_code == 200, response.body
    return [row["id"] for row in response.json["data"]]


def test_an_admin_gives_an_agent_a_technician_profile(client, as_role, member, workspace_id):
    agent_id = member("agent")

    profile = put_profile(
        client, as_role("admin"), agent_id, skills=["soldering"], categories=["Plumbing", "plumbing"], available=True
    )
    fetched = call(client, "GET", f"{TECHNICIANS}/{agent_id}", as_role("agent"))

    assert (profile["skills"], profile["categories"], profile["available"]) == (["soldering"], ["Plumbing"], True)
    assert fetched.json == profile
    actions = [row.action for row in AuditItem.query(audit_pk(workspace_id)) if row.target_type == "technician"]
    assert actions == ["technician.created"]


def test_available_technicians_are_found_by_category_ignoring_case(client, as_role, member):
    admin = as_role("admin")
    plumber, electrician, off_duty = member("agent"), member("agent"), member("agent")
    put_profile(client, admin, plumber, categories=["Plumbing"], available=True)
    put_profile(client, admin, electrician, categories=["Electrical"], available=True)
    put_profile(client, admin, off_duty, categories=["Plumbing"], available=False)

    assert available_ids(client, admin, "plumbing") == [plumber]
    assert available_ids(client, admin, "Electrical") == [electrician]
    assert sorted(available_ids(client, admin)) == sorted([plumber, electrician])


def test_changing_categories_and_availability_moves_the_technician_between_lists(client, as_role, member):
    admin = as_role("admin")
    tech = member("agent")
    profile = put_profile(client, admin, tech, categories=["Plumbing"], available=True)
    path = f"{TECHNICIANS}/{tech}"

    recategorised = call(
        client, "PATCH", path, {**admin, "If-Match": f'"v{profile["version"]}"'}, {"categories": ["Heating"]}
    )
    assert recategorised.status_code == 200, recategorised.body
    assert (available_ids(client, admin, "plumbing"), available_ids(client, admin, "heating")) == ([], [tech])

    call(client, "PATCH", path, admin, {"available": False})
    assert (available_ids(client, admin, "heating"), available_ids(client, admin)) == ([], [])


def test_an_agent_switches_their_own_availability_but_nothing_else(client, as_role, member):
    admin = as_role("admin")
    agent = as_role("agent", user_id="tech-self")
    put_profile(client, admin, "tech-self", categories=["Plumbing"])
    other = member("agent")
    put_profile(client, admin, other)

    own = call(client, "PATCH", f"{TECHNICIANS}/tech-self", agent, {"available": True})
    skills = call(client, "PATCH", f"{TECHNICIANS}/tech-self", agent, {"skills": ["everything"]})
    someone_else = call(client, "PATCH", f"{TECHNICIANS}/{other}", agent, {"available": True})

    assert (own.status_code, own.json["available"]) == (200, True)
    assert (skills.status_code, someone_else.status_code) == (403, 403)
    assert available_ids(client, admin, "plumbing") == ["tech-self"]


def test_only_agents_and_admins_of_the_workspace_can_be_technicians(client, as_role, member):
    admin = as_role("admin")
    requester = member("requester")

    not_staff = call(client, "PUT", f"{TECHNICIANS}/{requester}", admin, {"available": True})
    stranger = call(client, "PUT", f"{TECHNICIANS}/usr_unknown", admin, {"available": True})

    assert (not_staff.status_code, not_staff.json["code"]) == (400, "technician_not_staff")
    assert stranger.status_code == 404


def test_patching_a_missing_profile_is_a_404_and_bad_values_a_400(client, as_role, member):
    admin = as_role("admin")
    agent_id = member("agent")

    missing = call(client, "PATCH", f"{TECHNICIANS}/{agent_id}", admin, {"available": True})
    bad = call(client, "PUT", f"{TECHNICIANS}/{agent_id}", admin, {"available": "yes"})
    blank = call(client, "PUT", f"{TECHNICIANS}/{agent_id}", admin, {"categories": ["  "]})

    assert (missing.status_code, missing.json["code"]) == (404, "technician_not_found")
    assert (bad.status_code, list(bad.json["details"])) == (400, ["available"])
    assert (blank.status_code, list(blank.json["details"])) == (400, ["categories"])


def test_a_stale_if_match_is_a_412(client, as_role, member):
    admin = as_role("admin")
    tech = member("agent")
    put_profile(client, admin, tech)
    put_profile(client, admin, tech, skills=["welding"])

    stale = call(client, "PATCH", f"{TECHNICIANS}/{tech}", {**admin, "If-Match": '"v1"'}, {"available": True})

    assert stale.status_code == 412
    assert available_ids(client, admin) == []


def test_the_list_filters_by_availability_category_and_skill(client, as_role, member):
    admin = as_role("admin")
    first, second, third = sorted([member("agent"), member("agent"), member("agent")])
    put_profile(client, admin, first, skills=["Welding"], categories=["Heating"], available=True)
    put_profile(client, admin, second, skills=["wiring"], categories=["Electrical"], available=False)
    put_profile(client, admin, third, skills=["welding"], categories=["heating"], available=False)

    def listed(query: str) -> list[str]:
        response = call(client, "GET", f"{TECHNICIANS}?{query}", admin)
        assert response.status_code == 200, response.body
        return [row["id"] for row in response.json["data"]]

    assert listed("limit=2") == [first, second]
    assert listed("available=false") == [second, third]
    assert listed("category=HEATING") == [first, third]
    assert listed("skill=welding&available=false") == [third]


def test_another_workspaces_technician_is_not_found(client, as_role, member):
    tech = member("agent")
    put_profile(client, as_role("admin"), tech, available=True)

    elsewhere = as_role("admin", workspace="ws-other")

    assert call(client, "GET", f"{TECHNICIANS}/{tech}", elsewhere).status_code == 404
    assert available_ids(client, elsewhere) == []


def test_the_available_list_pages_with_a_cursor(client, as_role, member):
    admin = as_role("admin")
    techs = sorted(member("agent") for _ in range(3))
    for tech in techs:
        put_profile(client, admin, tech, categories=["Plumbing"], available=True)

    first = call(client, "GET", f"{TECHNICIANS}/available?category=plumbing&limit=2", admin)
    cursor = first.json["page"]["next_cursor"]
    second = call(client, "GET", f"{TECHNICIANS}/available?category=plumbing&limit=2&cursor={cursor}", admin)
    wrong_list = call(client, "GET", f"{TECHNICIANS}/available?category=heating&limit=2&cursor={cursor}", admin)

    assert [row["id"] for row in first.json["data"] + second.json["data"]] == techs
    assert wrong_list.status_code == 400
