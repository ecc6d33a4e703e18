"""The events Lambda's SQS event-source mapping and EventBridge schedules hand to a function, and
how the SQS mapping reads a partial-batch response (``ReportBatchItemFailures``)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

from infra.local.lambda_context import LOCAL_ACCOUNT_ID


def sqs_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    """``messages`` as ReceiveMessage returns them (boto3 shape) → the Lambda SQS event."""
    return {"Records": [_sqs_record(message, queue_arn, region) for message in messages]}


def _sqs_record(message: dict, queue_arn: str, region: str) -> dict:
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {name: str(value) for name, value in (message.get("Attributes") or {}).items()},
        "messageAttributes": {
            name: _message_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: dict) -> dict:
    """SQS API shape (StringValue, BinaryValue bytes) → Lambda shape (stringValue, binaryValue base64)."""
    shaped = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [_b64(item) for item in value.get("BinaryListValues") or []],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = _b64(value["BinaryValue"])
    return shaped


def _b64(data) -> str:
    return base64.b64encode(data if isinstance(data, bytes) else str(data).encode()).decode("ascii")


def failed_message_ids(result, message_ids: list[str]) -> set[str]:
    """Which messages to keep after a handler returned ``result``, following Lambda's rules: no
    response, an empty one or an empty ``batchItemFailures`` is full success; a malformed response or an
    ``itemIdentifier`` that is not in the batch fails the whole batch."""
    everything = set(message_ids)
    if result is None:
        return set()
    if not isinstance(result, dict):
        return everything
    failures = result.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return everything
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in everything:
            return everything
        failed.add(identifier)
    return failed


def scheduled_event(rule_name: str, region: str, now: datetime | None = None) -> dict:
    """What an EventBridge schedule (``rate(...)``) delivers to its target."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT_ID,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{LOCAL_ACCOUNT_ID}:rule/{rule_name}"],
        "detail": {},
    }
