"""Image intake (seed 000): a photo, with an optional caption, becomes a classified ticket with the photo
attached. Two ways in:

- inline: the JSON body carries the image (base64, at most ``INLINE_MAX_BYTES`` decoded);
- presigned: ``request_upload`` records the upload and returns a PUT URL; once the client has stored the
  object, ``submit`` with its ``upload_id`` checks it (it exists, with the declared size) and goes on.

Only images are taken: a type the workspace allows (``attachments.allowed_mime_types``) among the ones
whose bytes can be recognised (PNG, JPEG, GIF, WebP), and bytes that are what the type says (magic
number), else UnsupportedMediaType; larger than ``attachments.max_bytes`` (or the inline limit) is
PayloadTooLarge. The caption and file name are classified (and the image, by a provider that reads
images); the ticket opens like a chat ticket (source ``image``), always, and its attachment record is
written in the ticket's transaction, so neither exists without the other.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from datetime import timedelta

from chalicelib.auth.principal import Principal
from chalicelib.clock import now_iso, utcnow
from chalicelib.domain import attachments, classification, intake_channel, system_config
from chalicelib.domain.audit import audit_record
from chalicelib.domain.filenames import safe_filename
from chalicelib.domain.ticket_records import history_row
from chalicelib.errors import Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationError
from chalicelib.models import files_bucket
from chalicelib.models import intake_uploads as uploads
from chalicelib.models.attachments import CONFIRMED, AttachmentItem, attachment_sk
from chalicelib.models.base import transaction
from chalicelib.models.intake_uploads import IntakeUploadItem

SOURCE = "image"
INLINE_MAX_BYTES = 1024 * 1024
UPLOAD_URL_SECONDS = 15 * 60
UPLOAD_KEEP_SECONDS = 24 * 3600  # an unconfirmed upload record expires after this (the table's TTL)
SNIFF_BYTES = 16
NOT_READ_NOTE = "the image itself was not read; the caption and file name were classified"
# The image types whose bytes we can recognise, by their leading bytes.
_MAGIC = {
    "image/png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "image/gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
}


def submit_inline(
    workspace_id: str,
    actor: Principal,
    filename: str,
    content_type: str,
    data_base64: str,
    caption: str | None,
    correlation_id: str | None,
) -> dict:
    """Open a ticket from an image carried in the request. ValidationError for data that is not base64;
    UnsupportedMediaType / PayloadTooLarge as the module says."""
    display_name = safe_filename(filename)
    limits = system_config.current(workspace_id)["attachments"]
    content_type = _checked_type(limits, content_type)
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("data is not base64", details={"data": "must be base64"}, code="data_invalid") from None
    if not data:
        raise ValidationError("data is empty", details={"data": "must hold the image"}, code="data_invalid")
    if len(data) > INLINE_MAX_BYTES:
        raise PayloadTooLarge(
            "the image is too large to send inline: request a presigned upload",
            details={"data": f"must decode to at most {INLINE_MAX_BYTES} bytes"},
            code="attachment_too_large",
        )
    _check_size(limits, len(data))
    _check_bytes(content_type, data)
    ticket_id, attachment_id = str(uuid.uuid4()), attachments.new_attachment_id()
    key = attachments.object_key(workspace_id, ticket_id, attachment_id)
    return _open(
        workspace_id,
        actor,
        ticket_id,
        attachment_id,
        key,
        display_name,
        content_type,
        data,
        caption,
        correlation_id,
        store=lambda: files_bucket.put(key, data, content_type),
    )


def request_upload(
    workspace_id: str, actor: Principal, filename: str, content_type: str, size: int, correlation_id: str | None
) -> dict:
    """Record an image upload and return its ``upload_id`` with a presigned PUT for exactly that type and
    size. UnsupportedMediaType / PayloadTooLarge before anything is recorded."""
    display_name = safe_filename(filename)
    limits = system_config.current(workspace_id)["attachments"]
    content_type = _checked_type(limits, content_type)
    _check_size(limits, size)
    upload_id = f"upl_{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(8)}"
    at = now_iso()
    item = IntakeUploadItem(
        pk=uploads.upload_pk(workspace_id, upload_id),
        id=upload_id,
        workspace_id=workspace_id,
        user_id=actor.user_id,
        object_key=f"workspaces/{workspace_id}/intake-uploads/{upload_id}",  # ids only, never a filename
        filename=display_name,
        content_type=content_type,
        size=size,
        created_at=at,
        expires_at=int((utcnow() + timedelta(seconds=UPLOAD_KEEP_SECONDS)).timestamp()),
    )
    audit = audit_record(
        workspace_id,
        actor.user_id,
        "intake_upload.requested",
        "intake_upload",
        upload_id,
        {"upload": {"from": None, "to": {"filename": display_name, "content_type": content_type, "size": size}}},
        correlation_id=correlation_id,
        at=at,
    )
    with transaction() as write:
        write.save(item, condition=IntakeUploadItem.pk.does_not_exist())
        write.save(audit)
    upload = files_bucket.presigned_upload(item.object_key, content_type, size, UPLOAD_URL_SECONDS)
    return {
        "upload_id": upload_id,
        "filename": display_name,
        "content_type": content_type,
        "size": size,
        "upload": {
            "url": upload.url,
            "method": "PUT",
            "headers": {"Content-Type": content_type, "Content-Length": str(size)},
            "expires_at": upload.expires_at,
        },
    }


def submit_upload(
    workspace_id: str, actor: Principal, upload_id: str, caption: str | None, correlation_id: str | None
) -> dict:
    """Open a ticket from an uploaded image. NotFound for an upload that is not the caller's; Conflict
    (``attachment_not_uploaded``) while nothing is stored, (``upload_used``, with the ticket id) when it
    already became a ticket; ValidationError when the stored size differs; UnsupportedMediaType when the
    bytes are not the declared image."""
    item = uploads.load(workspace_id, upload_id)
    if item is None or item.user_id != actor.user_id:
        raise NotFound("upload not found", code="upload_not_found")
    if item.status != uploads.PENDING:
        raise _used(item)
    stored = files_bucket.head(item.object_key)
    if stored is None:
        raise Conflict(
            "nothing has been uploaded yet: PUT the image to the upload URL first", code="attachment_not_uploaded"
        )
    if stored.size != int(item.size):
        raise ValidationError(
            "the uploaded file is not the size that was declared",
            details={"size": f"declared {int(item.size)} bytes; the uploaded file has {stored.size}"},
            code="attachment_size_mismatch",
        )
    small = stored.size <= INLINE_MAX_BYTES  # small enough to hand to a provider that reads images
    data = files_bucket.read(item.object_key, None if small else SNIFF_BYTES)
    try:
        _check_bytes(item.content_type, data)
    except UnsupportedMediaType:
        files_bucket.delete(item.object_key)  # not an image: nothing to keep
        raise
    ticket_id, attachment_id = str(uuid.uuid4()), attachments.new_attachment_id()
    key = attachments.object_key(workspace_id, ticket_id, attachment_id)
    item.status, item.ticket_id, item.expires_at = uploads.USED, ticket_id, None
    try:
        answer = _open(
            workspace_id,
            actor,
            ticket_id,
            attachment_id,
            key,
            item.filename,
            item.content_type,
            data if small else None,
            caption,
            correlation_id,
            size=int(item.size),
            store=lambda: files_bucket.copy(item.object_key, key),
            extra_puts=[(item, IntakeUploadItem.status == uploads.PENDING)],
        )
    except Conflict:
        again = uploads.load(workspace_id, upload_id)
        if again is not None and again.status != uploads.PENDING:  # a concurrent submit won
            raise _used(again) from None
        raise
    files_bucket.delete(item.object_key)  # the attachment has its own copy now
    return answer


# --- internals ---------------------------------------------------------------------------


def _open(
    workspace_id: str,
    actor: Principal,
    ticket_id: str,
    attachment_id: str,
    key: str,
    filename: str,
    content_type: str,
    image: bytes | None,
    caption: str | None,
    correlation_id: str | None,
    *,
    store,
    size: int | None = None,
    extra_puts=(),
) -> dict:
    """Classify, store the object under ``key`` (``store()``), then open the ticket with its attachment in
    one transaction; the object is removed again when the ticket cannot be written."""
    caption = (caption or "").strip()
    size = len(image) if size is None else size
    result = classification.classify(
        workspace_id, f"{caption}\n{filename}".strip(), source=SOURCE, actor_id=actor.user_id, image=image
    )
    data = {
        "title": intake_channel.title_from(caption) if caption else intake_channel.title_from(f"Photo: {filename}"),
        "description": caption,
    }
    at = now_iso()
    attachment = AttachmentItem(
        pk="",  # set with the ticket's key below
        sk=attachment_sk(attachment_id),
        id=attachment_id,
        workspace_id=workspace_id,
        ticket_id=ticket_id,
        object_key=key,
        filename=filename,
        content_type=content_type,
        size=size,
        status=CONFIRMED,
        uploaded_by=actor.user_id,
        created_at=at,
        confirmed_at=at,
    )

    def attachment_records(ticket) -> list:
        attachment.pk = ticket.pk
        shown = {"id": attachment_id, "filename": filename, "size": size}
        row = history_row(ticket, actor.user_id, at, "attachment", None, shown, correlation_id, note="added")
        audit = audit_record(
            workspace_id,
            actor.user_id,
            "attachment.added",
            "attachment",
            attachment_id,
            {"attachment": {"from": None, "to": {"ticket_id": ticket_id, **shown, "content_type": content_type}}},
            correlation_id=correlation_id,
            at=at,
        )
        return [(attachment, AttachmentItem.pk.does_not_exist()), (row, None), (audit, None)]

    try:
        store()
        files_bucket.keep(key)  # durable before anyone is told it is stored
        ticket = intake_channel.open_ticket(
            workspace_id,
            actor,
            result,
            SOURCE,
            data,
            correlation_id,
            ticket_id=ticket_id,
            linked_records=attachment_records,
            extra_puts=extra_puts,
        )
    except Exception:
        files_bucket.delete(key)  # no ticket, so no attachment: leave no object behind
        raise
    return {
        "ticket": ticket,
        "attachment": attachments.to_public(attachment),
        "classification": result.public(),
        "image_read": result.image_read,
        "note": None if result.image_read else NOT_READ_NOTE,
    }


def _checked_type(limits: dict, content_type: str) -> str:
    """The normalised type, when it is an image type this workspace allows and whose bytes we recognise."""
    content_type = attachments.normalized_content_type(content_type)
    allowed = limits["allowed_mime_types"]
    allowed_here = content_type in allowed or "image/*" in allowed
    if content_type not in _MAGIC or not allowed_here:
        accepted = [name for name in _MAGIC if name in allowed or "image/*" in allowed]
        raise UnsupportedMediaType(
            "only images can be sent here",
            details={"content_type": f"allowed: {', '.join(accepted) or 'none'}"},
            code="attachment_type_not_allowed",
        )
    return content_type


def _check_size(limits: dict, size: int) -> None:
    limit = limits["max_bytes"]
    if size > limit:
        raise PayloadTooLarge(
            "the image is larger than this workspace allows",
            details={"size": f"must be at most {limit} bytes"},
            code="attachment_too_large",
        )


def _check_bytes(content_type: str, data: bytes) -> None:
    if not _MAGIC[content_type](data[:SNIFF_BYTES]):
        raise UnsupportedMediaType(
            "the file is not the image its type says",
            details={"data": f"is not {content_type} data"},
            code="image_content_mismatch",
        )


def _used(item: IntakeUploadItem) -> Conflict:
    return Conflict(
        "this upload has already become a ticket",
        details={"ticket_id": item.ticket_id or ""},
        code="upload_used",
    )
