"""Input validation, cursors, settings and ticket rules: the pieces under every route."""

from __future__ import annotations

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, Forbidden, ValidationError


def test_validation_reports_every_broken_field():
    from chalicelib.http.validation import errors_for

    schema = {
        "type": "object",
        "required": ["title"],
        "additionalProperties": False,
        "properties": {"count": {"type": "integer", "minimum": 1}, "title": {"type": "string", "minLength": 1}},
    }

    errors = errors_for({"count": 0, "extra": 1}, schema)

    assert errors == {"title": "is required", "count": "must be at least 1", "extra": "is not a known field"}


@pytest.mark.parametrize(("value", "valid"), [(1, True), (True, False), (1.5, False), ("1", False)])
def test_booleans_and_floats_are_not_integers(value, valid):
    from chalicelib.http.validation import errors_for

    assert (errors_for(value, {"type": "integer"}) == {}) is valid


def test_enums_compare_types_too():
    from chalicelib.http.validation import errors_for

    assert errors_for(True, {"enum": [1, "1"]}) != {}
    assert errors_for(1, {"enum": [1, "1"]}) == {}


def test_a_cursor_round_trips_within_its_scope_only(aws):
    from chalicelib.http.cursors import decode_cursor, encode_cursor

    cursor = encode_cursor({"pk": {"S": "a"}}, "scope-1")

    assert decode_cursor(cursor, "scope-1") == {"pk": {"S": "a"}}
    with pytest.raises(ValidationError):
        decode_cursor(cursor, "scope-2")


@pytest.mark.parametrize("garbage", [".\U000f0ba5", "é.é", "\ud800.x", "", ".", "abc"])
def test_a_garbage_cursor_is_refused_as_invalid_whatever_its_characters(aws, garbage):
    from chalicelib.http.cursors import decode_cursor

    with pytest.raises(ValidationError):
        decode_cursor(garbage, "scope-1")


def test_a_missing_required_setting_fails_at_start_naming_it():
    from chalicelib.settings import ConfigurationError, load_settings

    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        load_settings({"AUTH_MODE": "local"})
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        load_settings({"AUTH_MODE": "local", "JWT_SECRET": "short"})
    with pytest.raises(ConfigurationError, match="OIDC_JWKS_URL"):
        load_settings({"AUTH_MODE": "oidc"})
    with pytest.raises(ConfigurationError, match="AUTH_MODE"):
        load_settings({"AUTH_MODE": "magic"})


def test_settings_read_lists_and_flags():
    from chalicelib.settings import load_settings

    settings = load_settings(
        {
            "JWT_SECRET": "x" * 32,
            "ALLOWED_ORIGINS": " https://a.example , https://b.example,",
            "REQUIRE_IDEMPOTENCY_KEY": "TRUE",
        }
    )

    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.require_idempotency_key is True


def _actor(role: str) -> Principal:
    return Principal("u-1", "u@example.com", frozenset({role}), ("ws",))


@pytest.mark.parametrize(("current", "target"), [("new", "closed"), ("closed", "open"), ("cancelled", "open")])
def test_the_workflow_refuses_transitions_it_does_not_know(current, target):
    from chalicelib.domain.ticket_rules import check_transition

    with pytest.raises(Conflict):
        check_transition(_actor("agent"), current, target)


def test_every_status_is_reachable_from_new():
    from chalicelib.domain.ticket_rules import STATUSES, TRANSITIONS

    reachable, frontier = {"new"}, ["new"]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)

    assert reachable == set(STATUSES)


def test_a_requester_may_answer_but_not_put_on_hold():
    from chalicelib.domain.ticket_rules import check_transition

    check_transition(_actor("requester"), "awaiting_user_response", "open")
    with pytest.raises(Forbidden):
        check_transition(_actor("requester"), "open", "on_hold")


def test_msp_roles_map_onto_deskflow_roles():
    from chalicelib.auth.roles import normalize_roles

    assert normalize_roles(["msp_admin", "ops_engineer", "client_portal", "mystery"]) == {"admin", "agent", "requester"}
    assert normalize_roles("agent viewer") == {"agent", "viewer"}
    assert normalize_roles(None) == frozenset()
