"""SQS consumer of the ``notifications`` subscription: each user's notification feed.

Reports partial batch failures, so one bad message is retried (and lands in the subscription's DLQ
after ``MAX_RECEIVE_COUNT`` receives) without redelivering the rest of its batch.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.notifications import CONSUMER, apply_notification_event
    from chalicelib.events.consumer import consume_record

    consume_record(record, CONSUMER, apply_notification_event)


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
