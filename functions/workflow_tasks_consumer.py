"""SQS consumer of the ``workflow-tasks`` subscription: a new ticket whose category has an active workflow
gets its task at the start step. Reports partial batch failures."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.workflow_tasks import start_for_ticket
    from chalicelib.events.catalogue import WORKFLOW_TASKS
    from chalicelib.events.consumer import consume_record

    consume_record(record, WORKFLOW_TASKS.name, start_for_ticket)


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
