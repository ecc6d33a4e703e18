"""Image uploads announced for intake (``POST /upload-image/presign``), on the ``intake`` table.

    pk = UPLOAD#<ws>#<upload id>   sk = UPLOAD

The client PUTs the image to ``object_key`` with the presigned URL, then confirms it; the confirm's
transaction opens the ticket and moves the record from ``pending`` to ``used`` under a condition, so an
upload becomes at most one ticket. Unconfirmed records expire (``expires_at``, the table's TTL).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.models.base import DeskflowModel
from chalicelib.models.intake import TABLE

UPLOAD_SK = "UPLOAD"
PENDING = "pending"
USED = "used"


def upload_pk(workspace_id: str, upload_id: str) -> str:
    return f"UPLOAD#{workspace_id}#{upload_id}"


class IntakeUploadItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=UPLOAD_SK)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    object_key = UnicodeAttribute()
    filename = UnicodeAttribute()  # the sanitised display name
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    status = UnicodeAttribute(default=PENDING)  # pending | used
    ticket_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)  # epoch seconds: the table's TTL


def load(workspace_id: str, upload_id: str) -> IntakeUploadItem | None:
    try:
        return IntakeUploadItem.get(upload_pk(workspace_id, upload_id), UPLOAD_SK, consistent_read=True)
    except IntakeUploadItem.DoesNotExist:
        return None
