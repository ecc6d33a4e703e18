"""Turn a request's bearer token (or session cookie) into a Principal, or refuse with 401.

Two steps: the token is verified (signature, algorithm, issuer, audience, expiry: ``tokens`` for
local HS256 tokens, ``oidc`` for the identity provider's), then the directory decides who the
caller is now (``sessions.resolve``): a token is only a claim to an identity, never the authority
on roles or workspaces.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import normalize_roles
from chalicelib.errors import DeskflowError, Unauthorized
from chalicelib.settings import get_settings

SESSION_COOKIE = "deskflow_session"
LOCAL = "local"
OIDC = "oidc"
_MAX_JTI = 128


@dataclass(frozen=True)
class VerifiedToken:
    """A token whose signature and registered claims checked out, and what it claims."""

    source: str  # local | oidc
    user_id: str
    token_id: str  # what revocation is keyed by: the jti, or a digest of the token without one
    email: str
    display_name: str
    roles: frozenset[str]
    workspaces: tuple[str, ...]
    issued_at: float | None
    expires_at: int | None
    claims: dict = field(default_factory=dict, compare=False, hash=False)


def bearer_or_cookie(headers: dict) -> str | None:
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization must be 'Bearer <token>'", code="token_malformed")
        return token.strip()
    return session_cookie(headers.get("cookie") or "")


def session_cookie(cookie_header: str) -> str | None:
    """The session cookie's value. Parsed by hand: ``SimpleCookie`` gives up on the whole header
    when any other cookie of the site holds a space or a quote (JSON values, say), which would
    silently sign the user out."""
    for pair in cookie_header.split(";"):
        name, separator, value = pair.strip().partition("=")
        if separator and name.strip() == SESSION_COOKIE:
            value = value.strip().strip('"')
            return value or None
    return None


def authenticate(headers: dict, workspace_id: str | None = None) -> Principal:
    """The caller of a request, as the directory knows them now. ``workspace_id`` is the tenant
    the request names (already well-formed), so its membership is read in the same round trip."""
    token = bearer_or_cookie(headers)
    if token is None:
        raise Unauthorized("authentication is required", code="unauthenticated")
    from chalicelib.auth import sessions

    return sessions.resolve(verify_token(token), workspace_id)


def verify_token(token: str) -> VerifiedToken:
    """Check a token's signature and registered claims for the deployment's AUTH_MODE."""
    if get_settings().auth_mode == OIDC:
        from chalicelib.auth.oidc import verified_oidc_token

        return verified_oidc_token(token)
    from chalicelib.auth.tokens import verify_local_token

    claims = verify_local_token(token)
    principal = principal_from_claims(claims, roles_claim="roles", workspaces_claim="workspaces")
    return verified_token(LOCAL, principal, token, claims)


def verified_token(source: str, principal: Principal, token: str, claims: dict) -> VerifiedToken:
    issued_at, expires_at = claims.get("iat"), claims.get("exp")
    return VerifiedToken(
        source=source,
        user_id=principal.user_id,
        token_id=token_id(token, claims),
        email=principal.email,
        display_name=principal.display_name,
        roles=principal.roles,
        workspaces=principal.workspaces,
        issued_at=float(issued_at) if isinstance(issued_at, int | float) else None,
        expires_at=int(expires_at) if isinstance(expires_at, int | float) else None,
        claims=claims,
    )


def token_id(token: str, claims: dict) -> str:
    jti = claims.get("jti")
    if isinstance(jti, str) and 0 < len(jti) <= _MAX_JTI:
        return f"{claims.get('iss', '')}|{jti}"
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def revoke_presented_tokens(headers: dict) -> int:
    """Logout: refuse every valid token the request presents (bearer header and session cookie)
    until it expires. Tokens that are malformed, expired or already refused are ignored: logging
    out never fails. Returns how many tokens were revoked."""
    from chalicelib.domain.directory import revoke_token

    presented = []
    with contextlib.suppress(Unauthorized):
        presented.append(bearer_or_cookie(headers))
    presented.append(session_cookie(headers.get("cookie") or ""))
    revoked = 0
    for token in dict.fromkeys(t for t in presented if t):
        try:
            verified = verify_token(token)
        except DeskflowError:
            continue
        if verified.expires_at is not None:
            revoke_token(verified.token_id, verified.user_id, verified.expires_at)
            revoked += 1
    return revoked


def principal_from_claims(claims: dict, roles_claim: str, workspaces_claim: str) -> Principal:
    workspaces = claims.get(workspaces_claim) or []
    if isinstance(workspaces, str):
        workspaces = workspaces.replace(",", " ").split()
    if not isinstance(workspaces, list) or not all(isinstance(w, str) for w in workspaces):
        raise Unauthorized("token workspaces claim is malformed", code="token_invalid")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("token has no subject", code="token_invalid")
    return Principal(
        user_id=subject,
        email=str(claims.get("email") or ""),
        roles=normalize_roles(claims.get(roles_claim)),
        workspaces=tuple(workspaces),
        display_name=str(claims.get("name") or ""),
        claims=claims,
    )
