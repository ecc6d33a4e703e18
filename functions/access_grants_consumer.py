"""SQS consumer of the ``access-grants`` subscription: carries out an access request's decision (the
child ticket resolved or cancelled, the original ticket back to work). Reports partial batch failures."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record) -> None:
    from chalicelib.domain.access_requests import carry_out
    from chalicelib.events.catalogue import ACCESS_GRANTS
    from chalicelib.events.consumer import consume_record

    consume_record(record, ACCESS_GRANTS.name, carry_out)


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
