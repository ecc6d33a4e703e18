"""Workflow definitions (seed 003).

    pk = WS#<ws>#WF#<id>     sk = WORKFLOW           the definition (version-guarded)
    pk = WS#<ws>#WF#<id>     sk = GRAPH#<version>    its graph as of that version (steps with their ids)
    pk = WS#<ws>#WFCAT       sk = <category>#<sub>   the active workflow of a category (one at a time)

A definition is drafted (``draft_version``), activated (the draft becomes ``active_version``), and
redrafted by a graph change while active (a new draft version beside the active one).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import DeskflowModel

TABLE = "workflows"
WORKFLOW_SK = "WORKFLOW"


def workflow_pk(workspace_id: str, workflow_id: str) -> str:
    return f"WS#{workspace_id}#WF#{workflow_id}"


def graph_sk(version: int) -> str:
    return f"GRAPH#{version:06d}"


def category_key(workspace_id: str, category: str, sub_category: str | None) -> tuple[str, str]:
    return f"WS#{workspace_id}#WFCAT", f"{category.lower()}#{(sub_category or '').lower()}"


class ByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-workspace"
        projection = AllProjection()

    ws_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class WorkflowItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=WORKFLOW_SK)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    sub_category = UnicodeAttribute(null=True)
    department = UnicodeAttribute(null=True)
    slas = UnicodeAttribute(default="{}")  # JSON: {"low": "72:00:00", ...}
    status = UnicodeAttribute()  # draft | active
    active_version = NumberAttribute(null=True)
    draft_version = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()
    ws_key = UnicodeAttribute()
    created_key = UnicodeAttribute()
    by_workspace = ByWorkspace()


class GraphItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute()
    nodes = UnicodeAttribute()  # JSON list of steps (step_id, temp_id, name, role, is_start, is_end, ...)
    edges = UnicodeAttribute()  # JSON list of transitions (transition_id, from_step_id, to_step_id, name)
    temp_id_mapping = UnicodeAttribute()  # JSON {temp_id: step_id}


class ActiveCategoryItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workflow_id = UnicodeAttribute()
