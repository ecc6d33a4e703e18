"""Workflow tasks (seed 003): a ticket's walk through its category's workflow, in the ``workflows`` table.

    pk = WS#<ws>#TASK#<id>   sk = TASK                 the task (version-guarded)
    pk = WS#<ws>#TASK#<id>   sk = HIST#<at>#<entry>    one row per action on it (created, transitioned, ...)
    pk = WS#<ws>#TASKLOAD    sk = <user id>            how many active tasks the user holds (least-loaded choice)

Lists read one index: ``by-workspace`` with ``ws_key`` = ``TASKS#<ws>#<active|inactive>`` (every task)
and ``by-assignee`` with ``assignee_key`` = ``TASKS#<ws>#<user or ~unassigned>#<active|inactive>``,
both sorted by ``created_key``. Workflow definitions use ``by-workspace`` with the bare workspace id, so
the two never meet in one partition.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import DeskflowModel

TABLE = "workflows"
TASK_SK = "TASK"
UNASSIGNED = "~unassigned"


def task_pk(workspace_id: str, task_id: str) -> str:
    return f"WS#{workspace_id}#TASK#{task_id}"


def load_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}#TASKLOAD"


def tasks_key(workspace_id: str, state: str) -> str:
    return f"TASKS#{workspace_id}#{state}"


def assignee_tasks_key(workspace_id: str, assignee_id: str | None, state: str) -> str:
    return f"TASKS#{workspace_id}#{assignee_id or UNASSIGNED}#{state}"


class TasksByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-workspace"
        projection = AllProjection()

    ws_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TasksByAssignee(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-assignee"
        projection = AllProjection()

    assignee_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TaskItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=TASK_SK)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    workflow_version = NumberAttribute()
    ticket_id = UnicodeAttribute()
    title = UnicodeAttribute()  # the ticket's title when the task began
    step_id = UnicodeAttribute()
    step_name = UnicodeAttribute()
    role = UnicodeAttribute()
    assignee_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # active | completed
    escalated = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    search_text = UnicodeAttribute()  # lower-cased title and step name, for ``search``
    version = VersionAttribute()
    ws_key = UnicodeAttribute()
    assignee_key = UnicodeAttribute()
    created_key = UnicodeAttribute()
    by_workspace = TasksByWorkspace()
    by_assignee = TasksByAssignee()


class TaskHistoryItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()  # created | transitioned | transferred | escalated | completed
    actor_id = UnicodeAttribute()
    at = UnicodeAttribute()
    from_step_id = UnicodeAttribute(null=True)
    to_step_id = UnicodeAttribute(null=True)
    from_user_id = UnicodeAttribute(null=True)
    to_user_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)


class TaskLoadItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    open_tasks = NumberAttribute(default=0)
