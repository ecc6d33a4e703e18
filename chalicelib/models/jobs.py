"""The jobs table: background work a request asked for (ticket exports).

    pk = WS#<ws>   sk = JOB#<job id>   (``expires_at``: TTL, a while after the job was created)

A job moves queued → running → succeeded | failed, each step a conditional write, so a
redelivered request message never runs a job twice.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import DeskflowModel


def job_key(workspace_id: str, job_id: str) -> tuple[str, str]:
    return f"WS#{workspace_id}", f"JOB#{job_id}"


class JobItem(DeskflowModel):
    class Meta:
        short_table = "jobs"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    status = UnicodeAttribute()  # queued | running | succeeded | failed
    params = UnicodeAttribute(default="{}")  # compact JSON: what the job works on (filters, sort)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)  # a running job not finished by then may be taken over
    finished_at = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    row_count = NumberAttribute(null=True)
    truncated = BooleanAttribute(null=True)
    error = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
