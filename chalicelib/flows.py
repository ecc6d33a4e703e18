"""Starting the Step Functions flows of ``infra/flows.py`` (an adapter: the domain passes plain data in).

A machine is deployed as ``<DESKFLOW_TABLE_PREFIX>-<name>``, like tables and queues. Its ARN is built from
the caller's account (STS ``GetCallerIdentity`` needs no permission), so a function needs nothing beyond
``states:StartExecution`` on the machines it starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from chalicelib import aws
from chalicelib.errors import Conflict
from chalicelib.settings import get_settings


@dataclass(frozen=True)
class Execution:
    arn: str
    status: str  # RUNNING for a fresh start; a repeated start reports the first execution's status


def state_machine_name(machine: str) -> str:
    return f"{get_settings().table_prefix}-{machine}"


@cache  # keyed by endpoint and region: a process pointed elsewhere asks again
def _partition_and_account(endpoint_url: str | None, region: str) -> tuple[str, str]:
    identity_arn = aws.client("sts").get_caller_identity()["Arn"]  # arn:<partition>:sts::<account>:...
    _, partition, _, _, account, _ = identity_arn.split(":", 5)
    return partition, account


def state_machine_arn(machine: str) -> str:
    settings = get_settings()
    partition, account = _partition_and_account(settings.endpoint_url, settings.region)
    return f"arn:{partition}:states:{settings.region}:{account}:stateMachine:{state_machine_name(machine)}"


def execution_arn(machine: str, name: str) -> str:
    return state_machine_arn(machine).replace(":stateMachine:", ":execution:", 1) + f":{name}"


def start_execution(machine: str, name: str, payload: dict) -> Execution:
    """Start ``machine`` with ``payload`` as an execution called ``name``. The name makes it idempotent: a
    repeated start with the same payload (a retried request, a redelivered message) starts nothing and returns
    the first execution; the same name with another payload raises ``Conflict``."""
    client = aws.stepfunctions()
    execution_input = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    try:
        response = client.start_execution(stateMachineArn=state_machine_arn(machine), name=name, input=execution_input)
    except client.exceptions.ExecutionAlreadyExists:
        # Step Functions answers a repeat itself while the first runs, and refuses it once that has finished.
        existing = client.describe_execution(executionArn=execution_arn(machine, name))
        if json.loads(existing.get("input") or "null") != payload:
            raise Conflict(f"{machine} {name!r} already exists with other input", code="execution_exists") from None
        return Execution(arn=existing["executionArn"], status=existing["status"])
    return Execution(arn=response["executionArn"], status="RUNNING")


def complete_task(task_token: str, output: dict) -> bool:
    """Answer a ``waitForTaskToken`` task with ``output``; False when the token is no longer waiting (a
    redelivered message whose task was answered, timed out or whose execution stopped)."""
    client = aws.stepfunctions()
    try:
        client.send_task_success(taskToken=task_token, output=json.dumps(output, separators=(",", ":")))
    except (client.exceptions.TaskTimedOut, client.exceptions.InvalidToken, client.exceptions.TaskDoesNotExist):
        return False
    return True


def fail_task(task_token: str, error: str, cause: str) -> bool:
    """Fail the task waiting on ``task_token`` with ``error`` (the machine's Catch names it); False when
    it no longer waits."""
    client = aws.stepfunctions()
    try:
        client.send_task_failure(taskToken=task_token, error=error, cause=cause[:32768])
    except (client.exceptions.TaskTimedOut, client.exceptions.InvalidToken, client.exceptions.TaskDoesNotExist):
        return False
    return True


def stop_execution(machine: str, name: str, cause: str) -> bool:
    """Stop the execution ``name`` of ``machine``; False when it had already finished."""
    client = aws.stepfunctions()
    arn = execution_arn(machine, name)
    if client.describe_execution(executionArn=arn)["status"] != "RUNNING":
        return False
    client.stop_execution(executionArn=arn, error="Cancelled", cause=cause[:32768])
    return True


def execution_status(machine: str, name: str) -> str | None:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; None when there is no such execution."""
    client = aws.stepfunctions()
    try:
        return client.describe_execution(executionArn=execution_arn(machine, name))["status"]
    except client.exceptions.ExecutionDoesNotExist:
        return None
