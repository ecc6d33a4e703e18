"""The ``webhooks`` table: what the integrations remember.

| item                         | pk                              | sk                                     |
|------------------------------|---------------------------------|----------------------------------------|
| incoming delivery (TTL)      | ``WS#<ws>``                     | ``DELIVERY#<source>#<delivery id>``    |
| GitHub issue → ticket link   | ``WS#<ws>``                     | ``GITHUB_ISSUE#<repo>#<number>``       |
| GitHub failed run → incident | ``WS#<ws>``                     | ``GITHUB_RUN#<kind>#<run id>``         |
| agent workflow execution     | ``WS#<ws>``                     | ``WORKFLOW_EXECUTION#<execution id>``  |
| outgoing subscription        | ``WS#<ws>``                     | ``SUBSCRIPTION#<subscription id>``     |
| outgoing delivery (TTL)      | ``SUBSCRIPTION#<ws>#<sub id>``  | ``DELIVERY#<occurred_at>#<event id>``  |

Every read is a GetItem or a Query on one partition: a workspace's subscriptions are one Query on
``WS#<ws>`` with the ``SUBSCRIPTION#`` prefix; a subscription's deliveries, newest first, one Query on
its own partition. An incoming delivery record is written with ``attribute_not_exists`` in the same
transaction as the change the delivery makes, so a redelivery finds it and changes nothing.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from chalicelib.models.base import DeskflowModel

TABLE = "webhooks"
SUBSCRIPTION_PREFIX = "SUBSCRIPTION#"
DELIVERY_PREFIX = "DELIVERY#"


def workspace_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def incoming_delivery_sk(source: str, delivery_id: str) -> str:
    return f"DELIVERY#{source}#{delivery_id}"


def issue_link_sk(repository: str, issue_number: int) -> str:
    return f"GITHUB_ISSUE#{repository.lower()}#{issue_number}"


def run_link_sk(kind: str, run_id: int | str) -> str:
    return f"GITHUB_RUN#{kind}#{run_id}"


def execution_sk(execution_id: str) -> str:
    return f"WORKFLOW_EXECUTION#{execution_id}"


def subscription_sk(subscription_id: str) -> str:
    return f"{SUBSCRIPTION_PREFIX}{subscription_id}"


def deliveries_pk(workspace_id: str, subscription_id: str) -> str:
    return f"SUBSCRIPTION#{workspace_id}#{subscription_id}"


def outgoing_delivery_sk(occurred_at: str, event_id: str) -> str:
    return f"{DELIVERY_PREFIX}{occurred_at}#{event_id}"


class _Item(DeskflowModel):
    class Meta:
        abstract = True
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class IncomingDelivery(_Item):
    """One webhook delivery received and verified (``outcome``: applied | ignored | not_applied)."""

    class Meta:
        short_table = TABLE
        table_name = None

    source = UnicodeAttribute()  # github | agentfield
    delivery_id = UnicodeAttribute()
    event = UnicodeAttribute()
    outcome = UnicodeAttribute()
    received_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class IssueLink(_Item):
    class Meta:
        short_table = TABLE
        table_name = None

    ticket_id = UnicodeAttribute()
    repository = UnicodeAttribute()
    issue_number = NumberAttribute()
    created_at = UnicodeAttribute()


class RunLink(_Item):
    class Meta:
        short_table = TABLE
        table_name = None

    ticket_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # workflow_run | check_run
    run_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


class WorkflowExecution(_Item):
    class Meta:
        short_table = TABLE
        table_name = None

    execution_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # running | completed | failed | cancelled
    output = UnicodeAttribute(null=True)  # compact JSON
    error = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    delivery_id = UnicodeAttribute(null=True)  # the agent callback that finished it
    # Started through the API (chalicelib.domain.workflow_executions): one workflow-run execution per attempt.
    input = UnicodeAttribute(null=True)  # compact JSON
    ticket_id = UnicodeAttribute(null=True)
    evidence_ref = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    attempt = NumberAttribute(null=True)
    retry_count = NumberAttribute(null=True)
    failure_code = UnicodeAttribute(null=True)  # failed | timeout | cancelled
    task_token = UnicodeAttribute(null=True)  # the current attempt's, kept by the workflow-runs consumer
    timeout_seconds = NumberAttribute(null=True)
    version = VersionAttribute()


class WebhookSubscription(_Item):
    class Meta:
        short_table = TABLE
        table_name = None

    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    url = UnicodeAttribute()
    topics = ListAttribute(of=UnicodeAttribute)
    secret = UnicodeAttribute()  # whsec_<base64>; answered once, on creation
    description = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()


class Attempt(MapAttribute):
    at = UnicodeAttribute()
    trigger = UnicodeAttribute()  # delivery | replay
    status_code = NumberAttribute(null=True)
    duration_ms = NumberAttribute()
    error = UnicodeAttribute(null=True)
    succeeded = BooleanAttribute()


class OutgoingDelivery(_Item):
    """One event for one subscription: the envelope sent, every attempt, and where it stands
    (``status``: pending | delivered | retrying | failed)."""

    class Meta:
        short_table = TABLE
        table_name = None

    subscription_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    body = UnicodeAttribute()  # the exact JSON sent (replays send it again)
    status = UnicodeAttribute()
    attempts = ListAttribute(of=Attempt, default=list)
    attempt_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    delivered_at = UnicodeAttribute(null=True)
    sending_until = UnicodeAttribute(null=True)  # a sender's lease, so two copies of an event never send at once
    expires_at = TTLAttribute()
