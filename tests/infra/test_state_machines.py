"""State machines: every ASL file in infra/state_machines passes statelint (cfn-lint does not look inside
them), is registered in infra/flows.py with a value for each placeholder, is declared in the template, and
is created (then left alone) by the bootstrap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chalicelib import aws as clients
from chalicelib.flows import state_machine_name
from chalicelib.settings import get_settings
from infra.bootstrap import bootstrap, ensure_state_machines, state_machine_definition
from infra.flows import ASL_FOLDER, STATE_MACHINES, TASK_CONSUMERS, TASK_QUEUES, placeholders, substitute
from infra.queues import dlq_name
from infra.template import dlq_logical_id, queue_logical_id, queue_mapping_logical_id, state_machine_logical_id

REPO = Path(__file__).resolve().parents[2]
STATE_MACHINE_FILES = sorted((REPO / "infra" / "state_machines").glob("*.asl.json"))
STATELINT = Path(sys.executable).parent / "statelint"


def statelint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(STATELINT), str(path)], capture_output=True, text=True, timeout=60)


def test_there_are_state_machines_to_check():
    # Without this, an empty folder would turn the statelint check below into a silent skip.
    assert STATE_MACHINE_FILES, f"no *.asl.json in {ASL_FOLDER}"


@pytest.mark.parametrize("definition", STATE_MACHINE_FILES, ids=lambda path: path.name)
def test_state_machine_passes_statelint(definition):
    result = statelint(definition)
    assert result.returncode == 0, result.stdout + result.stderr


def test_statelint_reports_a_dangling_next(tmp_path):
    # Guards the check itself: a broken definition must make the console script fail.
    broken = tmp_path / "broken.asl.json"
    broken.write_text('{"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "Next": "Gone"}}}')

    result = statelint(broken)

    assert result.returncode != 0
    assert "Gone" in result.stdout


def test_every_asl_file_is_registered_and_every_registered_file_exists():
    assert {machine.path for machine in STATE_MACHINES.values()} == set(STATE_MACHINE_FILES)


@pytest.mark.parametrize("name", sorted(STATE_MACHINES))
def test_each_placeholder_has_exactly_one_registered_value(name):
    machine = STATE_MACHINES[name]
    assert placeholders(machine.path.read_text()) == set(machine.substitutions)


@pytest.mark.parametrize("name", sorted(STATE_MACHINES))
def test_state_machines_use_no_lambda_tasks(name):
    # moto cannot run Lambda code: machines wait, decide and send; consumers do the work.
    definition = json.loads(STATE_MACHINES[name].path.read_text())
    resources = [state.get("Resource", "") for state in definition["States"].values()]
    assert not [resource for resource in resources if ":lambda:" in resource]


def test_a_placeholder_without_a_value_is_refused():
    with pytest.raises(KeyError, match="QueueUrl"):
        substitute('{"QueueUrl": "${QueueUrl}"}', {})


# --- template ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_resources() -> dict:
    return yaml.safe_load((REPO / "template.yaml").read_text())["Resources"]


@pytest.mark.parametrize("name", sorted(STATE_MACHINES))
def test_template_declares_each_machine_with_its_substitutions_and_send_only_role(template_resources, name):
    machine = STATE_MACHINES[name]
    resource = template_resources[state_machine_logical_id(name)]
    properties = resource["Properties"]

    assert resource["Type"] == "AWS::Serverless::StateMachine"
    assert properties["Name"] == {"Fn::Sub": "${TablePrefix}-" + name}
    assert (REPO / properties["DefinitionUri"]) == machine.path
    assert set(properties["DefinitionSubstitutions"]) == set(machine.substitutions)
    assert properties["Policies"] == [
        {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": [queue_logical_id(queue), "QueueName"]}}}
        for queue in machine.sends_to
    ]


@pytest.mark.parametrize("queue", sorted(TASK_QUEUES))
def test_each_task_queue_redrives_to_its_dead_letter_queue_and_has_a_consumer(template_resources, queue):
    properties = template_resources[queue_logical_id(queue)]["Properties"]
    mapping = template_resources[queue_mapping_logical_id(TASK_CONSUMERS[queue]["logical_id"])]["Properties"]

    assert properties["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq_logical_id(queue), "Arn"]}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_logical_id(queue), "Arn"]}


# --- bootstrap -----------------------------------------------------------------------------------


def test_bootstrap_creates_each_machine_with_its_placeholders_filled(aws):
    stepfunctions = clients.stepfunctions()
    machines = {m["name"]: m["stateMachineArn"] for m in stepfunctions.list_state_machines()["stateMachines"]}

    for name in STATE_MACHINES:
        arn = machines[state_machine_name(name)]
        deployed = stepfunctions.describe_state_machine(stateMachineArn=arn)["definition"]
        assert "${" not in deployed
        for resource in STATE_MACHINES[name].substitutions.values():
            assert clients.queue_url(resource.queue) in deployed


def test_second_bootstrap_leaves_state_machines_alone(aws):
    assert bootstrap()["state_machines"] == []


@pytest.mark.parametrize("queue", sorted(TASK_QUEUES))
def test_bootstrap_creates_each_task_queue_with_its_dead_letter_queue(aws, queue):
    sqs = clients.sqs()
    attributes = sqs.get_queue_attributes(QueueUrl=clients.queue_url(queue), AttributeNames=["RedrivePolicy"])
    dlq_url = sqs.get_queue_url(QueueName=get_settings().queue_name(dlq_name(queue)))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    assert json.loads(attributes["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == dlq_arn


def test_bootstrap_brings_a_changed_definition_back_in_line(aws):
    stepfunctions = clients.stepfunctions()
    name = sorted(STATE_MACHINES)[0]
    arn = next(
        m["stateMachineArn"]
        for m in stepfunctions.list_state_machines()["stateMachines"]
        if m["name"] == state_machine_name(name)
    )
    stepfunctions.update_state_machine(
        stateMachineArn=arn, definition='{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}'
    )

    assert ensure_state_machines() == [state_machine_name(name)]
    deployed = stepfunctions.describe_state_machine(stateMachineArn=arn)["definition"]
    assert json.loads(deployed) == json.loads(state_machine_definition(name))
