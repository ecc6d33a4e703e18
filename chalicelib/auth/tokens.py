"""Local-mode tokens: HS256 JWTs that Deskflow issues at login and verifies on every request."""

from __future__ import annotations

import uuid

from chalicelib.clock import epoch_seconds, utcnow
from chalicelib.errors import Unauthorized
from chalicelib.settings import get_settings

CLOCK_SKEW_SECONDS = 30  # a token minted by another host a moment "early" is still good


def issue_local_token(user_id: str, email: str, roles, workspaces, display_name: str = "") -> str:
    import jwt  # imported on first use: PyJWT pulls in cryptography, which cold starts need not pay for

    settings = get_settings()
    now = epoch_seconds()
    # iat to the microsecond, so "issued before the password change" is exact, not to the second.
    issued_at = round(utcnow().timestamp(), 6)
    claims = {
        "sub": user_id,
        "email": email,
        "name": display_name,
        "roles": sorted(roles),
        "workspaces": list(workspaces),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued_at,
        "nbf": now,
        "exp": now + settings.token_ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def verify_local_token(token: str) -> dict:
    """Return the claims of a valid local token; raise Unauthorized for anything else
    (``alg: none``, another algorithm, bad signature, expiry, wrong issuer or audience)."""
    import jwt

    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            # Times are checked below against Deskflow's clock, which tests move.
            options={
                "require": ["exp", "sub", "iss", "aud"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError:
        raise Unauthorized("token is invalid", code="token_invalid") from None
    now = epoch_seconds()
    if not isinstance(claims["exp"], int | float) or now >= claims["exp"]:
        raise Unauthorized("token has expired", code="token_expired")
    if isinstance(claims.get("nbf"), int | float) and now < claims["nbf"] - CLOCK_SKEW_SECONDS:
        raise Unauthorized("token is invalid", code="token_invalid")
    return claims
