"""The stream-woken relay publishes the events in its own batch of DynamoDB stream records (moto's
real events-table stream, NEW_IMAGE), without waiting for the ``undispatched`` index."""

from __future__ import annotations

import uuid

import boto3
from botocore.config import Config

from chalicelib.events.catalogue import TICKET_COUNTERS, Topic


def stream_records() -> list[dict]:
    """Every record on the events table's stream so far, in the shape Lambda hands a function."""
    from chalicelib import aws
    from chalicelib.settings import get_settings

    # Recent botocore addresses streams by an account-id endpoint that moto does not route; the
    # regional endpoint is the same API.
    streams = boto3.client(
        "dynamodbstreams", region_name=get_settings().region, config=Config(account_id_endpoint_mode="disabled")
    )
    table = aws.dynamodb().describe_table(TableName=get_settings().table_name("events"))["Table"]
    stream_arn = table["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            change = dict(record["dynamodb"])
            if "ApproximateCreationDateTime" in change:  # boto3 parses it; Lambda passes epoch seconds
                change["ApproximateCreationDateTime"] = change["ApproximateCreationDateTime"].timestamp()
            records.append({**record, "dynamodb": change, "eventSourceARN": stream_arn})
    return records


def record_event(workspace_id: str):
    from chalicelib.domain.events import new_event

    event = new_event(Topic.TICKET_COMMENTED, workspace_id, "ticket", str(uuid.uuid4()), {"comment_id": "c"}, None)
    event.save()
    return event


def queued_event_ids() -> list[str]:
    from chalicelib import aws
    from chalicelib.events.messages import envelope_from_message

    url = aws.queue_url(TICKET_COUNTERS.queue)
    messages = aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(envelope_from_message(message["Body"])["id"] for message in messages)


def test_the_relay_publishes_new_events_from_the_stream_and_the_sweep_then_finds_nothing(aws, workspace_id):
    from chalicelib.domain.events import publish_pending
    from functions.outbox_relay import handler

    recorded = sorted(record_event(workspace_id).id for _ in range(3))
    records = stream_records()

    result = handler({"Records": records}, None)

    assert [record["eventName"] for record in records] == ["INSERT"] * 3
    assert records[0]["dynamodb"]["StreamViewType"] == "NEW_IMAGE"
    assert result == {"published": 3}
    assert queued_event_ids() == recorded
    assert publish_pending() == 0


def test_the_relay_ignores_receipts_and_the_change_that_marks_an_event_dispatched(aws, workspace_id):
    from chalicelib.domain.events import envelope, publish
    from chalicelib.domain.ticket_counters import apply_ticket_event
    from functions.outbox_relay import handler

    event = record_event(workspace_id)
    publish([event])  # the sweep got there first: a MODIFY that drops dispatch_shard
    apply_ticket_event(envelope(event))  # a consumer's receipt: an INSERT that is no event
    records = stream_records()

    result = handler({"Records": records}, None)

    assert sorted(record["eventName"] for record in records) == ["INSERT", "INSERT", "MODIFY"]
    assert result == {"published": 1}  # the event's own INSERT: delivery is at least once
