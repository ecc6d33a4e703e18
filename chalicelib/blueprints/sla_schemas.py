"""JSON schemas for the SLA policy and the clock explanation (validation and OpenAPI)."""

from __future__ import annotations

from chalicelib.domain.sla_calendar import WEEKDAYS
from chalicelib.domain.sla_policies import (
    DATE_PATTERN,
    DURATION_PATTERN,
    MAX_ESCALATION_LEVELS,
    MAX_HOLIDAYS,
    MAX_INTERVALS_PER_DAY,
    TIME_OF_DAY_PATTERN,
)
from chalicelib.domain.ticket_rules import PRIORITIES
from chalicelib.http.schemas import NULLABLE_STRING, NULLABLE_TIME, TIME, named, string_enum

DURATION = {
    "type": "string",
    "pattern": DURATION_PATTERN,
    "description": 'HH:MM:SS; hours may exceed 24 ("72:00:00")',
}
_ID = {"type": "string", "minLength": 1, "maxLength": 128}

PRIORITY_TARGETS = named(
    "SlaPriorityTargets",
    {
        "type": "object",
        "required": ["first_response", "resolution"],
        "additionalProperties": False,
        "properties": {"first_response": DURATION, "resolution": DURATION},
    },
)

WORKING_INTERVAL = named(
    "SlaWorkingInterval",
    {
        "type": "object",
        "required": ["start", "end"],
        "additionalProperties": False,
        "description": "Local wall-clock times, HH:MM; end may be 24:00",
        "properties": {
            "start": {"type": "string", "pattern": TIME_OF_DAY_PATTERN},
            "end": {"type": "string", "pattern": TIME_OF_DAY_PATTERN},
        },
    },
)

CALENDAR = named(
    "SlaCalendar",
    {
        "type": "object",
        "additionalProperties": False,
        "description": 'Either {"24x7": true}, or a time zone with working hours per weekday and holidays',
        "properties": {
            "24x7": {"type": "boolean"},
            "timezone": {"type": "string", "minLength": 1, "maxLength": 64, "description": "IANA, e.g. Europe/Berlin"},
            "working_hours": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    day: {"type": "array", "items": WORKING_INTERVAL, "maxItems": MAX_INTERVALS_PER_DAY}
                    for day in WEEKDAYS
                },
            },
            "holidays": {
                "type": "array",
                "items": {"type": "string", "pattern": DATE_PATTERN},
                "maxItems": MAX_HOLIDAYS,
                "uniqueItems": True,
            },
        },
    },
)

ESCALATION_TARGET = named(
    "SlaEscalationTarget",
    {
        "type": ["object", "null"],
        "additionalProperties": False,
        "maxProperties": 1,
        "description": "Exactly one of team_id or user_id (null: raise the level without reassigning)",
        "properties": {"team_id": _ID, "user_id": _ID},
        "anyOf": [
            {"type": "null"},
            {"type": "object", "required": ["team_id"]},
            {"type": "object", "required": ["user_id"]},
        ],
        "x-anyOf-message": "give team_id or user_id",
    },
)

ESCALATION_LEVEL = named(
    "SlaEscalationLevel",
    {
        "type": "object",
        "required": ["after"],
        "additionalProperties": False,
        "properties": {
            "after": {**DURATION, "description": "HH:MM:SS after the breach"},
            "target": ESCALATION_TARGET,
        },
    },
)

_TARGETS = {
    "type": "object",
    "required": list(PRIORITIES),
    "additionalProperties": False,
    "properties": {priority: PRIORITY_TARGETS for priority in PRIORITIES},
}
_POLICY_FIELDS = {
    "targets": _TARGETS,
    "warning_threshold_percent": {"type": "integer", "minimum": 1, "maximum": 100},
    "calendar": CALENDAR,
    "escalation_levels": {"type": "array", "items": ESCALATION_LEVEL, "maxItems": MAX_ESCALATION_LEVELS},
}

POLICY_INPUT = named(
    "SlaPolicyInput",
    {
        "type": "object",
        "required": ["targets"],
        "additionalProperties": False,
        "properties": {
            **_POLICY_FIELDS,
            "24x7": {"type": "boolean", "description": 'alias of calendar {"24x7": true}'},
        },
    },
)

POLICY = named(
    "SlaPolicy",
    {
        "type": "object",
        "required": ["targets", "warning_threshold_percent", "calendar", "escalation_levels", "version", "is_default"],
        "properties": {
            **_POLICY_FIELDS,
            "version": {"type": "integer"},
            "is_default": {"type": "boolean"},
            "updated_at": NULLABLE_TIME,
            "updated_by": NULLABLE_STRING,
        },
    },
)

SLA_STATUS = string_enum("SlaStatus", ["on_track", "warning", "breached", "met", "paused"])

SEGMENT = named(
    "SlaSegment",
    {
        "type": "object",
        "required": ["kind", "start", "end", "business_seconds"],
        "properties": {
            "kind": string_enum("SlaSegmentKind", ["running", "paused", "outside_business_hours"]),
            "start": TIME,
            "end": TIME,
            "business_seconds": {"type": "number", "description": "running: time counted; paused: time not counted"},
            "summarized": {"type": "boolean", "description": "stands for pauses older than the kept ones"},
        },
    },
)

TARGET_CLOCK = named(
    "SlaTargetClock",
    {
        "type": "object",
        "required": ["target_business_seconds", "due_at", "elapsed_business_seconds", "remaining_business_seconds"],
        "properties": {
            "target_business_seconds": {"type": "number"},
            "due_at": NULLABLE_TIME,
            "warn_at": NULLABLE_TIME,
            "stopped_at": NULLABLE_TIME,
            "elapsed_business_seconds": {"type": "number"},
            "remaining_business_seconds": {"type": "number"},
            "met": {"type": ["boolean", "null"]},
        },
    },
)

EXPLANATION = named(
    "SlaExplanation",
    {
        "type": "object",
        "required": [
            "ticket_id",
            "status",
            "clock",
            "as_of",
            "elapsed_business_seconds",
            "remaining_business_seconds",
            "targets",
            "policy",
            "segments",
        ],
        "properties": {
            "ticket_id": {"type": "string"},
            "status": SLA_STATUS,
            "clock": string_enum("SlaClockState", ["running", "paused", "stopped"]),
            "as_of": TIME,
            "started_at": TIME,
            "elapsed_business_seconds": {"type": "number"},
            "paused_business_seconds": {"type": "number"},
            "remaining_business_seconds": {"type": "number"},
            "targets": {
                "type": "object",
                "properties": {"first_response": TARGET_CLOCK, "resolution": TARGET_CLOCK},
            },
            "policy": {"type": "object"},
            "segments": {"type": "array", "items": SEGMENT},
            "pauses_kept": {"type": "integer"},
            "max_pauses_kept": {"type": "integer"},
            "summarized_until": NULLABLE_TIME,
        },
    },
)
