"""The ``intake`` table (issue 11): what intake and AI triage keep. Each kind of item has its own
model module beside this one (AI logs and models in ``ai``, sessions in ``intake_sessions``, RACI
groups and rules in ``raci``); they share the table and its one sparse list index.

A listed item carries ``list_key`` (which list: the workspace id leads it, e.g. ``<ws>#ailogs``,
``<ws>#sessions#<user>``, ``<ws>#triage``) and ``created_key`` (``<created_at>#<id>``: the order,
unique when times tie). Items that are not listed carry neither and cost the index nothing.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

TABLE = "intake"


class IntakeLists(GlobalSecondaryIndex):
    """Declare one on each listed model: ``lists = IntakeLists()``."""

    class Meta:
        index_name = "lists"
        projection = AllProjection()

    list_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


def created_key(created_at: str, item_id: str) -> str:
    return f"{created_at}#{item_id}"
