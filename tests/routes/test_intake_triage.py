"""Intake end to end (issue 11): a chat ticket is routed by the RACI rules only when the classification is
confident enough (system config's threshold); below it, or with no matching rule, it waits in the triage
queue with the AI's suggestion until someone assigns it; the AI metrics count the auto-assignments."""

from __future__ import annotations

import importlib

import pytest

from chalicelib.domain.events import publish_pending
from chalicelib.events.catalogue import AI_TRIAGE
from tests.routes.http_helpers import call
from tests.routes.test_ai import deliver, set_ai
from tests.unit.test_event_delivery import drain, lambda_event

TRIAGE = "/api/v1/intake/triage"


@pytest.fixture
def desk(client, as_role):
    """Auto-assignment on at 0.8; plumbing tickets go to the plumbers' group, whose one responsible member is
    ``agent-p``."""
    admin = as_role("admin", user_id="admin-1")
    as_role("agent", user_id="agent-p")
    set_ai(client, admin, auto_assign_enabled=True, auto_assign_confidence_threshold=0.8)
    group = {"name": "Plumbers", "members": {"responsible": ["agent-p"]}}
    group_id = call(client, "POST", "/api/v1/intake/raci/groups", admin, group).json["id"]
    rule = {"name": "Plumbing", "enabled": True, "category": "plumbing", "group_id": group_id, "auto_assign": True}
    assert call(client, "POST", "/api/v1/intake/raci/rules", admin, rule).status_code == 201
    return admin


def chat(client, headers, message: str) -> dict:
    reply = call(client, "POST", "/api/v1/chat", headers, {"message": message})
    assert reply.status_code == 201, reply.body
    return reply.json


def ticket(client, headers, ticket_id: str) -> dict:
    return call(client, "GET", f"/api/v1/tickets/{ticket_id}", headers).json


def test_the_confidence_threshold_gates_auto_assignment(client, as_role, desk):
    requester = as_role("requester", user_id="req-1")

    confident = chat(client, requester, "There is a water leak under my kitchen sink")
    hesitant = chat(client, requester, "Something is leaking somewhere, a leak I think")

    assert confident["classification"]["confidence"] >= 0.8 > hesitant["classification"]["confidence"]
    assert hesitant["classification"]["category"] == "plumbing"
    assert ticket(client, desk, confident["ticket"]["id"])["assignee_id"] == "agent-p"
    assert ticket(client, desk, hesitant["ticket"]["id"])["assignee_id"] is None
    deliver(AI_TRIAGE)
    (waiting,) = call(client, "GET", TRIAGE, desk).json["data"]
    assert waiting["ticket_id"] == hesitant["ticket"]["id"] and waiting["reason"] == "not_auto_assigned"
    assert waiting["suggestion"]["category"] == "plumbing"
    assert waiting["suggestion"]["confidence"] == hesitant["classification"]["confidence"]
    metrics = call(client, "GET", "/api/v1/ai/metrics", desk).json
    assert (metrics["classified_tickets"], metrics["auto_assigned"], metrics["auto_assign_rate"]) == (2, 1, 0.5)


def test_a_ticket_leaves_triage_when_it_is_assigned_and_redelivery_changes_nothing(client, as_role, desk):
    hesitant = chat(client, as_role("requester"), "a leak in the hallway")
    deliver(AI_TRIAGE)
    assert len(call(client, "GET", TRIAGE, desk).json["data"]) == 1

    call(client, "POST", f"/api/v1/tickets/{hesitant['ticket']['id']}/assignment", desk, {"assignee_id": "agent-p"})
    publish_pending()
    messages = drain(AI_TRIAGE.queue)
    handler = importlib.import_module(AI_TRIAGE.handler).handler
    for _ in range(2):  # the same assignment delivered twice
        assert handler(lambda_event(messages, AI_TRIAGE.queue), None)["batchItemFailures"] == []

    assert call(client, "GET", TRIAGE, desk).json["data"] == []


def test_a_confident_ticket_no_rule_matches_waits_in_triage(client, as_role, desk):
    reply = chat(client, as_role("requester"), "power outage in the whole flat")

    assert ticket(client, desk, reply["ticket"]["id"])["assignee_id"] is None
    deliver(AI_TRIAGE)
    (waiting,) = call(client, "GET", TRIAGE, desk).json["data"]
    assert (waiting["reason"], waiting["suggestion"]["category"]) == ("no_rule_matched", "electrical")


def test_triage_is_for_staff(client, as_role, desk):
    assert call(client, "GET", TRIAGE, as_role("requester")).status_code == 403


def test_an_assignment_consumed_before_the_creation_keeps_the_ticket_out_of_triage(client, as_role, desk):
    hesitant = chat(client, as_role("requester"), "a leak in the cellar")
    call(client, "POST", f"/api/v1/tickets/{hesitant['ticket']['id']}/assignment", desk, {"assignee_id": "agent-p"})
    publish_pending()
    messages = drain(AI_TRIAGE.queue)
    handler = importlib.import_module(AI_TRIAGE.handler).handler

    for message in reversed(messages):  # ticket.assigned first, ticket.created last
        assert handler(lambda_event([message], AI_TRIAGE.queue), None)["batchItemFailures"] == []

    assert call(client, "GET", TRIAGE, desk).json["data"] == []
