"""Who a verified token's bearer is *now*: the directory decides, on every request.

One consistent read (``directory.caller_snapshot``, a single BatchGetItem) fetches the profile,
the memberships in play and the token's revocation record. Then, refused with 401:

- a token for a user the directory does not hold (``unknown_user``);
- a token revoked by its own logout, or issued before the user's password change (``token_revoked``);
- a token used in a workspace that has deactivated its user, or used anywhere by a user every
  workspace of the token has deactivated (``user_deactivated``).

Roles come from the membership of the workspace the request names (on routes without one: the
roles of every active membership the token presents, and ``platform_admin`` from the profile),
never from the token. Local tokens name workspaces only as a hint: a local user's workspaces are
their active memberships. For identity-provider (OIDC) users the provider is the authority over
roles, so their memberships are provisioned or updated to match the token (audited) before the
request runs; which workspaces a token may use stays what the provider grants.
"""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from chalicelib.auth.authenticate import OIDC, VerifiedToken
from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import PLATFORM_ADMIN
from chalicelib.errors import Unauthorized
from chalicelib.logs import get_logger

MAX_WORKSPACES_PER_TOKEN = 20  # memberships read (and provisioned) per request, at most


def resolve(token: VerifiedToken, workspace_id: str | None) -> Principal:
    from chalicelib.domain import directory

    presented = [w for w in token.workspaces if directory.is_workspace_id(w)][:MAX_WORKSPACES_PER_TOKEN]
    wanted = list(presented)
    if workspace_id and workspace_id not in wanted and (token.source != OIDC or workspace_id in token.workspaces):
        wanted.append(workspace_id)
    snapshot = directory.caller_snapshot(token.user_id, token.token_id, wanted)
    if snapshot.token_revoked:
        raise Unauthorized("this token has been signed out", code="token_revoked")
    if token.source == OIDC:
        try:
            user, memberships = _sync_with_identity_provider(token, snapshot, wanted)
        except PynamoDBException:
            # The provider vouches for this token; a failed write must not lock its user out.
            get_logger().warning("could not sync OIDC subject", extra={"user_id": token.user_id}, exc_info=True)
            return _principal_from_token(token)
        platform_roles = token.roles & {PLATFORM_ADMIN}
    else:
        user, memberships = snapshot.user, snapshot.memberships
        if user is None:
            raise Unauthorized("this token's user is not in the directory", code="unknown_user")
        platform_roles = frozenset(user.roles or []) & {PLATFORM_ADMIN}
    if user.tokens_valid_after is not None and (token.issued_at or 0) < float(user.tokens_valid_after):
        raise Unauthorized("this token was issued before a password change; sign in again", code="token_revoked")
    active = {ws: membership for ws, membership in memberships.items() if membership.is_active}
    if workspace_id is not None and workspace_id in memberships and workspace_id not in active:
        raise Unauthorized("your membership of this workspace has been deactivated", code="user_deactivated")
    if workspace_id is None and memberships and not active and not platform_roles:
        raise Unauthorized("your account has been deactivated", code="user_deactivated")
    if workspace_id is not None:
        roles = set(active[workspace_id].roles or []) if workspace_id in active else set()
    else:
        roles = {role for membership in active.values() for role in membership.roles or []}
    return Principal(
        user_id=token.user_id,
        email=user.email or token.email,
        roles=frozenset(roles | platform_roles),
        workspaces=tuple(ws for ws in wanted if ws in active),
        display_name=user.display_name or token.display_name,
        claims=token.claims,
    )


def _sync_with_identity_provider(token: VerifiedToken, snapshot, wanted: list[str]):
    from chalicelib.domain import directory

    user = snapshot.user
    if user is None:
        home = wanted[0] if wanted else None
        user = directory.ensure_external_user(
            token.user_id,
            token.claims["iss"],
            token.claims["sub"],
            token.email,
            token.display_name,
            sorted(token.roles),
            home,
        )
    memberships = {
        workspace_id: directory.sync_identity_provider_member(
            snapshot.memberships.get(workspace_id),
            token.user_id,
            workspace_id,
            token.email,
            token.display_name,
            sorted(token.roles),
        )
        for workspace_id in wanted
    }
    return user, memberships


def _principal_from_token(token: VerifiedToken) -> Principal:
    return Principal(
        user_id=token.user_id,
        email=token.email,
        roles=token.roles,
        workspaces=token.workspaces,
        display_name=token.display_name,
        claims=token.claims,
    )
