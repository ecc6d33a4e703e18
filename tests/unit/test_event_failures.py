"""A poison message ends in its subscription's DLQ without blocking its batch, is recorded with its
error on its last receive, is listed for the workspace's admins, and can be retried."""

from __future__ import annotations

import json
import uuid

from chalicelib.events.catalogue import MAX_RECEIVE_COUNT, TICKET_COUNTERS
from tests.routes.http_helpers import call
from tests.unit.test_event_delivery import drain, lambda_event


def envelope(workspace_id: str, data: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": "ticket.created",
        "workspace_id": workspace_id,
        "occurred_at": "2026-11-23T10:00:00.000000Z",
        "subject": {"type": "ticket", "id": "t-1"},
        "data": data,
    }


GOOD = {"ticket": {"status": "new"}}
POISON = {}  # a ticket.created without its ticket: the counters consumer raises KeyError


def send(workspace_id: str, data: dict) -> None:
    from chalicelib import aws

    aws.sqs().send_message(
        QueueUrl=aws.queue_url(TICKET_COUNTERS.queue), MessageBody=json.dumps(envelope(workspace_id, data))
    )


def failed_ids(messages: list[dict]) -> list[str]:
    """The ids the consumer reports failed (a batch where every record failed raises instead, and
    Lambda retries all of it)."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from functions.ticket_events_consumer import handler

    try:
        return [item["itemIdentifier"] for item in handler(lambda_event(messages), None)["batchItemFailures"]]
    except BatchProcessingError:
        return [message["MessageId"] for message in messages]


def deliver_until_dead_lettered() -> list[list[str]]:
    """Run the consumer as Lambda's event source mapping would, making a failed message visible again
    at once instead of after its visibility timeout; returns the failed ids of each round."""
    from chalicelib import aws

    url = aws.queue_url(TICKET_COUNTERS.queue)
    rounds = []
    for _ in range(MAX_RECEIVE_COUNT + 2):
        messages = aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        messages = messages.get("Messages", [])
        if not messages:
            break
        failed = failed_ids(messages)
        rounds.append(failed)
        for message in messages:
            if message["MessageId"] in failed:
                aws.sqs().change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                aws.sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return rounds


def test_a_poison_message_fails_alone_and_ends_in_the_dlq_with_its_error_recorded(aws, workspace_id):
    from chalicelib.domain.event_failures import list_failures
    from chalicelib.domain.ticket_counters import ticket_counts

    send(workspace_id, GOOD)
    send(workspace_id, POISON)

    rounds = deliver_until_dead_lettered()
    failures, _ = list_failures(workspace_id, 10, None)

    assert len(rounds) == MAX_RECEIVE_COUNT and all(len(failed) == 1 for failed in rounds)
    assert ticket_counts(workspace_id)["tickets_created"] == 1  # the good one was applied once
    assert len(drain(TICKET_COUNTERS.dead_letter_queue)) == 1
    assert [(f["consumer"], f["receive_count"]) for f in failures] == [(TICKET_COUNTERS.name, MAX_RECEIVE_COUNT)]
    assert failures[0]["error"].startswith("KeyError")


def test_a_failure_before_the_last_receive_is_not_recorded(aws, workspace_id):
    from chalicelib.domain.event_failures import list_failures

    send(workspace_id, POISON)
    messages = drain(TICKET_COUNTERS.queue)

    assert len(failed_ids(messages)) == 1
    assert list_failures(workspace_id, 10, None)[0] == []


def test_an_admin_lists_and_retries_a_dead_lettered_message(client, as_role, workspace_id):
    send(workspace_id, POISON)
    deliver_until_dead_lettered()
    admin = as_role("admin")
    (failure,) = call(client, "GET", "/api/v1/events/failures", admin).json["data"]

    retried = call(client, "POST", f"/api/v1/events/failures/{failure['id']}/retry", admin)

    assert retried.status_code == 200, retried.body
    assert retried.json["retries"] == 1
    (requeued,) = drain(TICKET_COUNTERS.queue)
    assert json.loads(requeued["Body"])["id"] == failure["event_id"]


def test_another_workspace_cannot_see_or_retry_a_failure(client, as_role, workspace_id):
    send(workspace_id, POISON)
    deliver_until_dead_lettered()
    (failure,) = call(client, "GET", "/api/v1/events/failures", as_role("admin")).json["data"]
    other = as_role("admin", workspace="ws-elsewhere")

    assert call(client, "GET", "/api/v1/events/failures", other).json["data"] == []
    assert call(client, "POST", f"/api/v1/events/failures/{failure['id']}/retry", other).status_code == 404
