"""Outbox publisher: delivers undispatched events to their topic queues.

Fired by the schedule (and, on AWS, by the events table's stream); either way it drains the
sparse ``undispatched`` index, so a missed trigger only delays delivery.
"""


def handler(event, context):
    from chalicelib.domain.events import publish_pending

    return {"published": publish_pending()}
