"""SQS consumer of the ``ai-training`` subscription (chalicelib.domain.ai_training). Reports partial batch failures."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.ai_training import run_training_job
    from chalicelib.events.catalogue import AI_TRAINING
    from chalicelib.events.consumer import consume_record

    consume_record(record, AI_TRAINING.name, run_training_job)


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
