"""``make run`` start: events dispatched but never consumed (their queue did not survive the restart)
are delivered again, once per subscription still missing its receipt."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.events.catalogue import TICKET_COUNTERS, Subscription, Topic

# Only the subscription these tests consume: the catalogue's others would be redelivered too.
COUNTERS_ONLY = {TICKET_COUNTERS.name: TICKET_COUNTERS}


def drain(queue: str) -> list[dict]:
    from chalicelib import aws

    url = aws.queue_url(queue)
    messages = []
    while batch := aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            aws.sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        messages += batch
    return messages


def consume_with_counters(messages: list[dict]) -> None:
    from functions.ticket_events_consumer import handler
    from infra.local.lambda_events import sqs_event

    if messages:
        handler(
            sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:deskflow-test-ticket-counters", "us-east-1"), None
        )


def event_ids(messages: list[dict]) -> list[str]:
    from chalicelib.events.messages import envelope_from_message

    return sorted(envelope_from_message(message["Body"])["id"] for message in messages)


# The counters consumer is the one these tests drive; other subscriptions (outgoing webhooks, ...) keep
# their own receipts and are left out, so each test sees only what it consumed.
COUNTERS_ONLY = {TICKET_COUNTERS.name: TICKET_COUNTERS}


@pytest.fixture
def agent(workspace_id):
    return Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))


def test_dispatched_but_unconsumed_events_are_delivered_once_more_and_counters_end_right(aws, workspace_id, agent):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import create_ticket
    from infra.local.redelivery import redeliver_unconsumed

    for title in ("one", "two", "three"):
        create_ticket(workspace_id, agent, {"title": title}, None)
    publish_pending()
    consumed, lost_in_restart = (messages := drain(TICKET_COUNTERS.queue))[:1], messages[1:]
    consume_with_counters(consumed)

    report = redeliver_unconsumed(subscriptions=COUNTERS_ONLY)
    redelivered = drain(TICKET_COUNTERS.queue)
    consume_with_counters(redelivered)

    assert report == {TICKET_COUNTERS.name: 2}
    assert event_ids(redelivered) == event_ids(lost_in_restart)
    assert ticket_counts(workspace_id)["tickets_created"] == 3


def test_consumed_events_are_not_sent_again(aws, workspace_id, agent):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.tickets import create_ticket
    from infra.local.redelivery import redeliver_unconsumed

    create_ticket(workspace_id, agent, {"title": "Leak"}, None)
    publish_pending()
    consume_with_counters(drain(TICKET_COUNTERS.queue))

    assert redeliver_unconsumed(subscriptions=COUNTERS_ONLY) == {}
    assert drain(TICKET_COUNTERS.queue) == []


def test_events_not_yet_dispatched_are_left_to_the_publisher(aws, workspace_id, agent):
    from chalicelib.domain.tickets import create_ticket
    from infra.local.redelivery import redeliver_unconsumed

    create_ticket(workspace_id, agent, {"title": "Leak"}, None)

    assert redeliver_unconsumed() == {}


def test_events_older_than_the_window_are_not_sent_again(aws, workspace_id, agent):
    from chalicelib.clock import utcnow
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.tickets import create_ticket
    from infra.local.redelivery import WINDOW, redeliver_unconsumed

    create_ticket(workspace_id, agent, {"title": "Leak"}, None)
    publish_pending()
    drain(TICKET_COUNTERS.queue)

    assert redeliver_unconsumed(now=utcnow() + WINDOW + timedelta(minutes=1)) == {}


def test_only_the_subscription_missing_its_receipt_gets_the_event_again(aws, workspace_id):
    from chalicelib.domain.events import new_event, publish_pending
    from infra.bootstrap import ensure_queues, ensure_subscriptions
    from infra.local.redelivery import redeliver_unconsumed
    from infra.queues import subscription_queues

    audit = Subscription(name="audit-redelivery-test", topics=(Topic.TICKET_COMMENTED,), handler="-", logical_id="-")
    ensure_queues(subscription_queues({audit.name: audit}))
    ensure_subscriptions({audit.name: audit})
    both = {**COUNTERS_ONLY, audit.name: audit}
    new_event(Topic.TICKET_COMMENTED, workspace_id, "ticket", str(uuid.uuid4()), {}, None).save()
    publish_pending()
    consume_with_counters(drain(TICKET_COUNTERS.queue))
    (lost,) = drain(audit.queue)

    report = redeliver_unconsumed(subscriptions=both)

    assert report == {audit.name: 1}
    assert event_ids(drain(audit.queue)) == event_ids([lost])
    assert drain(TICKET_COUNTERS.queue) == []
