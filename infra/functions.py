"""The Lambda functions Deskflow deploys: one per API route family, the SQS consumers (from the event
catalogue), the scheduled jobs and the stream handlers. The template and the local runtime both read
this list."""

from __future__ import annotations

from chalicelib.events.catalogue import SUBSCRIPTIONS
from infra.flows import TASK_CONSUMERS

# family name (as given to ``blueprint_routes``) -> entry module exposing a Chalice ``app``
API_FUNCTIONS: dict[str, dict] = {
    "system": {"logical_id": "SystemApiFunction", "module": "functions.system_api"},
    "directory": {"logical_id": "DirectoryApiFunction", "module": "functions.directory_api"},
    "tickets": {"logical_id": "TicketsApiFunction", "module": "functions.tickets_api"},
    "ticket_extras": {"logical_id": "TicketExtrasApiFunction", "module": "functions.ticket_extras_api"},
    "integrations": {"logical_id": "IntegrationsApiFunction", "module": "functions.integrations_api"},
    "approvals": {"logical_id": "ApprovalsApiFunction", "module": "functions.approvals_api"},
    "workflows": {"logical_id": "WorkflowsApiFunction", "module": "functions.workflows_api"},
    "sla": {"logical_id": "SlaApiFunction", "module": "functions.sla_api"},
    "admin": {"logical_id": "AdminApiFunction", "module": "functions.admin_api"},
    "people": {"logical_id": "PeopleApiFunction", "module": "functions.people_api"},
    "intake": {"logical_id": "IntakeApiFunction", "module": "functions.intake_api"},
    "ai": {"logical_id": "AiApiFunction", "module": "functions.ai_api"},
}

# subscription name (or a state machine's task queue, infra/flows.py) -> its consumer (a Powertools batch
# handler reporting partial failures), as the event catalogue declares it; a subscription's queue has
# the subscription's name.
CONSUMERS: dict[str, dict] = {
    name: {
        "logical_id": subscription.logical_id,
        "module": subscription.handler,
        "batch_size": subscription.batch_size,
        "queue": subscription.queue,
    }
    for name, subscription in SUBSCRIPTIONS.items()
} | {queue: {**consumer, "queue": queue} for queue, consumer in TASK_CONSUMERS.items()}

# Handlers woken by a table's stream (on AWS only: the local runtime relies on the schedules).
STREAM_HANDLERS: dict[str, dict] = {
    "outbox-relay": {
        "logical_id": "OutboxRelayFunction",
        "module": "functions.outbox_relay",
        "table": "events",
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
    # AI (issue 11): workspaces with enough new labels get a training job (chalicelib.domain.ai_training).
    "ai-retrain": {
        "logical_id": "AiRetrainScheduleFunction",
        "module": "functions.ai_retrain_schedule",
        "rate": "rate(1 hour)",
        "local_seconds": 30.0,
    },
    "sla-sweep": {
        "logical_id": "SlaSweepFunction",
        "module": "functions.sla_sweep",
        "rate": "rate(1 minute)",
        "local_seconds": 2.0,
    },
}
