"""DynamoDB Local as ``make run`` starts it: on disk, and never outliving its parent."""

from __future__ import annotations

import subprocess
import sys

import pytest

from infra.local.dynamodb_local import parse_java_version, start_dynamodb_local
from tests.integration.local_stack import (
    EXTERNAL_ENDPOINT,
    REPO_ROOT,
    LocalStackProcess,
    as_member,
    call,
    tables_in_dynamodb_local,
)
from tests.waiting import wait_until

needs_dynamodb_local = pytest.mark.skipif(not tables_in_dynamodb_local(), reason="needs Java 17+ (or uses LocalStack)")
EXIT_DEADLINE_SECONDS = 60
ITEM = {"pk": {"S": "WS#demo"}, "sk": {"S": "TICKET#1"}, "title": {"S": "kept on disk"}}


def dynamodb_client(endpoint_url: str):
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def wait_until_gone(pid: int, failure: str) -> None:
    import psutil

    def gone() -> bool:
        return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE

    wait_until(gone, EXIT_DEADLINE_SECONDS, failure)


@pytest.mark.parametrize(
    "output, major",
    [('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_292"', 8), ('openjdk version "21" 2023', 21)],
)
def test_the_java_major_version_is_read_from_both_version_styles(output, major):
    assert parse_java_version(output) == major


@pytest.mark.integration
@needs_dynamodb_local
def test_an_acknowledged_put_is_there_after_a_restart_on_the_same_folder(tmp_path):
    first = start_dynamodb_local(tmp_path / "dynamodb")
    try:
        client = dynamodb_client(first.endpoint_url)
        client.create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="kept", Item=ITEM)
    finally:
        first.stop()

    second = start_dynamodb_local(tmp_path / "dynamodb")
    try:
        stored = dynamodb_client(second.endpoint_url).get_item(
            TableName="kept", Key={"pk": ITEM["pk"], "sk": ITEM["sk"]}
        )
    finally:
        second.stop()

    assert stored["Item"] == ITEM


@pytest.mark.integration
@needs_dynamodb_local
def test_the_jvm_ends_when_its_parent_is_killed_with_sigkill(tmp_path):
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import threading; from pathlib import Path; "
            "from infra.local.dynamodb_local import start_dynamodb_local; "
            f"started = start_dynamodb_local(Path({str(tmp_path / 'dynamodb')!r})); "
            "print(started.jvm_pid, flush=True); threading.Event().wait()",  # until it is killed
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    jvm_pid = int(parent.stdout.readline())

    parent.kill()
    parent.wait(10)

    wait_until_gone(jvm_pid, f"DynamoDB Local (pid {jvm_pid}) outlived its killed parent")


class StackWithoutJava(LocalStackProcess):
    """``make run`` on a machine where no Java can be found."""

    def environment(self) -> dict:
        env = super().environment()
        env.pop("JAVA_HOME", None)
        empty_bin = self.state_dir.parent / "bin-without-java"
        empty_bin.mkdir(exist_ok=True)
        env["PATH"] = str(empty_bin)
        return env


@pytest.mark.integration
@pytest.mark.skipif(bool(EXTERNAL_ENDPOINT), reason="with an endpoint given, make run starts no DynamoDB at all")
def test_without_java_make_run_keeps_the_tables_in_moto_and_says_what_that_costs(tmp_path):
    stack = StackWithoutJava(state_dir=tmp_path / "state", log_path=tmp_path / "stack.log")
    stack.start()
    try:
        token = stack.login()
        reply = call(
            "POST",
            f"{stack.api_url}/api/v1/tickets",
            {"title": "Filed without Java", "description": "tables in moto", "priority": "low"},
            headers=as_member(token),
        )
        log = stack.log_path.read_text()
    finally:
        stack.stop()

    assert reply.status == 201, reply.body
    warnings = [line for line in log.splitlines() if "No Java 17 or newer found" in line]
    assert len(warnings) == 1
    assert "in memory" in warnings[0] and "kill -9 loses" in warnings[0] and "slow down" in warnings[0]
