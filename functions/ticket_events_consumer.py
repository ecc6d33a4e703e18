"""SQS consumer for the ticket-events queue: per-workspace ticket counters.

Reports partial batch failures, so one bad message is retried (and lands in the DLQ after
``maxReceiveCount``) without redelivering the rest of its batch.
"""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.ticket_counters import apply_ticket_event
    from chalicelib.logs import get_logger

    event = json.loads(record.body)
    logger = get_logger()
    logger.append_keys(correlation_id=event.get("correlation_id"), event_id=event.get("id"))
    applied = apply_ticket_event(event)
    logger.info("ticket event consumed", extra={"event_type": event.get("type"), "duplicate": not applied})


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
