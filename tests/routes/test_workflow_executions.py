"""Agent workflow executions (seed 004) over the API: start, read, cancel, retry, with their state rules
(in-process moto: the workflow-run executions are started and stopped for real, not run)."""

from __future__ import annotations

from tests.routes.http_helpers import call

EXECUTIONS = "/api/v1/workflow-executions"


def start(client, headers, **body):
    return call(client, "POST", EXECUTIONS, headers, {"workflow_id": "triage.summarize", **body})


def test_a_started_execution_runs_its_first_attempt_on_step_functions(client, as_role):
    agent = as_role("agent")

    started = start(client, agent, input={"ticket": "DF-1001"}, evidence_ref="s3://evidence/1")
    shown = call(client, "GET", f"{EXECUTIONS}/{started.json['id']}", agent)

    assert started.status_code == 201, started.body
    assert shown.json["status"] == "running"
    assert (shown.json["attempt"], shown.json["retry_count"], shown.json["duration_ms"]) == (1, 0, None)
    assert shown.json["state_machine_status"] == "RUNNING"
    assert shown.json["input"] == {"ticket": "DF-1001"}
    assert (shown.json["input_ref"], shown.json["evidence_ref"]) == (
        f"workflow-executions/{started.json['id']}/input",
        "s3://evidence/1",
    )


def test_cancel_stops_a_running_execution_once(client, as_role):
    agent = as_role("agent")
    execution_id = start(client, agent).json["id"]

    cancelled = call(client, "POST", f"{EXECUTIONS}/{execution_id}/cancel", agent)
    again = call(client, "POST", f"{EXECUTIONS}/{execution_id}/cancel", agent)
    shown = call(client, "GET", f"{EXECUTIONS}/{execution_id}", agent).json

    assert cancelled.status_code == 200, cancelled.body
    assert (cancelled.json["status"], cancelled.json["failure_code"]) == ("cancelled", "cancelled")
    assert (again.status_code, again.json["code"]) == (409, "execution_not_running")
    assert shown["state_machine_status"] == "ABORTED"
    assert shown["duration_ms"] is not None and shown["duration_ms"] >= 0


def test_retry_starts_the_next_attempt_of_a_cancelled_execution_only(client, as_role):
    agent = as_role("agent")
    execution_id = start(client, agent).json["id"]

    running = call(client, "POST", f"{EXECUTIONS}/{execution_id}/retry", agent)
    call(client, "POST", f"{EXECUTIONS}/{execution_id}/cancel", agent)
    retried = call(client, "POST", f"{EXECUTIONS}/{execution_id}/retry", agent)
    shown = call(client, "GET", f"{EXECUTIONS}/{execution_id}", agent).json

    assert (running.status_code, running.json["code"]) == (409, "execution_not_retryable")
    assert retried.status_code == 200, retried.body
    assert (shown["status"], shown["attempt"], shown["retry_count"], shown["failure_code"]) == ("running", 2, 1, None)
    assert shown["state_machine_status"] == "RUNNING"


def test_requesters_cannot_start_or_read_executions_and_unknown_ids_are_404(client, as_role):
    agent, requester = as_role("agent"), as_role("requester")
    execution_id = start(client, agent).json["id"]

    assert start(client, requester).status_code == 403
    assert call(client, "GET", f"{EXECUTIONS}/{execution_id}", requester).status_code == 403
    missing = call(client, "GET", f"{EXECUTIONS}/wfx-nope", agent)
    assert (missing.status_code, missing.json["code"]) == (404, "execution_not_found")
    assert call(client, "POST", f"{EXECUTIONS}/wfx-nope/cancel", agent).status_code == 404


def test_bad_input_is_a_400(client, as_role):
    agent = as_role("agent")

    assert call(client, "POST", EXECUTIONS, agent, {}).status_code == 400
    assert start(client, agent, input="not an object").status_code == 400
    assert start(client, agent, timeout_seconds=0).status_code == 400
