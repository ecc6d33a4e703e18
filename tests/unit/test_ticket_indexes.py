"""The tickets table's index budget: few, narrow indexes; a write touches only those whose keys
change; a list page is one Query and at most one BatchGetItem."""

from __future__ import annotations

from collections import Counter

import pytest

from infra.tables import TABLES
from tests.routes.http_helpers import add_team, call, open_ticket

TICKETS = "/api/v1/tickets"
TICKET_INDEXES = TABLES["tickets"]["GlobalSecondaryIndexes"]


def test_the_tickets_table_has_at_most_ten_indexes():
    assert len(TICKET_INDEXES) <= 10


@pytest.mark.parametrize("index", TICKET_INDEXES, ids=lambda index: index["IndexName"])
def test_no_ticket_index_projects_every_attribute(index):
    assert index["Projection"]["ProjectionType"] in {"KEYS_ONLY", "INCLUDE"}


def _shape(name: str, key_schema: list[dict], projection: dict) -> tuple:
    keys = tuple(sorted((key["KeyType"], key["AttributeName"]) for key in key_schema))
    return name, keys, projection["ProjectionType"], tuple(sorted(projection.get("NonKeyAttributes", [])))


def test_the_declared_index_classes_are_the_tables_indexes():
    from chalicelib.models.tickets import TICKET_LIST_INDEXES

    declared = set()
    for index in TICKET_LIST_INDEXES.values():
        schema = index._get_schema()
        declared.add(_shape(schema["index_name"], schema["key_schema"], schema["projection"]))

    assert declared == {_shape(i["IndexName"], i["KeySchema"], i["Projection"]) for i in TICKET_INDEXES}


class _DynamoDBCalls:
    """The DynamoDB requests made while a test runs: operation names and their parameters."""

    def __init__(self):
        from chalicelib import aws

        self.calls: list[tuple[str, dict]] = []
        aws.dynamodb().meta.events.register("provide-client-params.dynamodb", self._seen)

    def _seen(self, params, model, **_kwargs):
        self.calls.append((model.name, params))

    def clear(self):
        self.calls.clear()

    def operations(self, table: str | None = None) -> Counter:
        """Operation counts, optionally only those reaching ``table`` (its short name)."""
        from chalicelib.settings import get_settings

        wanted = get_settings().table_name(table) if table else None
        return Counter(
            name
            for name, params in self.calls
            if wanted is None or wanted == params.get("TableName") or wanted in params.get("RequestItems", {})
        )


@pytest.fixture
def dynamodb_calls(client):
    return _DynamoDBCalls()


def _raw_ticket(workspace_id: str, ticket_id: str) -> dict:
    from chalicelib import aws
    from chalicelib.models.tickets import ticket_pk
    from chalicelib.settings import get_settings

    key = {"pk": {"S": ticket_pk(workspace_id, ticket_id)}, "sk": {"S": "TICKET"}}
    return aws.dynamodb().get_item(TableName=get_settings().table_name("tickets"), Key=key)["Item"]


def _indexes_touched(before: dict, after: dict) -> set[str]:
    """Indexes whose entry for the item changes: a key or a projected attribute differs."""
    changed = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    touched = set()
    for index in TICKET_INDEXES:
        attributes = {key["AttributeName"] for key in index["KeySchema"]}
        attributes |= set(index["Projection"].get("NonKeyAttributes", []))
        if changed & attributes:
            touched.add(index["IndexName"])
    return touched


def test_a_status_change_touches_only_the_status_and_updated_indexes(client, as_role, dynamodb_calls):
    agent = as_role("agent")
    add_team(agent["x-workspace-id"], "network")
    ticket = open_ticket(client, agent, team="network", category="vpn", tags=["remote"], priority="high")
    before = _raw_ticket(agent["x-workspace-id"], ticket["id"])
    dynamodb_calls.clear()

    call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "in_progress"})

    after = _raw_ticket(agent["x-workspace-id"], ticket["id"])
    assert _indexes_touched(before, after) == {"by-status", "by-ws-updated"}
    written = [
        next(iter(entry.values()))
        for name, params in dynamodb_calls.calls
        if name == "TransactWriteItems"
        for entry in params["TransactItems"]
    ]
    records = [put["Item"]["sk"]["S"].split("#")[0] for put in written]
    # No tag entry rewritten, and no audit row: the audit-trail consumer writes it from the event.
    assert sorted(records) == ["EVENT", "HISTORY", "TICKET"]


def test_a_title_edit_touches_only_the_updated_index(client, as_role):
    agent = as_role("agent")
    add_team(agent["x-workspace-id"], "network")
    ticket = open_ticket(client, agent, team="network", tags=["remote"])
    before = _raw_ticket(agent["x-workspace-id"], ticket["id"])

    call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"title": "Renamed"})

    assert _indexes_touched(before, _raw_ticket(agent["x-workspace-id"], ticket["id"])) == {"by-ws-updated"}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sort=updated_at",
        "status=new",
        "status=new&priority=high",
        "tag=remote&status=new",
        "assignee=none&team=network",
        "sort=updated_at&tag=remote&priority=high",
        "created_from=2020-01-01T00:00:00Z&category=vpn",
    ],
)
def test_a_list_page_is_one_query_and_at_most_one_batch_get(client, as_role, dynamodb_calls, query):
    agent = as_role("agent")
    add_team(agent["x-workspace-id"], "network")
    for number in range(4):
        open_ticket(client, agent, title=f"T{number}", team="network", category="vpn", tags=["remote"])
    dynamodb_calls.clear()

    response = call(client, "GET", f"{TICKETS}?limit=2&{query}", agent)

    assert response.status_code == 200
    # The caller check (one BatchGetItem on the directory) comes on top; the list's own work is this:
    operations = dynamodb_calls.operations("tickets")
    assert operations["Query"] == 1
    assert operations["BatchGetItem"] <= 1
    assert not operations.keys() - {"Query", "BatchGetItem"}
    assert dynamodb_calls.operations() - operations == Counter({"BatchGetItem": 1})
