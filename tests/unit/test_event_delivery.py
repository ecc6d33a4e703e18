"""Outbox → queue → consumer: at-least-once delivery made exactly-once in effect."""

from __future__ import annotations

import json

import pytest

from chalicelib.auth.principal import Principal


@pytest.fixture
def agent(workspace_id):
    return Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))


def _drain(queue: str = "ticket-events") -> list[dict]:
    from chalicelib import aws

    messages = []
    while True:
        batch = aws.sqs().receive_message(QueueUrl=aws.queue_url(queue), MaxNumberOfMessages=10, VisibilityTimeout=0)
        if not batch.get("Messages"):
            return messages
        for message in batch["Messages"]:
            aws.sqs().delete_message(QueueUrl=aws.queue_url(queue), ReceiptHandle=message["ReceiptHandle"])
            messages.append(message)


def _sqs_event(messages: list[dict]) -> dict:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:ticket-events",
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


def test_the_publisher_delivers_each_event_once_to_its_topic_queue(aws, workspace_id, agent):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.tickets import create_ticket

    ticket = create_ticket(workspace_id, agent, {"title": "Leak"}, "corr-1")

    first_run = publish_pending()
    second_run = publish_pending()
    messages = _drain()

    assert (first_run, second_run) == (1, 0)
    envelope = json.loads(messages[0]["Body"])
    assert envelope["type"] == "ticket.created"
    assert envelope["workspace_id"] == workspace_id
    assert envelope["correlation_id"] == "corr-1"
    assert envelope["subject"] == {"type": "ticket", "id": ticket["id"]}
    assert set(envelope) == {"id", "type", "workspace_id", "occurred_at", "correlation_id", "subject", "data"}


def test_the_consumer_counts_tickets_and_ignores_redelivery(aws, workspace_id, agent):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import change_status, create_ticket
    from functions.ticket_events_consumer import handler

    ticket = create_ticket(workspace_id, agent, {"title": "Leak"}, None)
    change_status(workspace_id, agent, ticket["id"], "open", None, None)
    publish_pending()
    event = _sqs_event(_drain())

    first = handler(event, None)
    redelivered = handler(event, None)

    assert first == redelivered == {"batchItemFailures": []}
    counts = ticket_counts(workspace_id)
    assert counts["tickets_created"] == 1
    assert (counts["status_new"], counts["status_open"]) == (0, 1)


def test_a_poison_message_is_reported_alone_so_the_rest_of_the_batch_is_not_retried(aws, workspace_id, agent):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import create_ticket
    from functions.ticket_events_consumer import handler

    create_ticket(workspace_id, agent, {"title": "Leak"}, None)
    publish_pending()
    event = _sqs_event(_drain())
    poison = dict(event["Records"][0], messageId="poison-1", body="{not json")
    event["Records"].append(poison)

    result = handler(event, None)

    assert result == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}
    assert ticket_counts(workspace_id)["tickets_created"] == 1


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue(aws):
    from chalicelib import aws as clients
    from infra.queues import MAX_RECEIVE_COUNT

    url = clients.queue_url("ticket-events")
    clients.sqs().send_message(QueueUrl=url, MessageBody="{not json")

    for _ in range(MAX_RECEIVE_COUNT + 1):
        clients.sqs().receive_message(QueueUrl=url, VisibilityTimeout=0)

    dead = clients.sqs().receive_message(QueueUrl=clients.queue_url("ticket-events-dlq"))
    assert [message["Body"] for message in dead["Messages"]] == ["{not json"]


def test_deleting_a_ticket_moves_its_status_count_down(aws, workspace_id):
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_counters import ticket_counts
    from chalicelib.domain.tickets import create_ticket, delete_ticket
    from functions.ticket_events_consumer import handler

    admin = Principal("admin-1", "admin@example.com", frozenset({"admin"}), (workspace_id,))
    ticket = create_ticket(workspace_id, admin, {"title": "Leak"}, None)
    delete_ticket(workspace_id, admin, ticket["id"], None)
    publish_pending()

    handler(_sqs_event(_drain()), None)

    counts = ticket_counts(workspace_id)
    assert (counts["tickets_created"], counts["tickets_deleted"], counts["status_new"]) == (1, 1, 0)


def test_the_scheduled_publisher_handler_reports_what_it_sent(aws, workspace_id, agent):
    from chalicelib.domain.tickets import create_ticket
    from functions.outbox_publisher import handler

    create_ticket(workspace_id, agent, {"title": "Leak"}, None)

    assert handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None) == {"published": 1}
