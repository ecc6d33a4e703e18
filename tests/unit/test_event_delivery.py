"""Outbox → event bus → each subscription's queue → its consumer: at-least-once delivery made
exactly-once in effect (in-process moto: EventBridge rules really route to the SQS queues)."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.events.catalogue import TICKET_COUNTERS, Subscription, Topic


@pytest.fixture
def agent(workspace_id):
    return Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))


def drain(queue: str = TICKET_COUNTERS.queue) -> list[dict]:
    """Every message now in ``queue``, removed from it (as ReceiveMessage returns them)."""
    from chalicelib import aws

    url = aws.queue_url(queue)
    messages = []
    while True:
        batch = aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        if not batch.get("Messages"):
            return messages
        for message in batch["Messages"]:
            aws.sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            messages.append(message)


def lambda_event(messages: list[dict], queue: str = TICKET_COUNTERS.queue) -> dict:
    from infra.local.lambda_events import sqs_event

    return sqs_event(messages, f"arn:aws:sqs:us-east-1:123456789012:deskflow-test-{queue}", "us-east-1")


def envelopes(messages: list[dict]) -> list[dict]:
    from chalicelib.events.messages import envelope_from_message

    return [envelope_from_message(message["Body"]) for message in messages]


def record_event(workspace_id: str, topic: str = Topic.TICKET_COMMENTED, data: dict | None = None):
    """An outbox record saved as a change would save it (outside a transaction: nothing else to write)."""
    from chalicelib.domain.events import new_event

    event = new_event(topic, workspace_id, "ticket", str(uuid.uuid4()), data or {"comment_id": "c-1"}, "corr-1")
    event.save()
    return event


@pytest.fixture
def second_subscription(aws):
    """A test-only subscription to ticket.created with its own rule, queue and DLQ on the bus."""
    from infra.bootstrap import ensure_queues, ensure_subscriptions
    from infra.queues import subscription_queues

    subscription = Subscription(
        name="audit-trail-test", topics=(Topic.TICKET_CREATED,), handler="unused", logical_id="AuditTrailTest"
    )
    ensure_queues(subscription_queues({subscription.name: subscription}))
    ensure_subscriptions({subscription.name: subscription})
    return subscription


# --- publishing ------------------------------------------------------------------------------------


def test_the_publisher_sends_each_event_once_and_its_subscription_receives_the_envelope(aws, workspace_id, agent):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.tickets import create_ticket

    ticket = create_ticket(workspace_id, agent, {"title": "Leak"}, "corr-1")

    first_run = publish_pending()
    second_run = publish_pending()
    (envelope,) = envelopes(drain())

    assert (first_run, second_run) == (1, 0)
    assert envelope["type"] == "ticket.created"
    assert envelope["workspace_id"] == workspace_id
    assert envelope["correlation_id"] == "corr-1"
    assert envelope["subject"] == {"type": "ticket", "id": ticket["id"]}
    assert envelope["actor_id"] == agent.user_id
    assert set(envelope) == {
        "id",
        "type",
        "workspace_id",
        "occurred_at",
        "correlation_id",
        "actor_id",
        "subject",
        "data",
    }


def test_one_event_reaches_every_subscription_that_wants_it_and_each_consumer_applies_it_once(
    aws, workspace_id, agent, second_subscription
):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import create_ticket
    from chalicelib.events.consumer import consume
    from functions.ticket_events_consumer import handler

    create_ticket(workspace_id, agent, {"title": "Leak"}, None)
    publish_pending()
    counters_messages, audit_messages = drain(TICKET_COUNTERS.queue), drain(second_subscription.queue)
    audited = []

    handler(lambda_event(counters_messages), None)
    for message in audit_messages:
        consume(message["Body"], second_subscription.name, lambda event: audited.append(event["id"]) or True)

    assert [e["id"] for e in envelopes(counters_messages)] == [e["id"] for e in envelopes(audit_messages)]
    assert audited == [envelopes(counters_messages)[0]["id"]]
    assert ticket_counts(workspace_id)["tickets_created"] == 1


def test_a_subscription_receives_only_the_topics_it_names(aws, workspace_id, second_subscription):
    from chalicelib.domain.events import publish_pending

    record_event(workspace_id, Topic.TICKET_COMMENTED)
    publish_pending()

    assert [e["type"] for e in envelopes(drain(TICKET_COUNTERS.queue))] == ["ticket.commented"]
    assert drain(second_subscription.queue) == []


def test_an_event_no_subscription_wants_is_still_published_and_marked_dispatched(aws, workspace_id):
    from chalicelib.domain.events import publish_pending
    from chalicelib.models.events import EventItem

    event = record_event(workspace_id, Topic.INVOICE_OVERDUE, {"invoice_id": "inv-1"})

    assert publish_pending() == 1
    assert EventItem.get(event.pk, event.sk, consistent_read=True).dispatched_at is not None


def test_an_entry_the_bus_refuses_stays_undispatched_while_the_rest_of_its_call_goes_out(aws, workspace_id):
    from chalicelib.domain.events import publish_pending
    from chalicelib.models.events import EventItem

    good = record_event(workspace_id)
    refused = record_event(workspace_id)
    refused.update(actions=[EventItem.type.set("")])  # a record the bus answers with ErrorCode (no DetailType)

    sent = publish_pending()

    assert sent == 1
    assert EventItem.get(good.pk, good.sk, consistent_read=True).dispatched_at is not None
    still_pending = EventItem.get(refused.pk, refused.sk, consistent_read=True)
    assert (still_pending.dispatched_at, still_pending.dispatch_shard is not None) == (None, True)
    assert [e["id"] for e in envelopes(drain())] == [good.id]


def test_a_sweep_of_more_than_ten_events_sends_them_all(aws, workspace_id):
    from chalicelib.domain.events import publish_pending

    recorded = {record_event(workspace_id).id for _ in range(23)}

    assert publish_pending() == 23
    assert {e["id"] for e in envelopes(drain())} == recorded


def test_put_events_calls_hold_at_most_ten_entries_and_256_kib():
    from chalicelib.events.messages import batches

    small = {"Source": "deskflow", "DetailType": "ticket.created", "Detail": "{}"}
    large = {**small, "Detail": "x" * 100_000}

    assert [len(group) for group in batches([small] * 23)] == [10, 10, 3]
    assert batches([large, large, large, small]) == [[0, 1], [2, 3]]


# --- what the catalogue allows -----------------------------------------------------------------------


def test_emitting_a_topic_the_catalogue_does_not_name_is_refused(aws, workspace_id):
    from chalicelib.domain.events import new_event
    from chalicelib.events.catalogue import UnknownTopic

    with pytest.raises(UnknownTopic, match="ticket.exploded"):
        new_event("ticket.exploded", workspace_id, "ticket", "t-1", {}, None)


def test_event_data_is_stored_compactly_without_unicode_escapes(aws, workspace_id):
    from chalicelib.models.events import EventItem

    text = "😀" * 20_000
    event = record_event(workspace_id, Topic.TICKET_UPDATED, {"description": text})

    stored = EventItem.get(event.pk, event.sk, consistent_read=True).data
    assert stored == json.dumps({"description": text}, ensure_ascii=False, separators=(",", ":"))
    assert "\\u" not in stored


def test_event_data_the_bus_could_never_carry_is_refused_before_anything_is_written(aws, workspace_id):
    from chalicelib.domain.events import new_event
    from chalicelib.errors import PayloadTooLarge

    with pytest.raises(PayloadTooLarge):
        new_event(Topic.TICKET_UPDATED, workspace_id, "ticket", "t-1", {"description": "x" * 300_000}, None)


# --- consuming ---------------------------------------------------------------------------------------


def test_the_consumer_counts_tickets_and_a_redelivered_batch_changes_nothing(aws, workspace_id, agent):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import change_status, create_ticket
    from functions.ticket_events_consumer import handler

    ticket = create_ticket(workspace_id, agent, {"title": "Leak"}, None)
    change_status(workspace_id, agent, ticket["id"], "open", None, None)
    publish_pending()
    event = lambda_event(drain())

    first = handler(event, None)
    counts_after_first = ticket_counts(workspace_id)
    redelivered = handler(event, None)

    assert first == redelivered == {"batchItemFailures": []}
    assert ticket_counts(workspace_id) == counts_after_first
    assert counts_after_first["tickets_created"] == 1
    assert (counts_after_first["status_new"], counts_after_first["status_open"]) == (0, 1)


def test_receipts_are_kept_per_consumer_and_event(aws, workspace_id):
    from chalicelib.domain.events import envelope
    from chalicelib.domain.ticket_counters import apply_ticket_event
    from chalicelib.models.events import ReceiptItem, receipt_key

    event = envelope(record_event(workspace_id))

    apply_ticket_event(event)

    ReceiptItem.get(*receipt_key(TICKET_COUNTERS.name, event["id"]), consistent_read=True)
    with pytest.raises(ReceiptItem.DoesNotExist):
        ReceiptItem.get(*receipt_key("another-consumer", event["id"]), consistent_read=True)


def test_each_consumed_event_is_logged_once_with_what_it_was_and_whether_it_was_a_duplicate(
    aws, workspace_id, monkeypatch
):
    from aws_lambda_powertools import Logger

    from chalicelib.domain.events import publish_pending
    from chalicelib.events import consumer
    from functions.ticket_events_consumer import handler

    stream = io.StringIO()
    logger = Logger(service=f"deskflow-test-{uuid.uuid4().hex[:6]}", level="INFO", stream=stream)
    monkeypatch.setattr(consumer, "get_logger", lambda: logger)
    event = record_event(workspace_id)
    publish_pending()
    batch = lambda_event(drain())

    handler(batch, None)
    handler(batch, None)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    consumed = [line for line in lines if line["message"] == "event consumed"]
    assert [
        (line["event_type"], line["workspace_id"], line["subject"], line["consumer"], line["duplicate"])
        for line in consumed
    ] == [
        ("ticket.commented", workspace_id, f"ticket/{event.subject_id}", "ticket-counters", False),
        ("ticket.commented", workspace_id, f"ticket/{event.subject_id}", "ticket-counters", True),
    ]
    assert {line["event_id"] for line in consumed} == {event.id}


def test_a_poison_message_is_reported_alone_so_the_rest_of_the_batch_is_not_retried(aws, workspace_id, agent):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import create_ticket
    from functions.ticket_events_consumer import handler

    create_ticket(workspace_id, agent, {"title": "Leak"}, None)
    publish_pending()
    event = lambda_event(drain())
    poison = dict(event["Records"][0], messageId="poison-1", body="{not json")
    event["Records"].append(poison)

    result = handler(event, None)

    assert result == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}
    assert ticket_counts(workspace_id)["tickets_created"] == 1


def test_a_poison_message_lands_in_its_subscriptions_dlq_without_holding_back_its_batch(aws, workspace_id):
    import threading

    from chalicelib import aws as clients
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from functions.ticket_events_consumer import handler
    from infra.functions import CONSUMERS
    from infra.local.event_runtime import QueuePoller
    from infra.queues import MAX_RECEIVE_COUNT

    url = clients.queue_url(TICKET_COUNTERS.queue)
    clients.sqs().set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})  # retry at once
    record_event(workspace_id)
    publish_pending()
    clients.sqs().send_message(QueueUrl=url, MessageBody="{not json")
    poller = QueuePoller(TICKET_COUNTERS.queue, CONSUMERS[TICKET_COUNTERS.name], threading.Event())

    for _ in range(MAX_RECEIVE_COUNT + 1):
        poller.poll_once(handler)

    dead = drain(TICKET_COUNTERS.dead_letter_queue)
    assert [message["Body"] for message in dead] == ["{not json"]
    assert ticket_counts(workspace_id)["comments_added"] == 1
    assert drain(TICKET_COUNTERS.queue) == []


def test_deleting_a_ticket_moves_its_status_count_down(aws, workspace_id):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import create_ticket, delete_ticket
    from functions.ticket_events_consumer import handler

    admin = Principal("admin-1", "admin@example.com", frozenset({"admin"}), (workspace_id,))
    ticket = create_ticket(workspace_id, admin, {"title": "Leak"}, None)
    delete_ticket(workspace_id, admin, ticket["id"], None)
    publish_pending()

    handler(lambda_event(drain()), None)

    counts = ticket_counts(workspace_id)
    assert (counts["tickets_created"], counts["tickets_deleted"], counts["status_new"]) == (1, 1, 0)


def test_the_scheduled_publisher_handler_reports_what_it_sent(aws, workspace_id):
    from functions.outbox_publisher import handler

    record_event(workspace_id)

    assert handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None) == {"published": 1}
