"""A small JSON Schema subset validator, so the schemas that document a route in OpenAPI are the
same ones that check its input. Supported: type (incl. lists of types), properties, required,
additionalProperties (bool), anyOf, enum, minLength, maxLength, pattern, minimum, maximum, items,
minItems, maxItems, uniqueItems, maxProperties, format (date-time, email).

Three extension keywords keep lenient inputs out of the published types (clients generated from
the document see plain string enums and typed objects; other tools ignore ``x-`` keywords):
``x-integer-as-string`` reads an integer as its decimal string before any other rule (priority
``2`` is ``"2"``); ``x-enum-ignore-case`` matches a string enum ignoring case (``p1`` is ``P1``);
``x-required-any-of`` requires at least one of the named properties (a field and its alias)."""

from __future__ import annotations

import re

from chalicelib.clock import parse_time
from chalicelib.errors import ValidationError

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _is_type(value, type_name: str) -> bool:
    if type_name == "integer":  # JSON Schema: 2.0 is an integer, true is not
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[type_name])


def errors_for(value, schema: dict, path: str = "") -> dict[str, str]:
    """Return ``{field_path: message}`` for every rule ``value`` breaks (empty when valid)."""
    where = path or "body"
    if schema.get("x-integer-as-string") and _is_type(value, "integer") and not isinstance(value, float):
        value = str(value)
    types = schema.get("type")
    if types is not None:
        type_list = types if isinstance(types, list) else [types]
        if not any(_is_type(value, t) for t in type_list):
            return {where: f"must be of type {' or '.join(type_list)}"}
    if "enum" in schema and not _in_enum(value, schema):
        allowed = ", ".join(str(option) for option in schema["enum"])
        return {where: f"must be one of: {allowed}"}
    if "anyOf" in schema and not any(not errors_for(value, option, path) for option in schema["anyOf"]):
        return {where: schema.get("x-anyOf-message", "matches none of the allowed forms")}
    if isinstance(value, str):
        return _string_errors(value, schema, where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return {where: f"must be at least {schema['minimum']}"}
        if "maximum" in schema and value > schema["maximum"]:
            return {where: f"must be at most {schema['maximum']}"}
    if isinstance(value, list):
        return _array_errors(value, schema, path, where)
    if isinstance(value, dict):
        return _object_errors(value, schema, path, where)
    return {}


def _in_enum(value, schema: dict) -> bool:
    if schema.get("x-enum-ignore-case") and isinstance(value, str):
        return value.casefold() in {option.casefold() for option in schema["enum"] if isinstance(option, str)}
    return any(value == option and type(value) is type(option) for option in schema["enum"])


def _string_errors(value: str, schema: dict, where: str) -> dict[str, str]:
    if len(value) < schema.get("minLength", 0):
        return {
            where: "must not be empty"
            if schema.get("minLength") == 1
            else f"must be at least {schema['minLength']} characters"
        }
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return {where: f"must be at most {schema['maxLength']} characters"}
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return {where: "has an invalid format"}
    fmt = schema.get("format")
    if fmt == "date-time":
        try:
            parse_time(value)
        except ValueError:
            return {where: "must be an RFC 3339 timestamp with a UTC offset"}
    if fmt == "email" and not _EMAIL.match(value):
        return {where: "must be an email address"}
    return {}


def _array_errors(value: list, schema: dict, path: str, where: str) -> dict[str, str]:
    if "minItems" in schema and len(value) < schema["minItems"]:
        return {where: f"must have at least {schema['minItems']} items"}
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return {where: f"must have at most {schema['maxItems']} items"}
    if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
        return {where: "must not repeat items"}
    errors: dict[str, str] = {}
    if "items" in schema:
        for position, item in enumerate(value):
            errors.update(errors_for(item, schema["items"], f"{path}[{position}]" if path else f"[{position}]"))
    return errors


def _object_errors(value: dict, schema: dict, path: str, where: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        return {where: f"must have at most {schema['maxProperties']} properties"}
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            errors[f"{path}.{name}" if path else name] = "is required"
    alternatives = schema.get("x-required-any-of")
    if alternatives and not any(name in value for name in alternatives):
        first, *aliases = alternatives
        errors[f"{path}.{first}" if path else first] = f"is required (or its alias {' or '.join(aliases)})"
    for name, item in value.items():
        field_path = f"{path}.{name}" if path else name
        if name in properties:
            errors.update(errors_for(item, properties[name], field_path))
        elif schema.get("additionalProperties") is False:
            errors[field_path] = "is not a known field"
        elif isinstance(schema.get("additionalProperties"), dict):
            errors.update(errors_for(item, schema["additionalProperties"], field_path))
    return errors


def validate(value, schema: dict, message: str = "request body is invalid") -> None:
    """Raise ValidationError with per-field details when ``value`` does not match ``schema``."""
    errors = errors_for(value, schema)
    if errors:
        raise ValidationError(message, details=errors)
