"""What each deployed function may touch: the one declaration its IAM policies are generated from
(``infra/template.py``). Least privilege: a function gets its own tables, queues, bus and state machines
and nothing else. The queue that triggers a consumer is not listed here: the template grants polling on
it together with the event source.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.events.catalogue import EVENT_BUS


@dataclass(frozen=True)
class Access:
    reads: tuple[str, ...] = ()  # tables it only reads (infra/tables.py)
    writes: tuple[str, ...] = ()  # tables it reads and writes
    sends_to: tuple[str, ...] = ()  # queues (infra/queues.py, infra/flows.py)
    puts_events_on: tuple[str, ...] = ()  # event buses, by short name
    starts: tuple[str, ...] = ()  # state machines it starts (infra/flows.py)
    completes_tasks: bool = False  # answers task tokens (SendTaskSuccess/Failure cannot be scoped to a machine)
    files: bool = False  # the files bucket


# function logical id -> what it touches. Every function in the template must have an entry.
FUNCTION_ACCESS: dict[str, Access] = {
    "SystemApiFunction": Access(),  # health and the OpenAPI document
    # Login (and its throttle), users, workspaces; idempotency records for mutating routes.
    "DirectoryApiFunction": Access(writes=("directory", "idempotency")),
    # Tickets with their outbox events; directory: assignee roles and OIDC users' first-sign-in provisioning.
    "TicketsApiFunction": Access(writes=("tickets", "events", "idempotency", "directory")),
    # Counters plus a receipt per event, in one transaction.
    "TicketEventsConsumerFunction": Access(writes=("events", "metrics")),
    # The outbox sweep and the stream relay: read undispatched events, put them on the bus, mark them.
    "OutboxPublisherFunction": Access(writes=("events",), puts_events_on=(EVENT_BUS,)),
    "OutboxRelayFunction": Access(writes=("events",), puts_events_on=(EVENT_BUS,)),
    "ScheduledRunsConsumerFunction": Access(writes=("metrics",)),
    # Integration settings (directory) and webhooks: tickets changed with their outbox events, the
    # webhooks table's delivery records, links and subscriptions; audit rows for settings changes.
    "IntegrationsApiFunction": Access(writes=("tickets", "events", "idempotency", "audit", "directory", "webhooks")),
    # Outgoing webhooks: reads subscriptions, records each delivery attempt.
    "OutgoingWebhooksConsumerFunction": Access(writes=("webhooks",)),
}
