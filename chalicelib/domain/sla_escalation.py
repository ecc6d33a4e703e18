"""SLA escalation on Step Functions (``infra/state_machines/sla_escalation.asl.json``).

A breach's ``ticket.sla_breached`` event reaches the ``sla-escalation-starts`` subscription, whose consumer
calls ``start_escalation``: one execution per (ticket, target), named after them, so a redelivered event or
a second breach path is refused by Step Functions itself. The machine waits until a level is due and sends
it to the ``sla-escalations`` queue with a task token; that queue's consumer calls ``run_step``, which
escalates the ticket (``sla_breaches.escalate``) and answers with the next level, or with none when the
ticket has ended or no level is left, which ends the execution. Levels and delays come from the policy,
read at each step (``escalation_levels``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib import flows
from chalicelib.clock import parse_time
from chalicelib.domain.scheduled_runs import due_time
from chalicelib.domain.sla_breaches import EscalationStep, escalate
from chalicelib.errors import Conflict, ValidationError
from chalicelib.logs import get_logger

MACHINE = "sla-escalation"
# Until the workspace's SLA policy carries escalation levels (``chalicelib.domain.sla_policies``), these do.
# A fast-SLA ticket (``simulate_fast_sla``, for demos and tests) lives its SLA hours as seconds.
FAST_SLA_SCALE = 1 / 3600
_AFTER = re.compile(r"^(\d{1,4}):([0-5]\d):([0-5]\d)$")

StartExecution = Callable[[str, str, dict], object]


def escalation_levels(workspace_id: str) -> list[dict]:
    """The workspace's escalation levels from its SLA policy, in order: ``[{"after": "HH:MM:SS",
    "target": {"team_id"|"user_id"} | None}]``, ``after`` counted from the breach."""
    from chalicelib.domain import sla_policies

    return sla_policies.escalation_levels(workspace_id)


def after_delay(after: str) -> timedelta:
    """``"HH:MM:SS"`` as a duration; ValidationError for anything else."""
    match = _AFTER.match(after or "")
    if not match:
        raise ValidationError(f"escalation delay {after!r} is not HH:MM:SS", details={"after": "HH:MM:SS"})
    hours, minutes, seconds = (int(part) for part in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def level_step(workspace_id: str, breached_at: str, level: int, fast: bool) -> dict | None:
    """Level ``level`` (1-based) as the machine carries it: ``{level, at, escalate_to}``; None past the last."""
    levels = escalation_levels(workspace_id)
    if level > len(levels):
        return None
    chosen = levels[level - 1]
    delay = after_delay(chosen["after"]) * (FAST_SLA_SCALE if fast else 1)
    return {
        "level": level,
        "at": due_time(parse_time(breached_at) + delay),
        "escalate_to": dict(chosen["target"] or {}),
    }


def execution_name(ticket_id: str, target: str) -> str:
    return f"{ticket_id}-{target}"[:80]


def start_escalation(envelope: dict, *, start_execution: StartExecution = flows.start_execution) -> bool:
    """Start the escalation of the breach in a ``ticket.sla_breached`` envelope (a repeat starts nothing:
    the execution's name is the ticket and target). False when there is nothing to start: no escalation
    levels, or an execution of that name exists with other input."""
    data = envelope.get("data") or {}
    workspace_id, ticket_id = envelope["workspace_id"], envelope["subject"]["id"]
    target, breached_at = data["target"], data["breached_at"]
    fast = bool(data.get("simulate_fast_sla"))
    first = level_step(workspace_id, breached_at, 1, fast)
    if first is None:
        return False
    payload = {
        "workspace_id": workspace_id,
        "ticket_id": ticket_id,
        "target": target,
        "breached_at": breached_at,
        "simulate_fast_sla": fast,
        "next": first,
    }
    try:
        start_execution(MACHINE, execution_name(ticket_id, target), payload)
    except Conflict:
        return False  # an escalation of this ticket and target exists already (with other levels)
    return True


def run_step(message: dict, *, now: Callable[[], datetime] | None = None) -> dict:
    """One level, as the machine sends it: escalate (unless the ticket ended) and answer how to go on:
    ``{"level", "at", "escalate_to"}`` for the next level, or ``{"stopped": <why>}``."""
    try:
        step = EscalationStep(
            workspace_id=message["workspace_id"],
            ticket_id=message["ticket_id"],
            target=message["target"],
            level=int(message["level"]),
            escalate_to=dict(message["escalate_to"]),
        )
        breached_at, fast = message["breached_at"], bool(message.get("simulate_fast_sla"))
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError(f"not an escalation step: {error}") from error
    outcome = escalate(step, now=now) if now else escalate(step)
    get_logger().info(
        "sla escalation step", extra={"ticket_id": step.ticket_id, "level": step.level, "outcome": outcome}
    )
    if outcome == "ended":
        return {"stopped": "ticket_ended"}
    following = level_step(step.workspace_id, breached_at, step.level + 1, fast)
    return following or {"stopped": "last_level"}
