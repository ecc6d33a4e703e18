"""Delayed redelivery for consumers that retry through their queue: stretching a received message's
visibility timeout makes SQS hand it back after that many seconds instead of the queue's default."""

from __future__ import annotations

from chalicelib import aws

MAX_VISIBILITY_SECONDS = 12 * 60 * 60  # SQS's ceiling


def redeliver_after(queue: str, receipt_handle: str, seconds: int) -> None:
    """Make the message behind ``receipt_handle`` on ``queue`` (a short name) visible again in ``seconds``."""
    aws.sqs().change_message_visibility(
        QueueUrl=aws.queue_url(queue),
        ReceiptHandle=receipt_handle,
        VisibilityTimeout=max(0, min(int(seconds), MAX_VISIBILITY_SECONDS)),
    )
