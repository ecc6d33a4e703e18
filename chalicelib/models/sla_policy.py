"""A workspace's SLA policy, on the tickets table next to the workspace's ticket-number counter:

    pk = WS#<ws>   sk = SLA_POLICY                   the policy in force (``version`` guards each write)
    pk = WS#<ws>   sk = SLA_POLICY#V#<version>       every version ever in force, never changed again

A ticket remembers the version its clock was started with and reads that snapshot (one GetItem) when
its deadlines are recomputed, so editing the policy never moves the deadlines of tickets already open.
The policy itself is JSON text: it is read and written whole, never queried by its parts.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist

from chalicelib.models.base import DeskflowModel

CURRENT_SK = "SLA_POLICY"


def policy_pk(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


def version_sk(version: int) -> str:
    return f"SLA_POLICY#V#{version:010d}"


class SlaPolicyItem(DeskflowModel):
    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=CURRENT_SK)
    workspace_id = UnicodeAttribute()
    document = UnicodeAttribute()  # JSON text of the policy (targets, threshold, calendar, escalation)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


class SlaPolicyVersionItem(DeskflowModel):
    """One version of the policy as it was when written (a ticket's clock refers to it by number)."""

    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    policy_version = NumberAttribute()
    document = UnicodeAttribute()
    updated_at = UnicodeAttribute()


def find_policy(workspace_id: str) -> SlaPolicyItem | None:
    try:
        return SlaPolicyItem.get(policy_pk(workspace_id), CURRENT_SK, consistent_read=True)
    except DoesNotExist:
        return None


def find_policy_version(workspace_id: str, version: int) -> SlaPolicyVersionItem | None:
    try:
        return SlaPolicyVersionItem.get(policy_pk(workspace_id), version_sk(version))
    except DoesNotExist:
        return None
