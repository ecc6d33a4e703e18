"""Workflow tasks (seed 003): a ticket walking through the active workflow of its category.

A new ticket whose category (and sub-category, if the workflow names one) has an active workflow gets a
task at the start step (``start_for_ticket``, the ``workflow-tasks`` consumer). A step's ``role`` is a
workspace role: the task goes to the least-loaded active member holding it, load being the user's count
of active tasks (``TaskLoadItem``), which every assignment, transfer and completion moves in the same
transaction as the task. The assignee moves the task along an edge of the graph version it started on;
reaching an end step completes it and emits ``workflow.completed``. Transfer hands it to another holder
of the role; escalate to the step's ``escalate_to`` (a team, whose least-loaded member takes it, or a
user). Every action writes a history row, an audit row and an event with the task, or nothing at all.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from pynamodb.exceptions import TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import ADMIN
from chalicelib.clock import now_iso
from chalicelib.domain import teams
from chalicelib.domain.audit import audit_record
from chalicelib.domain.events import new_event
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.events.catalogue import Topic
from chalicelib.models import directory as members_store
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.workflow_tasks import (
    TASK_SK,
    TaskHistoryItem,
    TaskItem,
    TaskLoadItem,
    assignee_tasks_key,
    load_pk,
    task_pk,
    tasks_key,
)
from chalicelib.models.workflows import GraphItem, graph_sk, workflow_pk

ACTIVE, COMPLETED = "active", "completed"
TABS = {"active": ACTIVE, "inactive": COMPLETED}
_TASK_IDS = uuid.UUID("6f1d3c52-7a0e-4d55-9f8e-2b7c1a9e4d10")  # names task ids after (ticket, workflow)
_MEMBER_PAGE = 100
MAX_ROLE_MEMBERS = 1000  # candidates looked at for the least-loaded choice


# --- starting ---------------------------------------------------------------------------------------


def start_for_ticket(event: dict) -> bool:
    """The ``workflow-tasks`` consumer: a task at the start step for a new ticket whose category has an
    active workflow. The task id derives from ticket and workflow, so a redelivered event finds its task
    and changes nothing (False)."""
    from chalicelib.domain.workflows import active_workflow_for

    if event["type"] != Topic.TICKET_CREATED:
        return False
    ticket = (event.get("data") or {}).get("ticket") or {}
    if not ticket.get("category"):
        return False
    workspace_id = event["workspace_id"]
    workflow = active_workflow_for(workspace_id, ticket["category"], ticket.get("subcategory"))
    if workflow is None or not workflow.get("graph"):
        return False
    start = next(node for node in workflow["graph"]["nodes"] if node.get("is_start"))
    at = event.get("occurred_at") or now_iso()
    task_id = str(uuid.uuid5(_TASK_IDS, f"{ticket['id']}:{workflow['workflow_id']}"))
    assignee = least_loaded(workspace_id, role_holders(workspace_id, start["role"]))
    task = TaskItem(
        pk=task_pk(workspace_id, task_id),
        sk=TASK_SK,
        id=task_id,
        workspace_id=workspace_id,
        workflow_id=workflow["workflow_id"],
        workflow_version=workflow["active_version"],
        ticket_id=ticket["id"],
        title=ticket.get("title") or "",
        step_id=start["step_id"],
        step_name=start["name"],
        role=start["role"],
        assignee_id=assignee,
        status=ACTIVE,
        created_at=at,
        updated_at=at,
    )
    move = _Move(task, "system", at, event.get("correlation_id"))
    move.load(assignee, +1)
    move.record("created", Topic.TASK_CREATED, to_step_id=start["step_id"], to_user_id=assignee)
    try:
        move.commit(new=True)
    except Conflict:
        return False  # the task exists: this event was applied before
    return True


# --- reading ----------------------------------------------------------------------------------------


def get_task(workspace_id: str, task_id: str) -> dict:
    return _public(_load(workspace_id, task_id))


def list_tasks(workspace_id: str, actor: Principal, scope: str, tab: str, search: str | None, limit: int, start_key):
    """``scope`` mine|all, ``tab`` active|inactive|unassigned (unassigned: active tasks nobody holds)."""
    condition = TaskItem.search_text.contains(search.lower()) if search else None
    options = dict(filter_condition=condition, scan_index_forward=False, limit=limit, last_evaluated_key=start_key)
    if tab == "unassigned":
        result = TaskItem.by_assignee.query(assignee_tasks_key(workspace_id, None, ACTIVE), **options)
    elif scope == "mine":
        result = TaskItem.by_assignee.query(assignee_tasks_key(workspace_id, actor.user_id, TABS[tab]), **options)
    else:
        result = TaskItem.by_workspace.query(tasks_key(workspace_id, TABS[tab]), **options)
    return [_public(task) for task in result], result.last_evaluated_key


def task_history(workspace_id: str, task_id: str, limit: int, start_key):
    task = _load(workspace_id, task_id)
    result = TaskHistoryItem.query(
        task.pk, TaskHistoryItem.sk.startswith("HIST#"), limit=limit, last_evaluated_key=start_key
    )
    return [_history_public(row) for row in result], result.last_evaluated_key


# --- acting -----------------------------------------------------------------------------------------


def transition(workspace_id: str, actor: Principal, task_id: str, to_step_id: str, note, correlation_id) -> dict:
    """Move the task along an edge from its step (only its assignee may); an end step completes it."""
    task = _active(workspace_id, task_id)
    if task.assignee_id != actor.user_id:
        raise Forbidden("only the task's assignee can move it on", code="not_task_assignee")
    graph = _graph(task)
    allowed = [edge["to_step_id"] for edge in graph["edges"] if edge["from_step_id"] == task.step_id]
    if to_step_id not in allowed:
        raise ValidationError(
            "there is no transition from the task's step to that step",
            details={"to_step_id": f"allowed from {task.step_id}: {', '.join(allowed) or 'none'}"},
            code="invalid_transition",
        )
    step = graph["steps"][to_step_id]
    move = _Move(task, actor.user_id, now_iso(), correlation_id)
    from_step = task.step_id
    task.step_id, task.step_name, task.role = step["step_id"], step["name"], step["role"]
    if step.get("is_end"):
        move.load(task.assignee_id, -1)
        task.status, task.completed_at = COMPLETED, move.at
        move.record("completed", Topic.TASK_TRANSITIONED, from_step_id=from_step, to_step_id=to_step_id, reason=note)
        move.emit(Topic.WORKFLOW_COMPLETED, {"task": _public(task), "ticket_id": task.ticket_id})
    else:
        if step["role"] not in _roles(workspace_id, task.assignee_id):
            successor = least_loaded(workspace_id, role_holders(workspace_id, step["role"]))
            move.reassign(successor)
        move.record("transitioned", Topic.TASK_TRANSITIONED, from_step_id=from_step, to_step_id=to_step_id, reason=note)
    move.commit()
    return _public(task)


def transfer(workspace_id: str, actor: Principal, task_id: str, user_id: str, reason, correlation_id) -> dict:
    """Hand the task to another user holding its step's role (its assignee or an admin may)."""
    task = _active(workspace_id, task_id)
    _require_holder_or_admin(task, actor)
    if user_id == task.assignee_id:
        raise ValidationError(
            "the task is already theirs", details={"user_id": "is the assignee"}, code="same_assignee"
        )
    if task.role not in _roles(workspace_id, user_id):
        raise ValidationError(
            "the user does not hold the step's role",
            details={"user_id": f"is not an active {task.role} of this workspace"},
            code="user_lacks_role",
        )
    move = _Move(task, actor.user_id, now_iso(), correlation_id)
    before = task.assignee_id
    move.reassign(user_id)
    move.record("transferred", Topic.TASK_TRANSFERRED, from_user_id=before, to_user_id=user_id, reason=reason)
    move.commit()
    return _public(task)


def escalate(workspace_id: str, actor: Principal, task_id: str, reason: str, correlation_id) -> dict:
    """Give the task to its step's escalation target (a team's least-loaded member, or a user)."""
    task = _active(workspace_id, task_id)
    _require_holder_or_admin(task, actor)
    target = _graph(task)["steps"][task.step_id].get("escalate_to")
    if not target:
        raise Conflict("the task's step names no escalation target", code="no_escalation_target")
    if teams.team_exists(workspace_id, target):
        candidates = [
            member for member in teams.get_team(workspace_id, target)["members"] if _roles(workspace_id, member)
        ]
        successor = least_loaded(workspace_id, candidates)
    else:
        successor = target if _roles(workspace_id, target) else None
    if successor is None:
        raise Conflict("the step's escalation target has nobody to take the task", code="escalation_target_empty")
    move = _Move(task, actor.user_id, now_iso(), correlation_id)
    before = task.assignee_id
    task.escalated = True
    move.reassign(successor)
    move.record("escalated", Topic.TASK_ESCALATED, from_user_id=before, to_user_id=successor, reason=reason)
    move.commit()
    return _public(task)


# --- role holders and load --------------------------------------------------------------------------


def role_holders(workspace_id: str, role: str) -> list[str]:
    """Active members of the workspace holding ``role`` (one Query per page of the workspace's members)."""
    holders, start = [], None
    while len(holders) < MAX_ROLE_MEMBERS:
        records, start = members_store.page_of_members(workspace_id, _MEMBER_PAGE, start)
        holders += [record.user_id for record in records if record.is_active and role in (record.roles or [])]
        if start is None:
            break
    return holders


def least_loaded(workspace_id: str, user_ids: list[str]) -> str | None:
    """The user with the fewest active tasks (ties: the smallest id); None when there is nobody."""
    if not user_ids:
        return None
    loads = {user_id: 0 for user_id in user_ids}
    keys = [(load_pk(workspace_id), user_id) for user_id in sorted(set(user_ids))]
    for item in TaskLoadItem.batch_get(keys):
        loads[item.sk] = int(item.open_tasks or 0)
    return min(loads, key=lambda user_id: (loads[user_id], user_id))


def _roles(workspace_id: str, user_id: str | None) -> frozenset[str]:
    from chalicelib.domain.directory import member_roles

    return member_roles(workspace_id, user_id) if user_id else frozenset()


# --- internals --------------------------------------------------------------------------------------


@dataclass
class _Move:
    """A task about to be written with its history, load moves, events and audit row."""

    task: TaskItem
    actor_id: str
    at: str
    correlation_id: str | None
    loads: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)

    def load(self, user_id: str | None, delta: int) -> None:
        if user_id:
            self.loads[user_id] = self.loads.get(user_id, 0) + delta

    def reassign(self, user_id: str | None) -> None:
        self.load(self.task.assignee_id, -1)
        self.load(user_id, +1)
        self.task.assignee_id = user_id

    def emit(self, topic: Topic, data: dict) -> None:
        task = self.task
        self.rows.append(
            new_event(topic, task.workspace_id, "task", task.id, data, self.correlation_id, self.at, self.actor_id)
        )

    def record(self, action: str, topic: Topic, reason: str | None = None, **moved) -> None:
        task = self.task
        self.rows.append(
            TaskHistoryItem(
                pk=task.pk,
                sk=f"HIST#{self.at}#{uuid.uuid4().hex[:12]}",
                action=action,
                actor_id=self.actor_id,
                at=self.at,
                reason=reason,
                **moved,
            )
        )
        changes = {name: value for name, value in {**moved, "reason": reason}.items() if value is not None}
        self.rows.append(
            audit_record(
                task.workspace_id,
                self.actor_id,
                f"task.{action}",
                "task",
                task.id,
                changes,
                self.correlation_id,
                self.at,
            )
        )
        self.emit(topic, {"task": _public(task), "action": action, **changes})

    def commit(self, new: bool = False) -> None:
        task = self.task
        task.updated_at = self.at
        state = task.status
        task.ws_key = tasks_key(task.workspace_id, state)
        task.assignee_key = assignee_tasks_key(task.workspace_id, task.assignee_id, state)
        task.created_key = f"{task.created_at}#{task.id}"
        task.search_text = f"{task.title} {task.step_name}".lower()
        try:
            with transaction() as write:
                write.save(task, condition=TaskItem.pk.does_not_exist() if new else None)
                for row in self.rows:
                    write.save(row)
                for user_id, delta in self.loads.items():
                    if delta:
                        load = TaskLoadItem(pk=load_pk(task.workspace_id), sk=user_id)
                        write.update(load, actions=[TaskLoadItem.open_tasks.add(delta)])
        except TransactWriteError as error:
            codes = cancellation_codes(error)
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                raise Conflict("the task changed meanwhile; reload and retry", code="concurrent_update") from error
            raise


def _load(workspace_id: str, task_id: str) -> TaskItem:
    try:
        return TaskItem.get(task_pk(workspace_id, task_id), TASK_SK, consistent_read=True)
    except TaskItem.DoesNotExist:
        raise NotFound("task not found", code="task_not_found") from None


def _active(workspace_id: str, task_id: str) -> TaskItem:
    task = _load(workspace_id, task_id)
    if task.status != ACTIVE:
        raise Conflict("the task is finished", code="task_finished")
    return task


def _require_holder_or_admin(task: TaskItem, actor: Principal) -> None:
    if task.assignee_id != actor.user_id and ADMIN not in actor.roles:
        raise Forbidden("only the task's assignee or an admin can do this", code="not_task_assignee")


def _graph(task: TaskItem) -> dict:
    item = GraphItem.get(workflow_pk(task.workspace_id, task.workflow_id), graph_sk(int(task.workflow_version)))
    nodes = json.loads(item.nodes)
    return {"steps": {node["step_id"]: node for node in nodes}, "edges": json.loads(item.edges)}


def _public(task: TaskItem) -> dict:
    return {
        "id": task.id,
        "workflow_id": task.workflow_id,
        "workflow_version": int(task.workflow_version),
        "ticket_id": task.ticket_id,
        "title": task.title,
        "step_id": task.step_id,
        "step_name": task.step_name,
        "role": task.role,
        "assignee_id": task.assignee_id,
        "status": task.status,
        "escalated": bool(task.escalated),
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "completed_at": task.completed_at,
    }


def _history_public(row: TaskHistoryItem) -> dict:
    return {
        "action": row.action,
        "actor_id": row.actor_id,
        "at": row.at,
        "from_step_id": row.from_step_id,
        "to_step_id": row.to_step_id,
        "from_user_id": row.from_user_id,
        "to_user_id": row.to_user_id,
        "reason": row.reason,
    }
