"""Turn a request's bearer token (or session cookie) into a Principal, or refuse with 401."""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import normalize_roles
from chalicelib.errors import Unauthorized
from chalicelib.settings import get_settings

SESSION_COOKIE = "deskflow_session"


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


def authenticate(headers: dict) -> Principal:
    token = bearer_or_cookie(headers)
    if token is None:
        raise Unauthorized("authentication is required", code="unauthenticated")
    settings = get_settings()
    if settings.auth_mode == "oidc":
        from chalicelib.auth.oidc import principal_from_oidc_token

        return principal_from_oidc_token(token)
    from chalicelib.auth.tokens import verify_local_token

    claims = verify_local_token(token)
    return principal_from_claims(claims, roles_claim="roles", workspaces_claim="workspaces")


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
