"""Every SQS queue Deskflow runs, each with a dead-letter queue.

Event subscriptions' queues come from the catalogue (``chalicelib/events/catalogue.py``); queues that
carry no bus events (task queues of state machines, say) are declared in ``OTHER_QUEUES``.
"""

from __future__ import annotations

from chalicelib.events.catalogue import MAX_RECEIVE_COUNT, SUBSCRIPTIONS, Subscription
from infra.flows import TASK_QUEUES

__all__ = ["MAX_RECEIVE_COUNT", "OTHER_QUEUES", "QUEUES", "dlq_name", "queue_policy", "subscription_queues"]

OTHER_QUEUES: dict[str, dict] = {**TASK_QUEUES}


def dlq_name(queue: str) -> str:
    return f"{queue}-dlq"


def subscription_queues(subscriptions: dict[str, Subscription]) -> dict[str, dict]:
    return {
        subscription.queue: {"visibility_timeout": subscription.visibility_timeout, "subscription": subscription.name}
        for subscription in subscriptions.values()
    }


QUEUES: dict[str, dict] = {**subscription_queues(SUBSCRIPTIONS), **OTHER_QUEUES}


def queue_policy(queue_arn, rule_arn) -> dict:
    """The queue policy letting one EventBridge rule (and nothing else) send to a subscription's queue.
    The ARNs are strings for the bootstrap and intrinsics for the template."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgeRuleSends",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }
