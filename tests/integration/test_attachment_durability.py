"""A confirmed attachment survives ``kill -9`` of ``make run``: its object is kept on disk before the confirm
answers, although moto holds S3 in memory and the periodic snapshot has not run. The presigned URLs are
used from outside the stack, as curl on the laptop would."""

from __future__ import annotations

import urllib.request

import pytest

from tests.integration.local_stack import (
    EXTERNAL_ENDPOINT,
    LocalStackProcess,
    as_member,
    call,
    tables_in_dynamodb_local,
)
from tests.integration.test_durability import crash_and_wait_for_the_jvm

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        bool(EXTERNAL_ENDPOINT) or not tables_in_dynamodb_local(),
        reason="about the embedded moto S3 beside durable DynamoDB Local tables",
    ),
]

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a 10 KiB "JPEG"


@pytest.fixture
def stack(tmp_path, monkeypatch):
    monkeypatch.setenv("DESKFLOW_SNAPSHOT_SECONDS", "3600")  # no periodic snapshot can rescue the object
    running = LocalStackProcess(state_dir=tmp_path / "state", log_path=tmp_path / "stack.log")
    running.start()
    yield running
    running.stop()


def put_file(upload: dict, data: bytes) -> int:
    request = urllib.request.Request(upload["url"], data=data, method="PUT", headers=upload["headers"])
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_a_confirmed_attachment_survives_kill_9(stack):
    headers = as_member(stack.login())
    ticket = call("POST", f"{stack.api_url}/api/v1/tickets", {"title": "Cracked window"}, headers=headers).json()
    attachments = f"{stack.api_url}/api/v1/tickets/{ticket['id']}/attachments"
    presigned = call(
        "POST",
        f"{attachments}/presign",
        {"filename": "window.jpg", "content_type": "image/jpeg", "size": len(PHOTO)},
        headers=headers,
    ).json()
    assert put_file(presigned["upload"], PHOTO) == 200
    confirmed = call("POST", attachments, {"attachment_id": presigned["attachment_id"]}, headers=headers)
    assert confirmed.status == 201, confirmed.body

    crash_and_wait_for_the_jvm(stack)
    stack.start()

    attachments = f"{stack.api_url}/api/v1/tickets/{ticket['id']}/attachments"  # the restart took new ports
    fetched = call("GET", f"{attachments}/{presigned['attachment_id']}", headers=as_member(stack.login()))
    assert fetched.status == 200, fetched.body
    assert download(fetched.json()["download"]["url"]) == PHOTO
