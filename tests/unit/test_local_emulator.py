"""The embedded moto server (loopback only) and the AWS_ENDPOINT_URL pass-through."""

from __future__ import annotations

import json
import os
import socket

import pytest

from chalicelib import aws as aws_clients
from chalicelib.settings import get_settings
from infra.local.emulator import point_dynamodb_at, start_emulator
from infra.local.ports import PortInUse, any_free_port
from tests.conftest import reset_runtime
from tests.waiting import wait_until

TOUCHED_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "MOTO_PORT")


@pytest.fixture
def process_state():
    """The emulator rewrites this process's environment and moto's global config: put both back."""
    from moto.core.config import default_user_config

    saved_env = {name: os.environ.get(name) for name in TOUCHED_VARIABLES}
    saved_config = dict(default_user_config["stepfunctions"])
    for name in TOUCHED_VARIABLES:
        os.environ.pop(name, None)
    reset_runtime()
    yield
    for name, value in saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    default_user_config["stepfunctions"] = saved_config
    reset_runtime()


@pytest.fixture
def emulator(process_state):
    started = start_emulator(any_free_port())
    yield started
    started.stop()


def test_embedded_emulator_listens_on_loopback_and_points_the_process_at_it(emulator):
    port = emulator.endpoint_url.rsplit(":", 1)[1]

    assert emulator.embedded
    assert emulator.endpoint_url.startswith("http://127.0.0.1:")
    assert os.environ["MOTO_PORT"] == port
    assert os.environ["AWS_ENDPOINT_URL"] == emulator.endpoint_url
    assert get_settings().endpoint_url == emulator.endpoint_url
    aws_clients.sqs().create_queue(QueueName="emulator-check")
    assert aws_clients.sqs().get_queue_url(QueueName="emulator-check")["QueueUrl"].startswith(emulator.endpoint_url)


def test_step_functions_really_execute_service_integrations_on_the_embedded_emulator(emulator):
    sqs, sfn = aws_clients.sqs(), aws_clients.client("stepfunctions")
    queue_url = sqs.create_queue(QueueName="sfn-target")["QueueUrl"]
    definition = {
        "StartAt": "Notify",
        "States": {
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": queue_url, "MessageBody": "from the state machine"},
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(
        name="emulator-check", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
    )

    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="run-1")

    def finished_status():
        status = sfn.describe_execution(executionArn=execution["executionArn"])["status"]
        return None if status == "RUNNING" else status

    status = wait_until(finished_status, 10, "the execution was still running after 10 s")

    assert status == "SUCCEEDED"  # with execution off it would stay RUNNING; with MOTO_PORT wrong, FAILED
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
    assert [message["Body"] for message in messages] == ["from the state machine"]


def test_a_taken_emulator_port_is_refused_with_the_setting_to_change(process_state):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]

        with pytest.raises(PortInUse, match="DESKFLOW_EMULATOR_PORT"):
            start_emulator(port)

    assert "MOTO_PORT" not in os.environ


def test_a_given_endpoint_is_used_and_nothing_is_started(process_state):
    emulator = start_emulator(external_endpoint_url="http://localhost:4566")

    assert not emulator.embedded
    assert os.environ["AWS_ENDPOINT_URL"] == "http://localhost:4566"
    assert get_settings().endpoint_url == "http://localhost:4566"
    assert "MOTO_PORT" not in os.environ
    emulator.stop()  # nothing to stop; must not fail


def test_dynamodb_alone_can_be_sent_to_dynamodb_local_while_the_rest_stays_on_moto(emulator):
    from chalicelib.models.base import connection
    from chalicelib.models.tickets import TicketItem

    point_dynamodb_at("http://127.0.0.1:8123")

    assert aws_clients.dynamodb().meta.endpoint_url == "http://127.0.0.1:8123"
    assert TicketItem._get_connection().connection.host == "http://127.0.0.1:8123"
    assert connection().host == "http://127.0.0.1:8123"
    assert aws_clients.sqs().meta.endpoint_url == emulator.endpoint_url
    assert aws_clients.client("stepfunctions").meta.endpoint_url == emulator.endpoint_url
