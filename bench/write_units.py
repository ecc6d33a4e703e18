"""Write units per ticket operation, from DynamoDB's sizing rules and the items Deskflow really writes.

How: each operation runs through ``chalice.test.Client`` over in-process moto. Every DynamoDB write
call it makes is captured on the shared client (botocore ``provide-client-params`` before the call,
``after-call`` after it), and the before and after image of every item the call touches is read
straight from the table. Then, item by item:

- the item: one write unit per started KB of the larger of its two images (a delete: the deleted
  item). Inside TransactWriteItems every item costs twice that; a ConditionCheck is counted like a
  write of the item it checks (it takes part in the two-phase commit).
- each GSI of the item's table (``infra.tables``): its entry is the index keys, the table keys and
  the projected attributes. An entry that appears costs a put, one that disappears a delete, a
  changed index key a delete and a put, a changed projected value (same key) a put, and an entry
  that stays the same nothing. Each costs one unit per started KB of that entry. Index writes are
  not doubled by transactions.

Item size is ``chalicelib.models.sizing`` (attribute names plus values, DynamoDB's rules).

For comparison, the same module run against ``main`` at 5039fcb (16 GSIs projecting ALL, a tag entry
carrying a snapshot of the ticket) measured: create 33, patch (title) 35, status change 36,
comment 9 (``MAIN_FIGURES``; the status change re-keyed 7 "updated" indexes and rewrote the 7
"created" ones and a 1.1 KB tag entry with its own 3 indexes).

    python -m bench.write_units
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from chalicelib.models.sizing import item_size
from infra.tables import TABLES

STATUS_CHANGE_TARGET = 12
MAIN_FIGURES = {"create": 33, "patch (title)": 35, "status change": 36, "comment": 9}
WORKSPACE = "bench-write-units"
TICKET_BODY = {
    "title": "Printer on floor 3 is jammed",
    "description": "The printer by the kitchen shows error E-42 and jams on every page.",
    "priority": "high",
    "category": "hardware",
    "tags": ["printer"],
}
_WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@dataclass(frozen=True)
class IndexWrite:
    index: str
    action: str  # put | delete
    size: int
    units: int


@dataclass(frozen=True)
class ItemWrite:
    table: str
    label: str
    action: str  # put | update | delete | check
    transactional: bool
    size: int
    units: int
    index_writes: tuple[IndexWrite, ...]

    @property
    def total(self) -> int:
        return self.units + sum(write.units for write in self.index_writes)


@dataclass
class OperationCost:
    operation: str
    writes: list[ItemWrite] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(write.total for write in self.writes)


def _units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def _short_tables() -> dict[str, str]:
    from chalicelib.settings import get_settings

    settings = get_settings()
    return {settings.table_name(name): name for name in TABLES}


def _key_names(short_table: str) -> list[str]:
    return [element["AttributeName"] for element in TABLES[short_table]["KeySchema"]]


def index_writes(short_table: str, before: dict | None, after: dict | None) -> list[IndexWrite]:
    """The GSI writes one item's change costs, by DynamoDB's rules (see the module docstring)."""
    writes = []
    table_keys = _key_names(short_table)
    for index in TABLES[short_table].get("GlobalSecondaryIndexes", []):
        old, new = _entry(index, table_keys, before), _entry(index, table_keys, after)
        index_keys = [element["AttributeName"] for element in index["KeySchema"]]
        name = index["IndexName"]
        if old is None and new is None:
            continue
        if old is None:
            writes.append(IndexWrite(name, "put", item_size(new), _units(item_size(new))))
        elif new is None:
            writes.append(IndexWrite(name, "delete", item_size(old), _units(item_size(old))))
        elif any(old[key] != new[key] for key in index_keys):
            writes.append(IndexWrite(name, "delete", item_size(old), _units(item_size(old))))
            writes.append(IndexWrite(name, "put", item_size(new), _units(item_size(new))))
        elif old != new:
            writes.append(IndexWrite(name, "put", item_size(new), _units(item_size(new))))
    return writes


def _entry(index: dict, table_keys: list[str], item: dict | None) -> dict | None:
    if item is None:
        return None
    index_keys = [element["AttributeName"] for element in index["KeySchema"]]
    if any(key not in item for key in index_keys):
        return None  # sparse: an item without the index keys is not in the index
    projection = index["Projection"]
    if projection["ProjectionType"] == "ALL":
        return dict(item)
    names = set(index_keys) | set(table_keys) | set(projection.get("NonKeyAttributes", []))
    return {name: value for name, value in item.items() if name in names}


class WriteRecorder:
    """Captures every DynamoDB write made through ``chalicelib.aws.dynamodb()`` while recording."""

    def __init__(self) -> None:
        from chalicelib import aws

        self._client = aws.dynamodb()
        self._tables = _short_tables()
        self._pending: list[list[tuple]] = []
        self.writes: list[ItemWrite] | None = None
        for operation in _WRITE_OPERATIONS:
            self._client.meta.events.register(f"provide-client-params.dynamodb.{operation}", self._before)
            self._client.meta.events.register(f"after-call.dynamodb.{operation}", self._after)

    def record(self) -> list[ItemWrite]:
        self.writes = []
        return self.writes

    def stop(self) -> None:
        self.writes = None

    def _before(self, params, model, **_kwargs) -> None:
        if self.writes is None:
            return
        targets = []
        for table, key, action, transactional in self._targets(model.name, params):
            targets.append((table, key, action, transactional, self._read(table, key)))
        self._pending.append(targets)

    def _after(self, model, parsed=None, http_response=None, **_kwargs) -> None:
        if self.writes is None or not self._pending:
            return
        targets = self._pending.pop()
        if "Error" in (parsed or {}):
            return  # refused: nothing was written
        for table, key, action, transactional, before in targets:
            after = self._read(table, key)
            short = self._tables[table]
            if action == "check":
                size = item_size(before or {})
                self.writes.append(ItemWrite(short, _label(key), action, True, size, 2 * _units(size), ()))
                continue
            size = max(item_size(before or {}), item_size(after or {}))
            units = _units(size) * (2 if transactional else 1)
            self.writes.append(
                ItemWrite(
                    short, _label(key), action, transactional, size, units, tuple(index_writes(short, before, after))
                )
            )

    def _targets(self, operation: str, params: dict):
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                (kind, request), *_ = entry.items()
                action = {"Put": "put", "Update": "update", "Delete": "delete", "ConditionCheck": "check"}[kind]
                yield request["TableName"], self._key(request["TableName"], request), action, True
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        yield table, self._key(table, request["PutRequest"]), "put", False
                    else:
                        yield table, request["DeleteRequest"]["Key"], "delete", False
        else:
            action = {"PutItem": "put", "UpdateItem": "update", "DeleteItem": "delete"}[operation]
            yield params["TableName"], self._key(params["TableName"], params), action, False

    def _key(self, table: str, request: dict) -> dict:
        if "Key" in request:
            return request["Key"]
        return {name: request["Item"][name] for name in _key_names(self._tables[table])}

    def _read(self, table: str, key: dict) -> dict | None:
        return self._client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def _label(key: dict) -> str:
    sort = key.get("sk", {}).get("S")
    if sort is None:
        return key["pk"]["S"].split("#")[0]
    head = sort.split("#")[0]
    return sort if head in {"TICKET", "NUMBER"} or head.startswith("COUNTER") else f"{head}#…"


def measure_write_units(client) -> list[OperationCost]:
    """Run each operation on a fresh ticket and price every item it writes."""
    from bench.api import BenchApi

    api = BenchApi(client, WORKSPACE)
    recorder = WriteRecorder()

    def ticket() -> dict:
        return api.call("POST", "/api/v1/tickets", body=TICKET_BODY).body

    def path(opened: dict, suffix: str = "") -> str:
        return f"/api/v1/tickets/{opened['id']}{suffix}"

    operations = [
        ("create", lambda _t: api.call("POST", "/api/v1/tickets", body=TICKET_BODY)),
        ("patch (title)", lambda t: api.call("PATCH", path(t), body={"title": "Printer on floor 3 jams again"})),
        ("status change", lambda t: api.call("POST", path(t, "/status"), body={"status": "in_progress"})),
        ("comment", lambda t: api.call("POST", path(t, "/comments"), body={"body_md": "Looking into it now."})),
    ]
    costs = []
    for name, run in operations:
        opened = ticket()
        cost = OperationCost(name)
        cost.writes = recorder.record()
        try:
            run(opened)
        finally:
            recorder.stop()
        costs.append(cost)
    return costs


def render(costs: list[OperationCost]) -> str:
    from bench.report import render_table

    lines = []
    for cost in costs:
        rows = []
        for write in cost.writes:
            indexes = ", ".join(f"{w.index} {w.action} {w.units}" for w in write.index_writes) or "-"
            how = f"{write.action}{' (tx ×2)' if write.transactional else ''}"
            index_units = sum(w.units for w in write.index_writes)
            rows.append([write.table, write.label, how, write.size, write.units, indexes, index_units, write.total])
        rows.append(["", "", "", "", "", "", "total", cost.total])
        lines.append(
            render_table(
                f"Write units: {cost.operation}",
                ["table", "item", "write", "bytes", "item WU", "index writes (WU)", "index WU", "WU"],
                rows,
            )
        )
    status = next(cost.total for cost in costs if cost.operation == "status change")
    verdict = "met" if status <= STATUS_CHANGE_TARGET else "MISSED"
    lines.append(
        "Write units per operation: "
        + ", ".join(f"{cost.operation} {cost.total}" for cost in costs)
        + f". Status change target <= {STATUS_CHANGE_TARGET}: {verdict}."
    )
    lines.append(
        "main @5039fcb (16 GSIs, ALL): " + ", ".join(f"{name} {units}" for name, units in MAIN_FIGURES.items())
    )
    return "\n".join(lines)


def as_results(costs: list[OperationCost]) -> dict:
    return {
        cost.operation: {
            "total": cost.total,
            "items": [
                {
                    "table": write.table,
                    "item": write.label,
                    "write": write.action,
                    "transactional": write.transactional,
                    "bytes": write.size,
                    "units": write.units,
                    "index_writes": [vars(index_write) for index_write in write.index_writes],
                }
                for write in cost.writes
            ],
        }
        for cost in costs
    }


def run_against_moto() -> list[OperationCost]:
    from chalice.test import Client
    from moto import mock_aws

    from bench.environment import apply_bench_env

    apply_bench_env()
    with mock_aws():
        apply_bench_env()
        from infra.bootstrap import bootstrap

        bootstrap()
        from app import app

        with Client(app) as client:
            costs = measure_write_units(client)
    apply_bench_env()
    return costs


if __name__ == "__main__":
    print(render(run_against_moto()))
