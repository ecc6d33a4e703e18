"""Agent workflow executions (seed 004): started here, run by an agent runtime, each attempt a Step Functions
execution of ``workflow-run`` (named ``<execution id>-<attempt>``, so a repeated start starts nothing).

The machine hands the attempt's task token to the ``workflow-runs`` queue, whose consumer keeps it on the
execution (``keep_task_token``); the agent runtime's signed callback (``agent_callbacks``) records the
outcome and answers the token, which ends the attempt. A timeout marks the attempt failed (``timeout``);
cancel stops the running attempt; retry starts the next attempt of a failed or cancelled execution.
"""

from __future__ import annotations

import json
import uuid

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import flows
from chalicelib.auth.principal import Principal
from chalicelib.clock import now_iso, parse_time
from chalicelib.errors import Conflict, NotFound, PayloadTooLarge
from chalicelib.models import sizing
from chalicelib.models.sizing import compact_json
from chalicelib.models.webhooks import WorkflowExecution, execution_sk, workspace_pk

MACHINE = "workflow-run"
RUNNING, COMPLETED, FAILED, CANCELLED = "running", "completed", "failed", "cancelled"
RETRYABLE = (FAILED, CANCELLED)
DEFAULT_TIMEOUT_SECONDS = 3600


def start(workspace_id: str, actor: Principal, data: dict) -> dict:
    """A new execution of agent workflow ``workflow_id`` with ``input``, its first attempt running."""
    at = now_iso()
    execution_id = f"wfx-{uuid.uuid4().hex[:16]}"
    execution = WorkflowExecution(
        pk=workspace_pk(workspace_id),
        sk=execution_sk(execution_id),
        execution_id=execution_id,
        workflow_id=data["workflow_id"],
        status=RUNNING,
        input=compact_json(data.get("input") or {}),
        ticket_id=data.get("ticket_id"),
        evidence_ref=data.get("evidence_ref"),
        started_at=at,
        attempt=1,
        retry_count=0,
        timeout_seconds=data.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS,
    )
    if not sizing.fits(execution):
        raise PayloadTooLarge("the execution input is too large to store")
    execution.save(condition=WorkflowExecution.sk.does_not_exist())
    _start_attempt(workspace_id, execution)
    return public(execution)


def get(workspace_id: str, execution_id: str) -> dict:
    return public(_load(workspace_id, execution_id), live=True)


def cancel(workspace_id: str, actor: Principal, execution_id: str) -> dict:
    """Stop the running attempt; 409 unless the execution is running."""
    execution = _load(workspace_id, execution_id)
    if execution.status != RUNNING:
        raise Conflict(f"the execution is {execution.status}, not running", code="execution_not_running")
    execution.status, execution.failure_code = CANCELLED, CANCELLED
    execution.completed_at, execution.task_token = now_iso(), None
    _save(execution)
    flows.stop_execution(MACHINE, _attempt_name(execution), f"cancelled by {actor.user_id}")
    return public(execution)


def retry(workspace_id: str, actor: Principal, execution_id: str) -> dict:
    """Start the next attempt of a failed or cancelled execution; 409 otherwise."""
    execution = _load(workspace_id, execution_id)
    if execution.status not in RETRYABLE:
        raise Conflict(
            f"only a failed or cancelled execution can be retried, not a {execution.status} one",
            code="execution_not_retryable",
        )
    execution.status, execution.failure_code, execution.error, execution.output = RUNNING, None, None, None
    execution.attempt = int(execution.attempt or 1) + 1
    execution.retry_count = int(execution.retry_count or 0) + 1
    execution.started_at, execution.completed_at, execution.task_token = now_iso(), None, None
    _save(execution)
    _start_attempt(workspace_id, execution)
    return public(execution)


# --- the machine's messages and the agent's callback -------------------------------------------------


def keep_task_token(message: dict) -> bool:
    """The ``workflow-runs`` consumer, ``await_agent``: keep the attempt's token on its execution (False
    when the execution has moved on to another attempt or finished: that attempt is not waited on)."""
    execution = _current_attempt(message)
    if execution is None or execution.task_token == message["task_token"]:
        return False
    execution.task_token = message["task_token"]
    return _save_if_current(execution)


def mark_timed_out(message: dict) -> bool:
    """The ``workflow-runs`` consumer, ``timed_out``: the agent never called back for this attempt."""
    execution = _current_attempt(message)
    if execution is None:
        return False
    execution.status, execution.failure_code, execution.error = FAILED, "timeout", "no callback in time"
    execution.completed_at, execution.task_token = now_iso(), None
    return _save_if_current(execution)


def finished(execution: WorkflowExecution, fields: dict, at: str, delivery_id: str) -> WorkflowExecution:
    """The execution as the agent's callback leaves it (unchanged unless it was running)."""
    if execution.status == RUNNING:
        execution.status = fields["status"]
        execution.output = compact_json(fields["output"]) if fields["output"] is not None else None
        execution.error = fields["error"]
        execution.failure_code = FAILED if fields["status"] == FAILED else None
        execution.completed_at, execution.delivery_id = at, delivery_id
    return execution


def answer_run(task_token: str, fields: dict) -> None:
    """End the waiting attempt as the agent reported: resume it on success, fail it otherwise."""
    if fields["status"] == COMPLETED:
        flows.complete_task(task_token, {"output": fields["output"]})
    else:
        flows.fail_task(task_token, "WorkflowFailed", fields["error"] or "the agent reported a failure")


# --- internals ---------------------------------------------------------------------------------------


def _start_attempt(workspace_id: str, execution: WorkflowExecution) -> None:
    payload = {
        "workspace_id": workspace_id,
        "execution_id": execution.execution_id,
        "attempt": int(execution.attempt),
        "timeout_seconds": int(execution.timeout_seconds or DEFAULT_TIMEOUT_SECONDS),
    }
    flows.start_execution(MACHINE, _attempt_name(execution), payload)


def _attempt_name(execution: WorkflowExecution) -> str:
    return f"{execution.execution_id}-{int(execution.attempt)}"


def _load(workspace_id: str, execution_id: str) -> WorkflowExecution:
    try:
        execution = WorkflowExecution.get(workspace_pk(workspace_id), execution_sk(execution_id), consistent_read=True)
    except WorkflowExecution.DoesNotExist:
        raise NotFound("workflow execution not found", code="execution_not_found") from None
    return execution


def _current_attempt(message: dict) -> WorkflowExecution | None:
    try:
        execution = _load(message["workspace_id"], message["execution_id"])
    except NotFound:
        return None
    if execution.status != RUNNING or int(execution.attempt or 0) != int(message["attempt"]):
        return None
    return execution


def _save(execution: WorkflowExecution) -> None:
    try:
        execution.save()  # the version guard: a racing change makes this one fail
    except PutError as error:
        raise Conflict("the execution changed meanwhile; reload and retry", code="concurrent_update") from error


def _save_if_current(execution: WorkflowExecution) -> bool:
    try:
        execution.save()
    except (PutError, UpdateError):
        return False  # something else moved it meanwhile; the message has nothing left to do
    return True


def public(execution: WorkflowExecution, live: bool = False) -> dict:
    started, ended = execution.started_at, execution.completed_at
    duration = _milliseconds(started, ended) if started and ended else None
    view = {
        "id": execution.execution_id,
        "workflow_id": execution.workflow_id,
        "status": execution.status,
        "ticket_id": execution.ticket_id,
        "input_ref": f"workflow-executions/{execution.execution_id}/input" if execution.input else None,
        "input": json.loads(execution.input) if execution.input else None,
        "output_ref": f"workflow-executions/{execution.execution_id}/output" if execution.output else None,
        "output": json.loads(execution.output) if execution.output else None,
        "evidence_ref": execution.evidence_ref,
        "error": execution.error,
        "failure_code": execution.failure_code,
        "started_at": started,
        "completed_at": ended,
        "duration_ms": duration,
        "retry_count": int(execution.retry_count or 0),
        "attempt": int(execution.attempt or 1),
    }
    if live and started:
        view["state_machine_status"] = flows.execution_status(MACHINE, _attempt_name(execution))
    return view


def _milliseconds(start: str, end: str) -> int:
    return int((parse_time(end) - parse_time(start)).total_seconds() * 1000)
