"""DynamoDB's item size, by its published rules: the sum of attribute name lengths and value
sizes (strings and binaries by their UTF-8/byte length, numbers by their digits, lists and maps
3 bytes plus 1 per element on top of their contents). It decides what an item may hold (at most
400 KB) and what a write costs (one write unit per started KB; ``bench.write_units``).
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal

MAX_ITEM_BYTES = 400 * 1024


def compact_json(value) -> str:
    """JSON as Deskflow stores and sends it: no spaces, and text as text (``ensure_ascii=False``), so an
    emoji costs its 4 UTF-8 bytes instead of a 12-byte pair of ``\\u`` escapes (a 20,000-emoji text
    stays 80 KB, not 240 KB)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


# A version attribute grows by at most a digit when a transaction saves the item.
_SAVE_HEADROOM = 16


def value_size(value: dict) -> int:
    """Size of one attribute value in DynamoDB JSON (``{"S": "..."}``, ``{"N": "12"}``, ...)."""
    (kind, content), *_ = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return _number_size(content)
    if kind == "B":
        return len(content if isinstance(content, bytes) else base64.b64decode(content))
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "SS":
        return sum(len(element.encode()) for element in content)
    if kind == "NS":
        return sum(_number_size(element) for element in content)
    if kind == "BS":
        return sum(len(element) for element in content)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in content.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def _number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return (len(digits) + 1) // 2 + 1


def item_size(attributes: dict) -> int:
    """Bytes of one item given as ``{name: DynamoDB JSON value}``."""
    return sum(len(name.encode()) + value_size(value) for name, value in attributes.items())


def model_size(item) -> int:
    """Bytes of a PynamoDB model instance as it would be written."""
    return item_size(item.serialize())


def fits(item) -> bool:
    """Whether a PynamoDB model instance can be saved (DynamoDB refuses items over 400 KB)."""
    return model_size(item) + _SAVE_HEADROOM <= MAX_ITEM_BYTES
