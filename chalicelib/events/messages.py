"""The shapes an event takes on the wire: the EventBridge ``PutEvents`` entry the publisher sends, and
the SQS message a subscription's consumer receives (the EventBridge event, whose ``detail`` is the
Deskflow envelope)."""

from __future__ import annotations

import json

from chalicelib.events.catalogue import EVENT_BUS, EVENT_SOURCE
from chalicelib.models.sizing import compact_json
from chalicelib.settings import get_settings

# EventBridge counts an entry as its Source, DetailType, Detail and Resources in UTF-8 bytes plus
# 14 for Time, and refuses a PutEvents call over 256 KiB in total.
PUT_EVENTS_MAX_BYTES = 256 * 1024
PUT_EVENTS_MAX_ENTRIES = 10
_TIME_BYTES = 14


def event_bus_name() -> str:
    return f"{get_settings().table_prefix}-{EVENT_BUS}"


def put_events_entry(envelope: dict) -> dict:
    return {
        "EventBusName": event_bus_name(),
        "Source": EVENT_SOURCE,
        "DetailType": envelope["type"],
        "Detail": compact_json(envelope),
    }


def entry_size(entry: dict) -> int:
    return _TIME_BYTES + sum(len(entry[name].encode()) for name in ("Source", "DetailType", "Detail"))


def batches(entries: list[dict]) -> list[list[int]]:
    """Positions of ``entries`` grouped into PutEvents calls (≤ 10 entries and ≤ 256 KiB each)."""
    groups: list[list[int]] = []
    size = 0
    for position, entry in enumerate(entries):
        this = entry_size(entry)
        if not groups or len(groups[-1]) == PUT_EVENTS_MAX_ENTRIES or size + this > PUT_EVENTS_MAX_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(position)
        size += this
    return groups


def as_bus_event(envelope: dict, region: str, account: str, event_id: str) -> dict:
    """The EventBridge event a rule delivers for ``envelope`` (what redelivery re-sends to a queue)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": envelope["type"],
        "source": EVENT_SOURCE,
        "account": account,
        "time": envelope["occurred_at"][:19] + "Z",
        "region": region,
        "resources": [],
        "detail": envelope,
    }


def envelope_from_message(body: str) -> dict:
    """The Deskflow envelope in an SQS message body (an EventBridge event, or a bare envelope).

    Raises ValueError for a body that is neither (the consumer reports it failed; it ends in the DLQ).
    """
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ValueError("event message is not a JSON object")
    envelope = message["detail"] if "detail-type" in message and "detail" in message else message
    if not isinstance(envelope, dict) or not {"id", "type", "workspace_id"} <= set(envelope):
        raise ValueError("event message carries no Deskflow envelope")
    return envelope
