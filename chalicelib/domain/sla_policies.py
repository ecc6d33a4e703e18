"""SLA policies: per workspace, the targets per priority, the warning threshold, the business calendar
and the escalation levels. Read by staff, written by admins; versioned and audited.

A workspace that never wrote a policy has ``DEFAULT_POLICY`` (version 0). Every write keeps an
immutable snapshot of the new version, and a ticket's clock keeps the version it started with
(``policy_version``), so a deadline can always be explained by the policy that produced it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pynamodb.exceptions import TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.clock import now_iso, utcnow
from chalicelib.domain.audit import audit_record
from chalicelib.domain.sla_calendar import ALWAYS_OPEN, END_OF_DAY, WEEKDAYS, BusinessCalendar, add_business_seconds
from chalicelib.domain.ticket_rules import PRIORITIES
from chalicelib.errors import Conflict, PreconditionFailed, ValidationError
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.sizing import compact_json
from chalicelib.models.sla_policy import (
    CURRENT_SK,
    SlaPolicyItem,
    SlaPolicyVersionItem,
    find_policy,
    find_policy_version,
    policy_pk,
    version_sk,
)

TARGETS = ("first_response", "resolution")
DURATION_PATTERN = r"^[0-9]{1,4}:[0-5][0-9]:[0-5][0-9]$"  # hours may exceed 24 (seed 003: "72:00:00")
TIME_OF_DAY_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DEFAULT_WARNING_THRESHOLD_PERCENT = 75
MAX_ESCALATION_LEVELS = 10
MAX_HOLIDAYS = 400
MAX_INTERVALS_PER_DAY = 6
_DURATION = re.compile(DURATION_PATTERN)
ALWAYS_OPEN_KEY = "24x7"

DEFAULT_POLICY: dict = {
    "targets": {
        "urgent": {"first_response": "01:00:00", "resolution": "04:00:00"},
        "high": {"first_response": "04:00:00", "resolution": "24:00:00"},
        "medium": {"first_response": "08:00:00", "resolution": "48:00:00"},
        "low": {"first_response": "24:00:00", "resolution": "72:00:00"},
    },
    "warning_threshold_percent": DEFAULT_WARNING_THRESHOLD_PERCENT,
    "calendar": {ALWAYS_OPEN_KEY: True},
    "escalation_levels": [
        {"after": "01:00:00", "target": {"team_id": "escalations"}},
        {"after": "04:00:00", "target": {"team_id": "service-managers"}},
    ],
}


@dataclass(frozen=True)
class Policy:
    """A policy version ready for arithmetic: targets in seconds, the calendar built."""

    version: int
    document: dict
    calendar: BusinessCalendar

    def target_seconds(self, priority: str, target: str) -> float:
        return float(parse_duration(self.document["targets"][priority][target]))

    @property
    def warning_fraction(self) -> float:
        return self.document["warning_threshold_percent"] / 100


def parse_duration(text: str) -> int:
    """``"HH:MM:SS"`` (hours may exceed 24) as seconds; ValueError for anything else."""
    if not isinstance(text, str) or not _DURATION.match(text):
        raise ValueError(f"not an HH:MM:SS duration: {text!r}")
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def format_duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def get_policy(workspace_id: str) -> dict:
    """The policy in force, as clients see it (the default, version 0, when none was written)."""
    item = find_policy(workspace_id)
    if item is None:
        return _public(DEFAULT_POLICY, 0, None, None)
    return _public(json.loads(item.document), int(item.version), item.updated_at, item.updated_by)


def put_policy(
    workspace_id: str, actor: Principal, document: dict, correlation_id: str | None, expected_version=None
) -> dict:
    """Replace the workspace's policy. ValidationError for a policy that cannot work (unknown time zone,
    overlapping hours, a zero target, a calendar without working time); PreconditionFailed when
    ``expected_version`` (If-Match) is not the version in force; Conflict when another write won."""
    policy = normalized(document)
    current = find_policy(workspace_id)
    current_version = int(current.version) if current else 0
    if expected_version is not None and expected_version != current_version:
        raise PreconditionFailed(
            "the SLA policy has changed since you read it",
            details={"If-Match": f'current version is "v{current_version}"'},
        )
    before = json.loads(current.document) if current else DEFAULT_POLICY
    at = now_iso()
    item = current or SlaPolicyItem(pk=policy_pk(workspace_id), sk=CURRENT_SK, workspace_id=workspace_id)
    item.document = compact_json(policy)
    item.updated_at, item.updated_by = at, actor.user_id
    new_version = current_version + 1
    snapshot = SlaPolicyVersionItem(
        pk=policy_pk(workspace_id),
        sk=version_sk(new_version),
        workspace_id=workspace_id,
        policy_version=new_version,
        document=item.document,
        updated_at=at,
    )
    changes = {
        name: {"from": before.get(name), "to": value} for name, value in policy.items() if before.get(name) != value
    }
    audit = audit_record(
        workspace_id,
        actor.user_id,
        "sla_policy.updated" if current else "sla_policy.created",
        "sla_policy",
        workspace_id,
        changes=changes,
        correlation_id=correlation_id,
        at=at,
    )
    try:
        with transaction() as write:
            write.save(item)  # the version attribute makes this conditional on the version read
            write.save(snapshot, condition=SlaPolicyVersionItem.sk.does_not_exist())
            write.save(audit)
    except TransactWriteError as error:
        if {"ConditionalCheckFailed", "TransactionConflict"} & set(cancellation_codes(error)):
            if expected_version is not None:
                raise PreconditionFailed("the SLA policy has changed since you read it") from error
            raise Conflict(
                "the SLA policy was changed by someone else; reload and retry", code="concurrent_update"
            ) from error
        raise
    return _public(policy, new_version, at, actor.user_id)


def current_policy(workspace_id: str) -> Policy:
    """The policy in force, for a clock about to start."""
    item = find_policy(workspace_id)
    if item is None:
        return build_policy(DEFAULT_POLICY, 0)
    return build_policy(json.loads(item.document), int(item.version))


def policy_version(workspace_id: str, version: int) -> Policy:
    """The policy as it was at ``version`` (0 is the default), for a clock started with it."""
    snapshot = find_policy_version(workspace_id, version) if version else None
    if snapshot is None:
        return build_policy(DEFAULT_POLICY, 0)
    return build_policy(json.loads(snapshot.document), version)


def escalation_levels(workspace_id: str) -> list[dict]:
    """The escalation levels in force, in order: ``[{"after": "HH:MM:SS", "target": {...} | None}]``,
    ``after`` counted from the breach (the sweep's escalation flow reads them)."""
    return [dict(level) for level in current_policy(workspace_id).document["escalation_levels"]]


def build_policy(document: dict, version: int) -> Policy:
    return Policy(version=version, document=document, calendar=build_calendar(document["calendar"]))


def build_calendar(calendar: dict) -> BusinessCalendar:
    if calendar.get(ALWAYS_OPEN_KEY):
        return ALWAYS_OPEN
    hours = {
        WEEKDAYS.index(day): tuple((_time_of_day(i["start"]), _time_of_day(i["end"])) for i in intervals)
        for day, intervals in calendar.get("working_hours", {}).items()
    }
    return BusinessCalendar(
        timezone=calendar["timezone"],
        hours=hours,
        holidays=frozenset(date.fromisoformat(day) for day in calendar.get("holidays", [])),
    )


def normalized(document: dict) -> dict:
    """The policy to store: defaults filled in, every rule the schema cannot express checked."""
    errors: dict[str, str] = {}
    targets = {}
    for priority in PRIORITIES:
        targets[priority] = {}
        for target in TARGETS:
            text = document["targets"][priority][target]
            targets[priority][target] = text
            if parse_duration(text) == 0:
                errors[f"targets.{priority}.{target}"] = "must be longer than 00:00:00"
    calendar = dict(document.get("calendar") or {})
    if document.get(ALWAYS_OPEN_KEY) is True:
        if calendar and not calendar.get(ALWAYS_OPEN_KEY):
            errors[ALWAYS_OPEN_KEY] = "conflicts with the calendar given"
        calendar = {ALWAYS_OPEN_KEY: True}
    calendar = _checked_calendar(calendar, errors)
    levels = [
        {"after": level["after"], "target": level.get("target")} for level in document.get("escalation_levels", [])
    ]
    if not errors:
        _check_reachable(targets, calendar, errors)
    if errors:
        raise ValidationError("the SLA policy is invalid", details=errors)
    return {
        "targets": targets,
        "warning_threshold_percent": document.get("warning_threshold_percent", DEFAULT_WARNING_THRESHOLD_PERCENT),
        "calendar": calendar,
        "escalation_levels": levels,
    }


def _check_reachable(targets: dict, calendar: dict, errors: dict) -> None:
    """A deadline must exist: the longest target has to fit in the calendar's working time within
    the search horizon (holidays could otherwise swallow every working day for years)."""
    longest = max(parse_duration(text) for by_target in targets.values() for text in by_target.values())
    try:
        add_business_seconds(build_calendar(calendar), utcnow(), longest)
    except ValueError:
        errors["calendar"] = f"has too little working time for a target of {format_duration(longest)}"


def _checked_calendar(calendar: dict, errors: dict) -> dict:
    if not calendar or calendar.get(ALWAYS_OPEN_KEY):
        if calendar.get(ALWAYS_OPEN_KEY) is False or (calendar and set(calendar) != {ALWAYS_OPEN_KEY}):
            errors["calendar"] = 'give either "24x7": true or a time zone with working hours'
        return {ALWAYS_OPEN_KEY: True}
    zone = calendar.get("timezone")
    try:
        ZoneInfo(zone or "")
    except (ZoneInfoNotFoundError, ValueError):
        errors["calendar.timezone"] = "must be an IANA time zone such as Europe/Berlin"
    working_hours = {}
    for day, intervals in (calendar.get("working_hours") or {}).items():
        spans = sorted((_time_of_day(i["start"]), _time_of_day(i["end"])) for i in intervals)
        for start, end in spans:
            if end <= start:
                errors[f"calendar.working_hours.{day}"] = "each interval must end after it starts"
        for (_, first_end), (second_start, _) in zip(spans, spans[1:], strict=False):
            if second_start < first_end:
                errors[f"calendar.working_hours.{day}"] = "intervals must not overlap"
        if intervals:
            working_hours[day] = [
                {"start": i["start"], "end": i["end"]} for i in sorted(intervals, key=lambda i: i["start"])
            ]
    if not working_hours:
        errors["calendar.working_hours"] = 'must give working hours for at least one day (or use "24x7": true)'
    holidays = []
    for index, day in enumerate(calendar.get("holidays") or []):
        try:
            holidays.append(date.fromisoformat(day).isoformat())
        except ValueError:
            errors[f"calendar.holidays.{index}"] = "must be a date (YYYY-MM-DD)"
    return {"timezone": zone, "working_hours": working_hours, "holidays": sorted(set(holidays))}


def _time_of_day(text: str) -> time:
    return END_OF_DAY if text == "24:00" else time.fromisoformat(text)


def _public(document: dict, version: int, updated_at: str | None, updated_by: str | None) -> dict:
    return {
        **document,
        "version": version,
        "is_default": version == 0,
        "updated_at": updated_at,
        "updated_by": updated_by,
    }
