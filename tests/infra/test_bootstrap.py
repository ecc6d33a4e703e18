"""The bootstrap creates every resource in infra/ and is idempotent (in-process moto, ``aws`` fixture)."""

from __future__ import annotations

import json

import pytest

from chalicelib import aws as clients
from chalicelib.events.catalogue import SUBSCRIPTIONS
from chalicelib.events.messages import event_bus_name
from chalicelib.settings import get_settings
from infra.bootstrap import bootstrap, rule_name
from infra.queues import MAX_RECEIVE_COUNT, QUEUES, dlq_name
from infra.tables import TABLES

VOLATILE_TABLE_FIELDS = {"ItemCount", "TableSizeBytes"}


def describe_table(short_name: str) -> dict:
    dynamodb = clients.dynamodb()
    table_name = get_settings().table_name(short_name)
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    return {**{key: value for key, value in table.items() if key not in VOLATILE_TABLE_FIELDS}, "ttl": ttl}


def queue_attributes(queue_name: str) -> dict:
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def deployed_state() -> dict:
    return {
        "table_names": sorted(clients.dynamodb().list_tables()["TableNames"]),
        "tables": {name: describe_table(name) for name in TABLES},
        "queue_urls": sorted(clients.sqs().list_queues().get("QueueUrls", [])),
        "queues": {
            name: queue_attributes(get_settings().queue_name(name))
            for short_name in QUEUES
            for name in (short_name, dlq_name(short_name))
        },
        "buckets": sorted(bucket["Name"] for bucket in clients.s3().list_buckets()["Buckets"]),
        "event_buses": sorted(bus["Name"] for bus in clients.events().list_event_buses()["EventBuses"]),
        "rules": {name: rule_state(name) for name in SUBSCRIPTIONS},
    }


def rule_state(subscription: str) -> dict:
    events, bus = clients.events(), event_bus_name()
    rule = rule_name(subscription)
    described = events.describe_rule(Name=rule, EventBusName=bus)
    return {
        "rule": {key: described[key] for key in ("Arn", "EventPattern", "State", "EventBusName")},
        "targets": events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"],
    }


def test_second_bootstrap_creates_and_changes_nothing(aws):
    before = deployed_state()

    report = bootstrap()

    assert (report["tables"], report["queues"], report["event_bus"], report["rules"]) == ([], [], [], [])
    assert deployed_state() == before


@pytest.mark.parametrize("short_name", sorted(TABLES))
def test_every_table_has_its_indexes_and_ttl(aws, short_name):
    spec = TABLES[short_name]

    table = describe_table(short_name)

    assert table["KeySchema"] == spec["KeySchema"]
    indexes = {index["IndexName"]: index["KeySchema"] for index in table.get("GlobalSecondaryIndexes", [])}
    assert indexes == {index["IndexName"]: index["KeySchema"] for index in spec.get("GlobalSecondaryIndexes", [])}
    if spec.get("TimeToLiveAttribute"):
        assert table["ttl"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": spec["TimeToLiveAttribute"]}
    else:
        assert table["ttl"]["TimeToLiveStatus"] == "DISABLED"
    if spec.get("StreamSpecification"):
        assert table["StreamSpecification"] == spec["StreamSpecification"]


@pytest.mark.parametrize("short_name", sorted(QUEUES))
def test_every_queue_redrives_to_its_dead_letter_queue(aws, short_name):
    settings = get_settings()
    dlq_arn = queue_attributes(settings.queue_name(dlq_name(short_name)))["QueueArn"]

    attributes = queue_attributes(settings.queue_name(short_name))

    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    }
    assert int(attributes["VisibilityTimeout"]) == QUEUES[short_name]["visibility_timeout"]


@pytest.mark.parametrize("name", sorted(SUBSCRIPTIONS))
def test_each_subscription_has_a_rule_on_the_bus_targeting_its_queue_which_lets_only_that_rule_send(aws, name):
    subscription = SUBSCRIPTIONS[name]
    queue = queue_attributes(get_settings().queue_name(subscription.queue))

    state = rule_state(name)

    assert json.loads(state["rule"]["EventPattern"]) == subscription.event_pattern()
    assert (state["rule"]["State"], state["rule"]["EventBusName"]) == ("ENABLED", event_bus_name())
    assert [target["Arn"] for target in state["targets"]] == [queue["QueueArn"]]
    (statement,) = json.loads(queue["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": state["rule"]["Arn"]}}


def test_bootstrap_brings_a_changed_rule_back_in_line(aws):
    name = next(iter(SUBSCRIPTIONS))
    rule = rule_name(name)
    clients.events().put_rule(
        Name=rule, EventBusName=event_bus_name(), EventPattern=json.dumps({"source": ["someone-else"]})
    )

    bootstrap()

    assert json.loads(rule_state(name)["rule"]["EventPattern"]) == SUBSCRIPTIONS[name].event_pattern()


def test_files_bucket_exists(aws):
    clients.s3().head_bucket(Bucket=get_settings().files_bucket)


def test_a_table_made_before_an_index_was_added_gets_it_and_keeps_its_items(aws):
    """A kept ``make run`` state folder from an earlier version: the bootstrap adds what the table lacks."""
    from infra.tables import create_table_request

    dynamodb = clients.dynamodb()
    table_name = get_settings().table_name("workflows")
    request = create_table_request("workflows", table_name)
    dynamodb.delete_table(TableName=table_name)
    older = {**request, "GlobalSecondaryIndexes": request["GlobalSecondaryIndexes"][:1]}
    older["AttributeDefinitions"] = [d for d in request["AttributeDefinitions"] if d["AttributeName"] != "assignee_key"]
    dynamodb.create_table(**older)
    dynamodb.put_item(TableName=table_name, Item={"pk": {"S": "kept"}, "sk": {"S": "item"}})

    bootstrap()

    indexes = dynamodb.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"]
    assert sorted(index["IndexName"] for index in indexes) == ["by-assignee", "by-workspace"]
    assert dynamodb.get_item(TableName=table_name, Key={"pk": {"S": "kept"}, "sk": {"S": "item"}})["Item"]
