"""The workspace audit log: one row per change, written in the same transaction as the change.

pk = ``WS#<workspace>``, sk = ``<at>#<audit id>`` (time order, unique when times tie). Two indexes
answer the admin filters without reading the whole table: ``by-actor`` (``<workspace>#<actor id>``) and ``by-target``
(``<workspace>#<target type>#<target id>``), both sorted by the same ``sk``; an action filter is
applied within whichever key the request names.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import DeskflowModel

TABLE = "audit"


def audit_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def actor_key(workspace_id: str, actor_id: str) -> str:
    return f"{workspace_id}#{actor_id}"


def target_key(workspace_id: str, target_type: str, target_id: str) -> str:
    return f"{workspace_id}#{target_type}#{target_id}"


class ByActor(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-actor"
        projection = AllProjection()

    actor_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ByTarget(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-target"
        projection = AllProjection()

    target_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class AuditItem(DeskflowModel):
    """Who (``actor_id``) did what (``action``, e.g. ``system_config.updated``) to which object
    (``target_type``/``target_id``), when, and what changed (``changes``: compact JSON of
    ``{field: {"from", "to"}}``, or null)."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    at = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    action = UnicodeAttribute()
    target_type = UnicodeAttribute()
    target_id = UnicodeAttribute()
    changes = UnicodeAttribute(null=True)
    correlation_id = UnicodeAttribute(null=True)
    actor_key = UnicodeAttribute()
    target_key = UnicodeAttribute()
    by_actor = ByActor()
    by_target = ByTarget()
