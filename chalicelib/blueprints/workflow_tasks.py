"""Workflow task routes (seed 003): list, read, transition, transfer, escalate, history."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, VIEWER
from chalicelib.domain import workflow_tasks
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.schemas import list_of, string_enum

routes = RouteFamily("workflows")

READERS = frozenset({ADMIN, AGENT, VIEWER})
WORKERS = frozenset({ADMIN, AGENT})
TASK_PATH = "/api/v1/tasks/{task_id}"
_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_REASON = {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": r"\S"}
_NULLABLE = {"type": ["string", "null"]}
TASK = {
    "title": "Task",
    "type": "object",
    "required": ["id", "workflow_id", "ticket_id", "step_id", "status", "assignee_id"],
    "properties": {
        "id": {"type": "string"},
        "workflow_id": {"type": "string"},
        "workflow_version": {"type": "integer"},
        "ticket_id": {"type": "string"},
        "title": {"type": "string"},
        "step_id": {"type": "string"},
        "step_name": {"type": "string"},
        "role": {"type": "string"},
        "assignee_id": _NULLABLE,
        "status": string_enum("TaskStatus", ["active", "completed"]),
        "escalated": {"type": "boolean"},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "completed_at": _NULLABLE,
    },
}
TASK_HISTORY_ENTRY = {
    "title": "TaskHistoryEntry",
    "type": "object",
    "required": ["action", "actor_id", "at"],
    "properties": {
        "action": string_enum("TaskAction", ["created", "transitioned", "transferred", "escalated", "completed"]),
        "actor_id": {"type": "string"},
        "at": {"type": "string"},
        "from_step_id": _NULLABLE,
        "to_step_id": _NULLABLE,
        "from_user_id": _NULLABLE,
        "to_user_id": _NULLABLE,
        "reason": _NULLABLE,
    },
}


def _body(title: str, required: list[str], properties: dict) -> dict:
    return {
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


@routes.route(
    "/api/v1/tasks",
    "GET",
    operation_id="listTasks",
    summary="Workflow tasks, newest first: mine or all, active, inactive (completed) or unassigned",
    roles=READERS,
    query={
        **PAGE_QUERY,
        "scope": string_enum("TaskScope", ["mine", "all"]),
        "tab": string_enum("TaskTab", ["active", "inactive", "unassigned"]),
        "search": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    response=list_of("TaskList", TASK),
)
def list_tasks(request):
    scope, tab = request.query.get("scope") or "mine", request.query.get("tab") or "active"
    search = request.query.get("search")
    filters = {"scope": scope, "tab": tab, **({"search": search} if search else {})}
    cursor_scope = f"tasks|{request.workspace_id}|{request.principal.user_id}|{sorted(filters.items())}"
    items, next_key = workflow_tasks.list_tasks(
        request.workspace_id,
        request.principal,
        scope,
        tab,
        search,
        request.query["limit"],
        start_key(request, cursor_scope),
    )
    return page(request, items, next_key, cursor_scope, "created_at", "desc", filters)


@routes.route(TASK_PATH, "GET", operation_id="getTask", summary="A workflow task", roles=READERS, response=TASK)
def get_task(request):
    return workflow_tasks.get_task(request.workspace_id, request.path_params["task_id"])


@routes.route(
    f"{TASK_PATH}/transition",
    "POST",
    operation_id="transitionTask",
    summary="Move the task along an edge from its step (its assignee only); an end step completes it",
    roles=WORKERS,
    body=_body("TaskTransition", ["to_step_id"], {"to_step_id": _ID, "note": _REASON}),
    response=TASK,
    errors=frozenset({409}),
)
def transition_task(request):
    return workflow_tasks.transition(
        request.workspace_id,
        request.principal,
        request.path_params["task_id"],
        request.body["to_step_id"],
        request.body.get("note"),
        request.correlation_id,
    )


@routes.route(
    f"{TASK_PATH}/transfer",
    "POST",
    operation_id="transferTask",
    summary="Hand the task to another user holding its step's role (its assignee or an admin)",
    roles=WORKERS,
    body=_body("TaskTransfer", ["user_id"], {"user_id": _ID, "reason": _REASON}),
    response=TASK,
    errors=frozenset({409}),
)
def transfer_task(request):
    return workflow_tasks.transfer(
        request.workspace_id,
        request.principal,
        request.path_params["task_id"],
        request.body["user_id"],
        request.body.get("reason"),
        request.correlation_id,
    )


@routes.route(
    f"{TASK_PATH}/escalate",
    "POST",
    operation_id="escalateTask",
    summary="Give the task to its step's escalation target, with a reason (its assignee or an admin)",
    roles=WORKERS,
    body=_body("TaskEscalation", ["reason"], {"reason": _REASON}),
    response=TASK,
    errors=frozenset({409}),
)
def escalate_task(request):
    return workflow_tasks.escalate(
        request.workspace_id,
        request.principal,
        request.path_params["task_id"],
        request.body["reason"],
        request.correlation_id,
    )


@routes.route(
    f"{TASK_PATH}/history",
    "GET",
    operation_id="listTaskHistory",
    summary="Every action on the task, oldest first",
    roles=READERS,
    query=PAGE_QUERY,
    response=list_of("TaskHistory", TASK_HISTORY_ENTRY),
)
def task_history(request):
    task_id = request.path_params["task_id"]
    cursor_scope = f"task-history|{request.workspace_id}|{task_id}"
    items, next_key = workflow_tasks.task_history(
        request.workspace_id, task_id, request.query["limit"], start_key(request, cursor_scope)
    )
    return page(request, items, next_key, cursor_scope, "at", "asc", {})
