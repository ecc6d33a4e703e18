"""Workflow definition routes (seed 003): parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, VIEWER
from chalicelib.domain import workflows
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply, no_content
from chalicelib.http.schemas import list_of, string_enum

routes = RouteFamily("workflows")

ADMINS = frozenset({ADMIN})
READERS = frozenset({ADMIN, AGENT, VIEWER})
WORKFLOW_PATH = "/api/v1/workflows/{workflow_id}"
_NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_DURATION = {"type": "string", "pattern": r"^\d{1,5}:[0-5]\d:[0-5]\d$", "description": "HH:MM:SS (hours may exceed 24)"}
_STATUS = string_enum("WorkflowStatus", ["draft", "active"])
GRAPH = {
    "title": "WorkflowGraphInput",
    "type": "object",
    "additionalProperties": False,
    "required": ["nodes", "edges"],
    "properties": {
        "nodes": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["temp_id", "name", "role"],
                "properties": {
                    "temp_id": _ID,
                    "name": _NAME,
                    "role": string_enum("StepRole", [ADMIN, AGENT], "who works the step"),
                    "is_start": {"type": "boolean"},
                    "is_end": {"type": "boolean"},
                    "weight": {"type": "number", "minimum": 0, "maximum": 1},
                    "instruction": {"type": "string", "maxLength": 4000},
                    "escalate_to": {"type": "string", "maxLength": 64, "description": "a user id or team"},
                },
            },
        },
        "edges": {
            "type": "array",
            "maxItems": 500,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["from_temp_id", "to_temp_id"],
                "properties": {"from_temp_id": _ID, "to_temp_id": _ID, "name": {"type": "string", "maxLength": 200}},
            },
        },
    },
}
CREATE_WORKFLOW = {
    "title": "WorkflowCreate",
    "type": "object",
    "additionalProperties": False,
    "required": ["workflow", "graph"],
    "properties": {
        "workflow": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "category"],
            "properties": {
                "name": _NAME,
                "description": {"type": "string", "maxLength": 4000},
                "category": _NAME,
                "sub_category": _NAME,
                "department": _NAME,
                **{f"{priority}_sla": _DURATION for priority in workflows.PRIORITIES},
            },
        },
        "graph": GRAPH,
    },
}
_GRAPH_OUT = {"type": ["object", "null"]}
WORKFLOW_SUMMARY = {
    "title": "WorkflowSummary",
    "type": "object",
    "required": ["workflow_id", "name", "category", "status"],
    "properties": {
        "workflow_id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "category": {"type": "string"},
        "sub_category": {"type": ["string", "null"]},
        "department": {"type": ["string", "null"]},
        "slas": {"type": "object"},
        "status": _STATUS,
        "active_version": {"type": ["integer", "null"]},
        "draft_version": {"type": ["integer", "null"]},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
    },
}
WORKFLOW = {
    **WORKFLOW_SUMMARY,
    "title": "Workflow",
    "required": [*WORKFLOW_SUMMARY["required"], "graph", "temp_id_mapping"],
    "properties": {
        **WORKFLOW_SUMMARY["properties"],
        "graph": _GRAPH_OUT,
        "temp_id_mapping": {"type": "object", "additionalProperties": {"type": "string"}},
        "draft": _GRAPH_OUT,
    },
}


@routes.route(
    "/api/v1/workflows",
    "POST",
    operation_id="createWorkflow",
    summary="Create a draft workflow with its graph (answers step ids for the temporary ids)",
    roles=ADMINS,
    body=CREATE_WORKFLOW,
    response=WORKFLOW,
    status=201,
)
def create_workflow(request):
    created = workflows.create_workflow(request.workspace_id, request.principal, request.body, request.correlation_id)
    return Reply(created, status=201, headers={"Location": f"/api/v1/workflows/{created['workflow_id']}"})


@routes.route(
    "/api/v1/workflows",
    "GET",
    operation_id="listWorkflows",
    summary="List workflows, newest first",
    roles=READERS,
    query={**PAGE_QUERY, "status": _STATUS, "category": _NAME},
    response=list_of("WorkflowList", WORKFLOW_SUMMARY),
)
def list_workflows(request):
    filters = {name: request.query[name] for name in ("status", "category") if request.query.get(name)}
    scope = f"workflows|{request.workspace_id}|{sorted(filters.items())}"
    items, next_key = workflows.list_workflows(
        request.workspace_id, filters, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "created_at", "desc", filters)


@routes.route(
    WORKFLOW_PATH,
    "GET",
    operation_id="getWorkflow",
    summary="A workflow with its graph",
    roles=READERS,
    response=WORKFLOW,
)
def get_workflow(request):
    return workflows.get_workflow(request.workspace_id, request.path_params["workflow_id"])


@routes.route(
    f"{WORKFLOW_PATH}/graph",
    "PUT",
    operation_id="replaceWorkflowGraph",
    summary="Replace the draft graph (an active workflow gets a new draft version)",
    roles=ADMINS,
    body=GRAPH,
    response=WORKFLOW,
    errors=frozenset({409}),
)
def replace_graph(request):
    return workflows.replace_graph(
        request.workspace_id,
        request.principal,
        request.path_params["workflow_id"],
        request.body,
        request.correlation_id,
    )


@routes.route(
    f"{WORKFLOW_PATH}/activate",
    "POST",
    operation_id="activateWorkflow",
    summary="Make the draft the active version (one active workflow per category)",
    roles=ADMINS,
    response=WORKFLOW,
    errors=frozenset({409}),
)
def activate(request):
    return workflows.activate(
        request.workspace_id, request.principal, request.path_params["workflow_id"], request.correlation_id
    )


@routes.route(
    WORKFLOW_PATH,
    "DELETE",
    operation_id="deleteWorkflow",
    summary="Delete a workflow that was never activated",
    roles=ADMINS,
    status=204,
    errors=frozenset({409}),
)
def delete_workflow(request):
    workflows.delete_workflow(
        request.workspace_id, request.principal, request.path_params["workflow_id"], request.correlation_id
    )
    return no_content()
