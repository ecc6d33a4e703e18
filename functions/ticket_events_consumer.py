"""SQS consumer for the ticket-events queue: per-workspace ticket counters.

Reports partial batch failures, so one bad message is retried (and lands in the DLQ after
``maxReceiveCount``) without redelivering the rest of its batch.
"""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.ticket_counters import apply_ticket_event

    apply_ticket_event(json.loads(record.body))


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
