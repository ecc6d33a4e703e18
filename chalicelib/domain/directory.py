"""The directory: workspaces, their users, platform admins, password login and profiles.

Knows nothing of HTTP. Raises the domain errors of ``chalicelib.errors``; storage is
``chalicelib.models.directory``. Every record keeps ``created_at``/``created_by`` and
``updated_at``/``updated_by``; functions called outside a request (the demo seeder) are
attributed to ``SYSTEM_ACTOR`` unless told otherwise. Password hashes never leave this module.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from chalicelib.auth import passwords
from chalicelib.auth.roles import ADMIN, AGENT, PLATFORM_ADMIN, REQUESTER, VIEWER
from chalicelib.auth.tokens import issue_local_token
from chalicelib.clock import now_iso
from chalicelib.domain import login_throttle
from chalicelib.errors import NotFound, PreconditionFailed, Unauthorized, ValidationError
from chalicelib.models import directory as store
from chalicelib.models.directory import EmailClaim, MembershipRecord, UserRecord, WorkspaceRecord
from chalicelib.settings import get_settings

SYSTEM_ACTOR = "system"
OIDC_PROVISIONING_ACTOR = "system:oidc-provisioning"
WORKSPACE_ROLES = (ADMIN, AGENT, REQUESTER, VIEWER)
WORKSPACE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 256
NAME_MAX = 200
DISPLAY_NAME_MAX = 200

_WORKSPACE_ID = re.compile(WORKSPACE_ID_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)
INVALID_CREDENTIALS = "email or password is incorrect"


# --- validation -------------------------------------------------------------------------------


def is_workspace_id(value: object) -> bool:
    return isinstance(value, str) and bool(_WORKSPACE_ID.match(value))


def _workspace_id(value: str, field: str = "id") -> str:
    if not is_workspace_id(value):
        raise ValidationError(
            "workspace id is invalid",
            details={field: "must be 1-63 lowercase letters, digits or '-', starting with a letter or digit"},
        )
    return value


def _email(value: str, field: str = "email") -> tuple[str, str]:
    """The email as given (trimmed) and its lowercased key; ValidationError when it is not one."""
    email = value.strip() if isinstance(value, str) else ""
    if not email or len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise ValidationError("email is invalid", details={field: "must be an email address"})
    return email, email.lower()


def _password(value: str, field: str = "password") -> str:
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise ValidationError(
            "password is invalid", details={field: f"must be {PASSWORD_MIN}-{PASSWORD_MAX} characters"}
        )
    return value


def _text(value: str, field: str, maximum: int, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError(f"{field} is required", details={field: "must not be empty"})
    if len(text) > maximum:
        raise ValidationError(f"{field} is too long", details={field: f"must be at most {maximum} characters"})
    return text


def _workspace_roles(roles: list[str]) -> list[str]:
    if not isinstance(roles, (list, tuple)) or not roles:
        raise ValidationError("roles are required", details={"roles": "must name at least one role"})
    unknown = [role for role in roles if role not in WORKSPACE_ROLES]
    if unknown:
        raise ValidationError("roles are invalid", details={"roles": f"must be among: {', '.join(WORKSPACE_ROLES)}"})
    return sorted(set(roles))


def _display_name(value: str, email: str) -> str:
    return _text(value, "display_name", DISPLAY_NAME_MAX, required=False) or email.split("@", 1)[0]


# --- shaping ----------------------------------------------------------------------------------


def _audit(record) -> dict:
    return {
        "created_at": record.created_at,
        "created_by": record.created_by,
        "updated_at": record.updated_at,
        "updated_by": record.updated_by,
    }


def _user_view(user: UserRecord) -> dict:
    return {
        "id": user.user_id,
        "email": user.email,
        "display_name": user.display_name,
        "roles": list(user.roles or []),
        "workspace_id": user.workspace_id,
        "auth_source": user.auth_source,
        "external_id": user.external_subject,
        "version": user.version,
        **_audit(user),
    }


def _member_view(membership: MembershipRecord) -> dict:
    return {
        "id": membership.user_id,
        "email": membership.email,
        "display_name": membership.display_name,
        "roles": list(membership.roles or []),
        "workspace_id": membership.workspace_id,
        "auth_source": membership.auth_source,
        **_audit(membership),
    }


def _workspace_view(workspace: WorkspaceRecord) -> dict:
    return {"id": workspace.workspace_id, "name": workspace.name, "version": workspace.version, **_audit(workspace)}


def session_user(user: dict) -> dict:
    """The short user summary a login answers with."""
    return {key: user[key] for key in ("id", "email", "display_name", "roles", "workspace_id")}


# --- records ----------------------------------------------------------------------------------


def new_user_id() -> str:
    return f"usr_{uuid.uuid4().hex}"


def external_user_id(issuer: str, subject: str) -> str:
    """The stable Deskflow id of an identity-provider subject (same shape as a local user id)."""
    digest = hashlib.sha256(f"{issuer}\x00{subject}".encode()).hexdigest()
    return f"usr_{digest[:32]}"


def _stamp(actor: str, now: str) -> dict:
    return {"created_at": now, "created_by": actor, "updated_at": now, "updated_by": actor}


def _user_record(user_id, email, email_key, display_name, password_hash, roles, workspace_id, stamp, **extra):
    return UserRecord(
        pk=store.user_pk(user_id),
        sk=store.PROFILE_SK,
        user_id=user_id,
        email=email,
        email_key=email_key,
        display_name=display_name,
        password_hash=password_hash,
        roles=list(roles),
        workspace_id=workspace_id,
        **stamp,
        **extra,
    )


def _membership_record(user_id, workspace_id, email, email_key, display_name, roles, auth_source, stamp):
    return MembershipRecord(
        pk=store.user_pk(user_id),
        sk=store.membership_sk(workspace_id),
        user_id=user_id,
        workspace_id=workspace_id,
        email=email,
        display_name=display_name,
        roles=list(roles),
        auth_source=auth_source,
        member_key=store.members_partition(workspace_id),
        email_key=email_key or user_id,
        **stamp,
    )


def _email_claim(email_key: str, user_id: str, stamp: dict) -> EmailClaim:
    return EmailClaim(pk=store.email_pk(email_key), sk=store.EMAIL_SK, user_id=user_id, **stamp)


_EMAIL_TAKEN = ("email is already registered", "email_taken")


# --- workspaces -------------------------------------------------------------------------------


def create_workspace(
    workspace_id: str,
    name: str,
    admin_email: str,
    admin_password: str,
    admin_display_name: str = "",
    *,
    created_by: str = SYSTEM_ACTOR,
) -> dict:
    """Create a workspace and its first admin in one transaction.

    Returns the workspace with its admin under ``"admin"``. Raises ValidationError for a malformed
    id, name, email or password, and Conflict (``workspace_exists`` / ``email_taken``) when the
    workspace or the email already exists — in which case nothing is written.
    """
    workspace_id = _workspace_id(workspace_id)
    name = _text(name, "name", NAME_MAX, required=True)
    email, email_key = _email(admin_email, "admin.email")
    password_hash = passwords.hash_password(_password(admin_password, "admin.password"))
    display_name = _display_name(admin_display_name, email)
    stamp = _stamp(created_by, now_iso())
    admin_id = new_user_id()
    workspace = WorkspaceRecord(
        pk=store.workspace_pk(workspace_id),
        sk=store.WORKSPACE_SK,
        workspace_id=workspace_id,
        name=name,
        member_key=store.WORKSPACE_CATALOGUE,
        email_key=workspace_id,
        **stamp,
    )
    admin = _user_record(admin_id, email, email_key, display_name, password_hash, [ADMIN], workspace_id, stamp)
    membership = _membership_record(admin_id, workspace_id, email, email_key, display_name, [ADMIN], "local", stamp)
    store.commit_new_items(
        [
            (workspace, "workspace already exists", "workspace_exists"),
            (_email_claim(email_key, admin_id, stamp), *_EMAIL_TAKEN),
            (admin, "user id collision; retry", "user_exists"),
            (membership, "membership already exists", "membership_exists"),
        ]
    )
    return {**_workspace_view(workspace), "admin": _user_view(admin)}


def get_workspace(workspace_id: str) -> dict:
    """One workspace; NotFound when there is none with that id."""
    workspace = store.get_workspace(workspace_id) if is_workspace_id(workspace_id) else None
    if workspace is None:
        raise NotFound("workspace not found", code="workspace_not_found")
    return _workspace_view(workspace)


def list_workspaces(limit: int, start_key: dict | None = None) -> tuple[list[dict], dict | None]:
    """A page of workspaces in id order and the position after it (None on the last page)."""
    records, next_key = store.page_of_workspaces(limit, start_key)
    return [_workspace_view(record) for record in records], next_key


# --- users ------------------------------------------------------------------------------------


def create_user(
    workspace_id: str,
    email: str,
    password: str,
    roles: list[str],
    display_name: str = "",
    *,
    created_by: str = SYSTEM_ACTOR,
) -> dict:
    """Create a password user in ``workspace_id`` with ``roles`` (from admin, agent, requester,
    viewer). Returns the user (with ``"id"``). Conflict ``email_taken`` when the email is in use in
    any workspace. The workspace is not required to exist (the seeder may order things freely)."""
    workspace_id = _workspace_id(workspace_id, "workspace_id")
    email, email_key = _email(email)
    roles = _workspace_roles(roles)
    password_hash = passwords.hash_password(_password(password))
    display_name = _display_name(display_name, email)
    stamp = _stamp(created_by, now_iso())
    user_id = new_user_id()
    user = _user_record(user_id, email, email_key, display_name, password_hash, roles, workspace_id, stamp)
    membership = _membership_record(user_id, workspace_id, email, email_key, display_name, roles, "local", stamp)
    store.commit_new_items(
        [
            (_email_claim(email_key, user_id, stamp), *_EMAIL_TAKEN),
            (user, "user id collision; retry", "user_exists"),
            (membership, "membership already exists", "membership_exists"),
        ]
    )
    return _user_view(user)


def create_platform_admin(email: str, password: str, display_name: str = "", *, created_by: str = SYSTEM_ACTOR) -> dict:
    """Create a platform admin: no workspace, role ``platform_admin``. Conflict when the email is taken."""
    email, email_key = _email(email)
    password_hash = passwords.hash_password(_password(password))
    display_name = _display_name(display_name, email)
    stamp = _stamp(created_by, now_iso())
    user_id = new_user_id()
    user = _user_record(user_id, email, email_key, display_name, password_hash, [PLATFORM_ADMIN], None, stamp)
    store.commit_new_items(
        [(_email_claim(email_key, user_id, stamp), *_EMAIL_TAKEN), (user, "user id collision; retry", "user_exists")]
    )
    return _user_view(user)


def find_user_by_email(email: str) -> dict | None:
    """The user registered under ``email`` (case-insensitive), or None."""
    if not isinstance(email, str) or len(email) > EMAIL_MAX or not _EMAIL.match(email.strip()):
        return None
    claim = store.get_email_claim(email.strip().lower())
    user = store.get_user(claim.user_id) if claim else None
    return _user_view(user) if user else None


def get_user(user_id: str) -> dict:
    """One user's profile; NotFound when the directory has no such user."""
    user = store.get_user(user_id)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    return _user_view(user)


def list_users(workspace_id: str, limit: int, start_key: dict | None = None) -> tuple[list[dict], dict | None]:
    """A page of a workspace's users in email order and the position after it (None on the last page)."""
    records, next_key = store.page_of_members(workspace_id, limit, start_key)
    return [_member_view(record) for record in records], next_key


# --- login and profile ------------------------------------------------------------------------


def verify_credentials(email: str, password: str) -> dict:
    """The user ``email`` and ``password`` identify; Unauthorized otherwise, with one message for
    an unknown email, a wrong password and an account without a local password. Every path spends
    one password hash, so response time does not reveal whether the email exists."""
    claim = None
    if isinstance(email, str) and _EMAIL.match(email.strip()) and len(email) <= EMAIL_MAX:
        claim = store.get_email_claim(email.strip().lower())
    user = store.get_user(claim.user_id, consistent=True) if claim else None
    if not passwords.verify_password(password, user.password_hash if user else None):
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    return _user_view(user)


def login(email: str, password: str) -> dict:
    """Check a password login and issue a local session token.

    Returns ``{"token", "expires_in", "user"}``. The token carries sub, email, name, roles and
    workspaces (the user's workspace; none for a platform admin). NotFound ``local_login_disabled``
    when the deployment signs in through OIDC; Unauthorized ``invalid_credentials`` otherwise;
    TooManyRequests ``login_locked`` after repeated failures (see ``login_throttle``).
    """
    settings = get_settings()
    if settings.auth_mode != "local":
        raise NotFound(
            "password login is not available: this deployment signs in through its identity provider (OIDC)",
            code="local_login_disabled",
        )
    recent_failures = login_throttle.check_allowed(email)
    try:
        user = verify_credentials(email, password)
    except Unauthorized:
        login_throttle.record_failure(email)
        raise
    if recent_failures:
        login_throttle.clear(email)
    workspaces = [user["workspace_id"]] if user["workspace_id"] else []
    token = issue_local_token(user["id"], user["email"], user["roles"], workspaces, display_name=user["display_name"])
    return {"token": token, "expires_in": settings.token_ttl_seconds, "user": session_user(user)}


def update_profile(
    user_id: str,
    *,
    display_name: str | None = None,
    current_password: str | None = None,
    new_password: str | None = None,
    expected_version: int | None = None,
    updated_by: str | None = None,
) -> dict:
    """Change a user's display name and/or password; returns the updated profile.

    A password change needs ``current_password`` (ValidationError ``current_password_invalid`` when
    it is missing or wrong) and is refused for accounts that sign in through an identity provider.
    ``expected_version`` (from If-Match) that is no longer current → PreconditionFailed; a
    concurrent change is caught by the version condition as well. NotFound for an unknown user.
    """
    user = store.get_user(user_id, consistent=True)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    if expected_version is not None and expected_version != user.version:
        raise PreconditionFailed("If-Match does not match the current version")
    user_actions: list = []
    membership_actions: list = []
    if display_name is not None:
        name = _text(display_name, "display_name", DISPLAY_NAME_MAX, required=True)
        user_actions.append(UserRecord.display_name.set(name))
        membership_actions.append(MembershipRecord.display_name.set(name))
    if new_password is not None or current_password is not None:
        user_actions.append(UserRecord.password_hash.set(_changed_password(user, current_password, new_password)))
    if not user_actions:
        return _user_view(user)
    now, actor = now_iso(), updated_by or user_id
    user_actions += [UserRecord.updated_at.set(now), UserRecord.updated_by.set(actor)]
    memberships: list = []
    if membership_actions:
        membership_actions += [MembershipRecord.updated_at.set(now), MembershipRecord.updated_by.set(actor)]
        memberships = store.memberships_of(user_id)
    return _user_view(store.update_user(user, user_actions, memberships, membership_actions))


def _changed_password(user: UserRecord, current_password: str | None, new_password: str | None) -> str:
    if new_password is None:
        raise ValidationError(
            "new_password is required to change the password", details={"new_password": "is required"}
        )
    if not user.password_hash:
        raise ValidationError(
            "this account signs in through its identity provider and has no password here",
            details={"new_password": "cannot be set for this account"},
            code="password_not_local",
        )
    if current_password is None or not passwords.verify_password(current_password, user.password_hash):
        raise ValidationError(
            "current password is missing or incorrect",
            details={"current_password": "is missing or incorrect"},
            code="current_password_invalid",
        )
    return passwords.hash_password(_password(new_password, "new_password"))


# --- identity-provider subjects ---------------------------------------------------------------


def ensure_external_user(
    user_id: str,
    issuer: str,
    subject: str,
    email: str,
    display_name: str,
    roles: list[str],
    home_workspace_id: str | None,
) -> bool:
    """Provision the profile of an identity-provider subject seen for the first time (a conditional
    put: an existing profile is left as it is). True when this call created it. The email is kept
    as the provider states it but does not claim the unique-email index: the provider owns that
    identity, and a local account with the same email must not block its sign-in."""
    email_key = email.strip().lower() if email else None
    stamp = _stamp(OIDC_PROVISIONING_ACTOR, now_iso())
    record = _user_record(
        user_id,
        email or None,
        email_key,
        display_name[:DISPLAY_NAME_MAX],
        None,
        sorted(roles),
        home_workspace_id,
        stamp,
        auth_source="oidc",
        external_issuer=issuer,
        external_subject=subject,
    )
    return store.put_if_absent(record)


def ensure_membership(
    user_id: str, workspace_id: str, email: str, display_name: str, roles: list[str], auth_source: str = "oidc"
) -> bool:
    """Record that ``user_id`` belongs to ``workspace_id`` (conditional put; True when created), so
    the user appears in that workspace's user list."""
    email_key = email.strip().lower() if email else None
    stamp = _stamp(OIDC_PROVISIONING_ACTOR, now_iso())
    record = _membership_record(
        user_id,
        workspace_id,
        email or None,
        email_key,
        display_name[:DISPLAY_NAME_MAX],
        sorted(roles),
        auth_source,
        stamp,
    )
    return store.put_if_absent(record)


def member_roles(workspace_id: str, user_id: str) -> frozenset[str]:
    """The roles ``user_id`` holds in ``workspace_id`` (empty when not a member)."""
    membership = store.get_membership(workspace_id, user_id)
    return frozenset(membership.roles) if membership else frozenset()
