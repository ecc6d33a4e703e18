"""Scheduled runs: the smallest flow through Step Functions, on the path SLA escalation and approvals take.

``schedule_run`` starts the ``scheduled-run`` machine (``infra/state_machines/scheduled_run.asl.json``),
which waits until the run is due and sends it to the ``scheduled-runs`` queue; that queue's consumer calls
``record_run``, which keeps proof that the run happened. Both ends are idempotent on the run id.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from chalicelib import flows
from chalicelib.clock import format_time, parse_time, utcnow
from chalicelib.domain.directory import is_workspace_id
from chalicelib.errors import Conflict, ValidationError
from chalicelib.models.scheduled_runs import ScheduledRunItem, find_run, run_key, save_new_run

MACHINE = "scheduled-run"
RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")  # what Step Functions accepts as an execution name
MAX_DELAY = timedelta(days=365)  # a standard execution lives at most a year
# Step Functions' Wait takes whole-second RFC 3339 times ending in Z (moto drops any fraction, and so
# would wake up early): a due time is rounded up to the next whole second.
WAIT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Clock = Callable[[], datetime]


def due_time(at: datetime) -> str:
    """``at`` as the machine waits for it: UTC, whole seconds, never earlier than ``at``."""
    at = at.astimezone(UTC)
    whole = at.replace(microsecond=0) + timedelta(seconds=math.ceil(at.microsecond / 1_000_000))
    return whole.strftime(WAIT_TIME_FORMAT)


def schedule_run(
    workspace_id: str,
    at: datetime,
    run_id: str | None = None,
    *,
    start_execution=flows.start_execution,
    now: Clock = utcnow,
) -> dict:
    """Start a run that is recorded once ``at`` has come.

    ``run_id`` names the execution, so scheduling the same run again starts nothing new; the same id with
    another time or workspace raises ``Conflict``. Raises ``ValidationError`` for a malformed workspace or
    run id, a time without a UTC offset, or one more than a year ahead.
    """
    if not is_workspace_id(workspace_id):
        raise ValidationError("workspace_id is malformed", details={"workspace_id": "malformed"})
    run_id = run_id or uuid.uuid4().hex
    if not RUN_ID.match(run_id):
        raise ValidationError("run_id is malformed", details={"run_id": "1-80 letters, digits, - or _"})
    if at.tzinfo is None:
        raise ValidationError("at needs a UTC offset", details={"at": "needs a UTC offset"})
    if at - now() > MAX_DELAY:
        raise ValidationError("at is more than a year ahead", details={"at": "at most a year ahead"})
    payload = {"workspace_id": workspace_id, "run_id": run_id, "at": due_time(at)}
    execution = start_execution(MACHINE, run_id, payload)
    return {**payload, "execution_arn": execution.arn, "status": execution.status}


def record_run(message: dict, *, now: Clock = utcnow) -> bool:
    """Record that the run in ``message`` (as the machine sends it) happened; False when it already was
    (a redelivered message). Raises ``ValidationError`` for a message that is not a run."""
    try:
        workspace_id, run_id, due_at = message["workspace_id"], message["run_id"], message["at"]
        parse_time(due_at)
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError(f"not a scheduled run: {error}") from error
    pk, sk = run_key(workspace_id, run_id)
    item = ScheduledRunItem(
        pk=pk, sk=sk, run_id=run_id, due_at=due_at, ran_at=format_time(now()), execution=message.get("execution")
    )
    try:
        save_new_run(item)
    except Conflict:
        return False
    return True


def recorded_run(workspace_id: str, run_id: str) -> dict | None:
    """The record of a run that happened, or None while it has not."""
    item = find_run(workspace_id, run_id)
    if item is None:
        return None
    return {"run_id": item.run_id, "due_at": item.due_at, "ran_at": item.ran_at, "execution": item.execution}
