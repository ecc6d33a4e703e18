"""Webhook signatures, checked over the raw body bytes before anything parses them.

Incoming (GitHub's ``X-Hub-Signature-256``, AgentField's ``x-agentfield-signature``): ``sha256=`` +
hex HMAC-SHA256 of the body with the shared secret, compared in constant time. Outgoing: the Standard
Webhooks scheme, ``v1,`` + base64 HMAC-SHA256 of ``<id>.<timestamp>.<body>`` keyed with the decoded
bytes of a ``whsec_<base64>`` secret (no package for it is available to us, and it is a few lines).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def sha256_signature(secret: str, raw_body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of raw_body>``, the form GitHub and AgentField send."""
    return "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def sha256_signature_matches(secret: str, raw_body: bytes, given: str | None) -> bool:
    """True when ``given`` is the signature of ``raw_body`` under ``secret`` (constant time)."""
    if not given:
        return False
    return hmac.compare_digest(sha256_signature(secret, raw_body).encode(), given.strip().encode())


def new_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one message (``v1,<base64>``)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def standard_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, message_id, timestamp, body),
    }
