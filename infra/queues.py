"""SQS queues and the event topics each one carries. Every queue has a dead-letter queue."""

from __future__ import annotations

MAX_RECEIVE_COUNT = 5

QUEUES: dict[str, dict] = {
    "ticket-events": {
        "topics": (
            "ticket.created",
            "ticket.updated",
            "ticket.assigned",
            "ticket.status_changed",
            "ticket.commented",
            "ticket.deleted",
        ),
        "visibility_timeout": 30,
        "consumer": "ticket-counters",
    },
}


def dlq_name(queue: str) -> str:
    return f"{queue}-dlq"


def queue_for_topic(topic: str) -> str | None:
    for name, spec in QUEUES.items():
        if topic in spec["topics"]:
            return name
    return None
