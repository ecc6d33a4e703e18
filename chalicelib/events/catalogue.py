"""Every event topic and every subscription, in one place.

Domain code imports the topics (``Topic.TICKET_CREATED``); the publisher refuses a topic that is not
here. The bootstrap, ``template.yaml``, the local event runtime and the start-up redelivery are all
generated from ``SUBSCRIPTIONS``: a new consumer (SLA reactions, outgoing webhooks, search indexing,
AI triage, metrics) is one entry below plus its handler module.

Fan-out goes through one EventBridge bus rather than an SNS topic:
- routing is a rule per subscription matching on ``detail-type`` (the topic), declared in the same
  place as the subscription; SNS would need a filter policy on message attributes instead, and SNS's
  raw-delivery and filter semantics differ between moto, LocalStack and AWS more than EventBridge's;
- the Step Functions flows send with ``events:putEvents`` (DESIGN), so state machines and the outbox
  can publish to the same bus and the same rules route both;
- moto and LocalStack both deliver bus → rule → SQS target (``../shared/EMULATION.md``).
Each subscription still gets its own SQS queue with a DLQ, so consumers are retried, batched and
dead-lettered independently; a rule delivers the whole EventBridge event, whose ``detail`` is the
Deskflow envelope (``chalicelib.events.messages`` reads either shape).

Every consumer records a receipt keyed by (consumer, event id) in the same transaction as its
effect (``chalicelib.models.events.receipt_key``); the local runtime's redelivery at start relies on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

EVENT_SOURCE = "deskflow"  # the EventBridge ``source`` of every Deskflow event
EVENT_BUS = "events"  # short name; the bus is ``<DESKFLOW_TABLE_PREFIX>-events``
MAX_RECEIVE_COUNT = 5  # receives before a message moves to its subscription's DLQ


class Topic(StrEnum):
    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"
    TICKET_ASSIGNED = "ticket.assigned"
    TICKET_STATUS_CHANGED = "ticket.status_changed"
    TICKET_COMMENTED = "ticket.commented"
    TICKET_DELETED = "ticket.deleted"
    TICKET_SLA_WARNING = "ticket.sla_warning"
    TICKET_SLA_BREACHED = "ticket.sla_breached"
    TICKET_ESCALATED = "ticket.escalated"
    CHANGE_REQUESTED = "change.requested"
    CHANGE_APPROVED = "change.approved"
    CHANGE_REJECTED = "change.rejected"
    CHANGE_EXPIRED = "change.expired"
    CHANGE_COMPLETED = "change.completed"
    ALERT_TRIGGERED = "alert.triggered"
    INVOICE_OVERDUE = "invoice.overdue"
    PIPELINE_FAILED = "pipeline.failed"
    WORKFLOW_COMPLETED = "workflow.completed"
    ASSET_STATE_CHANGED = "asset.state_changed"
    # service desk (issue 7)
    TICKET_CSAT_REQUESTED = "ticket.csat_requested"
    TICKET_CSAT_SUBMITTED = "ticket.csat_submitted"
    EXPORT_REQUESTED = "export.requested"
    # Workflow tasks (issue 10): a ticket's walk through its category's workflow.
    TASK_CREATED = "task.created"
    TASK_TRANSITIONED = "task.transitioned"
    TASK_TRANSFERRED = "task.transferred"
    TASK_ESCALATED = "task.escalated"
    # AI (issue 11): a workspace's model is to be trained (by an admin, or the schedule once labels arrived).
    AI_TRAINING_REQUESTED = "ai.training_requested"


class UnknownTopic(ValueError):
    """An event was emitted with a topic the catalogue does not name (a programming error)."""


def topic(name: str) -> Topic:
    """The catalogue's topic called ``name``; raise UnknownTopic when there is none."""
    try:
        return Topic(name)
    except ValueError:
        raise UnknownTopic(f"event topic {name!r} is not in chalicelib/events/catalogue.py") from None


@dataclass(frozen=True)
class Subscription:
    """One consumer of events: its own rule on the bus, SQS queue (``name``) and DLQ (``<name>-dlq``).

    ``handler`` is the module whose ``handler`` receives SQS batches (Powertools, partial failures);
    ``visibility_timeout`` is at least six times the consumer function's timeout (the template's rule).
    """

    name: str
    topics: tuple[Topic, ...]
    handler: str
    logical_id: str
    batch_size: int = 10
    visibility_timeout: int = 30

    @property
    def queue(self) -> str:
        return self.name

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}-dlq"

    def wants(self, topic_name: str) -> bool:
        return topic_name in self.topics

    def event_pattern(self) -> dict:
        return {"source": [EVENT_SOURCE], "detail-type": sorted(str(name) for name in self.topics)}


TICKET_COUNTERS = Subscription(
    name="ticket-counters",
    topics=(
        Topic.TICKET_CREATED,
        Topic.TICKET_ASSIGNED,
        Topic.TICKET_STATUS_CHANGED,
        Topic.TICKET_COMMENTED,
        Topic.TICKET_DELETED,
        # metrics (issue 7): priority moves of open tickets, CSAT scores
        Topic.TICKET_UPDATED,
        Topic.TICKET_CSAT_SUBMITTED,
    ),
    handler="functions.ticket_events_consumer",
    logical_id="TicketEventsConsumerFunction",
)

# What a requester's event feed shows: these topics about their own tickets, never an internal one
# (``data.is_internal``). SLA, CSAT-token and every other topic are for staff.
REQUESTER_VISIBLE_TOPICS = frozenset(
    {
        Topic.TICKET_CREATED,
        Topic.TICKET_UPDATED,
        Topic.TICKET_ASSIGNED,
        Topic.TICKET_STATUS_CHANGED,
        Topic.TICKET_COMMENTED,
        Topic.TICKET_DELETED,
    }
)
# Topics that change what a queue (status, assignee, team) holds: admins' feed shows each of them
# followed by seed 002's ``queue_changed``.
QUEUE_CHANGING_TOPICS = frozenset(
    {Topic.TICKET_CREATED, Topic.TICKET_ASSIGNED, Topic.TICKET_STATUS_CHANGED, Topic.TICKET_DELETED}
)


def visible_to_requester(topic_name: str, data: dict) -> bool:
    return topic_name in REQUESTER_VISIBLE_TOPICS and not data.get("is_internal")


# Carries out an access request's decision on its tickets (idempotent by the tickets' state).
ACCESS_GRANTS = Subscription(
    name="access-grants",
    topics=(Topic.CHANGE_APPROVED, Topic.CHANGE_REJECTED, Topic.CHANGE_EXPIRED),
    handler="functions.access_grants_consumer",
    logical_id="AccessGrantsConsumerFunction",
)

# Exports (issue 7): a ticket export job writes its CSV to S3. One job a batch, and a long visibility
# timeout, so a big export is not handed to a second consumer while the first is still writing it.
TICKET_EXPORTS = Subscription(
    name="ticket-exports",
    topics=(Topic.EXPORT_REQUESTED,),
    handler="functions.ticket_exports_consumer",
    logical_id="TicketExportsConsumerFunction",
    batch_size=1,
    visibility_timeout=900,
)

# Watchers and notifications (issue 7): each user's feed of what happened to the tickets they follow.
NOTIFICATIONS = Subscription(
    name="notifications",
    topics=(
        Topic.TICKET_CREATED,
        Topic.TICKET_UPDATED,
        Topic.TICKET_ASSIGNED,
        Topic.TICKET_STATUS_CHANGED,
        Topic.TICKET_COMMENTED,
        Topic.TICKET_DELETED,
        Topic.TICKET_SLA_WARNING,
        Topic.TICKET_SLA_BREACHED,
        Topic.TICKET_ESCALATED,
        Topic.TICKET_CSAT_REQUESTED,
    ),
    handler="functions.notifications_consumer",
    logical_id="NotificationsConsumerFunction",
)

# SLA engine (issue 8): a breach starts the ticket's escalation state machine.
SLA_ESCALATION_STARTS = Subscription(
    name="sla-escalation-starts",
    topics=(Topic.TICKET_SLA_BREACHED,),
    handler="functions.sla_escalation_starter",
    logical_id="SlaEscalationStarterFunction",
)

# Outgoing webhooks (issue 9): every topic, since each workspace's subscriptions choose their own; a
# slow receiver holds a message up to 100 s (the consumer's timeout, a sixth of the visibility timeout).
OUTGOING_WEBHOOKS = Subscription(
    name="outgoing-webhooks",
    topics=tuple(Topic),
    handler="functions.outgoing_webhooks_consumer",
    logical_id="OutgoingWebhooksConsumerFunction",
    batch_size=5,
    visibility_timeout=600,
)

# Workflow tasks (issue 10): a new ticket whose category has an active workflow gets a task at its start step.
WORKFLOW_TASKS = Subscription(
    name="workflow-tasks",
    topics=(Topic.TICKET_CREATED,),
    handler="functions.workflow_tasks_consumer",
    logical_id="WorkflowTasksConsumerFunction",
)

# Audit (issue 7): ticket changes get their audit rows from their events (chalicelib.domain.audit says why).
AUDIT_TRAIL = Subscription(
    name="audit-trail",
    topics=(
        Topic.TICKET_CREATED,
        Topic.TICKET_UPDATED,
        Topic.TICKET_ASSIGNED,
        Topic.TICKET_STATUS_CHANGED,
        Topic.TICKET_COMMENTED,
        Topic.TICKET_DELETED,
        Topic.TICKET_CSAT_REQUESTED,
    ),
    handler="functions.audit_trail_consumer",
    logical_id="AuditTrailConsumerFunction",
)

# AI triage (issue 11): the triage queue, training labels from the categories people give tickets, and
# staff corrections of AI-classified tickets (chalicelib.domain.ai_triage).
AI_TRIAGE = Subscription(
    name="ai-triage",
    topics=(
        Topic.TICKET_CREATED,
        Topic.TICKET_UPDATED,
        Topic.TICKET_ASSIGNED,
        Topic.TICKET_STATUS_CHANGED,
        Topic.TICKET_DELETED,
    ),
    handler="functions.ai_triage_consumer",
    logical_id="AiTriageConsumerFunction",
)

# AI training (issue 11): fits a workspace's model with scikit-learn and stores it; one job a batch, and
# a visibility timeout that outlasts a training run.
AI_TRAINING = Subscription(
    name="ai-training",
    topics=(Topic.AI_TRAINING_REQUESTED,),
    handler="functions.ai_training_consumer",
    logical_id="AiTrainingConsumerFunction",
    batch_size=1,
    visibility_timeout=900,
)

SUBSCRIPTIONS: dict[str, Subscription] = {
    subscription.name: subscription
    for subscription in (
        TICKET_COUNTERS,
        ACCESS_GRANTS,
        TICKET_EXPORTS,
        NOTIFICATIONS,
        SLA_ESCALATION_STARTS,
        OUTGOING_WEBHOOKS,
        WORKFLOW_TASKS,
        AUDIT_TRAIL,
        AI_TRIAGE,
        AI_TRAINING,
    )
}


def subscriptions_for(topic_name: str, subscriptions: dict[str, Subscription] | None = None) -> list[Subscription]:
    """The subscriptions that receive events of ``topic_name``."""
    chosen = SUBSCRIPTIONS if subscriptions is None else subscriptions
    return [subscription for subscription in chosen.values() if subscription.wants(topic_name)]
