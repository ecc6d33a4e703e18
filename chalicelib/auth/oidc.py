"""OIDC bearer tokens: RS256/ES256 JWTs verified against the identity provider's JWKS.

The key set is fetched with ``PyJWKClient`` and cached in-process for ``JWKS_CACHE_SECONDS``; a
token naming an unknown ``kid`` forces at most one refresh per ``JWKS_REFRESH_COOLDOWN_SECONDS``
(key rotation works, a flood of made-up kids does not turn into a flood of fetches).

A subject's Deskflow user id is derived from (issuer, subject), so it is stable and needs no
lookup. A subject seen for the first time is provisioned: its profile, and a membership in each
workspace its token presents (up to ``MAX_PROVISIONED_WORKSPACES``), so it shows in those
workspaces' user lists. Provisioning is a conditional put remembered in-process, so a warm
function does not write to DynamoDB per request; it never blocks sign-in when storage fails.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import jwt
from pynamodb.exceptions import PynamoDBException

from chalicelib.auth.authenticate import principal_from_claims
from chalicelib.auth.principal import Principal
from chalicelib.errors import DeskflowError, Unauthorized
from chalicelib.logs import get_logger
from chalicelib.settings import Settings, get_settings

ALLOWED_ALGORITHMS = ("RS256", "ES256")
JWKS_CACHE_SECONDS = 600
JWKS_REFRESH_COOLDOWN_SECONDS = 30
JWKS_TIMEOUT_SECONDS = 5
CLOCK_SKEW_SECONDS = 30
MAX_PROVISIONED_WORKSPACES = 20
_PROVISIONED_MEMORY = 10_000


class IdentityProviderUnavailable(DeskflowError):
    """The key set could not be fetched, so no token can be checked: a server-side outage."""

    status = 503
    code = "identity_provider_unavailable"


_lock = threading.Lock()
_jwks_clients: dict[str, jwt.PyJWKClient] = {}
_provisioned: set[tuple[str, str | None]] = set()


def reset_oidc_caches() -> None:
    """Forget cached key sets and provisioned subjects (tests; a changed JWKS URL needs no reset)."""
    with _lock:
        _jwks_clients.clear()
        _provisioned.clear()


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


def principal_from_oidc_token(token: str) -> Principal:
    """Verify an OIDC token, build the Principal (roles and workspaces from the configured claims)
    and provision the subject on first sight. Raises Unauthorized as ``verify_oidc_token`` does."""
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
    _provision(principal, claims["iss"], claims["sub"])
    return principal


def _provision(principal: Principal, issuer: str, subject: str) -> None:
    from chalicelib.domain import directory

    workspaces = [w for w in principal.workspaces if directory.is_workspace_id(w)][:MAX_PROVISIONED_WORKSPACES]
    wanted = [(principal.user_id, None)] + [(principal.user_id, workspace) for workspace in workspaces]
    missing = [entry for entry in wanted if entry not in _provisioned]
    if not missing:
        return
    roles = sorted(principal.roles)
    try:
        for entry in missing:
            _user_id, workspace = entry
            if workspace is None:
                directory.ensure_external_user(
                    principal.user_id,
                    issuer,
                    subject,
                    principal.email,
                    principal.display_name,
                    roles,
                    workspaces[0] if workspaces else None,
                )
            else:
                directory.ensure_membership(
                    principal.user_id, workspace, principal.email, principal.display_name, roles
                )
            _remember(entry)
    except PynamoDBException:
        # The token is valid whatever the directory says; provisioning is retried on the next request.
        get_logger().warning("could not provision OIDC subject", extra={"user_id": principal.user_id}, exc_info=True)


def _remember(entry: tuple[str, str | None]) -> None:
    with _lock:
        if len(_provisioned) >= _PROVISIONED_MEMORY:
            _provisioned.clear()
        _provisioned.add(entry)
