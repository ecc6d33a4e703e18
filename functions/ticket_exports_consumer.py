"""SQS consumer of the ``ticket-exports`` subscription: runs ticket export jobs into the files bucket.

Reports partial batch failures, so one bad message is retried (and lands in the subscription's DLQ
after ``MAX_RECEIVE_COUNT`` receives) without redelivering the rest of its batch.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.ticket_exports import CONSUMER, run_export_job
    from chalicelib.events.consumer import consume_record

    consume_record(record, CONSUMER, run_export_job)


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
