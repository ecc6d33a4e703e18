"""One escalation step as the state machine hands it to the sla-escalations consumer, and the start of an
execution per breach (in-process moto; the whole flow runs in tests/integration/test_sla_escalation.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from chalicelib import aws as clients
from chalicelib.clock import format_time
from chalicelib.domain import sla_escalation
from chalicelib.domain.ticket_records import set_index_keys
from chalicelib.domain.tickets import new_ticket_item
from chalicelib.flows import state_machine_arn
from chalicelib.models.tickets import TicketItem

BREACHED_AT = "2026-11-23T12:00:00.000000Z"


def open_ticket(workspace_id: str, status: str = "open") -> TicketItem:
    data = {"title": "Lift stuck", "requester_id": "req-1"}
    ticket = new_ticket_item(workspace_id, str(uuid.uuid4()), "agent-1", data, format_time(datetime.now(UTC)), 1000)
    ticket.status = status
    set_index_keys(ticket)
    ticket.save()
    return ticket


def step(ticket: TicketItem, level: int) -> dict:
    levels = sla_escalation.escalation_levels(ticket.workspace_id)
    return {
        "task_token": "token",
        "workspace_id": ticket.workspace_id,
        "ticket_id": ticket.id,
        "target": "resolution",
        "breached_at": BREACHED_AT,
        "simulate_fast_sla": False,
        "level": level,
        "escalate_to": levels[level - 1]["target"],
    }


def reload(ticket: TicketItem) -> TicketItem:
    return TicketItem.get(ticket.pk, "TICKET", consistent_read=True)


def test_a_step_raises_the_level_hands_the_ticket_over_and_names_the_next_level(aws, workspace_id):
    ticket = open_ticket(workspace_id)
    levels = sla_escalation.escalation_levels(workspace_id)

    answer = sla_escalation.run_step(step(ticket, 1))

    escalated = reload(ticket)
    assert int(escalated.escalation_level) == 1
    assert escalated.team == levels[0]["target"]["team_id"]
    assert answer["level"] == 2
    assert answer["at"] == "2026-11-23T16:00:00Z"  # breach + the default policy's second level, "04:00:00"


def test_the_last_level_ends_the_escalation(aws, workspace_id):
    ticket = open_ticket(workspace_id)
    last = len(sla_escalation.escalation_levels(workspace_id))

    answer = sla_escalation.run_step(step(ticket, last))

    assert answer == {"stopped": "last_level"}
    assert int(reload(ticket).escalation_level) == last


def test_a_resolved_ticket_is_not_escalated_and_the_escalation_stops(aws, workspace_id):
    ticket = open_ticket(workspace_id, status="resolved")

    answer = sla_escalation.run_step(step(ticket, 1))

    assert answer == {"stopped": "ticket_ended"}
    assert reload(ticket).escalation_level is None


def test_a_redelivered_step_escalates_once(aws, workspace_id):
    ticket = open_ticket(workspace_id)
    sla_escalation.run_step(step(ticket, 1))
    version = reload(ticket).version

    sla_escalation.run_step(step(ticket, 1))

    assert reload(ticket).version == version


def test_a_fast_sla_ticket_escalates_after_seconds(aws, workspace_id):
    first = sla_escalation.level_step(workspace_id, BREACHED_AT, 1, fast=True)

    assert first["at"] == "2026-11-23T12:00:01Z"  # "01:00:00" as one second


def test_a_breach_starts_one_execution_however_often_it_is_delivered(aws, workspace_id):
    ticket = open_ticket(workspace_id)
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "ticket.sla_breached",
        "workspace_id": workspace_id,
        "subject": {"type": "ticket", "id": ticket.id},
        "data": {"target": "resolution", "breached_at": BREACHED_AT, "simulate_fast_sla": False},
    }

    sla_escalation.start_escalation(envelope)
    sla_escalation.start_escalation(envelope)

    executions = clients.stepfunctions().list_executions(stateMachineArn=state_machine_arn("sla-escalation"))
    assert [execution["name"] for execution in executions["executions"]] == [f"{ticket.id}-resolution"]
