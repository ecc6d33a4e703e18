"""Running the ``audit-trail`` consumer in-process: publish the outbox and hand its queue's messages to the
real handler, as the Lambda would get them (ticket changes get their audit rows this way)."""

from __future__ import annotations


def deliver_audit_trail() -> int:
    """Write the audit rows of every ticket event published so far; returns how many messages there were."""
    from chalicelib.domain.events import publish_pending
    from chalicelib.events.catalogue import AUDIT_TRAIL
    from functions.audit_trail_consumer import handler
    from tests.unit.test_event_delivery import drain, lambda_event

    publish_pending()
    messages = drain(AUDIT_TRAIL.queue)
    if messages:
        assert handler(lambda_event(messages, AUDIT_TRAIL.queue), None)["batchItemFailures"] == []
    return len(messages)
