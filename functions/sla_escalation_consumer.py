"""SQS consumer of the ``sla-escalations`` task queue, fed by the ``sla-escalation`` state machine: escalates
the ticket one level (unless it has ended) and answers the machine's task token with how to go on.

Reports partial batch failures; a redelivered step escalates nothing twice (the level only rises).
"""

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.sla_escalation import run_step
    from chalicelib.flows import complete_task

    message = json.loads(record.body)
    complete_task(message["task_token"], run_step(message))


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
