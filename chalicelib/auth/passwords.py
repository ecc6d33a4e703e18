"""Password hashing: salted scrypt, self-describing encoded strings, constant-time verification.

An encoded hash reads ``scrypt$<n>$<r>$<p>$<salt>$<digest>`` (salt and digest base64url without
padding), so the cost parameters can be raised later without invalidating stored hashes;
``needs_rehash`` tells a caller when a stored hash is weaker than today's parameters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

SCHEME = "scrypt"
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
DIGEST_BYTES = 32
# Bounds on parameters read back from a stored hash, so a corrupted or planted hash cannot make
# one verification allocate gigabytes or run for minutes.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16
_MAX_MEMORY = 256 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=length)


def hash_password(password: str) -> str:
    """Hash ``password`` with a fresh random salt; returns the self-describing encoded string."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, DIGEST_BYTES)
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parse(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, n_text, r_text, p_text, salt_text, digest_text = encoded.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, digest = _unb64(salt_text), _unb64(digest_text)
    except (AttributeError, ValueError):
        return None
    power_of_two = n > 1 and n & (n - 1) == 0
    if scheme != SCHEME or not power_of_two or n > _MAX_N or not 0 < r <= _MAX_R or not 0 < p <= _MAX_P:
        return None
    if not salt or not 16 <= len(digest) <= 64:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, encoded: str | None) -> bool:
    """True when ``password`` matches ``encoded``. Compares in constant time; a missing or malformed
    hash is a mismatch, not an error, and still costs one hash so timing does not reveal it."""
    parsed = _parse(encoded) if encoded else None
    if parsed is None:
        burn_one_hash(password)
        return False
    n, r, p, salt, expected = parsed
    actual = _derive(password, salt, n, r, p, len(expected))
    return hmac.compare_digest(actual, expected)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_one_hash(password: str) -> None:
    """Spend the time one verification takes (for an unknown account), so a login with an unknown
    email cannot be told from a wrong password by its response time."""
    _n, _r, _p, salt, expected = _parse(_decoy_hash())
    hmac.compare_digest(_derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, len(expected)), expected)


def needs_rehash(encoded: str) -> bool:
    """True when ``encoded`` was made with other parameters than today's (rehash at next login)."""
    parsed = _parse(encoded)
    return parsed is None or parsed[:3] != (SCRYPT_N, SCRYPT_R, SCRYPT_P) or len(parsed[4]) != DIGEST_BYTES
