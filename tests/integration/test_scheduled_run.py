"""The scheduled-run flow end to end on the local stack: Step Functions (execution on) waits until the run is
due, sends it to the scheduled-runs queue, and the local event runtime hands it to its consumer, which
records the run in the metrics table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.local_stack import LocalStackProcess
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

RUN_DEADLINE_SECONDS = 45
DUE_IN = timedelta(seconds=3)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scheduled-run-stack")
    running = LocalStackProcess(state_dir=folder / "state", log_path=folder / "stack.log")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def pointed_at(stack, env):
    """This test process talks to the stack's emulator, under the stack's names."""
    env.set(AWS_ENDPOINT_URL=stack.emulator_url, DESKFLOW_TABLE_PREFIX=stack.table_prefix)
    return stack


def wait_for_run_record(stack: LocalStackProcess, workspace_id: str, run_id: str) -> dict:
    dynamodb = stack.aws_client("dynamodb")

    def record() -> dict | None:
        item = dynamodb.get_item(
            TableName=f"{stack.table_prefix}-metrics",
            Key={"pk": {"S": f"WS#{workspace_id}"}, "sk": {"S": f"RUN#{run_id}"}},
            ConsistentRead=True,
        ).get("Item")
        return {name: value["S"] for name, value in item.items()} if item else None

    failure = lambda: f"run {run_id} not recorded within {RUN_DEADLINE_SECONDS}s:\n{stack.log_tail()}"  # noqa: E731
    return wait_until(record, RUN_DEADLINE_SECONDS, failure, interval=0.25)


def test_a_scheduled_run_is_recorded_by_its_consumer_once_due(pointed_at):
    from chalicelib.domain.scheduled_runs import schedule_run

    run_id = f"it-{uuid.uuid4().hex[:12]}"
    scheduled = schedule_run("demo", datetime.now(UTC) + DUE_IN, run_id=run_id)

    record = wait_for_run_record(pointed_at, "demo", run_id)

    assert record["due_at"] == scheduled["at"]
    assert record["execution"] == scheduled["execution_arn"]
