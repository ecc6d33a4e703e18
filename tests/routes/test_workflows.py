"""Workflow definitions (seed 003): create with a graph, validate it, redraft, activate, delete."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import call

IT_SUPPORT = {
    "workflow": {
        "name": "IT Support Request",
        "description": "Standard IT support workflow",
        "category": "Technology",
        "sub_category": "Support",
        "department": "IT",
        "low_sla": "72:00:00",
        "urgent_sla": "04:00:00",
    },
    "graph": {
        "nodes": [
            {"temp_id": "node_1", "name": "Triage", "role": "agent", "is_start": True, "weight": 0.3},
            {"temp_id": "node_2", "name": "Resolution", "role": "agent", "is_end": True, "weight": 0.7},
        ],
        "edges": [{"from_temp_id": "node_1", "to_temp_id": "node_2", "name": "Assign"}],
    },
}


def create(client, headers, body=IT_SUPPORT):
    return call(client, "POST", "/api/v1/workflows", headers, body)


def test_a_workflow_is_created_as_a_draft_with_step_ids_for_its_temporary_ids(client, as_role):
    created = create(client, as_role("admin"))

    assert created.status_code == 201, created.body
    body = created.json
    assert (body["status"], body["draft_version"], body["active_version"]) == ("draft", 1, None)
    assert set(body["temp_id_mapping"]) == {"node_1", "node_2"}
    steps = {node["temp_id"]: node["step_id"] for node in body["graph"]["nodes"]}
    assert steps == body["temp_id_mapping"]
    (transition,) = body["graph"]["edges"]
    assert (transition["from_step_id"], transition["to_step_id"]) == (steps["node_1"], steps["node_2"])
    assert body["slas"] == {"low": "72:00:00", "urgent": "04:00:00"}


def test_an_invalid_graph_is_refused_naming_the_nodes_and_nothing_is_stored(client, as_role):
    admin = as_role("admin")
    graph = {
        "nodes": [*IT_SUPPORT["graph"]["nodes"], {"temp_id": "orphan", "name": "Orphan", "role": "agent"}],
        "edges": IT_SUPPORT["graph"]["edges"],
    }

    refused = create(client, admin, {**IT_SUPPORT, "graph": graph})

    assert refused.status_code == 400
    assert refused.json["code"] == "invalid_graph"
    assert "orphan" in refused.json["details"]["graph.unreachable"]
    assert call(client, "GET", "/api/v1/workflows", admin).json["data"] == []


def test_activating_makes_the_draft_the_active_version_and_a_graph_change_then_drafts_version_2(client, as_role):
    admin = as_role("admin")
    workflow = create(client, admin).json
    path = f"/api/v1/workflows/{workflow['workflow_id']}"

    active = call(client, "POST", f"{path}/activate", admin).json
    redrafted = call(client, "PUT", f"{path}/graph", admin, IT_SUPPORT["graph"]).json
    again = call(client, "POST", f"{path}/activate", admin).json

    assert (active["status"], active["active_version"], active["draft_version"]) == ("active", 1, None)
    assert (redrafted["active_version"], redrafted["draft_version"]) == (1, 2)
    assert redrafted["graph"] == active["graph"]  # version 1 keeps serving
    assert redrafted["draft"]["version"] == 2
    assert (again["active_version"], again["draft_version"]) == (2, None)


def test_changing_a_drafts_graph_replaces_it(client, as_role):
    admin = as_role("admin")
    workflow = create(client, admin).json
    three_steps = {
        "nodes": [
            {"temp_id": "a", "name": "Triage", "role": "agent", "is_start": True},
            {"temp_id": "b", "name": "Fix", "role": "agent"},
            {"temp_id": "c", "name": "Done", "role": "admin", "is_end": True},
        ],
        "edges": [{"from_temp_id": "a", "to_temp_id": "b"}, {"from_temp_id": "b", "to_temp_id": "c"}],
    }

    replaced = call(client, "PUT", f"/api/v1/workflows/{workflow['workflow_id']}/graph", admin, three_steps).json

    assert (replaced["draft_version"], len(replaced["graph"]["nodes"])) == (1, 3)


def test_one_workflow_is_active_per_category(client, as_role):
    admin = as_role("admin")
    first, second = create(client, admin).json, create(client, admin).json
    call(client, "POST", f"/api/v1/workflows/{first['workflow_id']}/activate", admin)

    taken = call(client, "POST", f"/api/v1/workflows/{second['workflow_id']}/activate", admin)

    assert taken.status_code == 409
    assert taken.json["code"] == "category_taken"


def test_only_a_workflow_never_activated_can_be_deleted(client, as_role):
    admin = as_role("admin")
    draft, active = (
        create(client, admin).json,
        create(client, admin, {**IT_SUPPORT, "workflow": {**IT_SUPPORT["workflow"], "category": "Facilities"}}).json,
    )
    call(client, "POST", f"/api/v1/workflows/{active['workflow_id']}/activate", admin)

    assert call(client, "DELETE", f"/api/v1/workflows/{draft['workflow_id']}", admin).status_code == 204
    assert call(client, "GET", f"/api/v1/workflows/{draft['workflow_id']}", admin).status_code == 404
    assert call(client, "DELETE", f"/api/v1/workflows/{active['workflow_id']}", admin).status_code == 409


def test_lists_filter_by_status_and_category(client, as_role):
    admin = as_role("admin")
    it = create(client, admin).json
    facilities = create(
        client, admin, {**IT_SUPPORT, "workflow": {**IT_SUPPORT["workflow"], "category": "Facilities"}}
    ).json
    call(client, "POST", f"/api/v1/workflows/{facilities['workflow_id']}/activate", admin)

    def listed(query):
        return [
            w["workflow_id"] for w in call(client, "GET", f"/api/v1/workflows{query}", as_role("agent")).json["data"]
        ]

    assert listed("") == [facilities["workflow_id"], it["workflow_id"]]
    assert listed("?status=active") == [facilities["workflow_id"]]
    assert listed("?category=Technology") == [it["workflow_id"]]


@pytest.mark.parametrize("role", ["agent", "requester"])
def test_only_admins_define_workflows(client, as_role, role):
    assert create(client, as_role(role)).status_code == 403


def test_another_workspace_cannot_see_a_workflow(client, as_role):
    workflow = create(client, as_role("admin")).json

    other = as_role("admin", workspace="ws-elsewhere")

    assert call(client, "GET", f"/api/v1/workflows/{workflow['workflow_id']}", other).status_code == 404


def test_active_workflow_lookup_prefers_the_sub_category(client, as_role, workspace_id):
    from chalicelib.domain.workflows import active_workflow_for

    admin = as_role("admin")
    workflow = create(client, admin).json
    call(client, "POST", f"/api/v1/workflows/{workflow['workflow_id']}/activate", admin)

    assert active_workflow_for(workspace_id, "technology", "support")["workflow_id"] == workflow["workflow_id"]
    assert active_workflow_for(workspace_id, "Technology") is None
    assert active_workflow_for(workspace_id, "Plumbing") is None
