"""The event bus adapter: sends envelopes with EventBridge ``PutEvents`` and says which ones it accepted."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.events.messages import batches, put_events_entry
from chalicelib.logs import get_logger


def send(envelopes: list[dict]) -> list[bool]:
    """Put each envelope on the bus (≤ 10 entries and ≤ 256 KiB per call); return, in order, whether the
    bus accepted it. A refused entry is logged and left to the caller to retry."""
    entries = [put_events_entry(envelope) for envelope in envelopes]
    accepted = [False] * len(entries)
    for positions in batches(entries):
        response = aws.events().put_events(Entries=[entries[position] for position in positions])
        # Results come back in request order; a refused entry has an ErrorCode and no EventId.
        for position, result in zip(positions, response["Entries"], strict=True):
            accepted[position] = bool(result.get("EventId")) and not result.get("ErrorCode")
            if not accepted[position]:
                get_logger().warning(
                    "event not accepted by the bus",
                    extra={
                        "event_id": envelopes[position]["id"],
                        "event_type": envelopes[position]["type"],
                        "error_code": result.get("ErrorCode"),
                        "error_message": result.get("ErrorMessage"),
                    },
                )
    return accepted
