"""GET /sla/breaches and GET /sla/escalated: sparse-index lists, newest first, with cursors."""

from __future__ import annotations

from chalicelib.domain.sla_breaches import EscalationStep, escalate
from tests.routes.http_helpers import call, open_ticket

TICKETS = "/api/v1/tickets"


def force(client, admin, ticket_id: str, clock, target: str = "resolution") -> None:
    clock.advance(seconds=1)  # distinct breach times, so "newest first" is visible
    response = call(client, "POST", f"{TICKETS}/{ticket_id}/force-breach", admin, {"target": target})
    assert response.status_code == 200, response.body


def test_breaches_are_listed_newest_first_across_pages(client, as_role, clock):
    agent, admin = as_role("agent"), as_role("admin")
    tickets = [open_ticket(client, agent, title=f"Ticket {n}") for n in range(3)]
    for ticket in tickets:
        force(client, admin, ticket["id"], clock)

    first = call(client, "GET", "/api/v1/sla/breaches?limit=2", agent)
    second = call(client, "GET", f"/api/v1/sla/breaches?limit=2&cursor={first.json['page']['next_cursor']}", agent)

    listed = [entry["ticket_id"] for entry in first.json["data"] + second.json["data"]]
    assert listed == [ticket["id"] for ticket in reversed(tickets)]
    assert second.json["page"]["next_cursor"] is None
    assert first.json["data"][0]["ticket"]["sla_status"] == "breached"
    assert first.json["data"][0]["target"] == "resolution"


def test_only_breached_tickets_are_listed(client, as_role, clock):
    agent, admin = as_role("agent"), as_role("admin")
    breached = open_ticket(client, agent)
    open_ticket(client, agent)
    force(client, admin, breached["id"], clock)

    response = call(client, "GET", "/api/v1/sla/breaches", agent)

    assert [entry["ticket_id"] for entry in response.json["data"]] == [breached["id"]]


def test_another_workspaces_breaches_are_not_listed(client, as_role, clock):
    elsewhere = as_role("admin", workspace="ws-elsewhere")
    ticket = open_ticket(client, elsewhere)
    force(client, elsewhere, ticket["id"], clock)

    response = call(client, "GET", "/api/v1/sla/breaches", as_role("agent"))

    assert response.json["data"] == []


def test_escalated_tickets_are_listed_latest_escalation_first(client, as_role, workspace_id, clock):
    agent, admin = as_role("agent"), as_role("admin")
    first, second = open_ticket(client, agent), open_ticket(client, agent)
    for ticket in (first, second):
        force(client, admin, ticket["id"], clock)
        escalate(EscalationStep(workspace_id, ticket["id"], "resolution", 1, {"team_id": "escalations"}))
    clock.advance(seconds=1)
    escalate(EscalationStep(workspace_id, first["id"], "resolution", 2, {"user_id": "manager-1"}))

    response = call(client, "GET", "/api/v1/sla/escalated", agent)

    assert [entry["ticket_id"] for entry in response.json["data"]] == [first["id"], second["id"]]
    assert response.json["data"][0]["escalation_level"] == 2
    assert response.json["data"][0]["escalated_to"] == {"user_id": "manager-1"}
    assert response.json["data"][0]["ticket"]["assignee_id"] == "manager-1"
    assert response.json["data"][1]["ticket"]["team"] == "escalations"


def test_requesters_may_not_list_breaches(client, as_role):
    response = call(client, "GET", "/api/v1/sla/breaches", as_role("requester"))

    assert response.status_code == 403


def test_a_cursor_from_the_other_list_is_refused(client, as_role, clock):
    agent, admin = as_role("agent"), as_role("admin")
    for _ in range(2):
        force(client, admin, open_ticket(client, agent)["id"], clock)
    cursor = call(client, "GET", "/api/v1/sla/breaches?limit=1", agent).json["page"]["next_cursor"]

    response = call(client, "GET", f"/api/v1/sla/escalated?cursor={cursor}", agent)

    assert response.status_code == 400
