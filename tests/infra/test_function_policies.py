"""Least privilege: each function's IAM policies name only the tables, queues, buses and state machines that
infra/access.py declares for it, and the generated policies survive cfn-lint and the SAM transform."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from cfnlint.api import ManualArgs, lint
from samtranslator.translator.transform import transform

from chalicelib.events.catalogue import EVENT_BUS
from infra import template as generator
from infra.access import FUNCTION_ACCESS, Access
from infra.flows import STATE_MACHINES
from infra.functions import CONSUMERS
from infra.tables import TABLES
from infra.template import (
    BUCKET_LOGICAL_ID,
    access_policies,
    event_bus_logical_id,
    queue_logical_id,
    state_machine_logical_id,
    table_logical_id,
)
from tests.infra.test_template import NoManagedPolicies, with_packaged_code

REPO = Path(__file__).resolve().parents[2]
BEDROCK_MODELS = "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/*"


@pytest.fixture(scope="module")
def functions() -> dict:
    resources = yaml.safe_load((REPO / "template.yaml").read_text())["Resources"]
    return {name: r for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}


def named_resources(value) -> set[str]:
    """Every logical id (Ref, GetAtt) and every ``${TablePrefix}-…`` name a policy list mentions."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref":
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0])
            elif key == "Fn::Sub":
                found.add(inner.split("${TablePrefix}-", 1)[1] if "${TablePrefix}-" in inner else inner)
            else:
                found |= named_resources(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= named_resources(inner)
    return found


def expected_resources(access: Access, polled_queue: str | None = None) -> set[str]:
    expected = {table_logical_id(t) for t in (*access.reads, *access.writes)}
    expected |= {queue_logical_id(q) for q in access.sends_to}
    expected |= {queue_logical_id(polled_queue)} if polled_queue else set()
    expected |= {event_bus_logical_id(bus) for bus in access.puts_events_on}
    expected |= {state_machine_logical_id(m) for m in access.starts} | {f"{m}:*" for m in access.starts}
    expected |= {BUCKET_LOGICAL_ID} if access.files else set()
    expected |= {BEDROCK_MODELS} if access.invokes_models else set()
    return expected


def polled_queue(logical_id: str) -> str | None:
    return next((spec["queue"] for spec in CONSUMERS.values() if spec["logical_id"] == logical_id), None)


def test_every_function_declares_its_access_and_no_declaration_is_stale(functions):
    assert set(FUNCTION_ACCESS) == set(functions)


def test_each_function_policy_names_only_its_declared_resources(functions):
    named = {name: named_resources(f["Properties"]["Policies"]) for name, f in functions.items()}
    expected = {name: expected_resources(FUNCTION_ACCESS[name], polled_queue(name)) for name in functions}
    assert named == expected


def test_no_function_may_touch_every_table(functions):
    every_table = {table_logical_id(name) for name in TABLES}
    assert [name for name, f in functions.items() if every_table <= named_resources(f["Properties"]["Policies"])] == []


def test_the_counters_consumer_cannot_touch_tickets_or_the_directory(functions):
    named = named_resources(functions["TicketEventsConsumerFunction"]["Properties"]["Policies"])
    assert table_logical_id("tickets") not in named
    assert table_logical_id("directory") not in named


def test_no_consumer_role_may_poll_every_queue():
    # SAM's SQS events would attach AWSLambdaSQSQueueExecutionRole (receive/delete on "*").
    template = yaml.safe_load((REPO / "template.yaml").read_text())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        transformed = transform(with_packaged_code(template), {}, NoManagedPolicies())
    roles = {name: r for name, r in transformed["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    managed = {
        arn.rsplit("/", 1)[-1] for role in roles.values() for arn in role["Properties"].get("ManagedPolicyArns", [])
    }
    assert "AWSLambdaSQSQueueExecutionRole" not in managed


def test_a_read_only_table_gets_the_read_policy():
    policies = access_policies(Access(reads=("metrics",)))
    assert policies == [{"DynamoDBReadPolicy": {"TableName": {"Ref": table_logical_id("metrics")}}}]


def test_a_function_without_a_declaration_is_refused(monkeypatch):
    monkeypatch.setattr(generator, "FUNCTION_ACCESS", {})
    with pytest.raises(ValueError, match="declares no access"):
        generator.build_template()


def test_every_kind_of_access_survives_the_sam_transform_and_cfn_lint(monkeypatch):
    # No function starts a machine yet: give one every kind of access and check the result.
    machine = sorted(STATE_MACHINES)[0]
    everything = Access(
        reads=("metrics",),
        writes=("events",),
        sends_to=("scheduled-runs",),
        puts_events_on=(EVENT_BUS,),
        starts=(machine,),
        completes_tasks=True,
        files=True,
    )
    monkeypatch.setattr(generator, "FUNCTION_ACCESS", {**FUNCTION_ACCESS, "SystemApiFunction": everything})
    template = generator.build_template()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    transformed = transform(with_packaged_code(copy.deepcopy(template)), {}, NoManagedPolicies())

    assert [str(m) for m in lint(json.dumps(transformed), config=ManualArgs(regions=["us-east-1"]))] == []
    role = json.dumps(transformed["Resources"]["SystemApiFunctionRole"]["Properties"]["Policies"])
    for action in ("states:StartExecution", "states:DescribeExecution", "states:SendTaskSuccess", "events:PutEvents"):
        assert action in role
    assert named_resources(template["Resources"]["SystemApiFunction"]["Properties"]["Policies"]) == (
        expected_resources(everything)
    )
