"""Outgoing webhooks against a real local HTTP server that checks the Standard Webhooks signature:
delivery, retry with backoff on 5xx/timeouts, giving up, replay, and no re-send after a 2xx."""

from __future__ import annotations

import json
import threading

import pytest

from chalicelib.auth.principal import Principal
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def subscribe(aws, workspace_id):
    from chalicelib.domain import outgoing_webhooks

    admin = Principal("admin-1", "admin@example.com", frozenset({"admin"}), (workspace_id,))

    def create(receiver: WebhookReceiver, path: str = "/hook", topics=("ticket.created",)) -> dict:
        created = outgoing_webhooks.create_subscription(
            workspace_id, admin, receiver.url(path), list(topics), None, "c-1"
        )
        receiver.secret = created["secret"]
        return created

    return create


def an_event(workspace_id: str, topic: str = "ticket.created") -> dict:
    from chalicelib.domain.events import envelope, new_event

    return envelope(new_event(topic, workspace_id, "ticket", "t-1", {"ticket": {"title": "Leak"}}, "corr-1"))


def deliveries(workspace_id: str, subscription_id: str) -> list[dict]:
    from chalicelib.domain.outgoing_webhooks import list_deliveries

    return list_deliveries(workspace_id, subscription_id, 100, None)[0]


def deliver(envelope: dict, attempt: int = 1) -> bool:
    from chalicelib.domain.outgoing_webhooks import deliver_event

    return deliver_event(envelope, attempt)


def test_event_is_received_with_a_valid_standard_webhooks_signature(receiver, subscribe, workspace_id):
    subscription = subscribe(receiver)
    event = an_event(workspace_id)

    deliver(event)

    [request] = receiver.received
    assert request.signature_valid
    assert request.headers["webhook-id"] == event["id"]
    assert request.headers["webhook-signature"].startswith("v1,")
    assert json.loads(request.body) == event
    [delivery] = deliveries(workspace_id, subscription["id"])
    assert delivery["status"] == "delivered"
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [200]


def test_secret_is_a_whsec_key_of_32_random_bytes(receiver, subscribe):
    import base64

    secret = subscribe(receiver)["secret"]

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32


def test_a_500_is_retried_with_backoff_and_then_delivered(receiver, subscribe, workspace_id):
    from chalicelib.domain.outgoing_webhooks import RetryLater

    subscription = subscribe(receiver)
    receiver.statuses["/hook"] = [500, 200]
    event = an_event(workspace_id)

    with pytest.raises(RetryLater) as first:
        deliver(event, attempt=1)
    [after_first] = deliveries(workspace_id, subscription["id"])
    deliver(event, attempt=2)

    assert first.value.seconds == 30
    assert after_first["status"] == "retrying"
    [delivery] = deliveries(workspace_id, subscription["id"])
    assert delivery["status"] == "delivered"
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [500, 200]
    assert all(request.signature_valid for request in receiver.received)


def test_backoff_doubles_up_to_its_cap():
    from chalicelib.domain.outgoing_webhooks import MAX_BACKOFF_SECONDS, backoff_seconds

    assert [backoff_seconds(attempt) for attempt in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(40) == MAX_BACKOFF_SECONDS


def test_a_timeout_is_recorded_and_retried(receiver, subscribe, workspace_id, monkeypatch):
    from chalicelib.domain import outgoing_webhooks

    monkeypatch.setattr(outgoing_webhooks, "TIMEOUT_SECONDS", 0.2)
    subscription = subscribe(receiver)
    receiver.hold = threading.Event()  # the receiver never answers in time

    with pytest.raises(outgoing_webhooks.RetryLater):
        deliver(an_event(workspace_id))

    [delivery] = deliveries(workspace_id, subscription["id"])
    assert delivery["status"] == "retrying"
    assert delivery["attempts"][0]["status_code"] is None
    assert "timed out" in delivery["attempts"][0]["error"]


def test_the_last_attempt_gives_up_and_records_failed(receiver, subscribe, workspace_id):
    from chalicelib.domain.outgoing_webhooks import MAX_ATTEMPTS

    subscription = subscribe(receiver)
    receiver.statuses["/hook"] = [503]

    deliver(an_event(workspace_id), attempt=MAX_ATTEMPTS)  # no RetryLater: the message is done with

    [delivery] = deliveries(workspace_id, subscription["id"])
    assert delivery["status"] == "failed"


def test_a_4xx_is_not_retried(receiver, subscribe, workspace_id):
    subscription = subscribe(receiver)
    receiver.statuses["/hook"] = [410]

    deliver(an_event(workspace_id))

    assert deliveries(workspace_id, subscription["id"])[0]["status"] == "failed"


def test_redelivered_event_is_not_sent_again_to_a_subscription_that_got_a_2xx(receiver, subscribe, workspace_id):
    from chalicelib.domain.outgoing_webhooks import RetryLater

    subscribe(receiver, "/steady")
    subscribe(receiver, "/flaky")
    receiver.statuses["/flaky"] = [502, 200]
    event = an_event(workspace_id)

    with pytest.raises(RetryLater):
        deliver(event, attempt=1)
    deliver(event, attempt=2)
    sent_again = deliver(event, attempt=3)  # the queue hands the same event over once more

    assert len(receiver.on("/steady")) == 1
    assert len(receiver.on("/flaky")) == 2
    assert sent_again is False


def test_replay_sends_the_same_body_again_and_records_the_attempt(receiver, subscribe, workspace_id):
    from chalicelib.domain.outgoing_webhooks import replay_delivery

    subscription = subscribe(receiver)
    deliver(an_event(workspace_id))
    [delivery] = deliveries(workspace_id, subscription["id"])

    replayed = replay_delivery(workspace_id, subscription["id"], delivery["id"])

    first, second = receiver.received
    assert second.body == first.body
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert second.signature_valid
    assert [attempt["trigger"] for attempt in replayed["attempts"]] == ["delivery", "replay"]


def test_events_of_other_topics_are_not_sent(receiver, subscribe, workspace_id):
    subscribe(receiver, topics=("ticket.commented",))

    assert deliver(an_event(workspace_id, "ticket.created")) is False
    assert receiver.received == []


def test_a_private_target_is_refused_at_send_time_when_not_allowed(receiver, subscribe, workspace_id, env):
    subscription = subscribe(receiver)  # created while private targets were allowed
    env.set(WEBHOOK_ALLOW_PRIVATE_TARGETS="false")

    deliver(an_event(workspace_id))

    assert receiver.received == []
    [delivery] = deliveries(workspace_id, subscription["id"])
    assert delivery["status"] == "failed"
    assert delivery["attempts"][0]["error"].startswith("refused")


def test_consumer_reports_a_retry_as_a_failed_record_and_delays_its_redelivery(receiver, subscribe, workspace_id):
    from chalicelib import aws as clients
    from chalicelib.events.messages import as_bus_event
    from functions.outgoing_webhooks_consumer import handler
    from infra.local.lambda_context import LambdaContext
    from infra.local.lambda_events import sqs_event

    subscribe(receiver)
    receiver.statuses["/hook"] = [503, 200]
    sqs, queue_url = clients.sqs(), clients.queue_url("outgoing-webhooks")
    bus_event = as_bus_event(an_event(workspace_id), "us-east-1", "123456789012", "evt-1")
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(bus_event))
    # Received visible again at once: only the consumer's backoff can hold it back.
    [message] = sqs.receive_message(QueueUrl=queue_url, AttributeNames=["All"], VisibilityTimeout=0)["Messages"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    result = handler(sqs_event([message], arn, "us-east-1"), LambdaContext(function_name="OutgoingWebhooks"))

    assert result == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []  # held back for the backoff
