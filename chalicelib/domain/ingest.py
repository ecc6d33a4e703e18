"""External events (seed 004's telemetry ingest): recorded on the outbox like Deskflow's own, and an
``alert.triggered`` severe enough opens an incident ticket, or updates the one its alert already has.

Alerts are deduplicated on their fingerprint: one ``AlertItem`` per fingerprint holds the incident
ticket. The first trigger creates the ticket and the alert record in one transaction (the record
with ``attribute_not_exists``), so two concurrent triggers of a new alert open one ticket: the loser
of the race finds the record and updates that ticket instead. A trigger whose ticket is resolved,
closed or gone opens a fresh incident (the record's version guards that switch too).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pynamodb.exceptions import PutError, TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.clock import now_iso
from chalicelib.domain import tickets
from chalicelib.domain.audit import audit_record
from chalicelib.domain.events import new_event
from chalicelib.errors import Conflict, NotFound
from chalicelib.events.catalogue import Topic
from chalicelib.models.alerts import AlertItem, alert_key
from chalicelib.models.base import transaction
from chalicelib.settings import ALERT_SEVERITIES, get_settings

# What the subject of each external event is, and which field of its data names it.
SUBJECTS = {
    Topic.ALERT_TRIGGERED: ("alert", "fingerprint"),
    Topic.PIPELINE_FAILED: ("pipeline_run", "run_id"),
    Topic.ASSET_STATE_CHANGED: ("asset", "asset_id"),
}
INGESTIBLE_TOPICS = tuple(str(topic) for topic in SUBJECTS)
PRIORITY_FOR_SEVERITY = {"critical": "urgent", "high": "high", "warning": "medium", "low": "low", "info": "low"}
FINISHED_STATUSES = frozenset({"resolved", "closed", "cancelled"})
_ATTEMPTS = 3


@dataclass
class Ingested:
    event_id: str
    alert: dict | None = None


def alert_id_for(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:24]


def ingest(workspace_id: str, actor: Principal, topic_name: str, data: dict, correlation_id: str | None) -> Ingested:
    """Record one external event (``data`` already valid for its topic) and act on it."""
    subject_type, subject_field = SUBJECTS[Topic(topic_name)]
    alert = None
    if topic_name == Topic.ALERT_TRIGGERED:
        alert = _on_alert(workspace_id, actor, data, correlation_id)
        subject_id = alert["id"]
    else:
        subject_id = str(data[subject_field])
    event = new_event(
        topic_name,
        workspace_id,
        subject_type,
        subject_id,
        {**data, **({"ticket_id": alert["ticket_id"]} if alert and alert["ticket_id"] else {})},
        correlation_id,
        actor_id=actor.user_id,
    )
    event.save()
    return Ingested(event.id, alert)


def _severe_enough(severity: str) -> bool:
    threshold = get_settings().alert_ticket_min_severity
    return ALERT_SEVERITIES.index(severity) >= ALERT_SEVERITIES.index(threshold)


def _on_alert(workspace_id: str, actor: Principal, data: dict, correlation_id: str | None) -> dict:
    alert_id = alert_id_for(data["fingerprint"])
    for _ in range(_ATTEMPTS):
        record = _get_alert(workspace_id, alert_id)
        at = now_iso()
        if not _severe_enough(data["severity"]):
            return _touch(record, workspace_id, alert_id, data, at, action="recorded")
        ticket = _live_ticket(workspace_id, actor, record.ticket_id) if record else None
        try:
            if ticket:
                tickets.add_comment(workspace_id, actor, ticket["id"], _repeat_note(data, record), True, correlation_id)
                return _touch(record, workspace_id, alert_id, data, at, action="updated")
            return _open_incident(workspace_id, actor, alert_id, record, data, correlation_id, at)
        except Conflict:
            continue  # another trigger of this alert won the race: read its record again
    raise Conflict("this alert is being changed by another request; retry", code="concurrent_update")


def _get_alert(workspace_id: str, alert_id: str) -> AlertItem | None:
    try:
        return AlertItem.get(*alert_key(workspace_id, alert_id), consistent_read=True)
    except AlertItem.DoesNotExist:
        return None


def _live_ticket(workspace_id: str, actor: Principal, ticket_id: str | None) -> dict | None:
    if not ticket_id:
        return None
    try:
        ticket = tickets.get_ticket(workspace_id, actor, ticket_id)
    except NotFound:
        return None
    return None if ticket["status"] in FINISHED_STATUSES else ticket


def _open_incident(workspace_id, actor, alert_id, record, data, correlation_id, at) -> dict:
    description = data.get("description") or ""
    source = data.get("source")
    fields = {
        "title": f"[alert] {data['title']}",
        "description": description + (f"\n\nSource: {source}" if source else ""),
        "priority": PRIORITY_FOR_SEVERITY[data["severity"]],
        "ticket_class": "incident",
        "source": "alert",
        "tags": ["alert"],
    }

    def alert_record(ticket_item) -> list:
        item = record or _new_alert(workspace_id, alert_id, data, at)
        condition = AlertItem.pk.does_not_exist() if record is None else None
        _apply_trigger(item, data, at)
        item.ticket_id = ticket_item.id
        if record is not None:
            # The version attribute guards the switch to a new incident (PynamoDB adds the condition).
            return [(item, None)]
        return [(item, condition)]

    ticket = tickets.create_ticket(workspace_id, actor, fields, correlation_id, linked_records=alert_record)
    return {"id": alert_id, "ticket_id": ticket["id"], "ticket_number": ticket["number"], "action": "opened"}


def _new_alert(workspace_id: str, alert_id: str, data: dict, at: str) -> AlertItem:
    pk, sk = alert_key(workspace_id, alert_id)
    return AlertItem(
        pk=pk,
        sk=sk,
        id=alert_id,
        workspace_id=workspace_id,
        fingerprint=data["fingerprint"],
        title=data["title"],
        severity=data["severity"],
        first_triggered_at=at,
        last_triggered_at=at,
    )


def _apply_trigger(item: AlertItem, data: dict, at: str) -> None:
    item.title = data["title"]
    item.severity = data["severity"]
    item.last_triggered_at = at
    item.times_triggered = int(item.times_triggered or 0) + 1


def _touch(record: AlertItem | None, workspace_id: str, alert_id: str, data: dict, at: str, action: str) -> dict:
    """Count a trigger that opens nothing (a conditional save: a lost race is a Conflict, retried)."""
    item = record or _new_alert(workspace_id, alert_id, data, at)
    _apply_trigger(item, data, at)
    try:
        item.save(condition=AlertItem.pk.does_not_exist() if record is None else None)
    except PutError as error:
        raise Conflict("the alert changed meanwhile", code="concurrent_update") from error
    return {"id": alert_id, "ticket_id": item.ticket_id, "ticket_number": None, "action": action}


def _repeat_note(data: dict, record: AlertItem) -> str:
    return (
        f"Alert fired again ({int(record.times_triggered or 0) + 1} times in all): {data['title']} [{data['severity']}]"
    )


def link_ticket(workspace_id: str, actor: Principal, alert_id: str, ticket_ref: str, correlation_id) -> dict:
    """Point an alert at an existing ticket by hand; later triggers update that ticket. NotFound for
    an unknown alert or ticket."""
    record = _get_alert(workspace_id, alert_id)
    if record is None:
        raise NotFound("alert not found")
    ticket = tickets.get_ticket(workspace_id, actor, ticket_ref)
    before = record.ticket_id
    record.ticket_id = ticket["id"]
    audit = audit_record(
        workspace_id,
        actor.user_id,
        "alert.linked",
        "alert",
        alert_id,
        changes={"ticket_id": {"from": before, "to": ticket["id"]}},
        correlation_id=correlation_id,
    )
    try:
        with transaction() as write:
            write.save(record)
            write.save(audit)
    except TransactWriteError as error:  # a concurrent trigger bumped the version
        raise Conflict("the alert changed meanwhile; retry", code="concurrent_update") from error
    return alert_to_public(record)


def alert_to_public(record: AlertItem) -> dict:
    return {
        "id": record.id,
        "fingerprint": record.fingerprint,
        "title": record.title,
        "severity": record.severity,
        "ticket_id": record.ticket_id,
        "times_triggered": int(record.times_triggered or 0),
        "first_triggered_at": record.first_triggered_at,
        "last_triggered_at": record.last_triggered_at,
    }
