"""The local stand-in for SQS event-source mappings and EventBridge schedules."""

from __future__ import annotations

import base64
import sys
import threading
import time
import types

import pytest

from infra.local.event_runtime import EventRuntime, QueuePoller
from infra.local.lambda_events import failed_message_ids, scheduled_event, sqs_event

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:deskflow-test-ticket-events"


def received_message(message_id="m-1", body='{"id":"e-1"}', **extra) -> dict:
    return {
        "MessageId": message_id,
        "ReceiptHandle": f"rh-{message_id}",
        "MD5OfBody": "d41d8cd98f00b204e9800998ecf8427e",
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1700000000000", "SenderId": "AIDA"},
        **extra,
    }


# --- event shapes ------------------------------------------------------------------------------


def test_sqs_event_has_lambdas_record_shape():
    event = sqs_event([received_message()], QUEUE_ARN, "us-east-1")

    assert event == {
        "Records": [
            {
                "messageId": "m-1",
                "receiptHandle": "rh-m-1",
                "body": '{"id":"e-1"}',
                "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1700000000000", "SenderId": "AIDA"},
                "messageAttributes": {},
                "md5OfBody": "d41d8cd98f00b204e9800998ecf8427e",
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
        ]
    }


def test_message_attributes_take_lambdas_camel_case_shape_with_base64_binaries():
    message = received_message(
        MessageAttributes={
            "topic": {"StringValue": "ticket.created", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
        MD5OfMessageAttributes="abc",
    )

    record = sqs_event([message], QUEUE_ARN, "us-east-1")["Records"][0]

    assert record["messageAttributes"] == {
        "topic": {
            "stringValue": "ticket.created",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert record["md5OfMessageAttributes"] == "abc"


def test_scheduled_event_looks_like_an_eventbridge_rate_rule():
    event = scheduled_event("outbox-publisher", "eu-west-1")

    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["region"] == "eu-west-1"
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/outbox-publisher"]
    assert event["time"].endswith("Z")
    assert event["detail"] == {}


# --- partial batch responses -------------------------------------------------------------------


@pytest.mark.parametrize("result", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}])
def test_empty_responses_mean_the_whole_batch_succeeded(result):
    assert failed_message_ids(result, ["a", "b"]) == set()


def test_listed_failures_are_the_only_ones_kept():
    assert failed_message_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ["a", "b", "c"]) == {"b"}


@pytest.mark.parametrize(
    "result",
    [
        "not a dict",
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]},
        {"batchItemFailures": [{"wrongKey": "a"}]},
        {"batchItemFailures": "a"},
    ],
)
def test_malformed_responses_fail_the_whole_batch(result):
    assert failed_message_ids(result, ["a", "b"]) == {"a", "b"}


# --- polling a real (in-process) queue ---------------------------------------------------------


def send(bodies: list[str]) -> str:
    from chalicelib import aws

    url = aws.queue_url("ticket-events")
    for body in bodies:
        aws.sqs().send_message(QueueUrl=url, MessageBody=body)
    return url


def queue_counts(url: str) -> tuple[int, int]:
    from chalicelib import aws

    attributes = aws.sqs().get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


CONSUMER = {"module": "unused", "batch_size": 10, "logical_id": "TestConsumer"}


def test_poller_deletes_every_message_the_consumer_did_not_report_as_failed(aws):
    url = send(["one", "two", "three"])
    seen = []

    def consumer(event, context):
        seen.extend(record["body"] for record in event["Records"])
        failed = [r["messageId"] for r in event["Records"] if r["body"] == "two"]
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    handled = QueuePoller("ticket-events", CONSUMER, threading.Event()).poll_once(consumer)

    assert handled == 3
    assert sorted(seen) == ["one", "three", "two"]
    assert queue_counts(url) == (0, 1)  # "two" waits out its visibility timeout, then comes back


def test_poller_deletes_nothing_when_the_consumer_raises(aws):
    url = send(["one", "two"])

    def consumer(event, context):
        raise RuntimeError("database unavailable")

    QueuePoller("ticket-events", CONSUMER, threading.Event()).poll_once(consumer)

    assert queue_counts(url) == (0, 2)


def test_poller_hands_the_consumer_a_lambda_sqs_event_and_context(aws):
    send(["hello"])
    received = {}

    def consumer(event, context):
        received.update(event=event, context=context)

    QueuePoller("ticket-events", CONSUMER, threading.Event()).poll_once(consumer)

    record = received["event"]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":deskflow-test-ticket-events")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert received["context"].function_name == "TestConsumer"
    assert received["context"].get_remaining_time_in_millis() > 0


# --- threads -----------------------------------------------------------------------------------


@pytest.fixture
def fake_handler_module(monkeypatch):
    """An importable module ``deskflow_test_handler`` whose handler records each call."""
    calls = []
    module = types.ModuleType("deskflow_test_handler")
    module.handler = lambda event, context: calls.append(event)
    monkeypatch.setitem(sys.modules, "deskflow_test_handler", module)
    return calls


def test_schedules_fire_on_their_local_rate_and_stop_joins_them(aws, fake_handler_module):
    runtime = EventRuntime(
        queues={}, consumers={}, schedules={"tick": {"module": "deskflow_test_handler", "local_seconds": 0.05}}
    )
    runtime.start()
    time.sleep(0.4)
    started_stopping = time.monotonic()
    runtime.stop()

    assert time.monotonic() - started_stopping < 1
    assert len(fake_handler_module) >= 3
    assert all(event["detail-type"] == "Scheduled Event" for event in fake_handler_module)


def test_a_failing_schedule_keeps_firing(aws, monkeypatch):
    calls = []

    def handler(event, context):
        calls.append(1)
        raise RuntimeError("boom")

    monkeypatch.setitem(sys.modules, "deskflow_failing_handler", types.SimpleNamespace(handler=handler))
    runtime = EventRuntime(
        queues={}, consumers={}, schedules={"fail": {"module": "deskflow_failing_handler", "local_seconds": 0.05}}
    )
    runtime.start()
    time.sleep(0.3)
    runtime.stop()

    assert len(calls) >= 2


def test_queue_threads_leave_messages_queued_while_the_consumer_is_missing(aws):
    url = send(["waiting"])
    runtime = EventRuntime(
        queues={"ticket-events": {}},
        consumers={"ticket-events": {"module": "deskflow_no_such_module", "batch_size": 10}},
        schedules={},
    )
    runtime.start()
    time.sleep(0.3)
    runtime.stop()

    assert queue_counts(url) == (1, 0)


def test_queue_threads_deliver_to_the_consumer_and_stop_within_a_poll(aws, fake_handler_module):
    url = send(["first"])
    runtime = EventRuntime(
        queues={"ticket-events": {}},
        consumers={"ticket-events": {"module": "deskflow_test_handler", "batch_size": 10}},
        schedules={},
    )
    runtime.start()
    deadline = time.monotonic() + 5
    while not fake_handler_module and time.monotonic() < deadline:
        time.sleep(0.05)
    started_stopping = time.monotonic()
    runtime.stop()

    assert time.monotonic() - started_stopping < 3
    assert [event["Records"][0]["body"] for event in fake_handler_module] == ["first"]
    assert queue_counts(url) == (0, 0)
