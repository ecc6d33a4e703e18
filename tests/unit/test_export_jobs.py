"""Export jobs under moto: queued by a request, run once by the ticket-exports consumer into S3,
and shown by GET /jobs/{id} as queued, running, succeeded (with a download URL) or failed."""

from __future__ import annotations

import csv
import io

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.events.catalogue import TICKET_EXPORTS, Topic
from tests.routes.http_helpers import call, open_ticket

EXPORTS = "/api/v1/exports/tickets"


@pytest.fixture
def agent(workspace_id):
    return Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))


def export_event(workspace_id: str, job_id: str) -> dict:
    from chalicelib.domain.events import envelope
    from chalicelib.models.events import EventItem

    [event] = [
        envelope(item)
        for item in EventItem.query(f"WS#{workspace_id}")
        if item.type == Topic.EXPORT_REQUESTED and item.subject_id == job_id
    ]
    return event


def stored_csv(workspace_id: str, job_id: str) -> list[dict]:
    from chalicelib import aws
    from chalicelib.models.export_files import export_key
    from chalicelib.settings import get_settings

    body = aws.s3().get_object(Bucket=get_settings().files_bucket, Key=export_key(workspace_id, job_id))["Body"]
    return list(csv.DictReader(io.StringIO(body.read().decode(), newline="")))


@pytest.fixture
def tickets(aws, workspace_id, agent):
    from chalicelib.domain.tickets import change_status, create_ticket

    created = [create_ticket(workspace_id, agent, {"title": title}, None) for title in ("=one", "two", "three")]
    change_status(workspace_id, agent, created[1]["id"], "open", None, None)
    return created


def test_a_job_exports_the_filtered_tickets_to_s3_and_succeeds(workspace_id, agent, tickets):
    from chalicelib.domain.ticket_exports import get_job, request_export, run_export_job

    job = request_export(workspace_id, agent, {"status": "new", "order": "asc"}, None)

    assert job["status"] == "queued" and job["download_url"] is None
    assert run_export_job(export_event(workspace_id, job["id"])) is True
    done = get_job(workspace_id, job["id"])
    assert done["status"] == "succeeded"
    assert done["row_count"] == 2 and done["truncated"] is False
    assert job["id"] in done["download_url"] and "Signature" in done["download_url"]
    assert [row["title"] for row in stored_csv(workspace_id, job["id"])] == ["'=one", "three"]


def test_a_redelivered_request_does_not_export_again(workspace_id, agent, tickets, monkeypatch):
    from chalicelib.domain.ticket_exports import get_job, request_export, run_export_job
    from chalicelib.models import export_files

    job = request_export(workspace_id, agent, {}, None)
    event = export_event(workspace_id, job["id"])
    run_export_job(event)
    first = get_job(workspace_id, job["id"])
    uploads = []
    monkeypatch.setattr(export_files, "put_csv", lambda key, body: uploads.append(key))

    again = run_export_job(event)

    assert again is False
    assert uploads == []
    assert get_job(workspace_id, job["id"])["finished_at"] == first["finished_at"]


def test_a_running_job_is_left_alone_until_its_lease_runs_out_then_taken_over(workspace_id, agent, tickets, clock):
    from chalicelib.domain import ticket_exports

    job = ticket_exports.request_export(workspace_id, agent, {}, None)
    event = export_event(workspace_id, job["id"])
    assert ticket_exports._claim(workspace_id, job["id"]) is not None  # a runner that then died
    assert ticket_exports.get_job(workspace_id, job["id"])["status"] == "running"

    assert ticket_exports.run_export_job(event) is False
    clock.advance(ticket_exports.JOB_LEASE, seconds=1)
    assert ticket_exports.run_export_job(event) is True
    assert ticket_exports.get_job(workspace_id, job["id"])["status"] == "succeeded"


def test_a_job_that_cannot_write_its_file_fails_with_an_error_and_is_not_retried(
    workspace_id, agent, tickets, monkeypatch
):
    from chalicelib.domain import ticket_exports
    from chalicelib.models import export_files

    def unavailable(key, body):
        raise OSError("bucket unavailable")

    monkeypatch.setattr(export_files, "put_csv", unavailable)
    job = ticket_exports.request_export(workspace_id, agent, {}, None)
    event = export_event(workspace_id, job["id"])

    ticket_exports.run_export_job(event)
    failed = ticket_exports.get_job(workspace_id, job["id"])

    assert failed["status"] == "failed" and failed["error"] == "export failed (OSError)"
    assert failed["download_url"] is None
    assert ticket_exports.run_export_job(event) is False


def test_the_subscription_delivers_the_request_to_the_consumer_handler(workspace_id, agent, tickets):
    from chalicelib import aws
    from chalicelib.domain.events import publish_pending
    from chalicelib.domain.ticket_exports import get_job, request_export
    from functions.ticket_exports_consumer import handler
    from infra.local.lambda_events import sqs_event

    job = request_export(workspace_id, agent, {}, None)
    publish_pending()
    url = aws.queue_url(TICKET_EXPORTS.queue)
    messages = aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]

    result = handler(sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1"), None)

    assert result == {"batchItemFailures": []}
    assert get_job(workspace_id, job["id"])["status"] == "succeeded"
    assert len(stored_csv(workspace_id, job["id"])) == 3


# --- the routes --------------------------------------------------------------------------------------


def test_a_job_is_queued_with_202_then_shown_running_and_succeeded_with_a_download_url(
    client, as_role, workspace_id, clock
):
    import requests

    from chalicelib.domain import ticket_exports

    agent = as_role("agent")
    open_ticket(client, agent, title="Exported")

    queued = call(client, "POST", EXPORTS, agent, {"status": "new"})
    path = queued.headers["Location"]
    shown_queued = call(client, "GET", path, agent).json
    ticket_exports._claim(workspace_id, queued.json["id"])
    shown_running = call(client, "GET", path, agent).json
    clock.advance(ticket_exports.JOB_LEASE, seconds=1)  # that runner died; the consumer takes over
    ticket_exports.run_export_job(export_event(workspace_id, queued.json["id"]))
    shown_done = call(client, "GET", path, agent).json

    assert queued.status_code == 202 and queued.json["status"] == "queued"
    assert path == f"/api/v1/jobs/{queued.json['id']}"
    assert [shown_queued["status"], shown_running["status"]] == ["queued", "running"]
    assert shown_done["status"] == "succeeded", shown_done
    download = requests.get(shown_done["download_url"], timeout=10)
    assert download.status_code == 200
    assert "Exported" in download.text


def test_a_failed_job_is_shown_failed_with_its_error(client, as_role, workspace_id, monkeypatch):
    from chalicelib.domain import ticket_exports
    from chalicelib.models import export_files

    monkeypatch.setattr(export_files, "put_csv", lambda key, body: 1 / 0)
    agent = as_role("agent")
    job = call(client, "POST", EXPORTS, agent, {}).json
    ticket_exports.run_export_job(export_event(workspace_id, job["id"]))

    shown = call(client, "GET", f"/api/v1/jobs/{job['id']}", agent).json

    assert shown["status"] == "failed" and shown["error"] == "export failed (ZeroDivisionError)"


def test_export_jobs_are_for_staff(client, as_role):
    agent, requester = as_role("agent"), as_role("requester")
    job = call(client, "POST", EXPORTS, agent, {}).json

    assert call(client, "POST", EXPORTS, requester, {}).status_code == 403
    assert call(client, "GET", f"/api/v1/jobs/{job['id']}", requester).status_code == 403


def test_another_workspaces_job_is_answered_like_a_missing_one(client, as_role):
    job = call(client, "POST", EXPORTS, as_role("agent"), {}).json
    elsewhere = as_role("agent", workspace="other-ws")

    assert call(client, "GET", f"/api/v1/jobs/{job['id']}", elsewhere).status_code == 404
    assert call(client, "GET", "/api/v1/jobs/no-such-job", as_role("agent")).status_code == 404


@pytest.mark.parametrize("body", [{"status": "lost"}, {"colour": "red"}, {"created_from": "yesterday"}])
def test_an_export_request_with_bad_filters_is_a_400_and_queues_nothing(client, as_role, workspace_id, body):
    from chalicelib.models.jobs import JobItem

    response = call(client, "POST", EXPORTS, as_role("agent"), body)

    assert response.status_code == 400, response.body
    assert list(JobItem.query(f"WS#{workspace_id}")) == []


def test_requesting_an_export_writes_an_audit_row(client, as_role, workspace_id):
    from chalicelib.models.audit import AuditItem, audit_pk

    job = call(client, "POST", EXPORTS, as_role("agent"), {}).json

    rows = [(row.action, row.target_id) for row in AuditItem.query(audit_pk(workspace_id))]
    assert [row for row in rows if row[0].startswith("export_job.")] == [("export_job.created", job["id"])]
