"""SQS consumer of the ``audit-trail`` subscription: one audit row per ticket change event (keyed by the event
id, so a redelivery writes nothing). Reports partial batch failures."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.audit_trail import record_ticket_event
    from chalicelib.events.catalogue import AUDIT_TRAIL
    from chalicelib.events.consumer import consume_record

    consume_record(record, AUDIT_TRAIL.name, record_ticket_event)


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
