"""The tickets table: a ticket and everything that belongs to it share one partition.

    pk = WS#<ws>#T#<ticket id>   sk = TICKET | COMMENT#<at>#<id> | HISTORY#<at>#<id> | TAG#<tag>
    pk = WS#<ws>#NUM#<number>    sk = NUMBER             (number → id, and uniqueness of numbers)
    pk = WS#<ws>                 sk = COUNTER#<name>     (atomic sequence for ticket numbers)

The list indexes are declared below, one class each, as ``infra.tables.TICKET_INDEXES`` shapes
them (a test holds the two together; the why of the shape is written there). They are sparse:
only live tickets carry list keys, and a tag entry (sk = TAG#<tag>) is a ticket's entry in the
tag list. Every index but ``by-ws-updated`` holds keys only: a list reads the page's tickets from
the table afterwards.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from chalicelib.models.base import DeskflowModel
from infra.tables import TICKET_FILTER_ATTRIBUTES


def ticket_pk(workspace_id: str, ticket_id: str) -> str:
    return f"WS#{workspace_id}#T#{ticket_id}"


class TicketsByWorkspaceCreated(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-ws-created"
        projection = KeysOnlyProjection()

    ws_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TicketsByWorkspaceUpdated(GlobalSecondaryIndex):
    """The one index sorted by last change: re-keyed by every write, so it carries the filter
    attributes and answers any filter with a filter expression."""

    class Meta:
        index_name = "by-ws-updated"
        projection = IncludeProjection(list(TICKET_FILTER_ATTRIBUTES))

    ws_key = UnicodeAttribute(hash_key=True)
    updated_key = UnicodeAttribute(range_key=True)


class TicketsByAssignee(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-assignee"
        projection = KeysOnlyProjection()

    assignee_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TicketsByRequester(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-requester"
        projection = KeysOnlyProjection()

    requester_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TicketsByTeam(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-team"
        projection = KeysOnlyProjection()

    team_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TicketsByLabel(GlobalSecondaryIndex):
    """Category (keyed on the ticket) and tags (keyed on tag entries) in one index."""

    class Meta:
        index_name = "by-label"
        projection = KeysOnlyProjection()

    label_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TicketsByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-status"
        projection = KeysOnlyProjection()

    status_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TicketsByPriority(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-priority"
        projection = KeysOnlyProjection()

    priority_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class TicketItem(DeskflowModel):
    """A ticket (sk = TICKET). ``version`` guards every write (optimistic locking)."""

    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="TICKET")
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    number = NumberAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    status = UnicodeAttribute()
    priority = UnicodeAttribute()
    urgency = NumberAttribute(null=True)
    category = UnicodeAttribute(null=True)
    subcategory = UnicodeAttribute(null=True)
    ticket_class = UnicodeAttribute(default="incident")
    requester_id = UnicodeAttribute()
    assignee_id = UnicodeAttribute(null=True)
    team = UnicodeAttribute(null=True)
    building_id = UnicodeAttribute(null=True)
    apartment_id = UnicodeAttribute(null=True)
    source = UnicodeAttribute(null=True)  # absent for the default, "api" (ticket_records.DEFAULT_SOURCE)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    custom_fields = UnicodeAttribute(null=True)  # JSON text: free-form, never indexed; absent while empty
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    resolved_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    deleted_at = UnicodeAttribute(null=True)
    # The status a clarification request interrupted; a requester's answer restores it.
    status_before_info_request = UnicodeAttribute(null=True)
    # SLA clock (issue 8, chalicelib.domain.sla): the deadlines and what it needs to move them
    sla_policy_version = NumberAttribute(null=True)
    first_response_due_at = UnicodeAttribute(null=True)
    resolution_due_at = UnicodeAttribute(null=True)
    first_responded_at = UnicodeAttribute(null=True)
    sla_halted_at = UnicodeAttribute(null=True)  # when the clock last stopped (pause or end); None while running
    sla_paused_seconds = NumberAttribute(null=True)  # business seconds the clock stood still, in all
    sla_pauses = UnicodeAttribute(null=True)  # JSON: the latest pause intervals (capped), for the explanation
    created_by = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()
    # SLA state (issue 8): set by the sweep and the escalation flow (chalicelib.domain.sla_breaches)
    sla_status = UnicodeAttribute(null=True)  # on_track | warning | breached | met | paused
    breached_at = UnicodeAttribute(null=True)
    escalation_level = NumberAttribute(null=True)
    simulate_fast_sla = BooleanAttribute(null=True)  # demo/test tickets: SLA hours pass as seconds
    csat_token = UnicodeAttribute(null=True)  # the open survey's token, for staff to send (chalicelib.domain.csat)

    # list keys (``chalicelib.domain.ticket_records.set_index_keys``); None once deleted
    ws_key = UnicodeAttribute(null=True)
    created_key = UnicodeAttribute(null=True)
    updated_key = UnicodeAttribute(null=True)
    assignee_key = UnicodeAttribute(null=True)
    requester_key = UnicodeAttribute(null=True)
    team_key = UnicodeAttribute(null=True)
    label_key = UnicodeAttribute(null=True)
    status_key = UnicodeAttribute(null=True)
    priority_key = UnicodeAttribute(null=True)

    by_ws_created = TicketsByWorkspaceCreated()
    by_ws_updated = TicketsByWorkspaceUpdated()
    by_assignee = TicketsByAssignee()
    by_requester = TicketsByRequester()
    by_team = TicketsByTeam()
    by_label = TicketsByLabel()
    by_status = TicketsByStatus()
    by_priority = TicketsByPriority()


# index name → the declared index, for lists that pick an index by dimension
TICKET_LIST_INDEXES = {
    index.Meta.index_name: index
    for index in (
        TicketItem.by_ws_created,
        TicketItem.by_ws_updated,
        TicketItem.by_assignee,
        TicketItem.by_requester,
        TicketItem.by_team,
        TicketItem.by_label,
        TicketItem.by_status,
        TicketItem.by_priority,
    )
}


class TicketTagItem(DeskflowModel):
    """A ticket's entry in one tag's list: keys only, written when the ticket's tags change
    (never on other changes: a list by tag reads the tickets themselves)."""

    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    label_key = UnicodeAttribute()
    created_key = UnicodeAttribute()
    by_label = TicketsByLabel()


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
