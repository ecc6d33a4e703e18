"""The change-approval machine running for real (in-process moto, Step Functions execution on): the task
token reaches the change through the change-approvals consumer; a quorum of approvals resumes the
execution, a rejection fails its task, and a wait that times out expires the change."""

from __future__ import annotations

import json

import pytest

from chalicelib import aws as clients
from chalicelib.auth.principal import Principal
from tests.unit.test_event_delivery import lambda_event
from tests.unit.test_scheduled_run_flow import EXECUTION_DEADLINE_SECONDS, flow_aws, wait_for_execution  # noqa: F401
from tests.waiting import wait_until

pytestmark = pytest.mark.usefixtures("flow_aws")
QUEUE = "change-approvals"


def staff(workspace_id: str, user_id: str, role: str = "agent") -> Principal:
    from tests.conftest import add_member

    add_member(workspace_id, role, user_id)
    return Principal(user_id, f"{user_id}@example.com", frozenset({role}), (workspace_id,))


def approval_messages(count: int = 1) -> list[dict]:
    """Wait for ``count`` messages from the machine on the change-approvals queue and take them."""
    url = clients.queue_url(QUEUE)
    taken: list[dict] = []

    def received() -> bool:
        batch = clients.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        for message in batch.get("Messages", []):
            clients.sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            taken.append(message)
        return len(taken) >= count

    wait_until(received, EXECUTION_DEADLINE_SECONDS, f"the machine sent fewer than {count} message(s) to {QUEUE}")
    return taken


def consume(messages: list[dict]) -> dict:
    from functions.change_approvals_consumer import handler

    return handler(lambda_event(messages, QUEUE), None)


def gate(workspace_id: str, requester: Principal, **policy) -> dict:
    from chalicelib.domain.changes import request_change
    from chalicelib.domain.tickets import create_ticket

    ticket = create_ticket(workspace_id, requester, {"title": "Phishing URL reported"}, None)
    body = {"ticket_id": ticket["id"], "action": "block_url", "target": "https://example.invalid", **policy}
    return request_change(workspace_id, requester, {**body, "approval_policy": policy.pop("approval_policy", {})}, None)


def test_a_quorum_of_two_of_three_resumes_the_execution(workspace_id):
    from chalicelib.domain.changes import vote

    requester = staff(workspace_id, "agent-req")
    approvers = [staff(workspace_id, name) for name in ("appr-1", "appr-2", "appr-3")]
    change = gate(
        workspace_id,
        requester,
        approval_policy={"approvers": [{"user_id": a.user_id} for a in approvers], "quorum": 2},
    )
    [message] = approval_messages()
    assert json.loads(message["Body"])["kind"] == "await_decision"
    assert consume([message])["batchItemFailures"] == []

    vote(workspace_id, approvers[0], change["id"], "approve", None, None)
    decided = vote(workspace_id, approvers[1], change["id"], "approve", None, None)

    assert decided["status"] == "approved"
    finished = wait_for_execution(change["execution_arn"])
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"])["decision"] == {"status": "approved", "change_id": change["id"]}


def test_a_decision_made_before_the_token_arrives_resumes_the_execution_when_it_does(workspace_id):
    from chalicelib.domain.changes import vote

    requester, approver = staff(workspace_id, "agent-req"), staff(workspace_id, "appr-1")
    change = gate(workspace_id, requester, approval_policy={"approvers": [{"user_id": "appr-1"}]})
    [message] = approval_messages()

    vote(workspace_id, approver, change["id"], "approve", None, None)  # no token kept yet
    consume([message])

    assert wait_for_execution(change["execution_arn"])["status"] == "SUCCEEDED"


def test_a_rejection_fails_the_waiting_task_and_the_machine_ends_rejected(workspace_id):
    from chalicelib.domain.changes import vote

    requester, approver = staff(workspace_id, "agent-req"), staff(workspace_id, "appr-1")
    change = gate(workspace_id, requester, approval_policy={"approvers": [{"user_id": "appr-1"}]})
    consume(approval_messages())

    vote(workspace_id, approver, change["id"], "reject", "Insufficient evidence", None)

    finished = wait_for_execution(change["execution_arn"])
    assert finished["status"] == "SUCCEEDED"
    assert json.loads(finished["output"])["error"]["Error"] == "ChangeRejected"


def test_a_change_nobody_decides_expires_when_its_wait_times_out(workspace_id):
    from chalicelib.domain.changes import get_change

    requester = staff(workspace_id, "agent-req")
    change = gate(workspace_id, requester, approval_policy={"expires_in": 1})
    consume(approval_messages())

    [expiry] = approval_messages()
    consume([expiry])
    consume([expiry])  # redelivered: changes nothing

    assert json.loads(expiry["Body"])["kind"] == "expire"
    assert wait_for_execution(change["execution_arn"])["status"] == "SUCCEEDED"
    detail = get_change(workspace_id, change["id"])
    assert detail["status"] == "expired"
    assert [entry["event"] for entry in detail["timeline"]] == ["requested", "expired"]
