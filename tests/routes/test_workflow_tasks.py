"""Workflow tasks (seed 003): a ticket in a workflow's category gets a task at the start step, assigned to
the least-loaded holder of the step's role; the assignee moves it along the graph's edges, it can be
transferred and escalated, an end step completes it, and every action is in its history."""

from __future__ import annotations

import importlib

import pytest

from chalicelib.events.catalogue import WORKFLOW_TASKS
from tests.routes.http_helpers import add_team, call, open_ticket
from tests.unit.test_event_delivery import drain, envelopes, lambda_event

TASKS = "/api/v1/tasks"
GRAPH = {
    "nodes": [
        {"temp_id": "triage", "name": "Triage", "role": "agent", "is_start": True, "escalate_to": "tier-two"},
        {"temp_id": "fix", "name": "Fix", "role": "agent"},
        {"temp_id": "approve", "name": "Sign-off", "role": "admin"},
        {"temp_id": "done", "name": "Done", "role": "agent", "is_end": True},
    ],
    "edges": [
        {"from_temp_id": "triage", "to_temp_id": "fix"},
        {"from_temp_id": "fix", "to_temp_id": "approve"},
        {"from_temp_id": "approve", "to_temp_id": "done"},
    ],
}


@pytest.fixture
def steps(client, as_role):
    """An active "Facilities" workflow; its step ids by temporary id."""
    admin = as_role("admin", user_id="admin-1")
    body = {"workflow": {"name": "Facilities", "category": "Facilities"}, "graph": GRAPH}
    created = call(client, "POST", "/api/v1/workflows", admin, body).json
    assert call(client, "POST", f"/api/v1/workflows/{created['workflow_id']}/activate", admin).status_code == 200
    return created["temp_id_mapping"]


def deliver_new_tickets() -> list[dict]:
    """Publish the outbox and run the real ``workflow-tasks`` consumer on its queue; the events it got."""
    from chalicelib.domain.events import publish_pending

    publish_pending()
    messages = drain(WORKFLOW_TASKS.queue)
    handler = importlib.import_module(WORKFLOW_TASKS.handler).handler
    assert handler(lambda_event(messages, WORKFLOW_TASKS.queue), None)["batchItemFailures"] == []
    return messages


def only_task(client, headers, **query) -> dict:
    params = "&".join(f"{name}={value}" for name, value in {"scope": "all", **query}.items())
    (task,) = call(client, "GET", f"{TASKS}?{params}", headers).json["data"]
    return task


def test_a_ticket_in_the_workflows_category_gets_a_task_at_the_start_step(client, as_role, steps):
    agent = as_role("agent", user_id="agent-a")
    ticket = open_ticket(client, agent, title="Broken door", category="Facilities")
    open_ticket(client, agent, title="Printer", category="Hardware")  # no workflow: no task

    deliver_new_tickets()

    task = only_task(client, agent)
    assert (task["ticket_id"], task["step_id"], task["step_name"]) == (ticket["id"], steps["triage"], "Triage")
    assert (task["status"], task["assignee_id"]) == ("active", "agent-a")


def test_the_task_goes_to_the_least_loaded_holder_of_the_role(client, as_role, steps):
    first, second = as_role("agent", user_id="agent-a"), as_role("agent", user_id="agent-b")
    open_ticket(client, first, category="Facilities")
    deliver_new_tickets()  # agent-a (first by id among equals) holds one task now

    open_ticket(client, first, category="Facilities")
    deliver_new_tickets()

    mine = call(client, "GET", f"{TASKS}?scope=mine", second).json["data"]
    assert [task["assignee_id"] for task in mine] == ["agent-b"]
    assert len(call(client, "GET", f"{TASKS}?scope=mine", first).json["data"]) == 1


def test_a_redelivered_ticket_event_makes_no_second_task(client, as_role, steps):
    agent = as_role("agent", user_id="agent-a")
    open_ticket(client, agent, category="Facilities")
    messages = deliver_new_tickets()
    handler = importlib.import_module(WORKFLOW_TASKS.handler).handler

    assert handler(lambda_event(messages, WORKFLOW_TASKS.queue), None)["batchItemFailures"] == []

    assert len(call(client, "GET", f"{TASKS}?scope=all", agent).json["data"]) == 1
    assert [e["type"] for e in envelopes(messages)] == ["ticket.created"]


def test_the_assignee_moves_the_task_along_an_edge_only(client, as_role, steps):
    agent = as_role("agent", user_id="agent-a")
    open_ticket(client, agent, category="Facilities")
    deliver_new_tickets()
    task = only_task(client, agent)

    skipping = call(client, "POST", f"{TASKS}/{task['id']}/transition", agent, {"to_step_id": steps["done"]})
    moved = call(client, "POST", f"{TASKS}/{task['id']}/transition", agent, {"to_step_id": steps["fix"]})

    assert (skipping.status_code, skipping.json["code"]) == (400, "invalid_transition")
    assert steps["fix"] in skipping.json["details"]["to_step_id"]
    assert moved.status_code == 200, moved.body
    assert (moved.json["step_id"], moved.json["assignee_id"]) == (steps["fix"], "agent-a")


def test_only_the_assignee_may_move_the_task(client, as_role, steps):
    agent, colleague = as_role("agent", user_id="agent-a"), as_role("agent", user_id="agent-z")
    open_ticket(client, agent, category="Facilities")
    deliver_new_tickets()
    task = only_task(client, agent)

    refused = call(client, "POST", f"{TASKS}/{task['id']}/transition", colleague, {"to_step_id": steps["fix"]})
    requester = call(
        client, "POST", f"{TASKS}/{task['id']}/transition", as_role("requester"), {"to_step_id": steps["fix"]}
    )

    assert (refused.status_code, refused.json["code"]) == (403, "not_task_assignee")
    assert requester.status_code == 403
    assert only_task(client, agent)["step_id"] == steps["triage"]


def test_a_step_for_another_role_goes_to_a_holder_of_that_role_and_the_end_completes_the_task(client, as_role, steps):
    agent, admin = as_role("agent", user_id="agent-a"), as_role("admin", user_id="admin-1")
    open_ticket(client, agent, category="Facilities")
    deliver_new_tickets()
    task_id = only_task(client, agent)["id"]
    call(client, "POST", f"{TASKS}/{task_id}/transition", agent, {"to_step_id": steps["fix"]})

    signing = call(client, "POST", f"{TASKS}/{task_id}/transition", agent, {"to_step_id": steps["approve"]}).json
    done = call(client, "POST", f"{TASKS}/{task_id}/transition", admin, {"to_step_id": steps["done"]})
    again = call(client, "POST", f"{TASKS}/{task_id}/transition", admin, {"to_step_id": steps["done"]})

    assert signing["assignee_id"] == "admin-1"
    assert (done.json["status"], done.json["completed_at"] is not None) == ("completed", True)
    assert (again.status_code, again.json["code"]) == (409, "task_finished")
    assert only_task(client, agent, tab="inactive")["id"] == task_id
    assert call(client, "GET", f"{TASKS}?scope=all&tab=active", agent).json["data"] == []


def test_reaching_the_end_emits_workflow_completed(client, as_role, steps, workspace_id):
    from chalicelib.domain.events import envelope
    from chalicelib.models.events import EventItem

    agent, admin = as_role("agent", user_id="agent-a"), as_role("admin", user_id="admin-1")
    open_ticket(client, agent, category="Facilities")
    deliver_new_tickets()
    task_id = only_task(client, agent)["id"]
    for step, who in (("fix", agent), ("approve", agent), ("done", admin)):
        assert (
            call(client, "POST", f"{TASKS}/{task_id}/transition", who, {"to_step_id": steps[step]}).status_code == 200
        )

    completed = [
        envelope(item)
        for item in EventItem.query(f"WS#{workspace_id}", EventItem.sk.startswith("EVENT#"))
        if item.type == "workflow.completed"
    ]
    assert [(event["subject"]["id"], event["data"]["task"]["status"]) for event in completed] == [
        (task_id, "completed")
    ]


def test_transfer_goes_only_to_another_holder_of_the_role(client, as_role, steps):
    agent = as_role("agent", user_id="agent-a")
    as_role("agent", user_id="agent-b")
    as_role("requester", user_id="req-1")
    open_ticket(client, agent, category="Facilities")
    deliver_new_tickets()
    task_id = only_task(client, agent)["id"]

    to_requester = call(client, "POST", f"{TASKS}/{task_id}/transfer", agent, {"user_id": "req-1"})
    by_stranger = call(client, "POST", f"{TASKS}/{task_id}/transfer", as_role("agent"), {"user_id": "agent-b"})
    handed = call(client, "POST", f"{TASKS}/{task_id}/transfer", agent, {"user_id": "agent-b", "reason": "leave"})

    assert (to_requester.status_code, to_requester.json["code"]) == (400, "user_lacks_role")
    assert (by_stranger.status_code, by_stranger.json["code"]) == (403, "not_task_assignee")
    assert handed.status_code == 200 and handed.json["assignee_id"] == "agent-b"


def test_escalate_gives_the_task_to_the_steps_escalation_team_and_needs_a_reason(client, as_role, steps, workspace_id):
    from chalicelib.domain.teams import update_team

    agent = as_role("agent", user_id="agent-a")
    as_role("agent", user_id="senior-1")
    add_team(workspace_id, "tier-two")
    update_team(workspace_id, "tier-two", {"members": ["senior-1"]}, actor_id="test")
    open_ticket(client, agent, category="Facilities")
    deliver_new_tickets()
    task_id = only_task(client, agent)["id"]

    no_reason = call(client, "POST", f"{TASKS}/{task_id}/escalate", agent, {})
    escalated = call(client, "POST", f"{TASKS}/{task_id}/escalate", agent, {"reason": "needs a locksmith"})

    assert no_reason.status_code == 400
    assert escalated.status_code == 200, escalated.body
    assert (escalated.json["assignee_id"], escalated.json["escalated"]) == ("senior-1", True)


def test_history_lists_every_action_in_order(client, as_role, steps):
    agent = as_role("agent", user_id="agent-a")
    as_role("agent", user_id="agent-b")
    open_ticket(client, agent, category="Facilities")
    deliver_new_tickets()
    task_id = only_task(client, agent)["id"]
    call(client, "POST", f"{TASKS}/{task_id}/transition", agent, {"to_step_id": steps["fix"], "note": "on it"})
    call(client, "POST", f"{TASKS}/{task_id}/transfer", agent, {"user_id": "agent-b", "reason": "shift ends"})

    first = call(client, "GET", f"{TASKS}/{task_id}/history?limit=2", agent).json
    rest = call(client, "GET", f"{TASKS}/{task_id}/history?limit=2&cursor={first['page']['next_cursor']}", agent).json

    rows = first["data"] + rest["data"]
    assert [row["action"] for row in rows] == ["created", "transitioned", "transferred"]
    assert (rows[1]["to_step_id"], rows[1]["reason"]) == (steps["fix"], "on it")
    assert (rows[2]["from_user_id"], rows[2]["to_user_id"], rows[2]["actor_id"]) == ("agent-a", "agent-b", "agent-a")


def test_search_and_the_unassigned_tab(client, as_role, steps):
    agent = as_role("agent", user_id="agent-a")
    open_ticket(client, agent, title="Broken door", category="Facilities")
    open_ticket(client, agent, title="Leaking roof", category="Facilities")
    deliver_new_tickets()

    found = call(client, "GET", f"{TASKS}?scope=all&search=ROOF", agent).json["data"]

    assert [task["title"] for task in found] == ["Leaking roof"]
    assert call(client, "GET", f"{TASKS}?scope=all&tab=unassigned", agent).json["data"] == []


def test_an_unknown_task_is_a_404(client, as_role):
    missing = call(client, "GET", f"{TASKS}/nope", as_role("agent"))

    assert (missing.status_code, missing.json["code"]) == (404, "task_not_found")


def test_only_the_assignee_or_an_admin_may_escalate_and_a_step_without_a_target_refuses(client, as_role, steps):
    agent, colleague = as_role("agent", user_id="agent-a"), as_role("agent", user_id="agent-z")
    open_ticket(client, agent, category="Facilities")
    deliver_new_tickets()
    task_id = only_task(client, agent)["id"]
    call(client, "POST", f"{TASKS}/{task_id}/transition", agent, {"to_step_id": steps["fix"]})

    by_colleague = call(client, "POST", f"{TASKS}/{task_id}/escalate", colleague, {"reason": "stuck"})
    no_target = call(client, "POST", f"{TASKS}/{task_id}/escalate", as_role("admin"), {"reason": "stuck"})

    assert (by_colleague.status_code, by_colleague.json["code"]) == (403, "not_task_assignee")
    assert (no_target.status_code, no_target.json["code"]) == (409, "no_escalation_target")
