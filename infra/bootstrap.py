"""Create every table, index, queue (+ DLQ), the event bus with one rule per subscription, and the
bucket from ``infra/`` and the event catalogue on the configured endpoint
(embedded moto server, LocalStack or AWS). Idempotent: what exists is left as it is.

    python -m infra.bootstrap
"""

from __future__ import annotations

import json
import os

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.events.catalogue import SUBSCRIPTIONS, Subscription
from chalicelib.events.messages import event_bus_name
from chalicelib.flows import state_machine_name
from chalicelib.settings import get_settings
from infra.flows import STATE_MACHINES, QueueUrl, substitute
from infra.queues import MAX_RECEIVE_COUNT, QUEUES, dlq_name, queue_policy
from infra.tables import TABLES, create_table_request


def ensure_tables() -> list[str]:
    settings = get_settings()
    dynamodb = aws.dynamodb()
    existing = set()
    for page in dynamodb.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for short_name, spec in TABLES.items():
        table_name = settings.table_name(short_name)
        if table_name in existing:
            created += _add_missing_indexes(short_name, table_name)
            continue
        dynamodb.create_table(**create_table_request(short_name, table_name))
        dynamodb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        if spec.get("TimeToLiveAttribute"):
            dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["TimeToLiveAttribute"]},
            )
        created.append(table_name)
    return created


def _add_missing_indexes(short_name: str, table_name: str) -> list[str]:
    """Create the GSIs a table made by an earlier version lacks (a kept ``make run`` state folder), one
    per UpdateTable as DynamoDB allows, waiting for each; returns ``table/index`` for each one added."""
    dynamodb = aws.dynamodb()
    description = dynamodb.describe_table(TableName=table_name)["Table"]
    present = {index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])}
    request = create_table_request(short_name, table_name)
    added = []
    for index in request.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in present:
            continue
        key_names = {element["AttributeName"] for element in index["KeySchema"]}
        dynamodb.update_table(
            TableName=table_name,
            AttributeDefinitions=[d for d in request["AttributeDefinitions"] if d["AttributeName"] in key_names],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        dynamodb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        added.append(f"{table_name}/{index['IndexName']}")
    return added


def ensure_queues(queues: dict[str, dict] | None = None) -> list[str]:
    settings = get_settings()
    sqs = aws.sqs()
    created = []
    for short_name, spec in (QUEUES if queues is None else queues).items():
        dlq_url = sqs.create_queue(
            QueueName=settings.queue_name(dlq_name(short_name)), Attributes={"MessageRetentionPeriod": "1209600"}
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {
            "VisibilityTimeout": str(spec["visibility_timeout"]),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}),
        }
        name = settings.queue_name(short_name)
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError:
            sqs.create_queue(QueueName=name, Attributes=attributes)
            created.append(name)
            continue
        current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(attributes))["Attributes"]
        if _queue_settings(current) != _queue_settings(attributes):  # exists with other settings: bring in line
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return created


def _queue_settings(attributes: dict) -> tuple:
    redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
    return (
        str(attributes.get("VisibilityTimeout")),
        redrive.get("deadLetterTargetArn"),
        str(redrive.get("maxReceiveCount")),
    )


def ensure_event_bus() -> list[str]:
    events = aws.events()
    name = event_bus_name()
    try:
        events.describe_event_bus(Name=name)
    except events.exceptions.ResourceNotFoundException:
        events.create_event_bus(Name=name)
        return [name]
    return []


def rule_name(subscription: str) -> str:
    return f"{get_settings().table_prefix}-{subscription}"


def ensure_subscriptions(subscriptions: dict[str, Subscription] | None = None) -> list[str]:
    """One rule per subscription on the bus, targeting its queue, whose policy lets that rule send.
    Queues must exist (``ensure_queues``). Returns the rules created; what matches is left alone."""
    settings = get_settings()
    events = aws.events()
    bus = event_bus_name()
    created = []
    for subscription in (SUBSCRIPTIONS if subscriptions is None else subscriptions).values():
        rule = rule_name(subscription.name)
        pattern = subscription.event_pattern()
        try:
            current = events.describe_rule(Name=rule, EventBusName=bus)
        except events.exceptions.ResourceNotFoundException:
            current = None
            created.append(rule)
        if current and json.loads(current.get("EventPattern") or "{}") == pattern and current["State"] == "ENABLED":
            rule_arn = current["Arn"]
        else:
            rule_arn = events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern), State="ENABLED")
            rule_arn = rule_arn["RuleArn"]
        queue_url = aws.sqs().get_queue_url(QueueName=settings.queue_name(subscription.queue))["QueueUrl"]
        queue_arn = _queue_arn(queue_url)
        _ensure_queue_policy(queue_url, queue_policy(queue_arn, rule_arn))
        targets = events.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]
        if [(target["Id"], target["Arn"]) for target in targets] != [("queue", queue_arn)]:
            events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return created


def _queue_arn(queue_url: str) -> str:
    return aws.sqs().get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _ensure_queue_policy(queue_url: str, policy: dict) -> None:
    sqs = aws.sqs()
    current = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"]).get("Attributes", {})
    if json.loads(current.get("Policy") or "{}") != policy:
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})


def ensure_bucket() -> str:
    settings = get_settings()
    s3 = aws.s3()
    try:
        s3.head_bucket(Bucket=settings.files_bucket)
    except ClientError:
        if settings.region == "us-east-1":
            s3.create_bucket(Bucket=settings.files_bucket)
        else:
            s3.create_bucket(
                Bucket=settings.files_bucket, CreateBucketConfiguration={"LocationConstraint": settings.region}
            )
    return settings.files_bucket


# On AWS the template's role is the one to use (DESKFLOW_STATE_MACHINE_ROLE_ARN); emulators accept any role.
EMULATOR_STATE_MACHINE_ROLE = "arn:aws:iam::{account}:role/deskflow-state-machines"


def state_machine_definition(name: str) -> str:
    """The machine's ASL with its placeholders replaced by this endpoint's resources (moto ignores
    ``DefinitionSubstitutions``, so the bootstrap substitutes on every endpoint alike)."""
    machine = STATE_MACHINES[name]
    values = {}
    for placeholder, resource in machine.substitutions.items():
        if isinstance(resource, QueueUrl):
            values[placeholder] = aws.queue_url(resource.queue)
        else:
            raise TypeError(f"{name}: no way to resolve {placeholder} = {resource!r}")
    return substitute(machine.path.read_text(), values)


def _state_machine_role() -> str:
    role = os.environ.get("DESKFLOW_STATE_MACHINE_ROLE_ARN")
    if role:
        return role
    account = aws.client("sts").get_caller_identity()["Account"]
    return EMULATOR_STATE_MACHINE_ROLE.format(account=account)


def ensure_state_machines() -> list[str]:
    """Create each machine of ``infra/flows.py``, or bring its definition in line; returns what changed.
    Needs the task queues (run ``ensure_queues`` first). On moto, Step Functions execution must be switched
    on before this runs: switching it later drops the machines created here."""
    stepfunctions = aws.stepfunctions()
    existing = {}
    for page in stepfunctions.get_paginator("list_state_machines").paginate():
        existing.update({machine["name"]: machine["stateMachineArn"] for machine in page["stateMachines"]})
    changed = []
    role = _state_machine_role()
    for name in STATE_MACHINES:
        full_name = state_machine_name(name)
        definition = state_machine_definition(name)
        arn = existing.get(full_name)
        if arn is None:
            stepfunctions.create_state_machine(name=full_name, definition=definition, roleArn=role, type="STANDARD")
            changed.append(full_name)
        elif json.loads(stepfunctions.describe_state_machine(stateMachineArn=arn)["definition"]) != json.loads(
            definition
        ):
            stepfunctions.update_state_machine(stateMachineArn=arn, definition=definition)
            changed.append(full_name)
    return changed


def bootstrap() -> dict:
    return {
        "tables": ensure_tables(),
        "queues": ensure_queues(),
        "event_bus": ensure_event_bus(),
        "rules": ensure_subscriptions(),
        "bucket": ensure_bucket(),
        "state_machines": ensure_state_machines(),
    }


if __name__ == "__main__":
    print(json.dumps(bootstrap(), indent=2))
