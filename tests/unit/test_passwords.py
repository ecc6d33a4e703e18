"""Password hashing: salted scrypt, self-describing, constant-time, never an exception on bad input."""

from __future__ import annotations

import base64

import pytest

from chalicelib.auth import passwords


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_hash_names_its_scheme_and_cost_parameters_and_carries_a_16_byte_salt():
    encoded = passwords.hash_password("correct horse")

    scheme, n, r, p, salt, digest = encoded.split("$")

    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert len(_decode(salt)) == 16
    assert len(_decode(digest)) == 32


def test_hash_does_not_contain_the_password():
    assert "correct horse" not in passwords.hash_password("correct horse")


def test_same_password_hashes_differently_each_time_because_of_the_salt():
    assert passwords.hash_password("correct horse") != passwords.hash_password("correct horse")


def test_the_right_password_verifies():
    encoded = passwords.hash_password("correct horse")

    assert passwords.verify_password("correct horse", encoded) is True


@pytest.mark.parametrize("attempt", ["correct hors", "Correct horse", "correct horse ", ""])
def test_any_other_password_does_not_verify(attempt):
    encoded = passwords.hash_password("correct horse")

    assert passwords.verify_password(attempt, encoded) is False


def test_non_ascii_passwords_round_trip():
    encoded = passwords.hash_password("pässwörd-密码-🔑")

    assert passwords.verify_password("pässwörd-密码-🔑", encoded) is True
    assert passwords.verify_password("passwort-密码-🔑", encoded) is False


@pytest.mark.parametrize(
    "encoded",
    [
        None,
        "",
        "not-a-hash",
        "bcrypt$16384$8$1$c2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$abc$8$1$c2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$16384$8$1$$ZGlnZXN0ZGlnZXN0ZGlnZXN0",
        "scrypt$16384$8$1$c2FsdA$***",
        "scrypt$1000$8$1$c2FsdA$ZGlnZXN0ZGlnZXN0ZGlnZXN0",  # n not a power of two
    ],
)
def test_a_missing_or_malformed_hash_is_a_mismatch_not_an_error(encoded):
    assert passwords.verify_password("anything", encoded) is False


def test_a_hash_demanding_absurd_cost_is_refused_without_running_it(monkeypatch):
    salt = base64.urlsafe_b64encode(b"0123456789abcdef").rstrip(b"=").decode()
    digest = base64.urlsafe_b64encode(b"x" * 32).rstrip(b"=").decode()
    planted = f"scrypt${2**30}$8$1${salt}${digest}"
    passwords.burn_one_hash("warm the decoy")
    derivations = []
    real_scrypt = passwords.hashlib.scrypt
    monkeypatch.setattr(passwords.hashlib, "scrypt", lambda *a, **k: derivations.append(k) or real_scrypt(*a, **k))

    verified = passwords.verify_password("anything", planted)

    assert verified is False
    assert [call["n"] for call in derivations] == [passwords.SCRYPT_N]  # the decoy's cost, never 2**30


def test_verification_compares_digests_in_constant_time(monkeypatch):
    encoded = passwords.hash_password("correct horse")
    compared = []
    real_compare = passwords.hmac.compare_digest
    monkeypatch.setattr(
        passwords.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real_compare(a, b), raising=True
    )

    passwords.verify_password("wrong horse", encoded)

    assert len(compared) == 1


def test_a_malformed_hash_still_costs_one_scrypt_derivation(monkeypatch):
    passwords.hash_password("warm the decoy")  # the decoy hash is made once; keep it out of the count
    passwords.burn_one_hash("warm")
    calls = []
    real_scrypt = passwords.hashlib.scrypt
    monkeypatch.setattr(passwords.hashlib, "scrypt", lambda *a, **k: calls.append(k) or real_scrypt(*a, **k))

    passwords.verify_password("anything", None)

    assert len(calls) == 1
    assert calls[0]["n"] == passwords.SCRYPT_N


def test_hashes_made_with_weaker_parameters_need_a_rehash():
    current = passwords.hash_password("correct horse")
    _scheme, _n, r, p, salt, digest = current.split("$")
    weaker = "$".join(["scrypt", str(2**12), r, p, salt, digest])

    assert passwords.needs_rehash(current) is False
    assert passwords.needs_rehash(weaker) is True
