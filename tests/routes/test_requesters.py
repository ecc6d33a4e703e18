"""Requesters (seed 002): staff register them, read and edit them; they can be named on tickets."""

from __future__ import annotations

import pytest

from chalicelib.domain import directory
from chalicelib.errors import Unauthorized
from chalicelib.models.audit import AuditItem, audit_pk
from tests.routes.http_helpers import call, open_ticket

REQUESTERS = "/api/v1/requesters"


def register(client, headers, email="rita@example.com", display_name="Rita Resident", **extra):
    response = call(client, "POST", REQUESTERS, {**headers, **extra}, {"email": email, "display_name": display_name})
    assert response.status_code == 201, response.body
    return response.json


def audit_actions(workspace_id: str) -> list[str]:
    """The workspace's audit rows about requesters, oldest first."""
    return [row.action for row in AuditItem.query(audit_pk(workspace_id)) if row.target_type == "requester"]


def test_staff_register_a_requester_who_answers_with_id_email_and_name(client, as_role, workspace_id):
    agent = as_role("agent")

    created = register(client, agent)
    fetched = call(client, "GET", f"{REQUESTERS}/{created['id']}", agent)

    assert (created["email"], created["display_name"]) == ("rita@example.com", "Rita Resident")
    assert fetched.status_code == 200
    assert fetched.json["id"] == created["id"]
    assert fetched.headers["ETag"] == f'"v{created["version"]}"'
    assert audit_actions(workspace_id) == ["requester.created"]


def test_a_registered_requester_can_be_named_on_a_ticket(client, as_role):
    agent = as_role("agent")
    requester = register(client, agent)

    ticket = open_ticket(client, agent, requester_id=requester["id"])

    assert ticket["requester_id"] == requester["id"]


def test_the_same_email_twice_in_one_workspace_is_a_409_email_taken(client, as_role):
    agent = as_role("agent")
    register(client, agent, email="Rita@Example.com")

    again = call(client, "POST", REQUESTERS, agent, {"email": "rita@example.com"})

    assert again.status_code == 409
    assert again.json["code"] == "email_taken"


def test_a_registered_requester_cannot_sign_in_without_a_password(client, as_role):
    register(client, as_role("agent"))

    with pytest.raises(Unauthorized):
        directory.verify_credentials("rita@example.com", "")


def test_requesters_and_viewers_cannot_register_requesters(client, as_role):
    for role in ("requester", "viewer"):
        response = call(client, "POST", REQUESTERS, as_role(role), {"email": f"{role}-made@example.com"})
        assert response.status_code == 403, role


def test_a_malformed_email_is_a_400_naming_the_field(client, as_role):
    response = call(client, "POST", REQUESTERS, as_role("admin"), {"email": "not-an-email"})

    assert response.status_code == 400
    assert "email" in response.json["details"]


def test_patch_changes_name_and_email_and_audits_it(client, as_role, workspace_id):
    agent = as_role("agent")
    requester = register(client, agent)
    path = f"{REQUESTERS}/{requester['id']}"

    changed = call(
        client,
        "PATCH",
        path,
        {**agent, "If-Match": f'"v{requester["version"]}"'},
        {
            "email": "rita.new@example.com",
            "display_name": "Rita N.",
        },
    )

    assert changed.status_code == 200, changed.body
    assert (changed.json["email"], changed.json["display_name"]) == ("rita.new@example.com", "Rita N.")
    assert changed.json["version"] == requester["version"] + 1
    assert directory.find_user_by_email("rita.new@example.com")["id"] == requester["id"]
    assert directory.find_user_by_email("rita@example.com") is None
    assert audit_actions(workspace_id) == ["requester.created", "requester.updated"]


def test_patch_with_a_stale_if_match_is_a_412_and_changes_nothing(client, as_role):
    agent = as_role("agent")
    requester = register(client, agent)
    path = f"{REQUESTERS}/{requester['id']}"
    call(client, "PATCH", path, agent, {"display_name": "First"})

    stale = call(client, "PATCH", path, {**agent, "If-Match": '"v1"'}, {"display_name": "Second"})

    assert stale.status_code == 412
    assert call(client, "GET", path, agent).json["display_name"] == "First"


def test_patch_to_an_email_someone_else_has_is_a_409(client, as_role):
    agent = as_role("agent")
    rita = register(client, agent)
    register(client, agent, email="sam@example.com")

    response = call(client, "PATCH", f"{REQUESTERS}/{rita['id']}", agent, {"email": "sam@example.com"})

    assert response.status_code == 409
    assert response.json["code"] == "email_taken"


def test_another_workspaces_requester_is_not_found(client, as_role):
    requester = register(client, as_role("agent"))
    elsewhere = as_role("agent", workspace="ws-elsewhere")

    response = call(client, "GET", f"{REQUESTERS}/{requester['id']}", elsewhere)

    assert response.status_code == 404
    assert response.json["code"] == "requester_not_found"


def test_an_agent_is_not_a_requester(client, as_role, member):
    agent_id = member("agent")

    response = call(client, "GET", f"{REQUESTERS}/{agent_id}", as_role("admin"))

    assert response.status_code == 404


def test_the_list_pages_through_requesters_only_in_email_order(client, as_role, member):
    agent = as_role("agent")
    member("agent")
    for name in ("carla", "alice", "bruno"):
        register(client, agent, email=f"{name}@example.com", display_name=name)

    first = call(client, "GET", f"{REQUESTERS}?limit=2", agent)
    second = call(client, "GET", f"{REQUESTERS}?limit=2&cursor={first.json['page']['next_cursor']}", agent)

    emails = [row["email"] for row in first.json["data"] + second.json["data"]]
    assert emails == ["alice@example.com", "bruno@example.com", "carla@example.com"]
    assert second.json["page"]["next_cursor"] is None


def test_registering_with_the_same_idempotency_key_replays_the_first_answer(client, as_role):
    agent = as_role("agent")

    first = register(client, agent, **{"Idempotency-Key": "reg-1"})
    replay = call(
        client,
        "POST",
        REQUESTERS,
        {**agent, "Idempotency-Key": "reg-1"},
        {
            "email": "rita@example.com",
            "display_name": "Rita Resident",
        },
    )

    assert replay.status_code == 201
    assert replay.json["id"] == first["id"]
