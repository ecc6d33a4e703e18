"""SQS consumer of the ``sla-escalation-starts`` subscription: each ``ticket.sla_breached`` event starts
the escalation state machine for its ticket and target (named after them, so a redelivery starts nothing).

Reports partial batch failures.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.sla_escalation import start_escalation
    from chalicelib.events.catalogue import SLA_ESCALATION_STARTS
    from chalicelib.events.consumer import consume_record

    consume_record(record, SLA_ESCALATION_STARTS.name, start_escalation)


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
