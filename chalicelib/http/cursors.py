"""Opaque, tamper-proof list cursors.

A cursor is the DynamoDB ``LastEvaluatedKey`` plus the scope it was issued for (workspace,
caller and a fingerprint of the query), signed with HMAC-SHA256. A forged cursor, or one reused
for another workspace or another query, is refused with 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from chalicelib.errors import ValidationError
from chalicelib.settings import get_settings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: bytes) -> str:
    return _b64(hmac.new(get_settings().cursor_signing_key, payload, hashlib.sha256).digest())


def encode_cursor(position: dict, scope: str) -> str:
    payload = json.dumps({"p": position, "s": scope}, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_sign(payload)}"


def decode_cursor(cursor: str, scope: str) -> dict:
    """Return the position a cursor encodes; raise ValidationError if it is forged or out of scope."""
    invalid = ValidationError(
        "cursor is invalid", details={"cursor": "is not a cursor this list issued"}, code="invalid_cursor"
    )
    try:
        payload_text, signature = cursor.split(".", 1)
        payload = _unb64(payload_text)
        signature_bytes = signature.encode("ascii")  # compare_digest refuses non-ASCII text with a TypeError
    except ValueError:  # includes binascii.Error and UnicodeError
        raise invalid from None
    if not hmac.compare_digest(signature_bytes, _sign(payload).encode()):
        raise invalid
    try:
        decoded = json.loads(payload)
    except ValueError:
        raise invalid from None
    if not isinstance(decoded, dict) or decoded.get("s") != scope or not isinstance(decoded.get("p"), dict):
        raise invalid
    return decoded["p"]
