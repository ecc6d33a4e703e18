"""The scheduled-run flow on in-process moto with Step Functions execution on: the machine waits until the
run is due and sends it to its task queue; the queue's consumer records the run once."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import aws as clients
from chalicelib import flows
from chalicelib.errors import Conflict, ValidationError
from tests.conftest import reset_runtime
from tests.waiting import wait_until

EXECUTION_DEADLINE_SECONDS = 30
FIXED_NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def flow_aws():
    """In-process moto with every resource bootstrapped and Step Functions executions running for real."""
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        reset_runtime()
        from infra.bootstrap import bootstrap

        bootstrap()
        yield
        stop_running_executions()  # a waiting execution would otherwise wake up after the mock has gone
    reset_runtime()


def stop_running_executions() -> None:
    stepfunctions = clients.stepfunctions()
    for machine in stepfunctions.list_state_machines()["stateMachines"]:
        running = stepfunctions.list_executions(stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING")
        for execution in running["executions"]:
            arn = execution["executionArn"]
            wait_until(lambda arn=arn: stopped(arn), EXECUTION_DEADLINE_SECONDS, f"could not stop {arn}")


def stopped(execution_arn: str) -> bool:
    try:
        clients.stepfunctions().stop_execution(executionArn=execution_arn)
    except AttributeError:  # moto: an execution started a moment ago has no worker environment to stop yet
        return False
    return True


def wait_for_execution(execution_arn: str) -> dict:
    def finished() -> dict | None:
        described = clients.stepfunctions().describe_execution(executionArn=execution_arn)
        return described if described["status"] != "RUNNING" else None

    return wait_until(
        finished, EXECUTION_DEADLINE_SECONDS, f"{execution_arn} still running after {EXECUTION_DEADLINE_SECONDS}s"
    )


def received_runs() -> list[dict]:
    messages = (
        clients.sqs()
        .receive_message(QueueUrl=clients.queue_url("scheduled-runs"), MaxNumberOfMessages=10, WaitTimeSeconds=0)
        .get("Messages", [])
    )
    return [json.loads(message["Body"]) for message in messages]


def sqs_record(body: dict, message_id: str = "m-1") -> dict:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:deskflow-test-scheduled-runs",
        "awsRegion": "us-east-1",
    }


# --- the machine ------------------------------------------------------------------------------------


def test_a_due_run_is_sent_to_the_scheduled_runs_queue(flow_aws, workspace_id):
    from chalicelib.domain.scheduled_runs import schedule_run

    scheduled = schedule_run(workspace_id, datetime.now(UTC), run_id="run-due-now")

    assert wait_for_execution(scheduled["execution_arn"])["status"] == "SUCCEEDED"
    [message] = received_runs()
    assert {key: message[key] for key in ("workspace_id", "run_id", "at")} == {
        "workspace_id": workspace_id,
        "run_id": "run-due-now",
        "at": scheduled["at"],
    }
    assert message["execution"] == scheduled["execution_arn"]


def test_scheduling_the_same_run_twice_starts_one_execution(flow_aws, workspace_id):
    from chalicelib.domain.scheduled_runs import schedule_run

    at = datetime.now(UTC) + timedelta(minutes=5)
    first = schedule_run(workspace_id, at, run_id="run-retried")
    second = schedule_run(workspace_id, at, run_id="run-retried")

    executions = clients.stepfunctions().list_executions(stateMachineArn=flows.state_machine_arn("scheduled-run"))
    assert second["execution_arn"] == first["execution_arn"]
    assert len(executions["executions"]) == 1


def test_scheduling_a_finished_run_again_starts_nothing(flow_aws, workspace_id):
    from chalicelib.domain.scheduled_runs import schedule_run

    at = datetime.now(UTC)
    first = schedule_run(workspace_id, at, run_id="run-finished")
    wait_for_execution(first["execution_arn"])

    again = schedule_run(workspace_id, at, run_id="run-finished")

    assert again["execution_arn"] == first["execution_arn"] and again["status"] == "SUCCEEDED"
    assert len(received_runs()) == 1


def test_reusing_a_run_id_for_another_time_is_a_conflict(flow_aws, workspace_id):
    from chalicelib.domain.scheduled_runs import schedule_run

    schedule_run(workspace_id, datetime.now(UTC) + timedelta(minutes=5), run_id="run-taken")

    with pytest.raises(Conflict):
        schedule_run(workspace_id, datetime.now(UTC) + timedelta(minutes=6), run_id="run-taken")


# --- scheduling rules (no AWS: the starter is injected) -------------------------------------------


class RecordingStarter:
    def __init__(self):
        self.calls = []

    def __call__(self, machine, name, payload):
        self.calls.append((machine, name, payload))
        return flows.Execution(arn=f"arn:test:{name}", status="RUNNING")


def test_a_due_time_is_rounded_up_to_a_whole_second():
    from chalicelib.domain.scheduled_runs import schedule_run

    starter = RecordingStarter()
    schedule_run(
        "ws-1", FIXED_NOW + timedelta(seconds=3, microseconds=1), "r1", start_execution=starter, now=lambda: FIXED_NOW
    )

    assert starter.calls == [
        ("scheduled-run", "r1", {"workspace_id": "ws-1", "run_id": "r1", "at": "2026-11-23T12:00:04Z"})
    ]


@pytest.mark.parametrize(
    ("workspace", "run_id", "at", "field"),
    [
        ("WS!", "r1", FIXED_NOW, "workspace_id"),
        ("ws-1", "has space", FIXED_NOW, "run_id"),
        ("ws-1", "x" * 81, FIXED_NOW, "run_id"),
        ("ws-1", "r1", FIXED_NOW.replace(tzinfo=None), "at"),
        ("ws-1", "r1", FIXED_NOW + timedelta(days=366), "at"),
    ],
    ids=["bad-workspace", "bad-run-id", "long-run-id", "naive-time", "over-a-year"],
)
def test_a_malformed_run_is_refused_before_anything_starts(workspace, run_id, at, field):
    from chalicelib.domain.scheduled_runs import schedule_run

    starter = RecordingStarter()
    with pytest.raises(ValidationError) as refused:
        schedule_run(workspace, at, run_id, start_execution=starter, now=lambda: FIXED_NOW)

    assert field in refused.value.details
    assert starter.calls == []


def test_a_run_without_an_id_gets_a_fresh_one():
    from chalicelib.domain.scheduled_runs import schedule_run

    starter = RecordingStarter()
    first = schedule_run("ws-1", FIXED_NOW, start_execution=starter, now=lambda: FIXED_NOW)
    second = schedule_run("ws-1", FIXED_NOW, start_execution=starter, now=lambda: FIXED_NOW)

    assert first["run_id"] != second["run_id"]


# --- the consumer ---------------------------------------------------------------------------------


def test_a_run_delivered_twice_is_recorded_once(aws, workspace_id):
    from chalicelib.domain.scheduled_runs import recorded_run
    from functions.scheduled_run_consumer import handler

    run = {"workspace_id": workspace_id, "run_id": "run-twice", "at": "2026-11-23T12:00:00Z", "execution": "arn:x"}

    first = handler({"Records": [sqs_record(run, "m-1")]}, None)
    record = recorded_run(workspace_id, "run-twice")
    second = handler({"Records": [sqs_record(run, "m-2")]}, None)

    assert first == second == {"batchItemFailures": []}
    assert record is not None and record["due_at"] == "2026-11-23T12:00:00Z"
    assert recorded_run(workspace_id, "run-twice") == record  # the redelivery changed nothing


def test_a_malformed_message_fails_alone_in_its_batch(aws, workspace_id):
    from chalicelib.domain.scheduled_runs import recorded_run
    from functions.scheduled_run_consumer import handler

    good = {"workspace_id": workspace_id, "run_id": "run-good", "at": "2026-11-23T12:00:00Z"}
    result = handler({"Records": [sqs_record({"run_id": "no-workspace"}, "bad"), sqs_record(good, "good")]}, None)

    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert recorded_run(workspace_id, "run-good") is not None


def test_the_flow_records_a_run_once_it_is_due(flow_aws, workspace_id):
    from chalicelib.domain.scheduled_runs import recorded_run, schedule_run
    from functions.scheduled_run_consumer import handler

    run_id = f"run-{uuid.uuid4().hex[:8]}"
    scheduled = schedule_run(workspace_id, datetime.now(UTC), run_id=run_id)
    wait_for_execution(scheduled["execution_arn"])
    messages = clients.sqs().receive_message(QueueUrl=clients.queue_url("scheduled-runs"), WaitTimeSeconds=0)

    handler({"Records": [sqs_record(json.loads(m["Body"]), m["MessageId"]) for m in messages["Messages"]]}, None)

    assert recorded_run(workspace_id, run_id)["execution"] == scheduled["execution_arn"]
