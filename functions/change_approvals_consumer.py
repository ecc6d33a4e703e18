"""SQS consumer for the change-approvals queue, fed by the ``change-approval`` state machine: keeps an
execution's task token beside its change (``await_decision``) or expires a change whose wait timed out
(``expire``). Reports partial batch failures; both are idempotent."""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain import changes
    from chalicelib.logs import get_logger

    message = json.loads(record.body)
    kind = message.get("kind")
    handlers = {"await_decision": changes.keep_task_token, "expire": changes.expire}
    if kind not in handlers:
        raise ValueError(f"not a change-approval message: kind {kind!r}")
    applied = handlers[kind](message)
    get_logger().info(
        "change approval message consumed",
        extra={
            "kind": kind,
            "change_id": message.get("change_id"),
            "workspace_id": message.get("workspace_id"),
            "applied": applied,
        },
    )


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
