"""Workflow definitions (seed 003): a named graph of steps per category, drafted, activated, redrafted.

Every change commits with its audit row. A graph is checked (``workflow_graphs``) before anything is
written; its steps and transitions get ids of their own, and the answer maps the client's temporary
ids onto them. Only one workflow is active per category: activation claims the category with a
conditional write, so two activations racing for it cannot both win.
"""

from __future__ import annotations

import json
import uuid

from pynamodb.exceptions import TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.clock import now_iso
from chalicelib.domain.audit import audit_record
from chalicelib.domain.workflow_graphs import check_graph
from chalicelib.errors import Conflict, NotFound
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.sizing import compact_json
from chalicelib.models.workflows import (
    WORKFLOW_SK,
    ActiveCategoryItem,
    GraphItem,
    WorkflowItem,
    category_key,
    graph_sk,
    workflow_pk,
)

PRIORITIES = ("low", "medium", "high", "urgent")


def _graph_item(workflow: WorkflowItem, version: int, graph: dict) -> GraphItem:
    """Steps and transitions with ids of their own, from a checked graph with temporary ids."""
    check_graph(graph["nodes"], graph["edges"])
    mapping = {node["temp_id"]: f"step-{uuid.uuid4().hex[:10]}" for node in graph["nodes"]}
    steps = [{**node, "step_id": mapping[node["temp_id"]]} for node in graph["nodes"]]
    transitions = [
        {
            "transition_id": f"tr-{uuid.uuid4().hex[:10]}",
            "from_step_id": mapping[edge["from_temp_id"]],
            "to_step_id": mapping[edge["to_temp_id"]],
            "name": edge.get("name") or "",
        }
        for edge in graph["edges"]
    ]
    return GraphItem(
        pk=workflow.pk,
        sk=graph_sk(version),
        version=version,
        nodes=compact_json(steps),
        edges=compact_json(transitions),
        temp_id_mapping=compact_json(mapping),
    )


def create_workflow(workspace_id: str, actor: Principal, data: dict, correlation_id) -> dict:
    """A draft workflow (version 1) with its graph. ValidationError names the graph's offending nodes."""
    details = data["workflow"]
    at = now_iso()
    workflow_id = uuid.uuid4().hex[:16]
    workflow = WorkflowItem(
        pk=workflow_pk(workspace_id, workflow_id),
        sk=WORKFLOW_SK,
        id=workflow_id,
        workspace_id=workspace_id,
        name=details["name"],
        description=details.get("description") or "",
        category=details["category"],
        sub_category=details.get("sub_category"),
        department=details.get("department"),
        slas=compact_json({p: details[f"{p}_sla"] for p in PRIORITIES if details.get(f"{p}_sla")}),
        status="draft",
        draft_version=1,
        created_at=at,
        created_by=actor.user_id,
        updated_at=at,
        updated_by=actor.user_id,
        ws_key=workspace_id,
        created_key=f"{at}#{workflow_id}",
    )
    graph = _graph_item(workflow, 1, data["graph"])
    audit = audit_record(
        workspace_id, actor.user_id, "workflow.created", "workflow", workflow_id, None, correlation_id, at
    )
    with transaction() as write:
        write.save(workflow, condition=WorkflowItem.pk.does_not_exist())
        write.save(graph)
        write.save(audit)
    return _public(workflow, {1: graph})


def replace_graph(workspace_id: str, actor: Principal, workflow_id: str, graph: dict, correlation_id) -> dict:
    """A new graph: it replaces the draft's, or, when the workflow is active without a draft, becomes
    the draft of the next version (the active version keeps serving until that draft is activated)."""
    workflow = _load(workspace_id, workflow_id)
    version = workflow.draft_version or int(workflow.active_version) + 1
    workflow.draft_version = version
    _touch(workflow, actor)
    item = _graph_item(workflow, version, graph)
    _commit(
        workflow,
        [
            item,
            audit_record(
                workspace_id,
                actor.user_id,
                "workflow.graph_changed",
                "workflow",
                workflow_id,
                {"draft_version": {"from": None, "to": version}},
                correlation_id,
                workflow.updated_at,
            ),
        ],
    )
    return get_workflow(workspace_id, workflow_id)


def activate(workspace_id: str, actor: Principal, workflow_id: str, correlation_id) -> dict:
    """The draft becomes the active version. Conflict when there is no draft, or another workflow is
    active for the same category."""
    workflow = _load(workspace_id, workflow_id)
    if not workflow.draft_version:
        raise Conflict("there is no draft to activate", code="nothing_to_activate")
    before = workflow.active_version
    workflow.active_version, workflow.draft_version = workflow.draft_version, None
    workflow.status = "active"
    _touch(workflow, actor)
    pk, sk = category_key(workspace_id, workflow.category, workflow.sub_category)
    claim = ActiveCategoryItem(pk=pk, sk=sk, workflow_id=workflow.id)
    audit = audit_record(
        workspace_id,
        actor.user_id,
        "workflow.activated",
        "workflow",
        workflow_id,
        {"active_version": {"from": before, "to": workflow.active_version}},
        correlation_id,
        workflow.updated_at,
    )
    try:
        with transaction() as write:
            write.save(workflow)
            write.save(
                claim,
                condition=ActiveCategoryItem.pk.does_not_exist() | (ActiveCategoryItem.workflow_id == workflow.id),
            )
            write.save(audit)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise Conflict(
                f"another workflow is active for category {workflow.category}", code="category_taken"
            ) from error
        raise
    return get_workflow(workspace_id, workflow_id)


def delete_workflow(workspace_id: str, actor: Principal, workflow_id: str, correlation_id) -> None:
    """Remove a workflow that was never active. Conflict otherwise."""
    workflow = _load(workspace_id, workflow_id)
    if workflow.active_version:
        raise Conflict("an activated workflow cannot be deleted", code="workflow_active")
    graphs = list(GraphItem.query(workflow.pk, GraphItem.sk.startswith("GRAPH#")))
    audit = audit_record(workspace_id, actor.user_id, "workflow.deleted", "workflow", workflow_id, None, correlation_id)
    try:
        with transaction() as write:
            write.delete(workflow)
            for graph in graphs:
                write.delete(graph)
            write.save(audit)
    except TransactWriteError as error:
        raise Conflict("the workflow changed meanwhile; reload and retry", code="concurrent_update") from error


def get_workflow(workspace_id: str, workflow_id: str) -> dict:
    workflow = _load(workspace_id, workflow_id)
    versions = [v for v in (workflow.active_version, workflow.draft_version) if v]
    graphs = {
        int(item.version): item for item in GraphItem.batch_get([(workflow.pk, graph_sk(int(v))) for v in versions])
    }
    return _public(workflow, graphs)


def list_workflows(workspace_id: str, filters: dict, limit: int, start_key):
    condition = None
    for name in ("status", "category"):
        if filters.get(name):
            part = getattr(WorkflowItem, name) == filters[name]
            condition = part if condition is None else condition & part
    result = WorkflowItem.by_workspace.query(
        workspace_id, filter_condition=condition, scan_index_forward=False, limit=limit, last_evaluated_key=start_key
    )
    return [_summary(item) for item in result], result.last_evaluated_key


def active_workflow_for(workspace_id: str, category: str, sub_category: str | None = None) -> dict | None:
    """The active workflow of a category (a sub-category's own first, then the category's), or None."""
    for sub in ([sub_category] if sub_category else []) + [None]:
        pk, sk = category_key(workspace_id, category, sub)
        try:
            claim = ActiveCategoryItem.get(pk, sk)
        except ActiveCategoryItem.DoesNotExist:
            continue
        return get_workflow(workspace_id, claim.workflow_id)
    return None


def _load(workspace_id: str, workflow_id: str) -> WorkflowItem:
    try:
        return WorkflowItem.get(workflow_pk(workspace_id, workflow_id), WORKFLOW_SK, consistent_read=True)
    except WorkflowItem.DoesNotExist:
        raise NotFound("workflow not found") from None


def _touch(workflow: WorkflowItem, actor: Principal) -> None:
    workflow.updated_at = now_iso()
    workflow.updated_by = actor.user_id


def _commit(workflow: WorkflowItem, items: list) -> None:
    try:
        with transaction() as write:
            write.save(workflow)
            for item in items:
                write.save(item)
    except TransactWriteError as error:
        raise Conflict("the workflow changed meanwhile; reload and retry", code="concurrent_update") from error


def _graph_public(item: GraphItem | None) -> dict | None:
    if item is None:
        return None
    return {
        "version": int(item.version),
        "nodes": json.loads(item.nodes),
        "edges": json.loads(item.edges),
        "temp_id_mapping": json.loads(item.temp_id_mapping),
    }


def _summary(workflow: WorkflowItem) -> dict:
    return {
        "workflow_id": workflow.id,
        "name": workflow.name,
        "description": workflow.description,
        "category": workflow.category,
        "sub_category": workflow.sub_category,
        "department": workflow.department,
        "slas": json.loads(workflow.slas),
        "status": workflow.status,
        "active_version": int(workflow.active_version) if workflow.active_version else None,
        "draft_version": int(workflow.draft_version) if workflow.draft_version else None,
        "created_at": workflow.created_at,
        "updated_at": workflow.updated_at,
    }


def _public(workflow: WorkflowItem, graphs: dict) -> dict:
    active = graphs.get(int(workflow.active_version)) if workflow.active_version else None
    draft = graphs.get(int(workflow.draft_version)) if workflow.draft_version else None
    shown = _graph_public(active or draft)
    return {
        **_summary(workflow),
        "graph": {"nodes": shown["nodes"], "edges": shown["edges"]} if shown else None,
        "temp_id_mapping": shown["temp_id_mapping"] if shown else {},
        "draft": _graph_public(draft) if active and draft else None,
    }
