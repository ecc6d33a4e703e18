"""Outbox relay, woken on AWS by the events table's stream (NEW_IMAGE).

Publishes the events in its own batch of stream records, so delivery does not wait for the
eventually consistent ``undispatched`` index. Only INSERTs of undispatched events are relayed (the
template's filter already drops the rest: receipts, and the MODIFY that marks an event dispatched).
A record the bus refuses stays undispatched, and the scheduled sweep (``outbox_publisher``) sends it.
"""


def handler(event, context):
    from chalicelib.domain.events import publish
    from chalicelib.models.events import undispatched_event_from_image

    inserted = (
        record["dynamodb"].get("NewImage") or {}
        for record in event.get("Records", [])
        if record.get("eventName") == "INSERT"
    )
    events = [item for item in map(undispatched_event_from_image, inserted) if item is not None]
    return {"published": publish(events)}
