"""What each deployed function may touch: the one declaration its IAM policies are generated from
(``infra/template.py``). Least privilege: a function gets its own tables, queues, bus and state machines
and nothing else. The queue that triggers a consumer is not listed here: the template grants polling on
it together with the event source.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.events.catalogue import EVENT_BUS, SUBSCRIPTIONS


@dataclass(frozen=True)
class Access:
    reads: tuple[str, ...] = ()  # tables it only reads (infra/tables.py)
    writes: tuple[str, ...] = ()  # tables it reads and writes
    sends_to: tuple[str, ...] = ()  # queues (infra/queues.py, infra/flows.py)
    puts_events_on: tuple[str, ...] = ()  # event buses, by short name
    starts: tuple[str, ...] = ()  # state machines it starts (infra/flows.py)
    completes_tasks: bool = False  # answers task tokens (SendTaskSuccess/Failure cannot be scoped to a machine)
    files: bool = False  # the files bucket
    invokes_models: bool = False  # Amazon Bedrock (an AI provider a workspace may configure)


# function logical id -> what it touches. Every function in the template must have an entry.
FUNCTION_ACCESS: dict[str, Access] = {
    "SystemApiFunction": Access(),  # health and the OpenAPI document
    # Login (and its throttle), users, workspaces; idempotency records for mutating routes.
    "DirectoryApiFunction": Access(writes=("directory", "idempotency", "audit")),
    # Tickets with their outbox events; directory: assignee roles and OIDC users' first-sign-in provisioning.
    # Export jobs (jobs) and their presigned downloads (files); CSAT submissions write audit rows.
    "TicketsApiFunction": Access(
        writes=("tickets", "events", "idempotency", "directory", "jobs", "audit", "notifications", "sla"),
        reads=("intake", "metrics"),  # RACI rules and assignee loads, to route a ticket created with auto_assign
        files=True,
    ),
    # Exports (jobs, files), CSAT answers (tickets, audit) and the notification feed.
    "TicketExtrasApiFunction": Access(
        writes=("tickets", "events", "idempotency", "directory", "jobs", "audit", "notifications", "sla"), files=True
    ),
    "AdminApiFunction": Access(writes=("directory", "idempotency", "audit"), reads=("metrics",)),
    # Counters plus a receipt per event, in one transaction.
    "TicketEventsConsumerFunction": Access(writes=("events", "metrics")),
    # The outbox sweep and the stream relay: read undispatched events, put them on the bus, mark them.
    "OutboxPublisherFunction": Access(writes=("events",), puts_events_on=(EVENT_BUS,)),
    "OutboxRelayFunction": Access(writes=("events",), puts_events_on=(EVENT_BUS,)),
    "ScheduledRunsConsumerFunction": Access(writes=("metrics",)),
    # Workflow definitions and their audit.
    # Tasks: their moves write history, load counters, outbox events; transfers check the member's roles.
    # Agent workflow executions (webhooks table): start, retry and stop workflow-run executions.
    "WorkflowsApiFunction": Access(
        writes=("workflows", "idempotency", "audit", "events", "webhooks"),
        reads=("directory",),
        starts=("workflow-run",),
    ),
    # Keeps a workflow-run attempt's task token on its execution, or marks the attempt timed out.
    "WorkflowRunsConsumerFunction": Access(writes=("webhooks", "events", "audit")),
    # Changes with their ticket notes, events and audit; starts and resumes approval executions.
    "ApprovalsApiFunction": Access(
        writes=("changes", "tickets", "events", "idempotency", "audit", "directory", "sla"),
        starts=("change-approval",),
        completes_tasks=True,
    ),
    # An access request's decision: its tickets change (with their events); directory: member roles.
    "AccessGrantsConsumerFunction": Access(writes=("tickets", "events", "directory", "audit", "sla")),
    "ChangeApprovalsConsumerFunction": Access(writes=("changes", "tickets", "events", "audit"), completes_tasks=True),
    # Event feed, outbox view, dead letters (retry re-sends to a subscription's queue); ingest and the
    # GitHub webhook open or change tickets (alert records, audit rows, SLA timers); integration settings
    # (directory); the webhooks table's delivery records, links and subscriptions.
    "IntegrationsApiFunction": Access(
        writes=("events", "idempotency", "tickets", "audit", "directory", "sla", "webhooks"),
        sends_to=tuple(sorted(SUBSCRIPTIONS)),
        completes_tasks=True,  # an agent's callback resumes or fails its workflow-run execution
    ),
    # Outgoing webhooks: reads subscriptions, records each delivery attempt, a receipt per event.
    "OutgoingWebhooksConsumerFunction": Access(writes=("webhooks", "events")),
    # Ticket exports: reads the tickets, writes the CSV to the files bucket, moves the job (and its receipt).
    "TicketExportsConsumerFunction": Access(reads=("tickets",), writes=("jobs", "events"), files=True),
    # Notifications plus a receipt per event; reads the ticket, its watchers and the recipients' roles.
    "NotificationsConsumerFunction": Access(reads=("tickets", "directory"), writes=("notifications", "events")),
    # SLA engine (issue 8). The sweep and the escalation consumer change tickets (with history, outbox
    # event and audit row) and the SLA table's timers, breach and escalation records.
    "SlaApiFunction": Access(writes=("tickets", "events", "idempotency", "audit", "sla")),
    "SlaSweepFunction": Access(writes=("tickets", "events", "audit", "sla")),
    "SlaEscalationStarterFunction": Access(starts=("sla-escalation",)),
    "SlaEscalationConsumerFunction": Access(writes=("tickets", "events", "audit", "sla"), completes_tasks=True),
    # Workflow tasks: a task (with its history, load counters, outbox event and audit row) per new ticket
    # whose category has an active workflow; reads the ticket's workflow and the step role's members.
    "WorkflowTasksConsumerFunction": Access(reads=("directory",), writes=("workflows", "events", "audit")),
    # One audit row per ticket change event, keyed by the event id.
    "AuditTrailConsumerFunction": Access(writes=("audit",)),
    # Requesters, teams, technicians, buildings (directory table), each change with its audit row.
    "PeopleApiFunction": Access(writes=("directory", "idempotency", "audit")),
    # Intake channels (issue 11): chat and image tickets (with their events, SLA timers, attachments in
    # the files bucket), their classification logs and intake sessions; assignees' load for routing.
    "IntakeApiFunction": Access(
        writes=("tickets", "events", "idempotency", "directory", "audit", "sla", "intake"),
        reads=("metrics",),
        files=True,
        invokes_models=True,
    ),
    # AI triage: the triage queue and training labels (intake), a receipt per event (events); reads the
    # ticket whose category changed and the workspace's config (directory).
    "AiTriageConsumerFunction": Access(reads=("tickets", "directory"), writes=("intake", "events")),
    # Training: reads labels, writes the model record and counters (intake), the job and its receipt,
    # the weights into the files bucket.
    "AiTrainingConsumerFunction": Access(reads=("directory",), writes=("intake", "jobs", "events"), files=True),
    # The retraining schedule: due workspaces get a job (job, outbox event, audit row).
    "AiRetrainScheduleFunction": Access(writes=("intake", "jobs", "events", "audit")),
    # Classification, AI logs and feedback, training jobs (jobs, events), models in the files bucket;
    # RACI groups and rules; system metrics read the counters.
    "AiApiFunction": Access(
        writes=("intake", "idempotency", "audit", "jobs", "events"),
        reads=("metrics", "directory", "tickets"),
        files=True,
        invokes_models=True,
    ),
}
