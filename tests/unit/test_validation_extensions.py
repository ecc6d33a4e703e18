"""The validator's extension keywords: lenient inputs accepted without publishing mixed types."""

from __future__ import annotations

from chalicelib.http.validation import errors_for

LENIENT_LEVEL = {
    "type": "string",
    "enum": ["P1", "P2", "1", "2"],
    "x-enum-ignore-case": True,
    "x-integer-as-string": True,
}
LOGIN = {
    "type": "object",
    "x-required-any-of": ["email", "username"],
    "properties": {"email": {"type": "string"}, "username": {"type": "string"}},
}


def test_an_integer_is_read_as_its_string_where_the_schema_allows_it():
    assert errors_for(2, LENIENT_LEVEL) == {}
    assert errors_for(3, LENIENT_LEVEL) == {"body": "must be one of: P1, P2, 1, 2"}


def test_booleans_and_floats_are_not_read_as_integers():
    assert errors_for(True, LENIENT_LEVEL) == {"body": "must be of type string"}
    assert errors_for(2.0, LENIENT_LEVEL) == {"body": "must be of type string"}


def test_a_string_enum_may_match_ignoring_case():
    assert errors_for("p1", LENIENT_LEVEL) == {}
    assert errors_for("p1", {"type": "string", "enum": ["P1"]}) == {"body": "must be one of: P1"}


def test_one_of_a_field_and_its_alias_is_required():
    assert errors_for({"username": "ana"}, LOGIN) == {}
    assert errors_for({"email": "ana@example.com"}, LOGIN) == {}
    assert errors_for({}, LOGIN) == {"email": "is required (or its alias username)"}
