"""Alerts ingested from monitoring (seed 004), each linked to the incident ticket it opened.

On the tickets table: pk = ``WS#<ws>``, sk = ``ALERT#<alert id>``, where the alert id is derived
from the alert's fingerprint, so the same alert always lands on the same record.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models.base import DeskflowModel


def alert_key(workspace_id: str, alert_id: str) -> tuple[str, str]:
    return f"WS#{workspace_id}", f"ALERT#{alert_id}"


class AlertItem(DeskflowModel):
    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
    title = UnicodeAttribute()
    severity = UnicodeAttribute()
    ticket_id = UnicodeAttribute(null=True)
    times_triggered = NumberAttribute(default=0)
    first_triggered_at = UnicodeAttribute()
    last_triggered_at = UnicodeAttribute()
    version = VersionAttribute()
