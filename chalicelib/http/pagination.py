"""``limit`` + opaque ``cursor`` for every list route, and the list envelope."""

from __future__ import annotations

from chalicelib.http.cursors import decode_cursor, encode_cursor
from chalicelib.http.responses import list_envelope

PAGE_QUERY = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
    "cursor": {"type": "string", "minLength": 1, "maxLength": 4096},
}


def start_key(request, scope: str) -> dict | None:
    """The position a request's cursor encodes (None for the first page); 400 if forged or foreign."""
    cursor = request.query.get("cursor")
    return decode_cursor(cursor, scope) if cursor else None


def page(request, items: list, next_key: dict | None, scope: str, sort_by: str, order: str, filters: dict) -> dict:
    next_cursor = encode_cursor(next_key, scope) if next_key else None
    return list_envelope(items, request.query["limit"], next_cursor, sort_by, order, filters)
