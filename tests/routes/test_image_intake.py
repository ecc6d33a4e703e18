"""Image intake (seed 000): an image with a caption becomes a classified ticket with the image attached;
non-images are 415, oversize is 413; inline or through a presigned upload."""

from __future__ import annotations

import base64

import pytest
import requests

from chalicelib import aws
from chalicelib.settings import get_settings
from tests.routes.http_helpers import call

UPLOAD = "/api/v1/upload-image"
PRESIGN = "/api/v1/upload-image/presign"
PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"jfif" * 20
CONFIG = "/api/v1/admin/system-config"


def inline(client, headers, data: bytes = PNG, **fields):
    body = {"filename": "leak.png", "content_type": "image/png", "data": base64.b64encode(data).decode(), **fields}
    return call(client, "POST", UPLOAD, headers, body)


def presign(client, headers, data: bytes = PNG, **fields):
    body = {"filename": "leak.png", "content_type": "image/png", "size": len(data), **fields}
    return call(client, "POST", PRESIGN, headers, body)


def put_object(presigned: dict, data: bytes = PNG) -> int:
    """What a client does with the presigned URL (moto answers it in-process)."""
    headers = {"Content-Type": presigned["upload"]["headers"]["Content-Type"]}
    return requests.put(presigned["upload"]["url"], data=data, headers=headers, timeout=10).status_code


def stored_keys(prefix: str) -> list[str]:
    listed = aws.s3().list_objects_v2(Bucket=get_settings().files_bucket, Prefix=prefix)
    return [entry["Key"] for entry in listed.get("Contents", [])]


def ticket_count(client, admin) -> int:
    return len(call(client, "GET", "/api/v1/tickets?limit=100", admin).json["data"])


@pytest.fixture
def requester(as_role):
    return as_role("requester", user_id="req-1")


@pytest.fixture
def admin(as_role):
    return as_role("admin", user_id="admin-1")


def set_attachment_limits(client, admin, **limits):
    current = call(client, "GET", CONFIG, admin).json
    attachments = {**current["attachments"], **limits}
    response = call(client, "PUT", CONFIG, admin, {"attachments": attachments})
    assert response.status_code == 200, response.body


def test_an_inline_image_with_a_caption_becomes_a_classified_ticket_with_its_attachment(client, requester):
    response = inline(client, requester, caption="Water leak under the kitchen sink")

    assert response.status_code == 201, response.body
    body = response.json
    ticket, attachment = body["ticket"], body["attachment"]
    assert (ticket["source"], ticket["category"], ticket["title"]) == (
        "image",
        "plumbing",
        "Water leak under the kitchen sink",
    )
    assert body["classification"]["category"] == "plumbing"
    assert body["image_read"] is False and "not read" in body["note"]
    assert (attachment["ticket_id"], attachment["status"], attachment["size"]) == (ticket["id"], "confirmed", len(PNG))
    listed = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/attachments", requester)
    assert [item["id"] for item in listed.json["data"]] == [attachment["id"]]
    download = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/attachments/{attachment['id']}", requester)
    assert requests.get(download.json["download"]["url"], timeout=10).content == PNG


def test_an_image_without_a_caption_is_titled_after_its_file_and_still_opens_a_ticket(client, requester):
    response = inline(client, requester, data=JPEG, filename="IMG_0042.jpg", content_type="image/jpeg")

    assert response.status_code == 201, response.body
    assert response.json["ticket"]["title"] == "Photo: IMG_0042.jpg"
    assert response.json["ticket"]["category"] is None


def test_a_file_that_is_not_an_image_is_a_415_and_opens_nothing(client, requester, admin):
    before = ticket_count(client, admin)

    response = inline(client, requester, data=b"%PDF-1.7 hello", filename="lease.pdf", content_type="application/pdf")

    assert response.status_code == 415, response.body
    assert response.json["code"] == "attachment_type_not_allowed"
    assert ticket_count(client, admin) == before


def test_bytes_that_are_not_the_declared_image_are_a_415(client, requester, admin):
    before = ticket_count(client, admin)

    response = inline(client, requester, data=b"<script>alert(1)</script>", caption="power outage")

    assert response.status_code == 415, response.body
    assert response.json["code"] == "image_content_mismatch"
    assert ticket_count(client, admin) == before
    assert stored_keys("workspaces/") == []


def test_an_image_over_the_workspace_limit_is_a_413(client, requester, admin):
    set_attachment_limits(client, admin, max_bytes=64)

    inline_response = inline(client, requester)
    presign_response = presign(client, requester)

    assert inline_response.status_code == 413, inline_response.body
    assert presign_response.status_code == 413, presign_response.body
    assert ticket_count(client, admin) == 0


def test_an_inline_image_over_one_mebibyte_is_a_413(client, requester, admin, monkeypatch):
    from chalicelib.domain import image_intake

    monkeypatch.setattr(image_intake, "INLINE_MAX_BYTES", 100)  # a real 1 MiB body exceeds the request cap too

    response = inline(client, requester)

    assert response.status_code == 413, response.body
    assert ticket_count(client, admin) == 0


def test_a_presigned_upload_becomes_a_ticket_once_stored(client, requester, workspace_id):
    presigned = presign(client, requester)
    assert presigned.status_code == 201, presigned.body
    assert put_object(presigned.json) == 200

    response = call(
        client, "POST", UPLOAD, requester, {"upload_id": presigned.json["upload_id"], "caption": "I'm locked out"}
    )

    assert response.status_code == 201, response.body
    ticket, attachment = response.json["ticket"], response.json["attachment"]
    assert (ticket["source"], ticket["category"]) == ("image", "access")
    ticket_files = f"workspaces/{workspace_id}/tickets/{ticket['id']}/attachments/"
    assert stored_keys(ticket_files) == [attachment["object_key"]] == [f"{ticket_files}{attachment['id']}"]
    assert stored_keys(f"workspaces/{workspace_id}/intake-uploads/") == []


def test_an_upload_becomes_one_ticket_only(client, requester):
    presigned = presign(client, requester).json
    put_object(presigned)
    first = call(client, "POST", UPLOAD, requester, {"upload_id": presigned["upload_id"]})

    again = call(client, "POST", UPLOAD, requester, {"upload_id": presigned["upload_id"]})

    assert first.status_code == 201, first.body
    assert again.status_code == 409
    assert again.json["details"]["ticket_id"] == first.json["ticket"]["id"]


def test_confirming_before_the_upload_or_with_another_size_is_refused(client, requester, admin):
    presigned = presign(client, requester).json

    early = call(client, "POST", UPLOAD, requester, {"upload_id": presigned["upload_id"]})
    put_object(presigned, PNG + b"more")
    resized = call(client, "POST", UPLOAD, requester, {"upload_id": presigned["upload_id"]})

    assert (early.status_code, early.json["code"]) == (409, "attachment_not_uploaded")
    assert (resized.status_code, resized.json["code"]) == (400, "attachment_size_mismatch")
    assert ticket_count(client, admin) == 0


def test_an_uploaded_file_that_is_not_the_declared_image_is_a_415(client, requester, admin):
    fake = b"GIF? no, plain text" * 3
    presigned = presign(client, requester, data=fake).json
    put_object(presigned, fake)

    response = call(client, "POST", UPLOAD, requester, {"upload_id": presigned["upload_id"]})

    assert response.status_code == 415, response.body
    assert ticket_count(client, admin) == 0


def test_presigning_a_non_image_is_a_415(client, requester):
    response = presign(client, requester, filename="notes.txt", content_type="text/plain")

    assert response.status_code == 415


def test_another_users_upload_is_not_found(client, requester, as_role):
    presigned = presign(client, requester).json
    put_object(presigned)

    response = call(
        client, "POST", UPLOAD, as_role("requester", user_id="req-2"), {"upload_id": presigned["upload_id"]}
    )

    assert response.status_code == 404


def test_inline_fields_and_an_upload_id_together_are_a_400(client, requester):
    response = call(client, "POST", UPLOAD, requester, {"upload_id": "upl_x", "data": "AAAA"})

    assert response.status_code == 400
