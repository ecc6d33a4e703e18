"""SLA breach and escalation end to end on the local stack: a fast-SLA ticket's deadline timer is found by
the real sweep (fired by the local runtime), the breach event starts the escalation state machine in the
moto server (execution on), whose task consumer raises ``escalation_level`` to 2; resolving a ticket stops
its escalation at the next check.

Until sla-clock's part is merged, the test arms the ticket's timer itself, in the ticket's own transaction,
through ``sla_timers.schedule`` (what sla-clock does on create) and marks the ticket fast-SLA there.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.clock import format_time, utcnow
from tests.integration.local_stack import LocalStackProcess, as_member, call
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 60


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sla-escalation-stack")
    running = LocalStackProcess(state_dir=folder / "state", log_path=folder / "stack.log")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def pointed_at(stack, env):
    """This test process talks to the stack's emulator and tables, under the stack's names."""
    env.set(
        AWS_ENDPOINT_URL=stack.emulator_url,
        AWS_ENDPOINT_URL_DYNAMODB=stack.dynamodb_url,
        DESKFLOW_TABLE_PREFIX=stack.table_prefix,
    )
    return stack


def open_fast_ticket_due_now(stack: LocalStackProcess, agent: dict) -> str:
    reply = call("POST", f"{stack.api_url}/api/v1/tickets", {"title": "Boiler down", "priority": "urgent"}, agent)
    assert reply.status == 201, reply.body
    ticket_id = reply.json()["id"]

    from chalicelib.domain import sla_timers
    from chalicelib.models.base import transaction
    from chalicelib.models.tickets import TicketItem, ticket_pk

    ticket = TicketItem.get(ticket_pk("demo", ticket_id), "TICKET", consistent_read=True)
    ticket.simulate_fast_sla = True
    ticket.sla_status = "on_track"
    due_at = format_time(utcnow() + timedelta(seconds=2))
    with transaction() as write:
        write.save(ticket)
        for timer_write in sla_timers.schedule(ticket, "resolution", due_at):
            timer_write.add_to(write)
    return ticket_id


def ticket_sla(ticket_id: str) -> dict:
    from chalicelib.models.tickets import TicketItem, ticket_pk

    ticket = TicketItem.get(ticket_pk("demo", ticket_id), "TICKET", consistent_read=True)
    return {
        "status": ticket.status,
        "sla_status": ticket.sla_status,
        "escalation_level": int(ticket.escalation_level or 0),
        "team": ticket.team,
    }


def wait_for(stack: LocalStackProcess, ticket_id: str, what: str, condition) -> dict:
    def met():
        state = ticket_sla(ticket_id)
        return state if condition(state) else None

    failure = lambda: f"{what} not seen within {DEADLINE_SECONDS}s: {ticket_sla(ticket_id)}\n{stack.log_tail()}"  # noqa: E731
    return wait_until(met, DEADLINE_SECONDS, failure, interval=0.25)


def escalation_execution(stack: LocalStackProcess, ticket_id: str) -> dict:
    from chalicelib.domain.sla_escalation import MACHINE, execution_name
    from chalicelib.flows import execution_arn

    return stack.aws_client("stepfunctions").describe_execution(
        executionArn=execution_arn(MACHINE, execution_name(ticket_id, "resolution"))
    )


def test_a_due_ticket_breaches_through_the_sweep_and_escalates_to_level_two(pointed_at):
    agent = as_member(pointed_at.login("agent@example.com"))
    ticket_id = open_fast_ticket_due_now(pointed_at, agent)

    breached = wait_for(pointed_at, ticket_id, "the breach", lambda state: state["sla_status"] == "breached")
    escalated = wait_for(pointed_at, ticket_id, "level 2", lambda state: state["escalation_level"] == 2)

    assert breached["escalation_level"] in (0, 1)
    assert escalated["team"] == "service-managers"
    breaches = call("GET", f"{pointed_at.api_url}/api/v1/sla/breaches", headers=agent).json()["data"]
    assert ticket_id in [entry["ticket_id"] for entry in breaches]
    wait_until(
        lambda: escalation_execution(pointed_at, ticket_id)["status"] == "SUCCEEDED",
        DEADLINE_SECONDS,
        lambda: f"escalation still {escalation_execution(pointed_at, ticket_id)['status']}",
        interval=0.25,
    )


def test_resolving_a_ticket_stops_its_escalation(pointed_at):
    agent = as_member(pointed_at.login("agent@example.com"))
    ticket_id = open_fast_ticket_due_now(pointed_at, agent)
    wait_for(pointed_at, ticket_id, "level 1", lambda state: state["escalation_level"] == 1)

    resolved = call("POST", f"{pointed_at.api_url}/api/v1/tickets/{ticket_id}/status", {"status": "resolved"}, agent)
    assert resolved.status == 200, resolved.body

    wait_until(
        lambda: escalation_execution(pointed_at, ticket_id)["status"] != "RUNNING",
        DEADLINE_SECONDS,
        lambda: f"the escalation of a resolved ticket still runs:\n{pointed_at.log_tail()}",
        interval=0.25,
    )
    assert escalation_execution(pointed_at, ticket_id)["status"] == "SUCCEEDED"
    assert ticket_sla(ticket_id)["escalation_level"] == 1
