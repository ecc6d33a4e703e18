"""Agent workflow callbacks (seed 004's ``POST /webhooks/workflow-completed``).

The workspace is the one ``x-workspace-id`` names; the body must be signed with that workspace's
callback secret (``x-agentfield-signature: sha256=<hex HMAC-SHA256 of the raw body>``), checked
before parsing. Each delivery (``x-agentfield-delivery``) is applied once: the execution record, the
``workflow.completed`` event and the delivery record are one transaction, so a redelivery changes
nothing and nothing is ever half-written. The execution record is deliberately small (status,
output, error); the workflow-executions API (issue 10) owns the full resource.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.clock import now_iso
from chalicelib.domain import workflow_executions
from chalicelib.domain.events import new_event
from chalicelib.domain.integrations import active_secret, delivery_record, record_once, seen, system_actor
from chalicelib.domain.webhook_signatures import sha256_signature_matches
from chalicelib.errors import NotFound, PayloadTooLarge, Unauthorized, ValidationError
from chalicelib.events.catalogue import Topic
from chalicelib.models import sizing
from chalicelib.models.integrations import AGENTS
from chalicelib.models.sizing import compact_json
from chalicelib.models.webhooks import WorkflowExecution, execution_sk, workspace_pk

SOURCE = "agentfield"
EVENT = "workflow.completed"
STATUSES = {"completed": "completed", "succeeded": "completed", "success": "completed", "failed": "failed"}
STATUSES |= {"error": "failed", "failure": "failed", "timed_out": "failed"}
MAX_ID = 128


@dataclass(frozen=True)
class Callback:
    workspace_id: str
    delivery_id: str


def verified_callback(workspace_id: str | None, delivery_id: str | None, signature: str | None, raw_body: bytes):
    """NotFound when the workspace has no callback secret; Unauthorized for a missing or wrong
    signature; ValidationError for a signed callback without a delivery id."""
    secret = active_secret(workspace_id, AGENTS)
    if secret is None:
        raise NotFound("agent callbacks are not configured for this workspace", code="integration_disabled")
    if not sha256_signature_matches(secret, raw_body, signature):
        raise Unauthorized("x-agentfield-signature is missing or does not match", code="invalid_signature")
    if not delivery_id or len(delivery_id) > MAX_ID:
        raise ValidationError(
            "x-agentfield-delivery is required", details={"x-agentfield-delivery": f"is required (≤ {MAX_ID} chars)"}
        )
    return Callback(workspace_id, delivery_id)


def complete_execution(callback: Callback, payload, correlation_id: str | None) -> dict:
    """Record the execution as completed or failed with its output and emit ``workflow.completed``,
    once per delivery. Returns ``{"execution_id", "status", "duplicate"}``."""
    fields = _read(payload)
    if seen(callback.workspace_id, SOURCE, callback.delivery_id):
        return {"execution_id": fields["execution_id"], "status": fields["status"], "duplicate": True}
    at = now_iso()
    started = get_execution(callback.workspace_id, fields["execution_id"])
    if started is not None and started.started_at is not None:  # started through the API: finish that run
        execution = workflow_executions.finished(started, fields, at, callback.delivery_id)
    else:
        execution = WorkflowExecution(
            pk=workspace_pk(callback.workspace_id),
            sk=execution_sk(fields["execution_id"]),
            execution_id=fields["execution_id"],
            workflow_id=fields["workflow_id"],
            status=fields["status"],
            output=compact_json(fields["output"]) if fields["output"] is not None else None,
            error=fields["error"],
            completed_at=at,
            delivery_id=callback.delivery_id,
        )
    if not sizing.fits(execution):
        raise PayloadTooLarge("the execution output is too large to store")
    event = new_event(
        Topic.WORKFLOW_COMPLETED,
        callback.workspace_id,
        "workflow_execution",
        fields["execution_id"],
        {key: fields[key] for key in ("execution_id", "workflow_id", "status", "output", "error")},
        correlation_id,
        at,
        actor_id=system_actor(SOURCE, callback.workspace_id).user_id,
    )
    record = delivery_record(callback.workspace_id, SOURCE, callback.delivery_id, EVENT, "applied")
    applied = record_once(record, (execution, None), (event, None))
    if applied and started is not None and started.task_token:
        workflow_executions.answer_run(started.task_token, fields)
    return {"execution_id": fields["execution_id"], "status": fields["status"], "duplicate": not applied}


def get_execution(workspace_id: str, execution_id: str) -> WorkflowExecution | None:
    try:
        return WorkflowExecution.get(workspace_pk(workspace_id), execution_sk(execution_id), consistent_read=True)
    except WorkflowExecution.DoesNotExist:
        return None


def _read(payload) -> dict:
    if not isinstance(payload, dict):
        raise ValidationError("the payload must be a JSON object", details={"body": "must be a JSON object"})
    execution_id = payload.get("execution_id", payload.get("executionId"))
    workflow_id = payload.get("workflow_id", payload.get("workflowId"))
    status = STATUSES.get(str(payload.get("status", "")).lower())
    error = payload.get("error")
    problems = {}
    if not isinstance(execution_id, str) or not 0 < len(execution_id) <= MAX_ID:
        problems["execution_id"] = "is required (a string of at most 128 characters)"
    if workflow_id is not None and (not isinstance(workflow_id, str) or len(workflow_id) > MAX_ID):
        problems["workflow_id"] = "must be a string of at most 128 characters"
    if status is None:
        problems["status"] = f"must be one of {', '.join(sorted(STATUSES))}"
    if error is not None and not isinstance(error, str):
        error = compact_json(error)
    if problems:
        raise ValidationError("the callback is invalid", details=problems)
    output = payload.get("output", payload.get("result"))
    return {
        "execution_id": execution_id,
        "workflow_id": workflow_id,
        "status": status,
        "output": output,
        "error": error,
    }
