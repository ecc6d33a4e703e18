"""Outbox sweep: publishes what the sparse ``undispatched`` index still holds to the event bus.

Fired by the schedule. On AWS the stream relay (``outbox_relay``) publishes almost every event first,
so this is the safety net; locally, where no stream wakes anything, it is the publisher.
"""


def handler(event, context):
    from chalicelib.domain.events import publish_pending

    return {"published": publish_pending()}
