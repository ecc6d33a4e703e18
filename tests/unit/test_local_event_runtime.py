"""The local stand-in for SQS event-source mappings and EventBridge schedules."""

from __future__ import annotations

import base64
import sys
import threading
import types

import pytest

from chalicelib.events.catalogue import TICKET_COUNTERS
from infra.local.event_runtime import EventRuntime, QueuePoller, ScheduleFirer
from infra.local.lambda_events import failed_message_ids, scheduled_event, sqs_event

QUEUE = TICKET_COUNTERS.queue
QUEUE_ARN = f"arn:aws:sqs:us-east-1:123456789012:deskflow-test-{QUEUE}"


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

    url = aws.queue_url(QUEUE)
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

    handled = QueuePoller(QUEUE, CONSUMER, threading.Event()).poll_once(consumer)

    assert handled == 3
    assert sorted(seen) == ["one", "three", "two"]
    assert queue_counts(url) == (0, 1)  # "two" waits out its visibility timeout, then comes back


def test_poller_deletes_nothing_when_the_consumer_raises(aws):
    url = send(["one", "two"])

    def consumer(event, context):
        raise RuntimeError("database unavailable")

    QueuePoller(QUEUE, CONSUMER, threading.Event()).poll_once(consumer)

    assert queue_counts(url) == (0, 2)


def test_poller_hands_the_consumer_a_lambda_sqs_event_and_context(aws):
    send(["hello"])
    received = {}

    def consumer(event, context):
        received.update(event=event, context=context)

    QueuePoller(QUEUE, CONSUMER, threading.Event()).poll_once(consumer)

    record = received["event"]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(f":deskflow-test-{QUEUE}")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert received["context"].function_name == "TestConsumer"
    assert received["context"].get_remaining_time_in_millis() > 0


# --- threads ---------------------------------------------------------------------------------------
# No sleeping and counting: each test waits on a condition with a deadline, or drives one step.

DEADLINE_SECONDS = 10


@pytest.fixture
def recording_handler(monkeypatch):
    """An importable module ``deskflow_test_handler`` whose handler records each call; ``calls_reached(n)``
    is set once it has been called ``n`` times."""
    calls: list[dict] = []
    reached: dict[int, threading.Event] = {}

    def handler(event, context):
        calls.append(event)
        for count, flag in reached.items():
            if len(calls) >= count:
                flag.set()

    def calls_reached(count: int) -> threading.Event:
        flag = reached.setdefault(count, threading.Event())
        if len(calls) >= count:  # the calls may have come before anyone asked
            flag.set()
        return flag

    monkeypatch.setitem(sys.modules, "deskflow_test_handler", types.SimpleNamespace(handler=handler))
    return types.SimpleNamespace(calls=calls, calls_reached=calls_reached)


def consumers_of(queue: str, module: str) -> dict:
    return {"test-subscription": {"queue": queue, "module": module, "batch_size": 10, "logical_id": "TestConsumer"}}


def test_schedules_fire_repeatedly_on_their_local_rate_and_stop_joins_them(aws, recording_handler):
    runtime = EventRuntime(consumers={}, schedules={"tick": {"module": "deskflow_test_handler", "local_seconds": 0.01}})
    runtime.start()

    fired_three_times = recording_handler.calls_reached(3).wait(DEADLINE_SECONDS)
    still_busy = runtime.stop()

    assert fired_three_times
    assert still_busy == []
    assert all(event["detail-type"] == "Scheduled Event" for event in recording_handler.calls)


def test_a_failing_schedule_raises_nothing_and_fires_again(aws, monkeypatch):
    calls = []

    def handler(event, context):
        calls.append(1)
        raise RuntimeError("boom")

    monkeypatch.setitem(sys.modules, "deskflow_failing_handler", types.SimpleNamespace(handler=handler))
    firer = ScheduleFirer("fail", {"module": "deskflow_failing_handler", "local_seconds": 60}, threading.Event())

    firer.fire()
    firer.fire()

    assert len(calls) == 2


def test_a_poller_leaves_messages_queued_while_its_consumer_is_missing(aws):
    url = send(["waiting"])
    stopped = threading.Event()
    stopped.set()  # no back-off wait: one step only
    poller = QueuePoller(QUEUE, consumers_of(QUEUE, "deskflow_no_such_module")["test-subscription"], stopped)

    handled = poller.step()

    assert handled == 0
    assert queue_counts(url) == (1, 0)


def test_queue_threads_deliver_to_the_consumer_and_stop_joins_them(aws, recording_handler):
    url = send(["first"])
    runtime = EventRuntime(consumers=consumers_of(QUEUE, "deskflow_test_handler"), schedules={})
    runtime.start()

    delivered = recording_handler.calls_reached(1).wait(DEADLINE_SECONDS)
    still_busy = runtime.stop()

    assert delivered
    assert still_busy == []
    assert [event["Records"][0]["body"] for event in recording_handler.calls] == ["first"]
    assert queue_counts(url) == (0, 0)


def test_the_runtime_polls_one_queue_per_catalogue_subscription(aws):
    from infra.functions import CONSUMERS

    runtime = EventRuntime(schedules={})
    runtime.start()
    names = sorted(thread.name for thread in threading.enumerate() if thread.name.startswith("sqs:"))
    runtime.stop()

    assert names == sorted(f"sqs:{name}" for name in CONSUMERS)
