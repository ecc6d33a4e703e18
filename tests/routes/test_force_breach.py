"""POST /tickets/{id}/force-breach (admin, seed 000): breach now through the sweep's own path."""

from __future__ import annotations

from chalicelib.models.events import EventItem
from tests.routes.http_helpers import call, open_ticket

TICKETS = "/api/v1/tickets"


def breach_events(workspace_id: str, ticket_id: str) -> list[EventItem]:
    events = EventItem.query(f"WS#{workspace_id}", EventItem.sk.startswith("EVENT#"), consistent_read=True)
    return [event for event in events if event.subject_id == ticket_id and event.type == "ticket.sla_breached"]


def test_an_admin_forces_a_breach_and_gets_the_ticket_with_its_sla_state(client, as_role, workspace_id):
    ticket = open_ticket(client, as_role("agent"))

    response = call(client, "POST", f"{TICKETS}/{ticket['id']}/force-breach", as_role("admin"))

    assert response.status_code == 200, response.body
    assert response.json["sla_status"] == "breached"
    assert response.json["escalation_level"] == 0
    assert response.json["breached_at"]
    assert response.json["version"] == ticket["version"] + 1
    assert len(breach_events(workspace_id, ticket["id"])) == 1


def test_forcing_a_breach_twice_breaches_once(client, as_role, workspace_id):
    ticket = open_ticket(client, as_role("agent"))
    admin = as_role("admin")
    first = call(client, "POST", f"{TICKETS}/{ticket['id']}/force-breach", admin)

    second = call(client, "POST", f"{TICKETS}/{ticket['id']}/force-breach", admin)

    assert second.status_code == 200
    assert second.json["breached_at"] == first.json["breached_at"]
    assert len(breach_events(workspace_id, ticket["id"])) == 1


def test_each_target_breaches_once(client, as_role, workspace_id):
    ticket = open_ticket(client, as_role("agent"))
    admin = as_role("admin")

    call(client, "POST", f"{TICKETS}/{ticket['id']}/force-breach", admin, {"target": "first_response"})
    call(client, "POST", f"{TICKETS}/{ticket['id']}/force-breach", admin, {"target": "resolution"})

    assert len(breach_events(workspace_id, ticket["id"])) == 2


def test_an_agent_may_not_force_a_breach(client, as_role):
    ticket = open_ticket(client, as_role("agent"))

    response = call(client, "POST", f"{TICKETS}/{ticket['id']}/force-breach", as_role("agent"))

    assert response.status_code == 403


def test_an_unknown_target_is_a_400(client, as_role):
    ticket = open_ticket(client, as_role("agent"))

    response = call(client, "POST", f"{TICKETS}/{ticket['id']}/force-breach", as_role("admin"), {"target": "lunch"})

    assert response.status_code == 400
    assert "target" in response.json["details"]


def test_a_missing_or_foreign_ticket_is_a_404(client, as_role):
    elsewhere = open_ticket(client, as_role("agent", workspace="ws-elsewhere"))

    missing = call(client, "POST", f"{TICKETS}/no-such-ticket/force-breach", as_role("admin"))
    foreign = call(client, "POST", f"{TICKETS}/{elsewhere['id']}/force-breach", as_role("admin"))

    assert (missing.status_code, foreign.status_code) == (404, 404)


def test_a_resolved_ticket_cannot_be_breached(client, as_role, workspace_id):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "resolved"})

    response = call(client, "POST", f"{TICKETS}/{ticket['id']}/force-breach", as_role("admin"))

    assert response.status_code == 409
    assert breach_events(workspace_id, ticket["id"]) == []
