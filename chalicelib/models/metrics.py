"""Per-workspace counters maintained by event consumers (read by the metrics routes)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.domain.ticket_rules import STATUSES
from chalicelib.models.base import DeskflowModel

TICKET_COUNTERS = ("tickets_created", "tickets_deleted", "comments_added", "assignments") + tuple(
    f"status_{status}" for status in STATUSES
)

_attributes = {
    "Meta": type("Meta", (), {"short_table": "metrics", "table_name": None}),
    "pk": UnicodeAttribute(hash_key=True),
    "sk": UnicodeAttribute(range_key=True),
    **{name: NumberAttribute(null=True) for name in TICKET_COUNTERS},
}
CounterItem = type("CounterItem", (DeskflowModel,), _attributes)
CounterItem.__doc__ = "pk = WS#<ws>, sk = COUNTERS#<name>; counters only ever change by ADD."


def ticket_counters_key(workspace_id: str) -> tuple[str, str]:
    return f"WS#{workspace_id}", "COUNTERS#tickets"
