"""Agent workflow execution routes (seed 004): start, read, retry, cancel."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, VIEWER
from chalicelib.domain import workflow_executions
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import string_enum

routes = RouteFamily("workflows")

READERS = frozenset({ADMIN, AGENT, VIEWER})
OPERATORS = frozenset({ADMIN, AGENT})
EXECUTION_PATH = "/api/v1/workflow-executions/{execution_id}"
_TEXT = {"type": ["string", "null"]}
_ID = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"^[A-Za-z0-9._:-]+$"}
START_EXECUTION = {
    "title": "WorkflowExecutionStart",
    "type": "object",
    "additionalProperties": False,
    "required": ["workflow_id"],
    "properties": {
        "workflow_id": {**_ID, "description": "the agent workflow to run, e.g. ``triage.summarize``"},
        "input": {"type": "object"},
        "ticket_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "evidence_ref": {"type": "string", "minLength": 1, "maxLength": 1024},
        "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 86400},
    },
}
EXECUTION = {
    "title": "WorkflowExecution",
    "type": "object",
    "required": ["id", "workflow_id", "status", "retry_count"],
    "properties": {
        "id": {"type": "string"},
        "workflow_id": _TEXT,
        "status": string_enum("WorkflowExecutionStatus", ["running", "completed", "failed", "cancelled"]),
        "ticket_id": _TEXT,
        "input_ref": _TEXT,
        "input": {"type": ["object", "null"]},
        "output_ref": _TEXT,
        "output": {},
        "evidence_ref": _TEXT,
        "error": _TEXT,
        "failure_code": _TEXT,
        "started_at": _TEXT,
        "completed_at": _TEXT,
        "duration_ms": {"type": ["integer", "null"]},
        "retry_count": {"type": "integer"},
        "attempt": {"type": "integer"},
        "state_machine_status": _TEXT,
    },
}


@routes.route(
    "/api/v1/workflow-executions",
    "POST",
    operation_id="startWorkflowExecution",
    summary="Start an agent workflow execution (its first attempt runs as a Step Functions execution)",
    roles=OPERATORS,
    body=START_EXECUTION,
    response=EXECUTION,
    status=201,
)
def start_execution(request):
    started = workflow_executions.start(request.workspace_id, request.principal, request.body)
    return Reply(started, status=201, headers={"Location": f"/api/v1/workflow-executions/{started['id']}"})


@routes.route(
    EXECUTION_PATH,
    "GET",
    operation_id="getWorkflowExecution",
    summary="A workflow execution: refs, duration, retry count, failure code, the state machine's status",
    roles=READERS,
    response=EXECUTION,
)
def get_execution(request):
    return workflow_executions.get(request.workspace_id, request.path_params["execution_id"])


@routes.route(
    f"{EXECUTION_PATH}/retry",
    "POST",
    operation_id="retryWorkflowExecution",
    summary="Start the next attempt of a failed or cancelled execution",
    roles=OPERATORS,
    response=EXECUTION,
    errors=frozenset({409}),
)
def retry_execution(request):
    return workflow_executions.retry(request.workspace_id, request.principal, request.path_params["execution_id"])


@routes.route(
    f"{EXECUTION_PATH}/cancel",
    "POST",
    operation_id="cancelWorkflowExecution",
    summary="Stop a running execution",
    roles=OPERATORS,
    response=EXECUTION,
    errors=frozenset({409}),
)
def cancel_execution(request):
    return workflow_executions.cancel(request.workspace_id, request.principal, request.path_params["execution_id"])
