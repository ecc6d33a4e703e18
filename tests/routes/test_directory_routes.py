"""Directory routes: workspaces (platform admin) and a workspace's users, with cursor pagination."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from chalicelib.domain import directory
from chalicelib.errors import NotFound
from tests.conftest import make_token
from tests.routes.http_helpers import call

WORKSPACES = "/api/v1/workspaces"
USERS = "/api/v1/users"
LOGIN = "/api/v1/auth/login"
PASSWORD = "correct-horse-battery"
NEW = {"password": PASSWORD, "roles": ["viewer"]}


pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def platform_admin() -> dict:
    if directory.find_user_by_email("usr_platform@example.com") is None:
        directory.create_platform_admin("usr_platform@example.com", PASSWORD, user_id="usr_platform")
    return {"Authorization": f"Bearer {make_token('usr_platform', [], ['platform_admin'])}"}


def new_workspace_body(workspace_id: str, **overrides) -> dict:
    body = {
        "id": workspace_id,
        "name": "Acme Facilities",
        "admin": {"email": f"admin-{uuid.uuid4().hex[:8]}@example.test", "password": PASSWORD, "display_name": "Ada"},
    }
    body.update(overrides)
    return body


def with_query(path: str, **params) -> str:
    from urllib.parse import urlencode

    return f"{path}?{urlencode(params)}" if params else path


def collect_pages(client, path: str, headers: dict, limit: int) -> tuple[list[dict], list[dict]]:
    """Every item of a list, following next_cursor; also returns each page's ``page`` block."""
    items, pages, cursor = [], [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = call(client, "GET", with_query(path, **params), headers)
        assert response.status_code == 200, response.body
        items += response.json["data"]
        pages.append(response.json["page"])
        cursor = response.json["page"]["next_cursor"]
        if not cursor:
            return items, pages


@pytest.fixture
def populated_workspace(client, workspace_id):
    """The test workspace with its admin and three more users; the caller (``as_role``) is the fifth."""
    directory.create_workspace(workspace_id, "Acme", f"admin@{workspace_id}.test", PASSWORD)
    for label in ("dora", "bert", "erin"):
        directory.create_user(workspace_id, f"{label}@{workspace_id}.test", PASSWORD, ["requester"])
    return workspace_id


# --- workspaces ---------------------------------------------------------------------------------


def test_platform_admin_creates_a_workspace_with_its_first_admin(client, workspace_id):
    body = new_workspace_body(workspace_id)

    response = call(client, "POST", WORKSPACES, platform_admin(), body)

    assert response.status_code == 201
    assert response.json["id"] == workspace_id
    assert response.json["name"] == "Acme Facilities"
    assert response.json["created_by"] == "usr_platform"
    assert response.json["admin"]["email"] == body["admin"]["email"]
    assert response.json["admin"]["roles"] == ["admin"]
    assert "password" not in json.dumps(response.json)


def test_the_new_workspace_admin_can_sign_in_and_list_its_users(client, workspace_id):
    body = new_workspace_body(workspace_id)
    call(client, "POST", WORKSPACES, platform_admin(), body)
    token = call(client, "POST", LOGIN, body={"email": body["admin"]["email"], "password": PASSWORD}).json["token"]

    response = call(client, "GET", USERS, {"Authorization": f"Bearer {token}", "x-workspace-id": workspace_id})

    assert response.status_code == 200
    assert [user["email"] for user in response.json["data"]] == [body["admin"]["email"]]


@pytest.mark.parametrize("role", ["admin", "agent", "requester", "viewer"])
def test_only_platform_admins_may_create_workspaces(client, as_role, workspace_id, role):
    response = call(client, "POST", WORKSPACES, as_role(role), new_workspace_body(workspace_id))

    assert response.status_code == 403
    with pytest.raises(NotFound):
        directory.get_workspace(workspace_id)


def test_creating_an_existing_workspace_is_409(client, workspace_id):
    call(client, "POST", WORKSPACES, platform_admin(), new_workspace_body(workspace_id))

    response = call(client, "POST", WORKSPACES, platform_admin(), new_workspace_body(workspace_id, name="Again"))

    assert response.status_code == 409
    assert response.json["code"] == "workspace_exists"


def test_creating_a_workspace_whose_admin_email_is_taken_is_409(client, workspace_id):
    first = new_workspace_body(workspace_id)
    call(client, "POST", WORKSPACES, platform_admin(), first)
    second = new_workspace_body(f"{workspace_id}-2", admin={"email": first["admin"]["email"], "password": PASSWORD})

    response = call(client, "POST", WORKSPACES, platform_admin(), second)

    assert response.status_code == 409
    assert response.json["code"] == "email_taken"


@pytest.mark.parametrize(
    "overrides",
    [
        {"id": "Upper-Case"},
        {"id": "-leading-dash"},
        {"id": "a" * 64},
        {"name": ""},
        {"name": "n" * 201},
        {"admin": {"email": "not-an-email", "password": PASSWORD}},
        {"admin": {"email": "a@example.test", "password": "short"}},
        {"admin": {"email": "a@example.test", "password": PASSWORD, "roles": ["platform_admin"]}},
        {"plan": "enterprise"},
    ],
    ids=[
        "uppercase-id",
        "leading-dash",
        "id-too-long",
        "empty-name",
        "name-too-long",
        "bad-email",
        "short-password",
        "admin-unknown-field",
        "unknown-field",
    ],
)
def test_invalid_workspace_bodies_are_400_with_field_details(client, workspace_id, overrides):
    response = call(client, "POST", WORKSPACES, platform_admin(), new_workspace_body(workspace_id, **overrides))

    assert response.status_code == 400
    assert response.json["details"]


def test_platform_admin_lists_workspaces_page_by_page(client):
    for workspace_id in ("ws-list-c", "ws-list-a", "ws-list-b"):
        call(client, "POST", WORKSPACES, platform_admin(), new_workspace_body(workspace_id))

    items, pages = collect_pages(client, WORKSPACES, platform_admin(), limit=2)

    assert [w["id"] for w in items] == ["ws-list-a", "ws-list-b", "ws-list-c"]
    assert [p["returned"] for p in pages] == [2, 1]


def test_listing_workspaces_is_for_platform_admins_only(client, as_role):
    assert call(client, "GET", WORKSPACES, as_role("admin")).status_code == 403


# --- users --------------------------------------------------------------------------------------


def test_users_list_has_the_envelope_and_is_sorted_by_email(client, as_role, populated_workspace):
    response = call(client, "GET", USERS, as_role("agent"))

    assert response.status_code == 200
    assert set(response.json) == {"data", "page", "sort", "filters"}
    assert response.json["page"] == {"limit": 25, "returned": 5, "next_cursor": None}
    assert response.json["sort"] == {"by": "email", "order": "asc"}
    emails = [user["email"] for user in response.json["data"]]
    assert emails == sorted(emails)
    assert "password" not in json.dumps(response.json)


def test_users_list_pages_cover_everyone_once_in_order(client, as_role, populated_workspace):
    items, pages = collect_pages(client, USERS, as_role("admin"), limit=2)

    emails = [user["email"] for user in items]
    assert emails == sorted(emails)
    assert len(emails) == len(set(emails)) == 5
    assert [p["returned"] for p in pages] == [2, 2, 1]


def test_users_list_shows_only_the_callers_workspace(client, as_role, populated_workspace):
    directory.create_user("ws-neighbour", "nosy@neighbour.test", PASSWORD, ["agent"])

    response = call(client, "GET", USERS, as_role("admin"))

    assert "nosy@neighbour.test" not in [user["email"] for user in response.json["data"]]


def test_a_forged_cursor_is_400(client, as_role, populated_workspace):
    forged = base64.urlsafe_b64encode(json.dumps({"p": {"pk": "USER#x"}, "s": "x"}).encode()).decode() + ".sig"

    response = call(client, "GET", with_query(USERS, cursor=forged), as_role("admin"))

    assert response.status_code == 400
    assert response.json["code"] == "invalid_cursor"


def test_a_tampered_cursor_is_400(client, as_role, populated_workspace):
    cursor = call(client, "GET", with_query(USERS, limit=2), as_role("admin")).json["page"]["next_cursor"]
    payload, signature = cursor.split(".")
    tampered = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"

    response = call(client, "GET", with_query(USERS, cursor=tampered), as_role("admin"))

    assert response.status_code == 400


def test_another_workspaces_cursor_is_400(client, as_role, populated_workspace):
    other = "ws-other-tenant"
    directory.create_workspace(other, "Other", f"admin@{other}.test", PASSWORD)
    directory.create_user(other, f"extra@{other}.test", PASSWORD, ["agent"])
    foreign_cursor = call(client, "GET", with_query(USERS, limit=1), as_role("admin", workspace=other)).json["page"][
        "next_cursor"
    ]

    response = call(client, "GET", with_query(USERS, cursor=foreign_cursor), as_role("admin"))

    assert foreign_cursor
    assert response.status_code == 400
    assert response.json["code"] == "invalid_cursor"


def test_a_workspaces_list_cursor_is_not_accepted_by_the_users_list(client, as_role, populated_workspace):
    for workspace_id in ("ws-cur-a", "ws-cur-b"):
        call(client, "POST", WORKSPACES, platform_admin(), new_workspace_body(workspace_id))
    cursor = call(client, "GET", with_query(WORKSPACES, limit=1), platform_admin()).json["page"]["next_cursor"]

    response = call(client, "GET", with_query(USERS, cursor=cursor), as_role("admin"))

    assert response.status_code == 400


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "2.5"])
def test_limit_outside_1_to_100_is_400(client, as_role, limit):
    response = call(client, "GET", f"{USERS}?limit={limit}", as_role("admin"))

    assert response.status_code == 400
    assert "limit" in response.json["details"]


def test_requesters_and_viewers_may_not_list_users(client, as_role):
    assert call(client, "GET", USERS, as_role("requester")).status_code == 403
    assert call(client, "GET", USERS, as_role("viewer")).status_code == 403


def test_workspace_admin_creates_a_user_who_can_sign_in(client, as_role, workspace_id):
    body = {"email": "New.Agent@Example.test", "password": PASSWORD, "roles": ["agent"], "display_name": "Nia"}

    created = call(client, "POST", USERS, as_role("admin", user_id="usr_ws_admin"), body)
    signed_in = call(client, "POST", LOGIN, body={"email": "new.agent@example.test", "password": PASSWORD})

    assert created.status_code == 201
    assert created.json["workspace_id"] == workspace_id
    assert created.json["roles"] == ["agent"]
    assert created.json["created_by"] == "usr_ws_admin"
    assert "password" not in json.dumps(created.json)
    assert signed_in.json["user"]["id"] == created.json["id"]


def test_adding_an_email_of_another_workspace_is_answered_like_a_new_user_and_reveals_nothing(client, as_role):
    elsewhere = call(
        client, "POST", USERS, as_role("admin", workspace="ws-elsewhere"), {"email": "twin@example.test", **NEW}
    )
    brand_new = call(client, "POST", USERS, as_role("admin"), {"email": "fresh@example.test", **NEW})

    existing = call(client, "POST", USERS, as_role("admin"), {"email": "TWIN@example.test", **NEW})

    assert existing.status_code == brand_new.status_code == 201
    assert set(existing.json) == set(brand_new.json)
    assert existing.headers["ETag"] == brand_new.headers["ETag"] == '"v1"'
    assert existing.json["email"] == "TWIN@example.test"  # as this workspace typed it
    assert existing.json["created_at"] != elsewhere.json["created_at"]
    assert (existing.json["roles"], existing.json["status"]) == (["viewer"], "active")


def test_an_account_added_to_a_second_workspace_keeps_its_password_and_can_use_both(client, as_role, workspace_id):
    first = call(client, "POST", USERS, as_role("admin", workspace="ws-first"), {"email": "twin@example.test", **NEW})
    call(client, "POST", USERS, as_role("admin"), {"email": "twin@example.test", **NEW, "password": "other-pass-9Xq!"})

    refused = call(client, "POST", LOGIN, body={"email": "twin@example.test", "password": "other-pass-9Xq!"})
    token = call(client, "POST", LOGIN, body={"email": "twin@example.test", "password": PASSWORD}).json["token"]
    here = call(client, "GET", "/api/v1/tickets", {"Authorization": f"Bearer {token}", "x-workspace-id": workspace_id})
    there = call(client, "GET", "/api/v1/tickets", {"Authorization": f"Bearer {token}", "x-workspace-id": "ws-first"})

    assert refused.status_code == 401
    assert here.status_code == there.status_code == 200
    assert first.json["id"] in [user["id"] for user in call(client, "GET", USERS, as_role("admin")).json["data"]]


def test_adding_an_email_that_is_already_a_member_here_is_409(client, as_role):
    admin = as_role("admin")
    call(client, "POST", USERS, admin, {"email": "twin@example.test", **NEW})

    response = call(client, "POST", USERS, admin, {"email": "TWIN@example.test", **NEW})

    assert response.status_code == 409
    assert response.json["code"] == "email_taken"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "x@example.test", "password": PASSWORD, "roles": ["platform_admin"]},
        {"email": "x@example.test", "password": PASSWORD, "roles": []},
        {"email": "x@example.test", "password": PASSWORD},
        {"email": "x@example.test", "password": "short", "roles": ["agent"]},
        {"email": "x@example.test", "password": PASSWORD, "roles": ["agent"], "workspace_id": "another"},
    ],
    ids=["platform-role", "no-roles", "roles-missing", "short-password", "workspace-in-body"],
)
def test_invalid_user_bodies_are_400(client, as_role, body):
    response = call(client, "POST", USERS, as_role("admin"), body)

    assert response.status_code == 400
    assert directory.find_user_by_email("x@example.test") is None


@pytest.mark.parametrize("role", ["agent", "requester", "viewer"])
def test_only_workspace_admins_may_create_users(client, as_role, role):
    body = {"email": f"{role}-made@example.test", "password": PASSWORD, "roles": ["viewer"]}

    response = call(client, "POST", USERS, as_role(role), body)

    assert response.status_code == 403
    assert directory.find_user_by_email(body["email"]) is None


def test_retrying_user_creation_with_the_same_idempotency_key_replays_the_first_answer(client, as_role):
    headers = as_role("admin", user_id="usr_retrying_admin", **{"Idempotency-Key": "create-user-1"})
    body = {"email": "once@example.test", "password": PASSWORD, "roles": ["agent"]}

    first = call(client, "POST", USERS, headers, body)
    again = call(client, "POST", USERS, headers, body)

    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_openapi_documents_the_directory_routes_with_their_schemas(client):
    document = call(client, "GET", "/api/v1/openapi").json

    login_body = document["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]["application/json"]
    create_user = document["paths"]["/api/v1/users"]["post"]
    login_schema = document["components"]["schemas"][login_body["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert set(login_schema["properties"]) == {"email", "username", "password"}
    assert login_schema["additionalProperties"] is False
    assert "201" in create_user["responses"]
    assert {p["name"] for p in document["paths"]["/api/v1/users"]["get"]["parameters"]} >= {"limit", "cursor"}
    assert document["paths"]["/api/v1/auth/login"]["post"]["security"] == []


# --- members: roles and status, audited -----------------------------------------------------------


@pytest.fixture
def agent_member(client, as_role, workspace_id):
    """An admin's headers and an agent member of the test workspace."""
    admin = as_role("admin", user_id="usr_the_admin")
    created = call(
        client, "POST", USERS, admin, {"email": "ann@example.test", "password": PASSWORD, "roles": ["agent"]}
    )
    return admin, created.json["id"]


def test_an_admin_changes_roles_and_status_and_every_change_is_in_the_member_history(client, agent_member):
    admin, member_id = agent_member

    promoted = call(client, "PATCH", f"{USERS}/{member_id}", admin, {"roles": ["admin", "agent"]})
    deactivated = call(client, "PATCH", f"{USERS}/{member_id}", admin, {"status": "deactivated"})
    history = call(client, "GET", f"{USERS}/{member_id}/history", admin)

    assert promoted.json["roles"] == ["admin", "agent"]
    assert (deactivated.json["status"], deactivated.headers["ETag"]) == ("deactivated", '"v3"')
    assert [(row["action"], row["from"], row["to"], row["by"]) for row in history.json["data"]] == [
        ("added", None, ["agent", "active"], "usr_the_admin"),
        ("roles_changed", ["agent"], ["admin", "agent"], "usr_the_admin"),
        ("deactivated", ["active"], ["deactivated"], "usr_the_admin"),
    ]
    assert all(row["at"].endswith("Z") for row in history.json["data"])


def test_the_member_list_shows_each_members_status(client, agent_member):
    admin, member_id = agent_member
    call(client, "PATCH", f"{USERS}/{member_id}", admin, {"status": "deactivated"})

    listed = call(client, "GET", USERS, admin).json["data"]

    assert {user["id"]: user["status"] for user in listed}[member_id] == "deactivated"


def test_an_admin_cannot_change_their_own_membership(client, agent_member):
    admin, _member_id = agent_member

    response = call(client, "PATCH", f"{USERS}/usr_the_admin", admin, {"status": "deactivated"})

    assert (response.status_code, response.json["code"]) == (409, "own_membership")


def test_a_member_change_against_a_stale_etag_is_412(client, agent_member):
    admin, member_id = agent_member
    call(client, "PATCH", f"{USERS}/{member_id}", admin, {"roles": ["viewer"]})

    response = call(client, "PATCH", f"{USERS}/{member_id}", {**admin, "If-Match": '"v1"'}, {"roles": ["requester"]})

    assert response.status_code == 412
    assert call(client, "GET", f"{USERS}/{member_id}", admin).json["roles"] == ["viewer"]


def test_a_user_of_another_workspace_is_not_found_here(client, agent_member, as_role):
    admin, _member_id = agent_member
    stranger = call(client, "GET", USERS, as_role("admin", workspace="ws-far-away")).json["data"][0]["id"]

    responses = [
        call(client, "GET", f"{USERS}/{stranger}", admin),
        call(client, "PATCH", f"{USERS}/{stranger}", admin, {"status": "deactivated"}),
        call(client, "GET", f"{USERS}/{stranger}/history", admin),
    ]

    assert [(r.status_code, r.json["code"]) for r in responses] == [(404, "member_not_found")] * 3


@pytest.mark.parametrize("body", [{}, {"roles": ["platform_admin"]}, {"status": "banned"}, {"roles": []}])
def test_invalid_member_changes_are_400(client, agent_member, body):
    admin, member_id = agent_member

    assert call(client, "PATCH", f"{USERS}/{member_id}", admin, body).status_code == 400


@pytest.mark.parametrize("role", ["agent", "requester", "viewer"])
def test_only_admins_may_change_members(client, agent_member, as_role, role):
    _admin, member_id = agent_member

    response = call(client, "PATCH", f"{USERS}/{member_id}", as_role(role), {"status": "deactivated"})

    assert response.status_code == 403


def test_retrying_a_member_change_with_the_same_idempotency_key_replays_it(client, agent_member):
    admin, member_id = agent_member
    headers = {**admin, "Idempotency-Key": "deactivate-ann"}

    first = call(client, "PATCH", f"{USERS}/{member_id}", headers, {"status": "deactivated"})
    again = call(client, "PATCH", f"{USERS}/{member_id}", headers, {"status": "deactivated"})
    history = call(client, "GET", f"{USERS}/{member_id}/history", admin).json["data"]

    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json
    assert [row["action"] for row in history] == ["added", "deactivated"]
