"""SQS consumer of the ``outgoing-webhooks`` subscription: posts each event to the workspace's webhook
subscriptions (``chalicelib.domain.outgoing_webhooks``).

Reports partial batch failures. A message owed a retry (a receiver answered 5xx or timed out) is
reported failed after its visibility timeout is stretched to the backoff, so SQS hands it back later
with a higher receive count; the domain gives up (records ``failed``) at the last receive before the DLQ.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

# A whole batch owed retries is routine here (a receiver is down), not a function error: report every
# record failed instead of raising, so the backoff set on each message decides when it comes back.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record) -> None:
    from chalicelib.domain.outgoing_webhooks import CONSUMER, RetryLater, deliver_event
    from chalicelib.events.backoff import redeliver_after
    from chalicelib.events.consumer import consume

    attempt = int(record.attributes.get("ApproximateReceiveCount") or 1)
    try:
        consume(record.body, CONSUMER, lambda envelope: deliver_event(envelope, attempt), attempt)
    except RetryLater as retry:
        redeliver_after(CONSUMER, record.receipt_handle, retry.seconds)
        raise


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
