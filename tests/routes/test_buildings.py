"""Buildings and apartments (seed 000): admins add them, staff read them, tickets name them."""

from __future__ import annotations

from chalicelib.models.audit import AuditItem, audit_pk
from tests.routes.http_helpers import call, open_ticket

BUILDINGS = "/api/v1/buildings"


def add_building(client, headers, building_id="building-1", name="Harbour View"):
    response = call(client, "POST", BUILDINGS, headers, {"id": building_id, "name": name, "address": "1 Quay St"})
    assert response.status_code == 201, response.body
    return response.json


def add_apartment(client, headers, building_id="building-1", apartment_id="apartment-12", **fields):
    path = f"{BUILDINGS}/{building_id}/apartments"
    response = call(client, "POST", path, headers, {"id": apartment_id, **fields})
    assert response.status_code == 201, response.body
    return response.json


def test_an_admin_adds_a_building_with_apartments_that_staff_list(client, as_role, workspace_id):
    admin = as_role("admin")
    add_building(client, admin)
    add_apartment(client, admin, apartment_id="apartment-12", label="12", floor=3)
    add_apartment(client, admin, apartment_id="apartment-7", label="7", floor=1)

    building = call(client, "GET", f"{BUILDINGS}/building-1", as_role("agent"))
    apartments = call(client, "GET", f"{BUILDINGS}/building-1/apartments", as_role("agent"))

    assert (building.status_code, building.json["name"], building.json["address"]) == (200, "Harbour View", "1 Quay St")
    assert [(a["id"], a["floor"]) for a in apartments.json["data"]] == [("apartment-12", 3), ("apartment-7", 1)]
    actions = [row.action for row in AuditItem.query(audit_pk(workspace_id))]
    assert actions.count("building.created") == 1 and actions.count("apartment.created") == 2


def test_a_building_id_is_taken_once_per_workspace(client, as_role):
    admin = as_role("admin")
    add_building(client, admin)

    again = call(client, "POST", BUILDINGS, admin, {"id": "building-1", "name": "Other"})

    assert (again.status_code, again.json["code"]) == (409, "building_exists")


def test_apartment_ids_are_unique_within_a_building_but_not_across_buildings(client, as_role):
    admin = as_role("admin")
    add_building(client, admin, "building-1")
    add_building(client, admin, "building-2")
    add_apartment(client, admin, "building-1", "apartment-1")

    same_building = call(client, "POST", f"{BUILDINGS}/building-1/apartments", admin, {"id": "apartment-1"})
    other_building = call(client, "POST", f"{BUILDINGS}/building-2/apartments", admin, {"id": "apartment-1"})

    assert (same_building.status_code, same_building.json["code"]) == (409, "apartment_exists")
    assert other_building.status_code == 201


def test_an_apartment_of_an_unknown_building_is_a_404(client, as_role):
    admin = as_role("admin")

    created = call(client, "POST", f"{BUILDINGS}/nowhere/apartments", admin, {"id": "a-1"})
    listed = call(client, "GET", f"{BUILDINGS}/nowhere/apartments", admin)

    assert (created.status_code, created.json["code"]) == (404, "building_not_found")
    assert listed.status_code == 404


def test_agents_cannot_add_buildings_and_requesters_cannot_read_them(client, as_role):
    assert call(client, "POST", BUILDINGS, as_role("agent"), {"name": "X"}).status_code == 403
    assert call(client, "GET", BUILDINGS, as_role("requester")).status_code == 403


def test_a_malformed_building_id_is_a_400(client, as_role):
    response = call(client, "POST", BUILDINGS, as_role("admin"), {"id": "has spaces", "name": "X"})

    assert response.status_code == 400
    assert "id" in response.json["details"]


def test_a_generated_building_id_is_returned_when_none_is_given(client, as_role):
    response = call(client, "POST", BUILDINGS, as_role("admin"), {"name": "Generated"})

    assert response.status_code == 201
    assert response.json["id"].startswith("bld_")


def test_another_workspaces_building_is_not_found(client, as_role):
    add_building(client, as_role("admin"))

    response = call(client, "GET", f"{BUILDINGS}/building-1", as_role("admin", workspace="ws-other"))

    assert response.status_code == 404


def test_the_building_list_pages_with_a_cursor(client, as_role):
    admin = as_role("admin")
    for number in (3, 1, 2):
        add_building(client, admin, f"building-{number}", f"B{number}")

    first = call(client, "GET", f"{BUILDINGS}?limit=2", admin)
    second = call(client, "GET", f"{BUILDINGS}?limit=2&cursor={first.json['page']['next_cursor']}", admin)

    ids = [row["id"] for row in first.json["data"] + second.json["data"]]
    assert ids == ["building-1", "building-2", "building-3"]
    assert second.json["page"]["next_cursor"] is None


def test_a_ticket_names_its_building_and_apartment(client, as_role):
    admin = as_role("admin")
    add_building(client, admin)
    add_apartment(client, admin)

    ticket = open_ticket(client, as_role("requester"), building_id="building-1", apartment_id="apartment-12")

    assert (ticket["building_id"], ticket["apartment_id"]) == ("building-1", "apartment-12")


def test_unknown_building_or_foreign_apartment_on_a_ticket_is_a_400_naming_the_field(client, as_role):
    admin = as_role("admin")
    add_building(client, admin, "building-1")
    add_building(client, admin, "building-2")
    add_apartment(client, admin, "building-2", "apartment-9")
    tickets = "/api/v1/tickets"

    no_building = call(client, "POST", tickets, admin, {"title": "x", "building_id": "building-404"})
    foreign = call(
        client, "POST", tickets, admin, {"title": "x", "building_id": "building-1", "apartment_id": "apartment-9"}
    )
    orphan = call(client, "POST", tickets, admin, {"title": "x", "apartment_id": "apartment-9"})

    assert (no_building.status_code, list(no_building.json["details"])) == (400, ["building_id"])
    assert (foreign.status_code, list(foreign.json["details"])) == (400, ["apartment_id"])
    assert (orphan.status_code, list(orphan.json["details"])) == (400, ["apartment_id"])


def test_patching_a_tickets_building_checks_the_apartment_it_keeps(client, as_role):
    admin = as_role("admin")
    add_building(client, admin, "building-1")
    add_building(client, admin, "building-2")
    add_apartment(client, admin, "building-1", "apartment-12")
    add_apartment(client, admin, "building-2", "apartment-12")
    ticket = open_ticket(client, admin, building_id="building-1", apartment_id="apartment-12")
    path = f"/api/v1/tickets/{ticket['id']}"

    moved = call(client, "PATCH", path, admin, {"building_id": "building-2"})
    bad_apartment = call(client, "PATCH", path, admin, {"apartment_id": "apartment-99"})

    assert (moved.status_code, moved.json["building_id"], moved.json["apartment_id"]) == (
        200,
        "building-2",
        "apartment-12",
    )
    assert (bad_apartment.status_code, list(bad_apartment.json["details"])) == (400, ["apartment_id"])
