"""External events in (seed 004's ingest) and alerts linked to tickets by hand."""

from __future__ import annotations

from chalicelib.auth.roles import STAFF
from chalicelib.domain import ingest
from chalicelib.events.catalogue import Topic
from chalicelib.http.registry import RouteFamily
from chalicelib.http.schemas import string_enum
from chalicelib.http.validation import errors_for
from chalicelib.settings import ALERT_SEVERITIES

routes = RouteFamily("integrations")

MAX_BATCH = 100
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_LABELS = {
    "type": "object",
    "maxProperties": 50,
    "additionalProperties": {"type": "string", "maxLength": 500},
}
# The data each ingestible topic must carry (checked item by item: one bad item does not sink a batch).
DATA_SCHEMAS = {
    Topic.ALERT_TRIGGERED: {
        "title": "AlertTriggered",
        "type": "object",
        "additionalProperties": False,
        "required": ["fingerprint", "title", "severity"],
        "properties": {
            "fingerprint": {**_TEXT, "description": "the same alert always has the same fingerprint"},
            "title": _TEXT,
            "severity": string_enum("AlertSeverity", ALERT_SEVERITIES),
            "source": _TEXT,
            "description": {"type": "string", "maxLength": 10000},
            "labels": _LABELS,
            "started_at": {"type": "string", "format": "date-time"},
        },
    },
    Topic.PIPELINE_FAILED: {
        "title": "PipelineFailed",
        "type": "object",
        "additionalProperties": False,
        "required": ["pipeline", "run_id"],
        "properties": {
            "pipeline": _TEXT,
            "run_id": _TEXT,
            "repository": _TEXT,
            "branch": _TEXT,
            "commit": _TEXT,
            "conclusion": _TEXT,
            "url": {"type": "string", "maxLength": 2000},
        },
    },
    Topic.ASSET_STATE_CHANGED: {
        "title": "AssetStateChanged",
        "type": "object",
        "additionalProperties": False,
        "required": ["asset_id", "state"],
        "properties": {
            "asset_id": _TEXT,
            "state": _TEXT,
            "previous_state": _TEXT,
            "reason": {"type": "string", "maxLength": 2000},
            "labels": _LABELS,
        },
    },
}
INGEST_ITEM = {
    "title": "IngestItem",
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "data"],
    "properties": {
        "type": string_enum("IngestibleTopic", ingest.INGESTIBLE_TOPICS),
        "data": {"anyOf": list(DATA_SCHEMAS.values())},
    },
}
INGEST_BODY = {
    "title": "IngestBatch",
    "type": "object",
    "additionalProperties": False,
    "required": ["events"],
    "properties": {
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_BATCH,
            "items": {"type": "object", "description": "an IngestItem; each is checked on its own"},
        }
    },
}
ALERT_OUTCOME = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": "string"},
        "ticket_id": {"type": ["string", "null"]},
        "ticket_number": {"type": ["string", "null"]},
        "action": {"type": "string", "enum": ["opened", "updated", "recorded"]},
    },
}
INGEST_RESULT = {
    "title": "IngestResult",
    "type": "object",
    "required": ["accepted", "rejected", "results"],
    "properties": {
        "accepted": {"type": "integer"},
        "rejected": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "status"],
                "properties": {
                    "index": {"type": "integer"},
                    "status": {"type": "string", "enum": ["accepted", "rejected"]},
                    "event_id": {"type": "string"},
                    "alert": ALERT_OUTCOME,
                    "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
    },
}
ALERT = {
    "title": "Alert",
    "type": "object",
    "required": ["id", "fingerprint", "title", "severity", "ticket_id", "times_triggered"],
    "properties": {
        "id": {"type": "string"},
        "fingerprint": {"type": "string"},
        "title": {"type": "string"},
        "severity": {"type": "string"},
        "ticket_id": {"type": ["string", "null"]},
        "times_triggered": {"type": "integer"},
        "first_triggered_at": {"type": "string"},
        "last_triggered_at": {"type": "string"},
    },
}
LINK_TICKET_BODY = {
    "title": "LinkTicket",
    "type": "object",
    "additionalProperties": False,
    "required": ["ticket_id"],
    "properties": {"ticket_id": {"type": "string", "minLength": 1, "maxLength": 64}},
}


def _item_errors(item: dict) -> dict[str, str]:
    errors = errors_for(item, {**INGEST_ITEM, "properties": {**INGEST_ITEM["properties"], "data": {}}})
    if errors:
        return errors
    return errors_for(item["data"], DATA_SCHEMAS[item["type"]], "data")


@routes.route(
    "/api/v1/events/ingest",
    "POST",
    operation_id="ingestEvents",
    summary="Ingest external events (alerts, pipeline failures, asset changes); per-item results",
    roles=STAFF,
    body=INGEST_BODY,
    response=INGEST_RESULT,
    idempotency_key_required=True,
)
def ingest_events(request):
    results = []
    for index, item in enumerate(request.body["events"]):
        errors = _item_errors(item) if isinstance(item, dict) else {"": "must be an object"}
        if errors:
            results.append({"index": index, "status": "rejected", "errors": errors})
            continue
        outcome = ingest.ingest(
            request.workspace_id, request.principal, item["type"], item["data"], request.correlation_id
        )
        results.append({"index": index, "status": "accepted", "event_id": outcome.event_id, "alert": outcome.alert})
    accepted = sum(1 for result in results if result["status"] == "accepted")
    return {"accepted": accepted, "rejected": len(results) - accepted, "results": results}


@routes.route(
    "/api/v1/ops/alerts/{alert_id}/link-ticket",
    "POST",
    operation_id="linkAlertToTicket",
    summary="Link an alert to a ticket: its later triggers update that ticket",
    roles=STAFF,
    body=LINK_TICKET_BODY,
    response=ALERT,
    errors=frozenset({409}),
)
def link_alert(request):
    return ingest.link_ticket(
        request.workspace_id,
        request.principal,
        request.path_params["alert_id"],
        request.body["ticket_id"],
        request.correlation_id,
    )
