"""Ticket attachments: presign → upload to S3 → confirm → list → download → delete."""

from __future__ import annotations

import json

import pytest
import requests

from chalicelib import aws
from chalicelib.models.audit import AuditItem, target_key
from chalicelib.settings import get_settings
from tests.routes.http_helpers import call, open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10
CONFIG = "/api/v1/admin/system-config"


def attachments_path(ticket: dict) -> str:
    return f"/api/v1/tickets/{ticket['id']}/attachments"


def presign(client, headers, ticket, **overrides):
    body = {"filename": "leak.png", "content_type": "image/png", "size": len(PNG), **overrides}
    return call(client, "POST", f"{attachments_path(ticket)}/presign", headers, body)


def upload(presigned: dict, data: bytes = PNG, content_type: str | None = None) -> int:
    """What a client does with the presigned URL (moto answers it in-process)."""
    headers = {"Content-Type": content_type or presigned["upload"]["headers"]["Content-Type"]}
    return requests.put(presigned["upload"]["url"], data=data, headers=headers, timeout=10).status_code


def confirm(client, headers, ticket, attachment_id):
    return call(client, "POST", attachments_path(ticket), headers, {"attachment_id": attachment_id})


def attach(client, headers, ticket, data: bytes = PNG) -> dict:
    presigned = presign(client, headers, ticket, size=len(data)).json
    assert upload(presigned, data) == 200
    confirmed = confirm(client, headers, ticket, presigned["attachment_id"])
    assert confirmed.status_code == 201, confirmed.body
    return confirmed.json


def object_exists(key: str) -> bool:
    listed = aws.s3().list_objects_v2(Bucket=get_settings().files_bucket, Prefix=key)
    return listed.get("KeyCount", 0) > 0


@pytest.fixture
def requester(as_role):
    return as_role("requester", user_id="req-1")


@pytest.fixture
def ticket(client, requester):
    return open_ticket(client, requester)


def test_presign_returns_a_put_url_bound_to_the_type_and_length(client, requester, ticket):
    response = presign(client, requester, ticket)

    assert response.status_code == 201, response.body
    body = response.json
    assert body["attachment"]["status"] == "pending"
    assert body["object_key"].endswith(body["attachment_id"])
    assert body["upload"]["method"] == "PUT"
    assert body["upload"]["headers"] == {"Content-Type": "image/png", "Content-Length": str(len(PNG))}
    assert "X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost" in body["upload"]["url"]


def test_an_uploaded_file_is_confirmed_listed_and_downloadable(client, requester, ticket):
    attachment = attach(client, requester, ticket)

    listed = call(client, "GET", attachments_path(ticket), requester)
    fetched = call(client, "GET", f"{attachments_path(ticket)}/{attachment['id']}", requester)

    assert attachment["status"] == "confirmed"
    assert [item["id"] for item in listed.json["data"]] == [attachment["id"]]
    assert fetched.status_code == 200
    download = requests.get(fetched.json["download"]["url"], timeout=10)
    assert download.content == PNG
    assert 'filename="leak.png"' in download.headers["Content-Disposition"]


def test_pending_uploads_are_not_listed(client, requester, ticket):
    presign(client, requester, ticket)

    assert call(client, "GET", attachments_path(ticket), requester).json["data"] == []


def test_confirm_before_upload_is_a_conflict(client, requester, ticket):
    presigned = presign(client, requester, ticket).json

    response = confirm(client, requester, ticket, presigned["attachment_id"])

    assert response.status_code == 409
    assert response.json["code"] == "attachment_not_uploaded"


def test_an_upload_of_another_size_is_not_confirmed(client, requester, ticket):
    presigned = presign(client, requester, ticket).json
    upload(presigned, PNG + b"more")

    response = confirm(client, requester, ticket, presigned["attachment_id"])

    assert response.status_code == 400
    assert response.json["code"] == "attachment_size_mismatch"
    assert call(client, "GET", attachments_path(ticket), requester).json["data"] == []


def test_an_upload_of_another_type_is_not_confirmed(client, requester, ticket):
    presigned = presign(client, requester, ticket).json
    upload(presigned, content_type="text/html")

    response = confirm(client, requester, ticket, presigned["attachment_id"])

    assert response.status_code == 400
    assert response.json["code"] == "attachment_type_mismatch"


def test_confirming_twice_answers_the_same_attachment_once_in_history(client, requester, ticket):
    attachment = attach(client, requester, ticket)

    again = confirm(client, requester, ticket, attachment["id"])
    history = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/history", requester).json["data"]

    assert again.json == attachment
    assert [row["note"] for row in history if row["field"] == "attachment"] == ["added"]


def test_files_larger_than_the_config_allows_are_refused(client, as_role, requester, ticket):
    call(client, "PUT", CONFIG, as_role("admin"), {"attachments": {"max_bytes": 1000}})

    response = presign(client, requester, ticket, size=1001)

    assert response.status_code == 413
    assert response.json["code"] == "attachment_too_large"
    assert presign(client, requester, ticket, size=1000).status_code == 201


def test_types_the_config_does_not_allow_are_refused(client, as_role, requester, ticket):
    call(client, "PUT", CONFIG, as_role("admin"), {"attachments": {"allowed_mime_types": ["image/*"]}})

    refused = presign(client, requester, ticket, filename="run.exe", content_type="application/x-msdownload")
    allowed = presign(client, requester, ticket, content_type="Image/PNG; charset=binary")

    assert refused.status_code == 415
    assert refused.json["code"] == "attachment_type_not_allowed"
    assert allowed.status_code == 201
    assert allowed.json["attachment"]["content_type"] == "image/png"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"size": 0}, "size"),
        ({"size": "12"}, "size"),
        ({"content_type": "png"}, "content_type"),
        ({"filename": "../.."}, "filename"),
        ({"filename": ""}, "filename"),
        ({"path": "/etc"}, "path"),
    ],
    ids=["zero-size", "size-as-text", "not-a-media-type", "only-traversal", "empty-name", "unknown-key"],
)
def test_bad_upload_requests_are_refused(client, requester, ticket, overrides, field):
    response = presign(client, requester, ticket, **overrides)

    assert response.status_code == 400
    assert field in response.json["details"]


def test_filenames_are_kept_as_safe_display_names(client, requester, ticket):
    response = presign(client, requester, ticket, filename="../../etc/\x1b[31mpasswd\u202e.png")

    assert response.json["attachment"]["filename"] == "[31mpasswd.png"
    assert "passwd" not in response.json["object_key"]


def test_delete_removes_the_record_and_the_object(client, requester, ticket):
    attachment = attach(client, requester, ticket)
    assert object_exists(attachment["object_key"])

    deleted = call(client, "DELETE", f"{attachments_path(ticket)}/{attachment['id']}", requester)

    assert deleted.status_code == 204
    assert not object_exists(attachment["object_key"])
    assert call(client, "GET", attachments_path(ticket), requester).json["data"] == []
    assert call(client, "GET", f"{attachments_path(ticket)}/{attachment['id']}", requester).status_code == 404


def test_changes_leave_history_and_audit_rows(client, requester, ticket, workspace_id):
    attachment = attach(client, requester, ticket)
    call(client, "DELETE", f"{attachments_path(ticket)}/{attachment['id']}", requester)

    history = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/history", requester).json["data"]
    audit = list(AuditItem.by_target.query(target_key(workspace_id, "attachment", attachment["id"])))

    assert [(row["field"], row["note"]) for row in history if row["field"] == "attachment"] == [
        ("attachment", "added"),
        ("attachment", "deleted"),
    ]
    assert [row.action for row in audit] == ["attachment.upload_requested", "attachment.added", "attachment.deleted"]
    assert all(row.actor_id == "req-1" for row in audit)
    assert json.loads(audit[-1].changes)["attachment"]["to"] is None


def test_a_requester_cannot_reach_someone_elses_ticket(client, as_role, requester, ticket):
    attachment = attach(client, requester, ticket)
    stranger = as_role("requester", user_id="req-2")

    assert presign(client, stranger, ticket).status_code == 404
    assert call(client, "GET", attachments_path(ticket), stranger).status_code == 404
    assert call(client, "GET", f"{attachments_path(ticket)}/{attachment['id']}", stranger).status_code == 404
    assert call(client, "DELETE", f"{attachments_path(ticket)}/{attachment['id']}", stranger).status_code == 404
    assert confirm(client, stranger, ticket, attachment["id"]).status_code == 404


def test_staff_work_on_any_ticket_and_requesters_delete_only_their_own_files(client, as_role, requester, ticket):
    agent = as_role("agent")
    from_agent = attach(client, agent, ticket)

    refused = call(client, "DELETE", f"{attachments_path(ticket)}/{from_agent['id']}", requester)
    listed = call(client, "GET", attachments_path(ticket), requester)

    assert refused.status_code == 403
    assert [item["id"] for item in listed.json["data"]] == [from_agent["id"]]
    assert call(client, "DELETE", f"{attachments_path(ticket)}/{from_agent['id']}", agent).status_code == 204


def test_viewers_read_but_do_not_upload(client, as_role, requester, ticket):
    attachment = attach(client, requester, ticket)
    viewer = as_role("viewer")

    assert presign(client, viewer, ticket).status_code == 403
    assert call(client, "GET", f"{attachments_path(ticket)}/{attachment['id']}", viewer).status_code == 200


def test_another_workspaces_ticket_is_not_found(client, as_role, ticket):
    outsider = as_role("admin", workspace="ws-elsewhere")

    assert presign(client, outsider, ticket).status_code == 404
    assert call(client, "GET", attachments_path(ticket), outsider).status_code == 404


def test_a_deleted_ticket_takes_no_uploads(client, as_role, requester, ticket):
    call(client, "DELETE", f"/api/v1/tickets/{ticket['id']}", as_role("admin"))

    assert presign(client, requester, ticket).status_code == 404


def test_the_list_pages_with_a_cursor(client, requester, ticket):
    ids = [attach(client, requester, ticket)["id"] for _ in range(3)]

    first = call(client, "GET", f"{attachments_path(ticket)}?limit=2", requester).json
    cursor = first["page"]["next_cursor"]
    second = call(client, "GET", f"{attachments_path(ticket)}?limit=2&cursor={cursor}", requester).json

    assert [item["id"] for item in first["data"] + second["data"]] == ids
    assert second["page"]["next_cursor"] is None


def test_a_repeated_confirm_with_the_same_idempotency_key_replays(client, requester, ticket):
    presigned = presign(client, requester, ticket).json
    upload(presigned)
    headers = {**requester, "Idempotency-Key": "confirm-1"}

    first = confirm(client, headers, ticket, presigned["attachment_id"])
    replay = confirm(client, headers, ticket, presigned["attachment_id"])

    assert first.status_code == replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true"
