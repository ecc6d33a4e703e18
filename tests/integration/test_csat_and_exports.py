"""CSAT and ticket exports on the real local stack: the survey over plain HTTP as a browser posts it,
and an export job run by the ticket-exports consumer of the event runtime into the files bucket."""

from __future__ import annotations

import csv
import io
import urllib.request

import pytest

from tests.integration.local_stack import LocalStackProcess, as_member, call
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

JOB_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("csat-export-stack")
    running = LocalStackProcess(state_dir=folder / "state", log_path=folder / "stack.log")
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def agent(stack):
    return {**as_member(stack.login()), "Content-Type": "application/json"}


def open_and_resolve(stack, agent, title: str) -> dict:
    ticket = call("POST", f"{stack.api_url}/api/v1/tickets", {"title": title}, agent).json()
    resolved = call("POST", f"{stack.api_url}/api/v1/tickets/{ticket['id']}/status", {"status": "resolved"}, agent)
    assert resolved.status == 200, resolved.body
    return resolved.json()


def form_post(url: str, body: bytes):
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_a_survey_is_shown_and_answered_once_as_a_browser_would(stack, agent):
    ticket = open_and_resolve(stack, agent, "Survey me")
    url = stack.api_url + ticket["csat_url"]

    form = call("GET", url)
    first = form_post(url, b"score=good&comment=thanks+a+lot")
    second = form_post(url, b"score=bad")
    after = call("GET", f"{stack.api_url}/api/v1/tickets/{ticket['id']}", headers=agent).json()

    assert form.status == 200 and b'<form method="post">' in form.body
    assert first[0] == 200 and first[1]["Content-Type"].startswith("text/html") and "Thank you" in first[2]
    assert second[0] == 409
    assert after["csat_token"] is None


def test_an_export_job_is_run_by_the_consumer_and_downloadable(stack, agent):
    open_and_resolve(stack, agent, "Exported, with a comma")
    queued = call("POST", f"{stack.api_url}/api/v1/exports/tickets", {"status": "resolved"}, agent)
    assert queued.status == 202, queued.body
    job_url = stack.api_url + queued.headers["Location"]

    def finished():
        job = call("GET", job_url, headers=agent).json()
        return job if job["status"] in {"succeeded", "failed"} else None

    job = wait_until(finished, JOB_TIMEOUT_SECONDS, lambda: f"the job never finished:\n{stack.log_tail()}")
    assert job["status"] == "succeeded", job
    with urllib.request.urlopen(job["download_url"], timeout=10) as download:
        rows = list(csv.DictReader(io.StringIO(download.read().decode(), newline="")))
    assert "Exported, with a comma" in [row["title"] for row in rows]
    assert all(row["status"] == "resolved" for row in rows)
