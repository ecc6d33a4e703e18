"""Ticket attachments: presigned upload, confirm, list, download, delete: parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, ANY_MEMBER, REQUESTER
from chalicelib.blueprints.attachment_schemas import (
    ATTACHMENT,
    CONTENT_TYPE,
    FILENAME,
    UPLOAD_INSTRUCTIONS,
    UPLOAD_SIZE,
)
from chalicelib.domain import attachments
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply, no_content
from chalicelib.http.schemas import STRING, TIME, list_of, named

routes = RouteFamily("tickets")

WRITERS = frozenset({ADMIN, AGENT, REQUESTER})
ATTACHMENTS_PATH = "/api/v1/tickets/{ticket_id}/attachments"
ATTACHMENT_PATH = f"{ATTACHMENTS_PATH}/{{attachment_id}}"

PRESIGN_INPUT = named(
    "AttachmentUploadRequest",
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
CONFIRM_INPUT = named(
    "AttachmentConfirmation",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["attachment_id"],
        "properties": {"attachment_id": {"type": "string", "minLength": 1, "maxLength": 64}},
    },
)
PRESIGNED = named(
    "PresignedUrl",
    {"type": "object", "required": ["url", "expires_at"], "properties": {"url": STRING, "expires_at": TIME}},
)
UPLOAD = named(
    "AttachmentUpload",
    {
        "type": "object",
        "required": ["attachment", "attachment_id", "object_key", "upload"],
        "properties": {
            "attachment": ATTACHMENT,
            "attachment_id": STRING,
            "object_key": STRING,
            "upload": UPLOAD_INSTRUCTIONS,
        },
    },
)
ATTACHMENT_WITH_DOWNLOAD = named(
    "AttachmentWithDownload",
    {**ATTACHMENT, "properties": {**ATTACHMENT["properties"], "download": PRESIGNED}},
)
ATTACHMENT_LIST = list_of("AttachmentList", ATTACHMENT)


@routes.route(
    f"{ATTACHMENTS_PATH}/presign",
    "POST",
    operation_id="presignAttachmentUpload",
    summary="Start an upload: a presigned S3 PUT for one file (size and type limits from the system config)",
    roles=WRITERS,
    body=PRESIGN_INPUT,
    response=UPLOAD,
    status=201,
    errors=frozenset({413, 415}),
)
def presign_upload(request):
    body = request.body
    upload = attachments.request_upload(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        body["filename"],
        body["content_type"],
        body["size"],
        request.correlation_id,
    )
    return Reply(upload, status=201)


@routes.route(
    ATTACHMENTS_PATH,
    "POST",
    operation_id="confirmAttachment",
    summary="Confirm an upload once the file is in S3 with the declared size",
    roles=WRITERS,
    body=CONFIRM_INPUT,
    response=ATTACHMENT,
    status=201,
    errors=frozenset({409}),
    response_headers=("Location",),
)
def confirm_upload(request):
    attachment = attachments.confirm_upload(
        request.workspace_id,
        request.principal,
        request.path_params["ticket_id"],
        request.body["attachment_id"],
        request.correlation_id,
    )
    return Reply(attachment, status=201, headers={"Location": f"{request.path}/{attachment['id']}"})


@routes.route(
    ATTACHMENTS_PATH,
    "GET",
    operation_id="listAttachments",
    summary="A ticket's confirmed attachments, oldest first",
    roles=ANY_MEMBER,
    query=PAGE_QUERY,
    response=ATTACHMENT_LIST,
)
def list_attachments(request):
    ticket_ref = request.path_params["ticket_id"]
    scope = f"attachments|{request.workspace_id}|{ticket_ref}|{request.principal.user_id}"
    items, next_key = attachments.list_attachments(
        request.workspace_id, request.principal, ticket_ref, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "created_at", "asc", {})


@routes.route(
    ATTACHMENT_PATH,
    "GET",
    operation_id="getAttachment",
    summary="An attachment with a short-lived download URL",
    roles=ANY_MEMBER,
    response=ATTACHMENT_WITH_DOWNLOAD,
)
def get_attachment(request):
    params = request.path_params
    return attachments.get_attachment(
        request.workspace_id, request.principal, params["ticket_id"], params["attachment_id"]
    )


@routes.route(
    ATTACHMENT_PATH,
    "DELETE",
    operation_id="deleteAttachment",
    summary="Delete an attachment and its file",
    roles=WRITERS,
    status=204,
)
def delete_attachment(request):
    params = request.path_params
    attachments.delete_attachment(
        request.workspace_id, request.principal, params["ticket_id"], params["attachment_id"], request.correlation_id
    )
    return no_content()
