"""DynamoDB table shapes: the one definition that the bootstrap, the models, the tests and
``template.yaml`` all read.

Each entry is a ``CreateTable``-shaped description with short names; the real table name is
``<DESKFLOW_TABLE_PREFIX>-<name>``.

Ticket lists (read ``chalicelib.domain.ticket_listing`` for how a page is served) use eight narrow
GSIs on the tickets table, listed once in ``TICKET_INDEXES``; every ticket list dimension is named
once in ``TICKET_LIST_DIMENSIONS``. Why this shape (the old one had 16 GSIs projecting ALL, and a
status change cost more than 22 write units):

- A write costs one index write per index whose entry appears, disappears or changes. So the
  created-order indexes are KEYS_ONLY: their keys hold values that rarely change (created time,
  requester, category...), and a change that leaves an index's key alone does not touch it. A page
  reads keys from one index and the tickets from the table with one BatchGetItem; filters beyond
  the one the index answers are applied to the fetched tickets.
- Updated order changes on every write, so any index sorted by it is re-keyed (delete + put) by
  every write. There is one such index (``by-ws-updated``); since it is rewritten anyway, it
  projects the filter attributes and answers every filter combination sorted by updated time with
  a filter expression. A second one (say per requester) would add two write units to every write.
- Keys are ``<workspace>#<dimension>#<value>``, so one index can carry several dimensions: tag
  entries (one small item per ticket tag) share ``by-label`` with the ticket's category.
- Sparse: only live tickets carry list keys; a deleted ticket drops out of every index.

That is 8 of DynamoDB's 20 GSIs (``MAX_TICKET_INDEXES`` is the budget a test holds us to); the SLA
engine keeps its deadlines in timer items of its own, with room for its own index.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_TICKET_INDEXES = 10


@dataclass(frozen=True)
class TicketListDimension:
    """A list filter answered by an index: ``?<name>=<value>`` lists the tickets whose
    ``attribute`` holds that value, newest first, from ``index`` (key attribute ``key``)."""

    name: str
    attribute: str
    index: str
    key: str


@dataclass(frozen=True)
class TicketIndex:
    name: str
    hash_key: str
    range_key: str
    projected: tuple[str, ...] = ()  # non-key attributes (INCLUDE); none means KEYS_ONLY


CREATED_KEY = "created_key"  # "<created_at>#<ticket id>": time order, unique even when times tie
UPDATED_KEY = "updated_key"  # "<updated_at>#<ticket id>"
WORKSPACE_KEY = "ws_key"  # "<workspace>": every live ticket

# Most selective first: the first dimension a list filters on chooses the index.
TICKET_LIST_DIMENSIONS = (
    TicketListDimension("assignee", "assignee_id", "by-assignee", "assignee_key"),
    TicketListDimension("requester", "requester_id", "by-requester", "requester_key"),
    TicketListDimension("tag", "tags", "by-label", "label_key"),
    TicketListDimension("team", "team", "by-team", "team_key"),
    TicketListDimension("category", "category", "by-label", "label_key"),
    TicketListDimension("status", "status", "by-status", "status_key"),
    TicketListDimension("priority", "priority", "by-priority", "priority_key"),
)
TICKET_FILTER_ATTRIBUTES = tuple(dimension.attribute for dimension in TICKET_LIST_DIMENSIONS) + ("created_at",)

TICKET_INDEXES = (
    TicketIndex("by-ws-created", WORKSPACE_KEY, CREATED_KEY),
    TicketIndex("by-ws-updated", WORKSPACE_KEY, UPDATED_KEY, projected=TICKET_FILTER_ATTRIBUTES),
    *{
        dimension.index: TicketIndex(dimension.index, dimension.key, CREATED_KEY)
        for dimension in TICKET_LIST_DIMENSIONS
    }.values(),
)


def _gsi(name: str, hash_attr: str, range_attr: str | None = None, projected: tuple[str, ...] | None = None) -> dict:
    """A GSI projecting ALL (``projected`` None), KEYS_ONLY (empty) or INCLUDE of ``projected``."""
    key_schema = [{"AttributeName": hash_attr, "KeyType": "HASH"}]
    if range_attr:
        key_schema.append({"AttributeName": range_attr, "KeyType": "RANGE"})
    if projected is None:
        projection = {"ProjectionType": "ALL"}
    elif projected:
        projection = {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(projected)}
    else:
        projection = {"ProjectionType": "KEYS_ONLY"}
    return {"IndexName": name, "KeySchema": key_schema, "Projection": projection}


def _pk_sk() -> list[dict]:
    return [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]


def _attribute_definitions(key_schema: list[dict], indexes: list[dict]) -> list[dict]:
    names: list[str] = []
    for element in key_schema + [k for index in indexes for k in index["KeySchema"]]:
        if element["AttributeName"] not in names:
            names.append(element["AttributeName"])
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def _table(
    name: str,
    key_schema: list[dict],
    indexes: list[dict] | None = None,
    ttl: str | None = None,
    stream: str | None = None,
) -> dict:
    indexes = indexes or []
    table = {
        "name": name,
        "KeySchema": key_schema,
        "AttributeDefinitions": _attribute_definitions(key_schema, indexes),
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        table["GlobalSecondaryIndexes"] = indexes
    if ttl:
        table["TimeToLiveAttribute"] = ttl
    if stream:
        table["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    return table


TABLES: dict[str, dict] = {
    "tickets": _table(
        "tickets",
        _pk_sk(),
        [_gsi(index.name, index.hash_key, index.range_key, index.projected) for index in TICKET_INDEXES],
    ),
    "directory": _table("directory", _pk_sk(), [_gsi("by-workspace", "member_key", "email_key")], ttl="expires_at"),
    "events": _table(
        "events",
        _pk_sk(),
        [
            _gsi("undispatched", "dispatch_shard", "occurred_key"),
            # A requester's event feed: only the public events of their own tickets carry the key.
            _gsi("by-audience", "audience_key", "sk", projected=()),
        ],
        ttl="expires_at",
        # On AWS the outbox relay publishes each new event from the stream's own image, without
        # waiting for the eventually consistent "undispatched" index; the scheduled sweep of that
        # index is the safety net (and the local path).
        stream="NEW_IMAGE",
    ),
    "idempotency": _table("idempotency", [{"AttributeName": "pk", "KeyType": "HASH"}], ttl="expires_at"),
    "metrics": _table("metrics", _pk_sk()),
    # The SLA engine's own items (chalicelib.models.sla): timers keyed by a minute bucket in the sparse
    # "due" index (the sweep Queries only the buckets that have come, never a Scan), one breach record per
    # (ticket, target) listed by "breaches", one escalation record per ticket listed by "escalated", and
    # the sweep's watermark. Kept off the tickets table: its index budget is for ticket lists.
    "sla": _table(
        "sla",
        _pk_sk(),
        [
            _gsi("due", "due_bucket", "due_key"),
            _gsi("breaches", "breach_list_key", "breached_key"),
            _gsi("escalated", "escalated_list_key", "escalated_key"),
        ],
    ),
    # One row per change, newest last in ``sk`` ("<at>#<id>"); the two indexes answer "by this actor"
    # and "on this target" for a time range (chalicelib.models.audit).
    "audit": _table(
        "audit",
        _pk_sk(),
        [_gsi("by-actor", "actor_key", "sk"), _gsi("by-target", "target_key", "sk")],
    ),
    # Workflow definitions with a graph item per version, the active workflow of each category
    # (chalicelib.models.workflows), and workflow tasks with their history and per-user load
    # (chalicelib.models.workflow_tasks); lists read one index each, newest first.
    "workflows": _table(
        "workflows",
        _pk_sk(),
        [_gsi("by-workspace", "ws_key", "created_key"), _gsi("by-assignee", "assignee_key", "created_key")],
    ),
    # Change requests (approval gates) with their votes and timeline under the change's own key; the
    # lists read four sparse indexes, newest first (chalicelib.models.changes).
    "changes": _table(
        "changes",
        _pk_sk(),
        [
            _gsi("by-workspace", "ws_key", "created_key"),
            _gsi("by-status", "status_key", "created_key"),
            _gsi("by-ticket", "ticket_key", "created_key"),
            _gsi("by-agent", "agent_key", "created_key"),
        ],
    ),
    # Background jobs (ticket exports): pk = WS#<ws>, sk = JOB#<id>; finished jobs expire by TTL.
    "jobs": _table("jobs", _pk_sk(), ttl="expires_at"),
    # Each user's notification feed and unread counter (chalicelib.models.notifications); read ones expire.
    "notifications": _table("notifications", _pk_sk(), ttl="expires_at"),
    # Integrations (chalicelib.models.webhooks): incoming delivery records (TTL), GitHub issue/run links,
    # agent workflow executions, outgoing webhook subscriptions and their deliveries; no index needed.
    "webhooks": _table("webhooks", _pk_sk(), ttl="expires_at"),
    # Intake and AI (issue 11): classification logs, training labels and model records, intake
    # sessions, the triage queue, RACI groups and rules (chalicelib.models.intake and its neighbours).
    # Every list reads the one sparse "lists" index: ``list_key`` names the list ("<ws>#ailogs",
    # "<ws>#sessions#<user>", "<ws>#triage"), ``created_key`` orders it.
    "intake": _table("intake", _pk_sk(), [_gsi("lists", "list_key", "created_key")], ttl="expires_at"),
}


def create_table_request(short_name: str, table_name: str) -> dict:
    """The ``CreateTable`` keyword arguments for one table under its real name."""
    spec = TABLES[short_name]
    request = {key: value for key, value in spec.items() if key not in {"name", "TimeToLiveAttribute"}}
    request["TableName"] = table_name
    return request
