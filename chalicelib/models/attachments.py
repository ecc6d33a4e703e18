"""Ticket attachments: one item each, in the ticket's partition of the tickets table.

    pk = WS#<ws>#T#<ticket id>   sk = ATTACHMENT#<attachment id>

An attachment is ``pending`` from the presign until the upload is confirmed (the object exists with the
declared size), then ``confirmed``; only confirmed ones are listed and downloadable. Attachment ids sort
by creation time, so the ticket's attachments list oldest first with one Query.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models.base import DeskflowModel

ATTACHMENT_PREFIX = "ATTACHMENT#"
PENDING = "pending"
CONFIRMED = "confirmed"


def attachment_sk(attachment_id: str) -> str:
    return f"{ATTACHMENT_PREFIX}{attachment_id}"


class AttachmentItem(DeskflowModel):
    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    object_key = UnicodeAttribute()
    filename = UnicodeAttribute()  # the sanitised display name
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    status = UnicodeAttribute()
    uploaded_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    confirmed_at = UnicodeAttribute(null=True)
