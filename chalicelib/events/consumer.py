"""What every subscription's consumer does with one SQS message: read the envelope, apply it once,
and log one line saying what it was and whether it was a redelivery."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.events.messages import envelope_from_message
from chalicelib.logs import get_logger


def consume_record(record, consumer: str, apply: Callable[[dict], bool]) -> dict:
    """``consume`` for a Powertools SQS record: on the message's last receive, a failure is recorded
    (``chalicelib.domain.event_failures``) before SQS moves the message to the DLQ."""
    receive_count = int(record.attributes.get("ApproximateReceiveCount") or 1)
    return consume(record.body, consumer, apply, receive_count)


def consume(body: str, consumer: str, apply: Callable[[dict], bool], receive_count: int = 1) -> dict:
    """Apply the event in ``body`` with ``apply`` (False means its receipt already existed) and log it.

    Raises what ``apply`` raises, or ValueError for a body with no envelope: the batch handler then
    reports the message failed, and after ``MAX_RECEIVE_COUNT`` receives it lands in the DLQ.
    """
    envelope = None
    try:
        envelope = envelope_from_message(body)
        applied = apply(envelope)
    except Exception as error:
        from chalicelib.domain import event_failures

        if event_failures.is_last_attempt(receive_count):
            event_failures.record_failure(consumer, body, envelope, error, receive_count)
        raise
    subject = envelope.get("subject") or {}
    # Per-line keys (``extra``), never ``append_keys``: that is process-wide, and the local runtime runs
    # consumers and API requests on threads of one process.
    get_logger().info(
        "event consumed",
        extra={
            "event_id": envelope["id"],
            "event_type": envelope["type"],
            "workspace_id": envelope["workspace_id"],
            "subject": f"{subject.get('type')}/{subject.get('id')}",
            "consumer": consumer,
            "duplicate": not applied,
            "correlation_id": envelope.get("correlation_id"),
        },
    )
    return envelope
