"""GET/PUT /api/v1/admin/system-config: one validated, versioned, audited document per workspace."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain import system_config
from chalicelib.http.validation import errors_for
from chalicelib.models.audit import AuditItem, target_key
from tests.routes.http_helpers import call

PATH = "/api/v1/admin/system-config"


def audit_rows(workspace_id: str) -> list[AuditItem]:
    key = target_key(workspace_id, "system_config", workspace_id)
    return list(AuditItem.by_target.query(key))


def test_defaults_are_served_before_anything_is_stored(client, as_role):
    response = call(client, "GET", PATH, as_role("admin"))

    assert response.status_code == 200
    assert response.json["version"] == 0
    assert response.headers["ETag"] == '"v0"'
    assert response.json["attachments"] == system_config.DEFAULTS["attachments"]
    assert response.json["sla"]["default_warning_threshold_percent"] == 80


def test_defaults_satisfy_the_published_schema():
    from chalicelib.blueprints.system_config import SYSTEM_CONFIG_INPUT

    assert errors_for(system_config.DEFAULTS, SYSTEM_CONFIG_INPUT) == {}


def test_put_stores_the_document_and_bumps_the_version(client, as_role, workspace_id):
    admin = as_role("admin")
    body = {"attachments": {"max_bytes": 2048}, "ai": {"provider": "openai", "auto_assign_confidence_threshold": 0.9}}

    first = call(client, "PUT", PATH, admin, body)
    second = call(client, "PUT", PATH, admin, body)

    assert first.status_code == 200, first.body
    assert (first.json["version"], second.json["version"]) == (1, 2)
    assert second.headers["ETag"] == '"v2"'
    stored = call(client, "GET", PATH, admin).json
    assert stored["attachments"]["max_bytes"] == 2048
    # a field left out keeps its default
    assert stored["attachments"]["allowed_mime_types"] == system_config.DEFAULTS["attachments"]["allowed_mime_types"]
    assert stored["ai"]["provider"] == "openai"
    assert system_config.current(workspace_id)["attachments"]["max_bytes"] == 2048


@pytest.mark.parametrize(
    "body",
    [
        {"colour": "blue"},
        {"sla": {"warning": 50}},
        {"ai": {"categories": [{"name": "x", "examples": ["a"], "weight": 2}]}},
        {"attachments": {"max_bytes": 0}},
        {"attachments": {"allowed_mime_types": ["not a type"]}},
        {"notifications": {"events": ["ticket.nonsense"]}},
        {"version": 3},
    ],
    ids=["unknown-section", "unknown-field", "unknown-nested-key", "zero-bytes", "bad-mime", "unknown-topic", "ro"],
)
def test_unknown_keys_and_bad_values_are_refused(client, as_role, body):
    response = call(client, "PUT", PATH, as_role("admin"), body)

    assert response.status_code == 400
    assert response.json["code"] == "validation_error"
    assert call(client, "GET", PATH, as_role("admin")).json["version"] == 0


def test_stale_if_match_is_refused_and_changes_nothing(client, as_role):
    admin = as_role("admin")
    call(client, "PUT", PATH, admin, {"security": {"session_lifetime_minutes": 60}})

    stale = call(client, "PUT", PATH, {**admin, "If-Match": '"v0"'}, {"security": {"session_lifetime_minutes": 30}})
    fresh = call(client, "PUT", PATH, {**admin, "If-Match": '"v1"'}, {"security": {"session_lifetime_minutes": 45}})

    assert stale.status_code == 412
    assert fresh.status_code == 200
    assert fresh.json["security"]["session_lifetime_minutes"] == 45


def test_each_change_is_audited_field_by_field(client, as_role, workspace_id):
    admin = as_role("admin", user_id="adm-1")

    call(client, "PUT", PATH, admin, {"sla": {"default_warning_threshold_percent": 70}})

    (row,) = audit_rows(workspace_id)
    assert (row.action, row.actor_id, row.target_type) == ("system_config.updated", "adm-1", "system_config")
    assert json.loads(row.changes) == {"sla/default_warning_threshold_percent": {"from": 80, "to": 70}}


@pytest.mark.parametrize("role", ["agent", "requester", "viewer"])
def test_only_admins_read_or_change_it(client, as_role, role):
    headers = as_role(role)

    assert call(client, "GET", PATH, headers).status_code == 403
    assert call(client, "PUT", PATH, headers, {}).status_code == 403


def test_each_workspace_has_its_own(client, as_role):
    call(client, "PUT", PATH, as_role("admin"), {"attachments": {"max_bytes": 10}})

    other = call(client, "GET", PATH, as_role("admin", workspace="ws-other-config"))

    assert other.json["version"] == 0
    assert other.json["attachments"]["max_bytes"] == system_config.DEFAULTS["attachments"]["max_bytes"]
