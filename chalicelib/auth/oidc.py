"""OIDC bearer tokens: RS256/ES256 JWTs verified against the identity provider's JWKS.

The key set is fetched with ``PyJWKClient`` and cached in-process for ``JWKS_CACHE_SECONDS``; a
token naming an unknown ``kid`` forces at most one refresh per ``JWKS_REFRESH_COOLDOWN_SECONDS``
(key rotation works, a flood of made-up kids does not turn into a flood of fetches).

A subject's Deskflow user id is derived from (issuer, subject), so it is stable and needs no
lookup. What the subject may do is then decided by the directory, which the identity provider's
claims keep up to date on every request (``sessions``): first sight provisions the profile and
a membership per workspace presented; changed roles update the memberships.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import jwt

from chalicelib.auth.authenticate import OIDC, VerifiedToken, principal_from_claims, verified_token
from chalicelib.auth.principal import Principal
from chalicelib.errors import DeskflowError, Unauthorized
from chalicelib.logs import get_logger
from chalicelib.settings import Settings, get_settings

ALLOWED_ALGORITHMS = ("RS256", "ES256")
JWKS_CACHE_SECONDS = 600
JWKS_REFRESH_COOLDOWN_SECONDS = 30
JWKS_TIMEOUT_SECONDS = 5
CLOCK_SKEW_SECONDS = 30


class IdentityProviderUnavailable(DeskflowError):
    """The key set could not be fetched, so no token can be checked: a server-side outage."""

    status = 503
    code = "identity_provider_unavailable"


_lock = threading.Lock()
_jwks_clients: dict[str, jwt.PyJWKClient] = {}


def reset_oidc_caches() -> None:
    """Forget cached key sets (tests; a changed JWKS URL needs no reset)."""
    with _lock:
        _jwks_clients.clear()


def _jwks_client(url: str) -> jwt.PyJWKClient:
    with _lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(
                url,
                cache_jwk_set=True,
                lifespan=JWKS_CACHE_SECONDS,
                cooldown_duration=JWKS_REFRESH_COOLDOWN_SECONDS,
                timeout=JWKS_TIMEOUT_SECONDS,
                headers={"Accept": "application/json", "User-Agent": "deskflow"},
            )
            _jwks_clients[url] = client
        return client


def _invalid(message: str = "token is invalid") -> Unauthorized:
    return Unauthorized(message, code="token_invalid")


def verify_oidc_token(token: str, settings: Settings | None = None) -> dict:
    """The claims of a valid OIDC token; Unauthorized for anything else (``alg: none``, HS256 or
    any algorithm but RS256/ES256, unknown kid, bad signature, expiry, wrong issuer or audience).
    IdentityProviderUnavailable (503) when the key set cannot be fetched at all."""
    settings = settings or get_settings()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _invalid() from None
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise _invalid("token algorithm is not allowed")
    key_id = header.get("kid")
    if not isinstance(key_id, str) or not key_id:
        raise _invalid("token names no signing key")
    try:
        signing_key = _jwks_client(settings.oidc_jwks_url).get_signing_key(key_id)
    except jwt.PyJWKClientConnectionError:
        get_logger().warning("JWKS fetch failed", extra={"jwks_url": settings.oidc_jwks_url})
        raise IdentityProviderUnavailable("the identity provider's keys are unavailable; retry shortly") from None
    except jwt.PyJWKSetError:
        get_logger().warning("JWKS holds no usable key", extra={"jwks_url": settings.oidc_jwks_url})
        raise IdentityProviderUnavailable("the identity provider's key set is unusable") from None
    except jwt.PyJWTError:  # no key with that kid, even after a refresh
        raise _invalid("token signing key is unknown") from None
    try:
        return jwt.decode(
            token,
            signing_key,
            algorithms=[algorithm],
            issuer=settings.oidc_issuer,
            audience=settings.oidc_audience,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token has expired", code="token_expired") from None
    except jwt.PyJWTError:
        raise _invalid() from None


def claim_value(claims: dict, name: str):
    """A claim by name; a dotted name not present as such walks nested objects
    (``realm_access.roles`` in Keycloak). Namespaced URL claims with dots are found directly."""
    if name in claims:
        return claims[name]
    value = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def verified_oidc_token(token: str) -> VerifiedToken:
    """Verify an OIDC token and read what it claims (roles and workspaces from the configured
    claim names; the Deskflow user id derived from issuer and subject). Raises Unauthorized as
    ``verify_oidc_token`` does."""
    settings = get_settings()
    claims = verify_oidc_token(token, settings)
    view = {
        **claims,
        "roles": claim_value(claims, settings.oidc_roles_claim),
        "workspaces": claim_value(claims, settings.oidc_workspaces_claim),
    }
    principal = principal_from_claims(view, roles_claim="roles", workspaces_claim="workspaces")
    from chalicelib.domain.directory import external_user_id

    principal = replace(
        principal,
        user_id=external_user_id(claims["iss"], claims["sub"]),
        display_name=str(claims.get("name") or claims.get("preferred_username") or principal.email or ""),
        claims=claims,
    )
    return verified_token(OIDC, principal, token, claims)


def principal_from_oidc_token(token: str, workspace_id: str | None = None) -> Principal:
    """Verify an OIDC token and resolve its caller against the directory (provisioning a subject
    on first sight and syncing its roles: see ``sessions``)."""
    from chalicelib.auth import sessions

    return sessions.resolve(verified_oidc_token(token), workspace_id)
