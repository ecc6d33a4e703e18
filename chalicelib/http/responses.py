"""What a handler returns, and how errors and lists are shaped on the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Reply:
    body: object = None
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: str | None = None


def no_content() -> Reply:
    return Reply(None, status=204)


def error_body(message: str, code: str, details: dict | None = None) -> dict:
    return {"error": message, "code": code, "details": details or {}}


def list_envelope(items: list, limit: int, next_cursor: str | None, sort_by: str, order: str, filters: dict) -> dict:
    return {
        "data": items,
        "page": {"limit": limit, "returned": len(items), "next_cursor": next_cursor},
        "sort": {"by": sort_by, "order": order},
        "filters": filters,
    }


def _default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(body: object) -> str:
    return json.dumps(body, separators=(",", ":"), default=_default)
