"""SQS consumer for the workflow-runs queue, fed by the ``workflow-run`` state machine: keeps an attempt's task
token on its workflow execution (``await_agent``) or marks an attempt the agent never answered as timed out
(``timed_out``). Reports partial batch failures; both are idempotent."""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain import workflow_executions
    from chalicelib.logs import get_logger

    message = json.loads(record.body)
    kind = message.get("kind")
    handlers = {"await_agent": workflow_executions.keep_task_token, "timed_out": workflow_executions.mark_timed_out}
    if kind not in handlers:
        raise ValueError(f"not a workflow-run message: kind {kind!r}")
    applied = handlers[kind](message)
    get_logger().info(
        "workflow run message consumed",
        extra={
            "kind": kind,
            "execution_id": message.get("execution_id"),
            "workspace_id": message.get("workspace_id"),
            "attempt": message.get("attempt"),
            "applied": applied,
        },
    )


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
