"""Ticket attachments: files uploaded straight to S3 with presigned URLs, recorded on the ticket.

1. ``request_upload`` checks the file against the workspace's limits (``system_config``), records a
   pending attachment and returns a presigned PUT for exactly that type and size.
2. The client uploads the bytes to S3 itself (the API never carries them).
3. ``confirm_upload`` accepts the attachment only once the object exists with the declared size, and
   makes it durable; only then is it listed and downloadable.

Requesters work on their own tickets (and delete only what they uploaded); staff on any ticket of the
workspace. Every change writes a history row on the ticket (confirm, delete) and an audit row in the
same transaction; a deleted ticket takes no new attachments.
"""

from __future__ import annotations

import re
import secrets

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.clock import now_iso, utcnow
from chalicelib.domain import system_config, tickets
from chalicelib.domain import ticket_rules as rules
from chalicelib.domain.audit import audit_record
from chalicelib.domain.filenames import safe_filename
from chalicelib.domain.ticket_records import history_row
from chalicelib.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationError,
)
from chalicelib.models import files_bucket
from chalicelib.models.attachments import (
    ATTACHMENT_PREFIX,
    CONFIRMED,
    PENDING,
    AttachmentItem,
    attachment_sk,
)
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.tickets import TicketItem

UPLOAD_URL_SECONDS = 15 * 60
DOWNLOAD_URL_SECONDS = 5 * 60
_ATTACHMENT_ID = re.compile(r"^att_[0-9]{20}[0-9a-f]{8}$")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


def request_upload(
    workspace_id: str,
    actor: Principal,
    ticket_ref: str,
    filename: str,
    content_type: str,
    size: int,
    correlation_id: str | None,
) -> dict:
    """Record a pending attachment and return it with a presigned PUT URL and the headers to send.

    ValidationError for a filename with nothing usable or a malformed type; PayloadTooLarge over the
    workspace's ``attachments.max_bytes``; UnsupportedMediaType for a type it does not allow."""
    ticket = tickets.visible_ticket(workspace_id, actor, ticket_ref)
    display_name = safe_filename(filename)
    content_type = normalized_content_type(content_type)
    check_limits(system_config.current(workspace_id)["attachments"], content_type, size)
    at = now_iso()
    attachment_id = new_attachment_id()
    item = AttachmentItem(
        pk=ticket.pk,
        sk=attachment_sk(attachment_id),
        id=attachment_id,
        workspace_id=workspace_id,
        ticket_id=ticket.id,
        object_key=object_key(workspace_id, ticket.id, attachment_id),
        filename=display_name,
        content_type=content_type,
        size=size,
        status=PENDING,
        uploaded_by=actor.user_id,
        created_at=at,
    )
    audit = _audit(item, actor, "attachment.upload_requested", None, _summary(item), correlation_id, at)
    _commit_on_live_ticket(ticket, saves=[item, audit])
    upload = files_bucket.presigned_upload(item.object_key, content_type, size, UPLOAD_URL_SECONDS)
    return {
        "attachment": to_public(item),
        "attachment_id": attachment_id,
        "object_key": item.object_key,
        "upload": {
            "url": upload.url,
            "method": "PUT",
            "headers": {"Content-Type": content_type, "Content-Length": str(size)},
            "expires_at": upload.expires_at,
        },
    }


def confirm_upload(workspace_id: str, actor: Principal, ticket_ref: str, attachment_id: str, correlation_id) -> dict:
    """Accept an uploaded file: the object must exist with the declared size (and type, when the store
    reports one). Confirming a confirmed attachment again answers it unchanged.

    Conflict (``attachment_not_uploaded``) while nothing is stored; ValidationError
    (``attachment_size_mismatch`` / ``attachment_type_mismatch``) when what is stored differs."""
    ticket = tickets.visible_ticket(workspace_id, actor, ticket_ref)
    item = _load(ticket, attachment_id)
    if item.status == CONFIRMED:
        return to_public(item)
    if item.uploaded_by != actor.user_id and not rules.is_staff(actor):
        raise NotFound("attachment not found")
    stored = files_bucket.head(item.object_key)
    if stored is None:
        raise Conflict(
            "nothing has been uploaded for this attachment yet: PUT the file to the upload URL first",
            code="attachment_not_uploaded",
        )
    if stored.size != int(item.size):
        raise ValidationError(
            "the uploaded file is not the size that was declared",
            details={"size": f"declared {int(item.size)} bytes; the uploaded file has {stored.size}"},
            code="attachment_size_mismatch",
        )
    if stored.content_type and normalized_content_type(stored.content_type, strict=False) != item.content_type:
        raise ValidationError(
            "the uploaded file is not the type that was declared",
            details={"content_type": f"declared {item.content_type}; uploaded as {stored.content_type}"},
            code="attachment_type_mismatch",
        )
    files_bucket.keep(item.object_key)  # durable before anyone is told it is stored
    at = now_iso()
    before = _summary(item)
    item.status = CONFIRMED
    item.confirmed_at = at
    shown = {"id": item.id, "filename": item.filename, "size": int(item.size)}
    row = history_row(ticket, actor.user_id, at, "attachment", None, shown, correlation_id, note="added")
    audit = _audit(item, actor, "attachment.added", before, _summary(item), correlation_id, at)
    try:
        _commit_on_live_ticket(ticket, saves=[row, audit], guarded=(item, AttachmentItem.status == PENDING))
    except NotFound:
        again = _load(ticket, attachment_id)  # a concurrent confirm may have won: same answer
        if again.status == CONFIRMED:
            return to_public(again)
        raise
    return to_public(item)


def list_attachments(workspace_id: str, actor: Principal, ticket_ref: str, limit: int, start_key: dict | None):
    """A page of the ticket's confirmed attachments, oldest first, and the key of the next page."""
    ticket = tickets.visible_ticket(workspace_id, actor, ticket_ref)
    results = AttachmentItem.query(
        ticket.pk,
        AttachmentItem.sk.startswith(ATTACHMENT_PREFIX),
        filter_condition=AttachmentItem.status == CONFIRMED,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key=start_key,
    )
    items = list(results)
    next_key = None
    if len(items) > limit:
        items = items[:limit]
        next_key = {"pk": {"S": items[-1].pk}, "sk": {"S": items[-1].sk}}
    return [to_public(item) for item in items], next_key


def get_attachment(workspace_id: str, actor: Principal, ticket_ref: str, attachment_id: str) -> dict:
    """A confirmed attachment with a short-lived download URL."""
    ticket = tickets.visible_ticket(workspace_id, actor, ticket_ref)
    item = _load(ticket, attachment_id, confirmed_only=True)
    download = files_bucket.presigned_download(item.object_key, item.filename, item.content_type, DOWNLOAD_URL_SECONDS)
    return {**to_public(item), "download": {"url": download.url, "expires_at": download.expires_at}}


def delete_attachment(workspace_id: str, actor: Principal, ticket_ref: str, attachment_id: str, correlation_id):
    """Remove a confirmed attachment: its record (with history and audit rows), then its object.
    Requesters delete only what they uploaded (Forbidden otherwise)."""
    ticket = tickets.visible_ticket(workspace_id, actor, ticket_ref)
    item = _load(ticket, attachment_id, confirmed_only=True)
    if item.uploaded_by != actor.user_id and not rules.is_staff(actor):
        raise Forbidden("requesters delete only the files they uploaded", code="attachment_not_yours")
    at = now_iso()
    shown = {"id": item.id, "filename": item.filename, "size": int(item.size)}
    row = history_row(ticket, actor.user_id, at, "attachment", shown, None, correlation_id, note="deleted")
    audit = _audit(item, actor, "attachment.deleted", _summary(item), None, correlation_id, at)
    _commit_on_live_ticket(ticket, saves=[row, audit], deleted=item)
    # After the commit: a failure here leaves an unreferenced object, never a record without its file.
    files_bucket.delete(item.object_key)


# --- rules ----------------------------------------------------------------------------------


def normalized_content_type(value: str, strict: bool = True) -> str:
    """``type/subtype`` in lower case, parameters dropped (``Text/Plain; charset=utf-8`` is ``text/plain``)."""
    media_type = value.split(";", 1)[0].strip().lower()
    if strict and not _MIME_TYPE.match(media_type):
        raise ValidationError(
            "content_type is not a media type",
            details={"content_type": "must be type/subtype, e.g. image/png"},
            code="content_type_invalid",
        )
    return media_type


def check_limits(limits: dict, content_type: str, size: int) -> None:
    """The workspace's attachment limits: at most ``max_bytes``; a type ``allowed_mime_types`` lists
    (``image/*`` allows every image type)."""
    if size > limits["max_bytes"]:
        raise PayloadTooLarge(
            "the file is larger than this workspace allows",
            details={"size": f"must be at most {limits['max_bytes']} bytes"},
            code="attachment_too_large",
        )
    family = content_type.split("/", 1)[0] + "/*"
    if content_type not in limits["allowed_mime_types"] and family not in limits["allowed_mime_types"]:
        raise UnsupportedMediaType(
            "this type of file is not allowed here",
            details={"content_type": f"allowed: {', '.join(limits['allowed_mime_types']) or 'none'}"},
            code="attachment_type_not_allowed",
        )


def new_attachment_id() -> str:
    """Sorts by creation time (to the microsecond), then by 32 random bits."""
    return f"att_{utcnow():%Y%m%d%H%M%S%f}{secrets.token_hex(4)}"


def object_key(workspace_id: str, ticket_id: str, attachment_id: str) -> str:
    # Built from ids only: a client's filename never becomes part of a storage path.
    return f"workspaces/{workspace_id}/tickets/{ticket_id}/attachments/{attachment_id}"


def to_public(item: AttachmentItem) -> dict:
    return {
        "id": item.id,
        "ticket_id": item.ticket_id,
        "filename": item.filename,
        "content_type": item.content_type,
        "size": int(item.size),
        "status": item.status,
        "object_key": item.object_key,
        "uploaded_by": item.uploaded_by,
        "created_at": item.created_at,
        "confirmed_at": item.confirmed_at,
    }


# --- storage --------------------------------------------------------------------------------


def _load(ticket: TicketItem, attachment_id: str, confirmed_only: bool = False) -> AttachmentItem:
    if not _ATTACHMENT_ID.match(attachment_id):
        raise NotFound("attachment not found")
    try:
        item = AttachmentItem.get(ticket.pk, attachment_sk(attachment_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("attachment not found") from None
    if confirmed_only and item.status != CONFIRMED:
        raise NotFound("attachment not found")
    return item


def _summary(item: AttachmentItem) -> dict:
    return {
        "ticket_id": item.ticket_id,
        "filename": item.filename,
        "content_type": item.content_type,
        "size": int(item.size),
        "status": item.status,
    }


def _audit(item: AttachmentItem, actor: Principal, action: str, before, after, correlation_id, at: str):
    """An audit row for ``action`` on the attachment: ``{"attachment": {"from": before, "to": after}}``."""
    changes = {"attachment": {"from": before, "to": after}}
    return audit_record(
        item.workspace_id, actor.user_id, action, "attachment", item.id, changes, correlation_id=correlation_id, at=at
    )


def _commit_on_live_ticket(ticket: TicketItem, saves: list, guarded=None, deleted: AttachmentItem | None = None):
    """One transaction: the ticket must still be live, ``guarded`` (item, condition) is saved under its
    condition, ``deleted`` must still exist. Any failed condition is NotFound: the ticket or the
    attachment went away (or changed state) meanwhile."""
    try:
        with transaction() as write:
            write.condition_check(TicketItem, ticket.pk, "TICKET", condition=TicketItem.deleted_at.does_not_exist())
            if guarded is not None:
                write.save(guarded[0], condition=guarded[1])
            if deleted is not None:
                write.delete(deleted, condition=AttachmentItem.status == CONFIRMED)
            for item in saves:
                write.save(item)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes:
            raise NotFound("attachment not found") from error
        if "TransactionConflict" in codes:
            raise Conflict(
                "the attachment is being changed by another request; retry", code="concurrent_update"
            ) from error
        raise
