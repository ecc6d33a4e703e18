"""Step Functions state machines (ASL files in ``infra/state_machines/``) and the task queues they send to.

The one definition that the bootstrap, ``template.yaml``, the local event runtime and the tests read.
A machine waits, decides and sends (SQS ``sendMessage`` / ``waitForTaskToken``, EventBridge ``putEvents``);
the consumer of the queue it sends to does the table work, so the same ASL runs on AWS, LocalStack and moto
(whose executions cannot reach tables kept in DynamoDB Local).

An ASL file names what differs per deployment as ``${Placeholder}``; each machine maps its placeholders to
resources here. The template hands them to CloudFormation as ``DefinitionSubstitutions``; the bootstrap
substitutes them itself (moto ignores ``DefinitionSubstitutions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ASL_FOLDER = Path(__file__).resolve().parent / "state_machines"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class QueueUrl:
    """A placeholder standing for the URL of a task queue (the machine may send to it)."""

    queue: str


@dataclass(frozen=True)
class StateMachine:
    asl_file: str
    substitutions: dict[str, QueueUrl] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return ASL_FOLDER / self.asl_file

    @property
    def sends_to(self) -> tuple[str, ...]:
        """The queues its role may send to: exactly those its definition names."""
        return tuple(sorted({value.queue for value in self.substitutions.values() if isinstance(value, QueueUrl)}))


STATE_MACHINES: dict[str, StateMachine] = {
    # Proves the path end to end: wait until `at`, send {workspace_id, run_id, at} to scheduled-runs.
    "scheduled-run": StateMachine("scheduled_run.asl.json", {"ScheduledRunsQueueUrl": QueueUrl("scheduled-runs")}),
    # An approval gate: the token goes to change-approvals; approve/reject resume it; a timeout expires it.
    "change-approval": StateMachine(
        "change_approval.asl.json", {"ChangeApprovalsQueueUrl": QueueUrl("change-approvals")}
    ),
    # SLA escalation: per level, wait until due, send it to sla-escalations and wait for the consumer's
    # answer (the next level, or none once the ticket ended). One execution per (ticket, target).
    "sla-escalation": StateMachine("sla_escalation.asl.json", {"SlaEscalationsQueueUrl": QueueUrl("sla-escalations")}),
    # One attempt of an agent workflow execution: the token goes to workflow-runs; the agent runtime's callback
    # resumes or fails it; a timeout marks the attempt timed out; cancel stops it. One execution per attempt.
    "workflow-run": StateMachine("workflow_run.asl.json", {"WorkflowRunsQueueUrl": QueueUrl("workflow-runs")}),
}

# Queues that state machines send work to, with the Powertools batch handler consuming each. Same shapes
# as ``infra.queues.QUEUES`` and ``infra.functions.CONSUMERS``; each gets a DLQ like every queue.
TASK_QUEUES: dict[str, dict] = {
    "scheduled-runs": {"visibility_timeout": 30},
    "change-approvals": {"visibility_timeout": 30},
    "sla-escalations": {"visibility_timeout": 30},
    "workflow-runs": {"visibility_timeout": 30},
}
TASK_CONSUMERS: dict[str, dict] = {
    "scheduled-runs": {
        "logical_id": "ScheduledRunsConsumerFunction",
        "module": "functions.scheduled_run_consumer",
        "batch_size": 10,
    },
    "change-approvals": {
        "logical_id": "ChangeApprovalsConsumerFunction",
        "module": "functions.change_approvals_consumer",
        "batch_size": 10,
    },
    "sla-escalations": {
        "logical_id": "SlaEscalationConsumerFunction",
        "module": "functions.sla_escalation_consumer",
        "batch_size": 10,
    },
    "workflow-runs": {
        "logical_id": "WorkflowRunsConsumerFunction",
        "module": "functions.workflow_runs_consumer",
        "batch_size": 10,
    },
}


def placeholders(definition: str) -> set[str]:
    return set(PLACEHOLDER.findall(definition))


def substitute(definition: str, values: dict[str, str]) -> str:
    """``definition`` with every ``${Name}`` replaced; raises KeyError naming a placeholder without a value."""
    missing = placeholders(definition) - set(values)
    if missing:
        raise KeyError(f"no value for placeholder(s) {sorted(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], definition)


def definition_text(name: str) -> str:
    return STATE_MACHINES[name].path.read_text()
