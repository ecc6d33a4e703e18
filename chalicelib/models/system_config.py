"""A workspace's system configuration: one item on the directory table, beside its workspace.

    pk = WORKSPACE#<workspace id>   sk = SYSTEM_CONFIG

``document`` holds only what an admin has set (compact JSON); the defaults live in
``chalicelib.domain.system_config`` and are merged in when read, so a default changed in code
reaches every workspace that never overrode it. ``version`` guards every write: a lost race
fails its condition and becomes ``Conflict`` here.
"""

from __future__ import annotations

import json

from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.errors import Conflict
from chalicelib.models.base import DeskflowModel, cancellation_codes, transaction
from chalicelib.models.directory import TABLE, workspace_pk
from chalicelib.models.sizing import compact_json

SYSTEM_CONFIG_SK = "SYSTEM_CONFIG"


class SystemConfigRecord(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=SYSTEM_CONFIG_SK)
    workspace_id = UnicodeAttribute()
    document = UnicodeAttribute(default="{}")
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


def load(workspace_id: str) -> SystemConfigRecord | None:
    """The stored configuration of ``workspace_id`` (strongly consistent), or None if never set."""
    try:
        return SystemConfigRecord.get(workspace_pk(workspace_id), SYSTEM_CONFIG_SK, consistent_read=True)
    except DoesNotExist:
        return None


def stored_document(record: SystemConfigRecord | None) -> dict:
    return json.loads(record.document) if record is not None else {}


def save(
    workspace_id: str, previous: SystemConfigRecord | None, document: dict, actor_id: str, at: str, audit_row
) -> SystemConfigRecord:
    """Write ``document`` as the next version after ``previous`` (None: the first), together with
    ``audit_row``, in one transaction. Conflict when another write got there first."""
    record = previous or SystemConfigRecord(pk=workspace_pk(workspace_id), sk=SYSTEM_CONFIG_SK)
    record.workspace_id = workspace_id
    record.document = compact_json(document)
    record.updated_at = at
    record.updated_by = actor_id
    try:
        with transaction() as write:
            write.save(record)  # the version condition (absent, or the one read) rides along
            write.save(audit_row)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise Conflict("the system configuration was changed by someone else", code="concurrent_update") from error
        raise
    return record
