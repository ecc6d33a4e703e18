"""How teams and technician profiles are stored: keyed reads, one transaction per change."""

from __future__ import annotations

from collections import Counter

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.domain import teams, technicians
from chalicelib.errors import Conflict
from chalicelib.models.audit import AuditItem, audit_pk

ADMIN = Principal(user_id="usr_admin", email="admin@example.com", roles=frozenset({"admin"}), workspaces=())


class _Calls:
    """The DynamoDB requests made from now on: operation names and their parameters."""

    def __init__(self):
        from chalicelib import aws

        self.calls: list[tuple[str, dict]] = []
        aws.dynamodb().meta.events.register("provide-client-params.dynamodb", self._seen)

    def _seen(self, params, model, **_kwargs):
        self.calls.append((model.name, params))

    def operations(self) -> Counter:
        return Counter(name for name, _params in self.calls)


@pytest.fixture
def technicians_on_duty(aws, member, workspace_id):
    plumber, electrician, resting = sorted(member("agent") for _ in range(3))
    for user_id, category, available in ((plumber, "Plumbing", True), (electrician, "Electrical", True)):
        technicians.put_technician(workspace_id, ADMIN, user_id, {"categories": [category], "available": available})
    technicians.put_technician(workspace_id, ADMIN, resting, {"categories": ["Plumbing"], "available": False})
    return {"plumber": plumber, "electrician": electrician, "resting": resting}


def test_who_is_available_for_a_category_is_one_query_on_its_key_and_one_batch_get(technicians_on_duty, workspace_id):
    calls = _Calls()

    found, _next = technicians.available_technicians(workspace_id, "plumbing", limit=25)

    assert [row["id"] for row in found] == [technicians_on_duty["plumber"]]
    assert calls.operations() == Counter({"Query": 1, "BatchGetItem": 1})
    query = next(params for name, params in calls.calls if name == "Query")
    assert f"AVAILABLE#{workspace_id}#plumbing" in str(query["ExpressionAttributeValues"])


def test_a_profile_change_is_one_transaction_with_its_entries_and_audit_row(technicians_on_duty, workspace_id):
    calls = _Calls()

    technicians.patch_technician(
        workspace_id, ADMIN, technicians_on_duty["resting"], {"available": True, "categories": ["Heating"]}
    )

    writes = [params for name, params in calls.calls if name == "TransactWriteItems"]
    assert len(writes) == 1
    assert not calls.operations().keys() & {"PutItem", "DeleteItem", "UpdateItem"}
    keys = sorted(
        next(iter(item.values())).get("Item", {}).get("pk", {}).get("S", "") for item in writes[0]["TransactItems"]
    )
    assert f"AVAILABLE#{workspace_id}" in keys and f"AVAILABLE#{workspace_id}#heating" in keys
    assert f"WS#{workspace_id}" in keys  # the audit row


def test_a_taken_team_name_writes_nothing(aws, workspace_id):
    teams.create_team(workspace_id, "Plumbing", actor_id="usr_admin")

    with pytest.raises(Conflict) as refused:
        teams.create_team(workspace_id, "PLUMBING", actor_id="usr_admin")

    assert refused.value.code == "team_name_taken"
    listed, _next = teams.list_teams(workspace_id, limit=25)
    assert len(listed) == 1
    assert len(list(AuditItem.query(audit_pk(workspace_id)))) == 1
