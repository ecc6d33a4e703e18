"""The workflow-run machine running for real (in-process moto, Step Functions execution on): the attempt's
task token reaches the execution through the workflow-runs consumer, and the agent runtime's callback ends
the attempt as it reports (completed resumes it, failed fails it)."""

from __future__ import annotations

import json

import pytest

from chalicelib import aws as clients
from chalicelib.auth.principal import Principal
from chalicelib.flows import execution_arn
from tests.unit.test_event_delivery import lambda_event
from tests.unit.test_scheduled_run_flow import EXECUTION_DEADLINE_SECONDS, flow_aws, wait_for_execution  # noqa: F401
from tests.waiting import wait_until

pytestmark = pytest.mark.usefixtures("flow_aws")
QUEUE = "workflow-runs"


def run_messages() -> list[dict]:
    url = clients.queue_url(QUEUE)
    taken: list[dict] = []

    def received() -> bool:
        batch = clients.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        for message in batch.get("Messages", []):
            clients.sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            taken.append(message)
        return bool(taken)

    wait_until(received, EXECUTION_DEADLINE_SECONDS, f"the machine sent nothing to {QUEUE}")
    return taken


def started_and_waiting(workspace_id: str) -> dict:
    """A started execution whose attempt's token the consumer has kept."""
    from chalicelib.domain import workflow_executions
    from functions.workflow_runs_consumer import handler

    agent = Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))
    started = workflow_executions.start(workspace_id, agent, {"workflow_id": "triage.summarize", "input": {"n": 1}})
    messages = run_messages()
    assert json.loads(messages[0]["Body"])["kind"] == "await_agent"
    assert handler(lambda_event(messages, QUEUE), None)["batchItemFailures"] == []
    return started


def callback(workspace_id: str, delivery_id: str, payload: dict) -> dict:
    from chalicelib.domain.agent_callbacks import Callback, complete_execution

    return complete_execution(Callback(workspace_id, delivery_id), payload, None)


def test_a_completed_callback_resumes_the_attempt_and_records_the_output(workspace_id):
    from chalicelib.domain import workflow_executions

    started = started_and_waiting(workspace_id)

    answer = callback(
        workspace_id, "d-1", {"execution_id": started["id"], "status": "completed", "output": {"summary": "ok"}}
    )
    again = callback(workspace_id, "d-1", {"execution_id": started["id"], "status": "completed"})

    assert (answer["duplicate"], again["duplicate"]) == (False, True)
    finished = wait_for_execution(execution_arn("workflow-run", f"{started['id']}-1"))
    assert finished["status"] == "SUCCEEDED"
    shown = workflow_executions.get(workspace_id, started["id"])
    assert (shown["status"], shown["output"], shown["state_machine_status"]) == (
        "completed",
        {"summary": "ok"},
        "SUCCEEDED",
    )
    assert shown["duration_ms"] >= 0 and shown["input"] == {"n": 1}


def test_a_failed_callback_fails_the_attempt_and_the_execution_can_be_retried(workspace_id):
    from chalicelib.domain import workflow_executions

    started = started_and_waiting(workspace_id)

    callback(workspace_id, "d-2", {"execution_id": started["id"], "status": "failed", "error": "model timeout"})

    finished = wait_for_execution(execution_arn("workflow-run", f"{started['id']}-1"))
    assert finished["status"] == "FAILED"
    shown = workflow_executions.get(workspace_id, started["id"])
    assert (shown["status"], shown["failure_code"], shown["error"]) == ("failed", "failed", "model timeout")
    agent = Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))
    assert workflow_executions.retry(workspace_id, agent, started["id"])["attempt"] == 2
    assert json.loads(run_messages()[0]["Body"])["attempt"] == 2
