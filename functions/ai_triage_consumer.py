"""SQS consumer of the ``ai-triage`` subscription (chalicelib.domain.ai_triage). Reports partial batch failures."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.ai_triage import apply_event
    from chalicelib.events.catalogue import AI_TRIAGE
    from chalicelib.events.consumer import consume_record

    consume_record(record, AI_TRIAGE.name, apply_event)


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
