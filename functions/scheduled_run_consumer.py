"""SQS consumer for the scheduled-runs queue, fed by the ``scheduled-run`` state machine.

Reports partial batch failures; a redelivered run is recorded once (the record's key is the run id).
"""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.scheduled_runs import record_run
    from chalicelib.logs import get_logger

    message = json.loads(record.body)
    logger = get_logger()
    logger.thread_safe_append_keys(run_id=message.get("run_id"), workspace_id=message.get("workspace_id"))
    recorded = record_run(message)
    logger.info("scheduled run consumed", extra={"duplicate": not recorded})


def handler(event, context):
    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        from chalicelib.logs import get_logger

        get_logger().thread_safe_clear_keys()
