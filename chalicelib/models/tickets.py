"""The tickets table: a ticket and everything that belongs to it share one partition.

    pk = WS#<ws>#T#<ticket id>   sk = TICKET | COMMENT#<at>#<id> | HISTORY#<at>#<id> | TAG#<tag>
    pk = WS#<ws>#NUM#<number>    sk = NUMBER             (number → id, and uniqueness of numbers)
    pk = WS#<ws>                 sk = COUNTER#<name>     (atomic sequence for ticket numbers)

List indexes (see ``infra.tables``) are sparse: only live tickets carry their ``*_key``
attributes, and tag entries carry ``tag_key``; a deleted ticket drops out of every list.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import DeskflowModel
from infra.tables import TICKET_LIST_DIMENSIONS, TICKET_SORTS, ticket_index_name


def ticket_pk(workspace_id: str, ticket_id: str) -> str:
    return f"WS#{workspace_id}#T#{ticket_id}"


def _index_class(dimension: str, sort: str) -> type[GlobalSecondaryIndex]:
    meta = type("Meta", (), {"index_name": ticket_index_name(dimension, sort), "projection": AllProjection()})
    attributes = {
        "Meta": meta,
        f"{dimension}_key": UnicodeAttribute(hash_key=True),
        f"{sort}_key": UnicodeAttribute(range_key=True),
    }
    return type(f"TicketIndex_{dimension}_{sort}", (GlobalSecondaryIndex,), attributes)


class _FilterableAttributes:
    """Attributes every list result carries, so one filter expression fits any list index."""

    status = UnicodeAttribute()
    priority = UnicodeAttribute()
    assignee_id = UnicodeAttribute(null=True)
    requester_id = UnicodeAttribute()
    team = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


_ticket_attributes = {
    "Meta": type("Meta", (), {"short_table": "tickets", "table_name": None}),
    "pk": UnicodeAttribute(hash_key=True),
    "sk": UnicodeAttribute(range_key=True, default="TICKET"),
    "id": UnicodeAttribute(),
    "workspace_id": UnicodeAttribute(),
    "number": NumberAttribute(),
    "title": UnicodeAttribute(),
    "description": UnicodeAttribute(default=""),
    "urgency": NumberAttribute(null=True),
    "subcategory": UnicodeAttribute(null=True),
    "ticket_class": UnicodeAttribute(default="incident"),
    "building_id": UnicodeAttribute(null=True),
    "apartment_id": UnicodeAttribute(null=True),
    "source": UnicodeAttribute(default="api"),
    "custom_fields": UnicodeAttribute(default="{}"),  # JSON text: free-form, never indexed
    "resolved_at": UnicodeAttribute(null=True),
    "closed_at": UnicodeAttribute(null=True),
    "deleted_at": UnicodeAttribute(null=True),
    "created_by": UnicodeAttribute(),
    "updated_by": UnicodeAttribute(),
    "version": VersionAttribute(),
}
for _dimension in TICKET_LIST_DIMENSIONS:
    if _dimension != "tag":
        _ticket_attributes[f"{_dimension}_key"] = UnicodeAttribute(null=True)
for _sort in TICKET_SORTS:
    _ticket_attributes[f"{_sort}_key"] = UnicodeAttribute(null=True)
for _dimension in TICKET_LIST_DIMENSIONS:
    if _dimension != "tag":
        for _sort in TICKET_SORTS:
            _ticket_attributes[f"by_{_dimension}_{_sort}"] = _index_class(_dimension, _sort)()

TicketItem = type("TicketItem", (_FilterableAttributes, DeskflowModel), _ticket_attributes)
TicketItem.__doc__ = "A ticket (sk = TICKET). ``version`` guards every write (optimistic locking)."


class TicketTagItem(_FilterableAttributes, DeskflowModel):
    """One entry per (ticket, tag), so a tag list is a Query. It carries the filterable
    attributes and a JSON snapshot of the ticket, rewritten with every ticket change."""

    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    ticket_id = UnicodeAttribute()
    tag_key = UnicodeAttribute()
    created_key = UnicodeAttribute()
    updated_key = UnicodeAttribute()
    snapshot = UnicodeAttribute()
    by_tag_created = _index_class("tag", "created")()
    by_tag_updated = _index_class("tag", "updated")()


class CommentItem(DeskflowModel):
    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    body_md = UnicodeAttribute()
    is_internal = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class HistoryItem(DeskflowModel):
    """One row per changed field: who, when, field, from, to (values as JSON text)."""

    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    at = UnicodeAttribute()
    field = UnicodeAttribute()
    from_value = UnicodeAttribute(null=True)
    to_value = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    internal = BooleanAttribute(default=False)
    correlation_id = UnicodeAttribute(null=True)


class TicketNumberItem(DeskflowModel):
    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="NUMBER")
    ticket_id = UnicodeAttribute()


class SequenceItem(DeskflowModel):
    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = NumberAttribute(default=0)
