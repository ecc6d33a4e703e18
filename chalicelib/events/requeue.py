"""Put a message back on a subscription's queue (the retry of a dead-lettered message)."""

from __future__ import annotations

from chalicelib import aws


def send(queue: str, body: str) -> str:
    """Send ``body`` to the queue called ``queue`` (short name); return the new message id."""
    return aws.sqs().send_message(QueueUrl=aws.queue_url(queue), MessageBody=body)["MessageId"]
