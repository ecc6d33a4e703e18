"""GET/PUT /api/v1/sla/policies: staff read, admins write; versioned (ETag/If-Match), audited, validated."""

from __future__ import annotations

import copy
import json

import pytest

from chalicelib.models.audit import AuditItem, audit_pk
from tests.routes.http_helpers import call

POLICIES = "/api/v1/sla/policies"
SEED_003_TARGETS = {
    "low": {"first_response": "08:00:00", "resolution": "72:00:00"},
    "medium": {"first_response": "04:00:00", "resolution": "48:00:00"},
    "high": {"first_response": "02:00:00", "resolution": "24:00:00"},
    "urgent": {"first_response": "00:30:00", "resolution": "04:00:00"},
}
BERLIN_OFFICE = {
    "timezone": "Europe/Berlin",
    "working_hours": {
        "monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
        "friday": [{"start": "09:00", "end": "15:00"}],
    },
    "holidays": ["2026-12-25", "2026-12-24"],
}
POLICY = {
    "targets": SEED_003_TARGETS,
    "warning_threshold_percent": 80,
    "calendar": BERLIN_OFFICE,
    "escalation_levels": [
        {"after": "00:30:00", "target": {"team_id": "tier-2"}},
        {"after": "02:00:00", "target": {"user_id": "usr-manager"}},
    ],
}


def put(client, headers, body, **extra):
    return call(client, "PUT", POLICIES, {**headers, **extra}, body)


def test_without_a_policy_staff_read_the_default_as_version_zero(client, as_role):
    response = call(client, "GET", POLICIES, as_role("agent"))
    assert response.status_code == 200, response.body
    assert response.json["is_default"] is True and response.json["version"] == 0
    assert response.json["calendar"] == {"24x7": True}
    assert response.json["warning_threshold_percent"] == 75
    assert set(response.json["targets"]) == {"low", "medium", "high", "urgent"}
    assert response.headers["ETag"] == '"v0"'


@pytest.mark.parametrize("role", ["requester", "viewer"])
def test_non_staff_cannot_read_the_policy(client, as_role, role):
    assert call(client, "GET", POLICIES, as_role(role)).status_code == 403


def test_admin_writes_a_policy_that_staff_then_read(client, as_role):
    response = put(client, as_role("admin"), POLICY)
    assert response.status_code == 200, response.body
    assert response.json["version"] == 1 and response.json["is_default"] is False
    assert response.headers["ETag"] == '"v1"'
    read = call(client, "GET", POLICIES, as_role("agent")).json
    assert read["targets"]["low"]["resolution"] == "72:00:00"
    assert read["calendar"]["holidays"] == ["2026-12-24", "2026-12-25"]
    assert read["escalation_levels"][1] == {"after": "02:00:00", "target": {"user_id": "usr-manager"}}
    assert read["warning_threshold_percent"] == 80


def test_agents_cannot_write_the_policy(client, as_role):
    assert put(client, as_role("agent"), POLICY).status_code == 403


def test_each_write_is_a_new_version_and_a_stale_if_match_is_refused(client, as_role):
    admin = as_role("admin", user_id="adm-1")
    assert put(client, admin, POLICY, **{"If-Match": '"v0"'}).status_code == 200
    assert put(client, admin, {**POLICY, "warning_threshold_percent": 90}).json["version"] == 2
    stale = put(client, admin, POLICY, **{"If-Match": '"v1"'})
    assert stale.status_code == 412
    assert put(client, admin, POLICY, **{"If-Match": '"v2"'}).json["version"] == 3


def test_a_write_leaves_an_audit_row_with_the_changes(client, as_role, workspace_id):
    put(client, as_role("admin", user_id="adm-1"), POLICY)
    put(client, as_role("admin", user_id="adm-1"), {**POLICY, "warning_threshold_percent": 90})
    rows = [row for row in AuditItem.query(audit_pk(workspace_id)) if row.target_type == "sla_policy"]
    assert [row.action for row in rows] == ["sla_policy.created", "sla_policy.updated"]
    assert rows[1].actor_id == "adm-1"
    assert json.loads(rows[1].changes) == {"warning_threshold_percent": {"from": 80, "to": 90}}


def test_a_24x7_policy_may_be_given_with_the_shorthand(client, as_role):
    body = {"targets": SEED_003_TARGETS, "24x7": True}
    response = put(client, as_role("admin"), body)
    assert response.status_code == 200, response.body
    assert response.json["calendar"] == {"24x7": True}
    assert response.json["warning_threshold_percent"] == 75


def _with(path: str, value):
    body = copy.deepcopy(POLICY)
    target = body
    *parents, last = path.split(".")
    for name in parents:
        target = target[int(name)] if isinstance(target, list) else target[name]
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("targets.low.resolution", "72:60:00", "targets.low.resolution"),
        ("targets.low.resolution", "3 days", "targets.low.resolution"),
        ("targets.urgent.first_response", "00:00:00", "targets.urgent.first_response"),
        ("targets.medium", _DELETE, "targets.medium"),
        ("warning_threshold_percent", 0, "warning_threshold_percent"),
        ("warning_threshold_percent", 101, "warning_threshold_percent"),
        ("calendar.timezone", "Mars/Olympus_Mons", "calendar.timezone"),
        ("calendar.working_hours.monday.1.start", "11:00", "calendar.working_hours.monday"),
        ("calendar.working_hours.friday.0.end", "08:00", "calendar.working_hours.friday"),
        ("calendar.working_hours.friday.0.end", "25:00", "calendar.working_hours.friday[0].end"),
        ("calendar.working_hours", {}, "calendar.working_hours"),
        ("calendar.holidays", ["2026-02-30"], "calendar.holidays.0"),
        ("escalation_levels.0.target", {"team_id": "a", "user_id": "b"}, "escalation_levels[0].target"),
        ("escalation_levels.0.target", {}, "escalation_levels[0].target"),
        ("escalation_levels.0.after", "soon", "escalation_levels[0].after"),
    ],
)
def test_a_policy_that_cannot_work_is_refused_with_the_field_named(client, as_role, path, value, field):
    response = put(client, as_role("admin"), _with(path, value))
    assert response.status_code == 400, response.body
    assert field in response.json["details"], response.json


def test_a_refused_policy_changes_nothing(client, as_role):
    admin = as_role("admin", user_id="adm-1")
    put(client, admin, POLICY)
    put(client, admin, _with("calendar.timezone", "Nowhere/Special"))
    read = call(client, "GET", POLICIES, as_role("agent")).json
    assert read["version"] == 1 and read["calendar"]["timezone"] == "Europe/Berlin"


def test_a_calendar_too_thin_for_the_longest_target_is_refused(client, as_role):
    body = _with("targets.low.resolution", "9999:00:00")  # 14 working hours a week: 14 years
    response = put(client, as_role("admin"), body)
    assert response.status_code == 400
    assert "too little working time" in response.json["details"]["calendar"]


def test_hours_may_exceed_a_day(client, as_role):
    body = _with("targets.low.resolution", "240:00:00")
    assert put(client, as_role("admin"), body).json["targets"]["low"]["resolution"] == "240:00:00"
