"""DynamoDB table shapes: the one definition that the bootstrap, the models, the tests and
``template.yaml`` all read.

Each entry is a ``CreateTable``-shaped description with short names; the real table name is
``<DESKFLOW_TABLE_PREFIX>-<name>``. Every GSI projects ALL attributes so a list page is one Query.
"""

from __future__ import annotations

# Ticket list dimensions: each gets one GSI per sort order (created, updated). The hash key
# attribute is "<dimension>_key" and holds "<workspace>#<value>" (just "<workspace>" for "ws").
TICKET_LIST_DIMENSIONS = ("ws", "status", "priority", "assignee", "requester", "team", "category", "tag")
TICKET_SORTS = ("created", "updated")


def ticket_index_name(dimension: str, sort: str) -> str:
    return f"by-{dimension}-{sort}"


def _gsi(name: str, hash_attr: str, range_attr: str | None = None) -> dict:
    key_schema = [{"AttributeName": hash_attr, "KeyType": "HASH"}]
    if range_attr:
        key_schema.append({"AttributeName": range_attr, "KeyType": "RANGE"})
    return {"IndexName": name, "KeySchema": key_schema, "Projection": {"ProjectionType": "ALL"}}


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
        [
            _gsi(ticket_index_name(dimension, sort), f"{dimension}_key", f"{sort}_key")
            for dimension in TICKET_LIST_DIMENSIONS
            for sort in TICKET_SORTS
        ],
    ),
    "directory": _table("directory", _pk_sk(), [_gsi("by-workspace", "member_key", "email_key")], ttl="expires_at"),
    "events": _table(
        "events",
        _pk_sk(),
        [_gsi("undispatched", "dispatch_shard", "occurred_key")],
        ttl="expires_at",
        # On AWS the outbox relay publishes each new event from the stream's own image, without
        # waiting for the eventually consistent "undispatched" index; the scheduled sweep of that
        # index is the safety net (and the local path).
        stream="NEW_IMAGE",
    ),
    "idempotency": _table("idempotency", [{"AttributeName": "pk", "KeyType": "HASH"}], ttl="expires_at"),
    "metrics": _table("metrics", _pk_sk()),
}


def create_table_request(short_name: str, table_name: str) -> dict:
    """The ``CreateTable`` keyword arguments for one table under its real name."""
    spec = TABLES[short_name]
    request = {key: value for key, value in spec.items() if key not in {"name", "TimeToLiveAttribute"}}
    request["TableName"] = table_name
    return request
