"""Per-workspace counters maintained by event consumers (read by the metrics routes).

All in the ``metrics`` table, under the workspace's partition, and only ever changed by ADD:

    pk = WS#<ws>   sk = COUNTERS#tickets      CounterItem: totals, open tickets by status and priority,
                                              SLA and CSAT counts
    pk = WS#<ws>   sk = COUNTERS#resolution   ResolutionItem: count and sum of resolution times and a
                                              fixed log-scale histogram of them
    pk = WS#<ws>   sk = DAY#<YYYY-MM-DD>      DayItem: tickets created and resolved that UTC day
    pk = WS#<ws>   sk = LOAD#<user id>        AssigneeLoadItem: open tickets the user is assigned

A metrics read is a GetItem or a Query of at most one item per day asked for: its cost does not
depend on how many tickets the workspace holds. The resolution histogram sits in its own item so
the totals item, updated by every event, stays under 1 KB (one write unit, two in a transaction).

Assignee loads are one small item per (workspace, user) rather than a map on one workspace item: an
update costs write units by the size of the whole item, so a map of every agent's count would make each
assignment cost more as the workspace grows, and concurrent events for different agents would contend on
one item. RACI routing reads just the candidates' items with one BatchGetItem.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models.base import DeskflowModel

TABLE = "metrics"
DAY_PREFIX = "DAY#"

# Upper bounds (inclusive) of the resolution-time buckets: 1 minute doubling up to 32768 minutes
# (about 22.8 days); bucket 16 holds everything longer. ``ResolutionItem`` declares one attribute each.
RESOLUTION_BUCKET_BOUNDS_MS: tuple[int, ...] = tuple(60_000 * 2**exponent for exponent in range(16))


def bucket_attribute(index: int) -> str:
    """The ``ResolutionItem`` attribute counting resolutions in bucket ``index`` (0..16)."""
    return f"bucket_{index:02d}"


class CounterItem(DeskflowModel):
    """The workspace's running totals. ``status_<s>`` counts live tickets in each status;
    ``open_priority_<p>`` live tickets not yet resolved, closed or cancelled, by priority."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    tickets_created = NumberAttribute(null=True)
    tickets_deleted = NumberAttribute(null=True)
    tickets_resolved = NumberAttribute(null=True)
    comments_added = NumberAttribute(null=True)
    assignments = NumberAttribute(null=True)
    status_new = NumberAttribute(null=True)
    status_open = NumberAttribute(null=True)
    status_in_progress = NumberAttribute(null=True)
    status_awaiting_user_response = NumberAttribute(null=True)
    status_on_hold = NumberAttribute(null=True)
    status_resolved = NumberAttribute(null=True)
    status_closed = NumberAttribute(null=True)
    status_cancelled = NumberAttribute(null=True)
    open_priority_low = NumberAttribute(null=True)
    open_priority_medium = NumberAttribute(null=True)
    open_priority_high = NumberAttribute(null=True)
    open_priority_urgent = NumberAttribute(null=True)
    sla_total = NumberAttribute(null=True)  # resolutions
    sla_met = NumberAttribute(null=True)  # resolutions whose ticket had not breached its SLA
    csat_good = NumberAttribute(null=True)
    csat_bad = NumberAttribute(null=True)


class ResolutionItem(DeskflowModel):
    """Resolution times (resolved_at − created_at): how many, their sum, and how many fell in each
    bucket of ``RESOLUTION_BUCKET_BOUNDS_MS`` (``bucket_16``: longer than the last bound)."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    count = NumberAttribute(null=True)
    sum_ms = NumberAttribute(null=True)
    bucket_00 = NumberAttribute(null=True)
    bucket_01 = NumberAttribute(null=True)
    bucket_02 = NumberAttribute(null=True)
    bucket_03 = NumberAttribute(null=True)
    bucket_04 = NumberAttribute(null=True)
    bucket_05 = NumberAttribute(null=True)
    bucket_06 = NumberAttribute(null=True)
    bucket_07 = NumberAttribute(null=True)
    bucket_08 = NumberAttribute(null=True)
    bucket_09 = NumberAttribute(null=True)
    bucket_10 = NumberAttribute(null=True)
    bucket_11 = NumberAttribute(null=True)
    bucket_12 = NumberAttribute(null=True)
    bucket_13 = NumberAttribute(null=True)
    bucket_14 = NumberAttribute(null=True)
    bucket_15 = NumberAttribute(null=True)
    bucket_16 = NumberAttribute(null=True)


class DayItem(DeskflowModel):
    """Tickets created and resolved on one UTC day (by the time the event happened)."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    created = NumberAttribute(null=True)
    resolved = NumberAttribute(null=True)


class AssigneeLoadItem(DeskflowModel):
    """How many live, open (not resolved, closed or cancelled) tickets one user is assigned."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    open_assigned = NumberAttribute(null=True)


LOAD_PREFIX = "LOAD#"
MAX_BATCH_KEYS = 100  # BatchGetItem's limit


def workspace_partition(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def ticket_counters_key(workspace_id: str) -> tuple[str, str]:
    return workspace_partition(workspace_id), "COUNTERS#tickets"


def resolution_key(workspace_id: str) -> tuple[str, str]:
    return workspace_partition(workspace_id), "COUNTERS#resolution"


def day_key(workspace_id: str, day: str) -> tuple[str, str]:
    """``day`` is ``YYYY-MM-DD`` (UTC)."""
    return workspace_partition(workspace_id), f"{DAY_PREFIX}{day}"


def assignee_load_key(workspace_id: str, user_id: str) -> tuple[str, str]:
    return workspace_partition(workspace_id), f"{LOAD_PREFIX}{user_id}"


def assignee_loads(workspace_id: str, user_ids: list[str]) -> dict[str, int]:
    """Open tickets assigned to each of ``user_ids`` (0 for a user never counted): one BatchGetItem
    (at most ``MAX_BATCH_KEYS`` users)."""
    wanted = list(dict.fromkeys(user_ids))
    if len(wanted) > MAX_BATCH_KEYS:
        raise ValueError(f"at most {MAX_BATCH_KEYS} users per read")
    loads = dict.fromkeys(wanted, 0)
    keys = [assignee_load_key(workspace_id, user_id) for user_id in wanted]
    for item in AssigneeLoadItem.batch_get(keys):
        loads[item.sk.removeprefix(LOAD_PREFIX)] = int(item.open_assigned or 0)
    return loads


def counters_of(item: DeskflowModel | None) -> dict[str, int]:
    """The counters an item holds (absent ones are left out)."""
    if item is None:
        return {}
    return {name: int(value) for name, value in item.attribute_values.items() if name not in {"pk", "sk"}}


def get_counters(model: type[DeskflowModel], key: tuple[str, str]) -> dict[str, int]:
    """The counters of one item, read consistently; {} when nothing was counted yet."""
    try:
        return counters_of(model.get(*key, consistent_read=True))
    except model.DoesNotExist:
        return {}


def days_between(workspace_id: str, first_day: str, last_day: str) -> dict[str, dict[str, int]]:
    """The day items from ``first_day`` to ``last_day`` (inclusive) that exist: ``{day: counters}``.
    One Query, at most one item per day in the range."""
    pk, low = day_key(workspace_id, first_day)
    _pk, high = day_key(workspace_id, last_day)
    return {
        item.sk.removeprefix(DAY_PREFIX): counters_of(item)
        for item in DayItem.query(pk, DayItem.sk.between(low, high), consistent_read=True)
    }
