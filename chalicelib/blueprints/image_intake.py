"""Image intake (seed 000): an image with a caption becomes an attachment and a classified ticket."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, REQUESTER
from chalicelib.blueprints import intake_schemas as schemas
from chalicelib.blueprints import ticket_schemas
from chalicelib.blueprints.attachment_schemas import (
    ATTACHMENT,
    CONTENT_TYPE,
    FILENAME,
    UPLOAD_INSTRUCTIONS,
    UPLOAD_SIZE,
)
from chalicelib.domain import image_intake
from chalicelib.errors import ValidationError
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import NULLABLE_STRING, STRING, named

routes = RouteFamily("intake")

WRITERS = frozenset({ADMIN, AGENT, REQUESTER})
_UPLOAD_ID = {"type": "string", "minLength": 1, "maxLength": 64}

IMAGE_INPUT = named(
    "ImageIntakeInput",
    {
        "type": "object",
        "additionalProperties": False,
        "description": "Either the image inline (filename, content_type, data) or a confirmed upload (upload_id)",
        "properties": {
            "filename": FILENAME,
            "content_type": CONTENT_TYPE,
            "caption": {"type": "string", "maxLength": 5000},
            "data": {"type": "string", "minLength": 1, "description": "base64, at most 1 MiB decoded"},
            "upload_id": _UPLOAD_ID,
        },
    },
)
PRESIGN_INPUT = named(
    "ImageUploadRequest",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["filename", "content_type", "size"],
        "properties": {
            "filename": FILENAME,
            "content_type": CONTENT_TYPE,
            "size": UPLOAD_SIZE,
        },
    },
)
PRESIGNED_UPLOAD = named(
    "ImageUpload",
    {
        "type": "object",
        "required": ["upload_id", "filename", "content_type", "size", "upload"],
        "properties": {
            "upload_id": STRING,
            "filename": STRING,
            "content_type": STRING,
            "size": {"type": "integer"},
            "upload": UPLOAD_INSTRUCTIONS,
        },
    },
)
IMAGE_TICKET = named(
    "ImageIntakeResult",
    {
        "type": "object",
        "required": ["ticket", "attachment", "classification", "image_read", "note"],
        "properties": {
            "ticket": ticket_schemas.TICKET,
            "attachment": ATTACHMENT,
            "classification": schemas.CLASSIFICATION,
            "image_read": {"type": "boolean", "description": "whether the image itself was classified"},
            "note": {**NULLABLE_STRING, "description": "says so when only the caption and file name were read"},
        },
    },
)


@routes.route(
    "/api/v1/upload-image",
    "POST",
    operation_id="uploadImage",
    summary="An image (inline, or a confirmed presigned upload) with a caption becomes a classified ticket",
    roles=WRITERS,
    body=IMAGE_INPUT,
    response=IMAGE_TICKET,
    status=201,
    errors=frozenset({404}),
)
def upload_image(request):
    body = request.body
    if "upload_id" in body:
        inline = [name for name in ("data", "filename", "content_type") if name in body]
        if inline:
            raise ValidationError(
                "give upload_id or the image inline, not both",
                details={name: "conflicts with upload_id" for name in inline},
            )
        answer = image_intake.submit_upload(
            request.workspace_id, request.principal, body["upload_id"], body.get("caption"), request.correlation_id
        )
    else:
        missing = [name for name in ("filename", "content_type", "data") if name not in body]
        if missing:
            raise ValidationError(
                "give upload_id, or filename, content_type and data", details={name: "is required" for name in missing}
            )
        answer = image_intake.submit_inline(
            request.workspace_id,
            request.principal,
            body["filename"],
            body["content_type"],
            body["data"],
            body.get("caption"),
            request.correlation_id,
        )
    return Reply(answer, status=201)


@routes.route(
    "/api/v1/upload-image/presign",
    "POST",
    operation_id="presignImageUpload",
    summary="A presigned PUT for an image; POST /upload-image with its upload_id once it is stored",
    roles=WRITERS,
    body=PRESIGN_INPUT,
    response=PRESIGNED_UPLOAD,
    status=201,
)
def presign_image_upload(request):
    body = request.body
    answer = image_intake.request_upload(
        request.workspace_id,
        request.principal,
        body["filename"],
        body["content_type"],
        body["size"],
        request.correlation_id,
    )
    return Reply(answer, status=201)
