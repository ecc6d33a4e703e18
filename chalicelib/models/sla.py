"""The SLA engine's items, in the ``sla`` table (shapes in ``infra.tables``).

    pk = WS#<ws>#T#<ticket>   sk = TIMER#<target>#<kind>   a timer (kind warning | deadline)
    pk = WS#<ws>#T#<ticket>   sk = BREACH#<target>          the ticket's breach of one target (at most one)
    pk = WS#<ws>#T#<ticket>   sk = ESCALATION               how far the ticket was escalated
    pk = SWEEP                sk = WATERMARK                the last minute bucket the sweep went through

A timer sits in the sparse ``due`` index under ``due_bucket = <minute>#<shard>`` with ``due_key =
<due_at>#<ticket>#<target>#<kind>``, so the sweep reads a minute's due timers with one Query per shard and
a key condition ``due_key <= now``: timers not yet due are never read. Deleting a timer takes it out of the
index. Breach and escalation records carry a list key (the workspace) and a time key, so the two lists are
Queries on ``breaches`` and ``escalated``, newest first.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import DeskflowModel
from chalicelib.models.tickets import ticket_pk

TABLE = "sla"
WATERMARK_PK = "SWEEP"
WATERMARK_SK = "WATERMARK"


def timer_sk(target: str, kind: str) -> str:
    return f"TIMER#{target}#{kind}"


def breach_sk(target: str) -> str:
    return f"BREACH#{target}"


ESCALATION_SK = "ESCALATION"


class DueTimers(GlobalSecondaryIndex):
    class Meta:
        index_name = "due"
        projection = AllProjection()

    due_bucket = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class BreachesByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "breaches"
        projection = AllProjection()

    breach_list_key = UnicodeAttribute(hash_key=True)
    breached_key = UnicodeAttribute(range_key=True)


class EscalatedByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "escalated"
        projection = AllProjection()

    escalated_list_key = UnicodeAttribute(hash_key=True)
    escalated_key = UnicodeAttribute(range_key=True)


class SlaTimerItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    target = UnicodeAttribute()  # first_response | resolution
    kind = UnicodeAttribute()  # warning | deadline
    due_at = UnicodeAttribute()
    due_bucket = UnicodeAttribute()
    due_key = UnicodeAttribute()
    due = DueTimers()


class SlaBreachItem(DeskflowModel):
    """Written once per (ticket, target), with ``attribute_not_exists``: the guard that makes a breach
    (and its event) happen exactly once however many sweeps find the same timer."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    target = UnicodeAttribute()
    due_at = UnicodeAttribute()
    breached_at = UnicodeAttribute()
    breach_list_key = UnicodeAttribute()
    breached_key = UnicodeAttribute()
    by_workspace = BreachesByWorkspace()


class SlaEscalationItem(DeskflowModel):
    """The ticket's escalation so far; re-keyed on each level so the list shows the latest first."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=ESCALATION_SK)
    workspace_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    target = UnicodeAttribute()
    level = NumberAttribute()
    escalated_at = UnicodeAttribute()
    escalated_to = UnicodeAttribute()  # JSON text: {"team_id": ...} or {"user_id": ...}
    escalated_list_key = UnicodeAttribute()
    escalated_key = UnicodeAttribute()
    by_workspace = EscalatedByWorkspace()


class SweepWatermarkItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True, default=WATERMARK_PK)
    sk = UnicodeAttribute(range_key=True, default=WATERMARK_SK)
    swept_through = UnicodeAttribute()  # a minute bucket, "YYYY-MM-DDTHH:MM"


def find_breach(workspace_id: str, ticket_id: str, target: str) -> SlaBreachItem | None:
    try:
        return SlaBreachItem.get(ticket_pk(workspace_id, ticket_id), breach_sk(target), consistent_read=True)
    except DoesNotExist:
        return None


def find_watermark() -> str | None:
    try:
        return SweepWatermarkItem.get(WATERMARK_PK, WATERMARK_SK, consistent_read=True).swept_through
    except DoesNotExist:
        return None


def save_watermark(bucket: str) -> None:
    """Move the watermark to ``bucket``, never back (an older sweep finishing late leaves it alone)."""
    item = SweepWatermarkItem(swept_through=bucket)
    try:
        item.save(
            condition=SweepWatermarkItem.swept_through.does_not_exist() | (SweepWatermarkItem.swept_through < bucket)
        )
    except PutError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
