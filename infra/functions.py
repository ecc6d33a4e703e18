"""The Lambda functions Deskflow deploys: one per API route family, the SQS consumers and the
scheduled jobs. The template and the local runtime both read this list."""

from __future__ import annotations

# family name (as given to ``blueprint_routes``) -> entry module exposing a Chalice ``app``
API_FUNCTIONS: dict[str, dict] = {
    "system": {"logical_id": "SystemApiFunction", "module": "functions.system_api"},
    "directory": {"logical_id": "DirectoryApiFunction", "module": "functions.directory_api"},
    "tickets": {"logical_id": "TicketsApiFunction", "module": "functions.tickets_api"},
}

# queue short name -> consumer entry (a Powertools batch handler reporting partial failures)
CONSUMERS: dict[str, dict] = {
    "ticket-events": {
        "logical_id": "TicketEventsConsumerFunction",
        "module": "functions.ticket_events_consumer",
        "batch_size": 10,
    },
}

# Scheduled handlers. ``rate`` is the EventBridge expression deployed on AWS; ``local_seconds`` is
# how often the local runtime fires it (moto stores schedules but never fires them).
SCHEDULES: dict[str, dict] = {
    "outbox-publisher": {
        "logical_id": "OutboxPublisherFunction",
        "module": "functions.outbox_publisher",
        "rate": "rate(1 minute)",
        "local_seconds": 1.0,
    },
}
