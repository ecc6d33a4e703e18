"""The directory: workspaces, their users, platform admins, password login and profiles.

Knows nothing of HTTP. Raises the domain errors of ``chalicelib.errors``; storage is
``chalicelib.models.directory``. Every record keeps ``created_at``/``created_by`` and
``updated_at``/``updated_by``; functions called outside a request (the demo seeder) are
attributed to ``SYSTEM_ACTOR`` unless told otherwise. Password hashes never leave this module.

**Membership is the one source of truth** for what a user may do in a workspace: its roles and
its status (active or deactivated) are read on every request (``caller_snapshot``), by ticket
assignment (``member_roles``) and by everything else that asks. A workspace admin sets them for
local accounts; for identity-provider (OIDC) accounts the provider is the authority over roles,
and a token presenting other roles updates the membership before its request runs
(``sync_identity_provider_member``). Every change to a membership writes an audit row (who,
when, from, to, on whose authority) in the same transaction; ``member_history`` reads them. The
user profile keeps a copy of the home workspace's roles (written in the same transaction) for the
login answer; nothing authorizes from that copy.

**A workspace learns only about its own members.** Emails are unique across Deskflow (one account,
one password, many workspaces), but ``create_user`` never tells an admin that an email is used
elsewhere: when the email already has an account, that account becomes a member of this workspace
with the roles asked for, and the answer has exactly the shape, status and fields a brand-new
account would get (the same checks, one password hash either way). The password in the request
only ever sets the password of a *new* account: nobody can change another workspace's member's
password by "creating" them. Only an email that is already a member *of this workspace* is a
409, and the admin can list those anyway. (Creating a workspace stays a platform-admin act, and a
platform admin may be told that an admin email is taken.)
"""

from __future__ import annotations

import hashlib
import re
import uuid

from chalicelib.auth import password_policy, passwords
from chalicelib.auth.password_policy import check_new_password
from chalicelib.auth.roles import ADMIN, AGENT, PLATFORM_ADMIN, REQUESTER, VIEWER
from chalicelib.auth.tokens import issue_local_token
from chalicelib.clock import format_time, now_iso, utcnow
from chalicelib.domain import login_throttle
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, NotFound, PreconditionFailed, Unauthorized, ValidationError
from chalicelib.models import directory as store
from chalicelib.models.directory import (
    ACTIVE,
    DEACTIVATED,
    EmailClaim,
    MemberAudit,
    MembershipRecord,
    UserRecord,
    WorkspaceRecord,
)
from chalicelib.settings import get_settings

SYSTEM_ACTOR = "system"
OIDC_PROVISIONING_ACTOR = "system:oidc-provisioning"
IDENTITY_PROVIDER_ACTOR = "system:identity-provider"
WORKSPACE_ROLES = (ADMIN, AGENT, REQUESTER, VIEWER)
MEMBER_STATUSES = (ACTIVE, DEACTIVATED)
WORKSPACE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_MAX = 254
PASSWORD_MIN = password_policy.PASSWORD_MIN
PASSWORD_MAX = password_policy.PASSWORD_MAX
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
        "status": membership.status or ACTIVE,
        "version": membership.version or 1,
        **_audit(membership),
    }


def _audit_view(row: MemberAudit) -> dict:
    return {
        "user_id": row.user_id,
        "workspace_id": row.workspace_id,
        "action": row.action,
        "field": row.field,
        "from": list(row.from_value) if row.from_value is not None else None,
        "to": list(row.to_value) if row.to_value is not None else None,
        "source": row.source,
        "at": row.at,
        "by": row.by,
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


def _audit_row(
    membership: MembershipRecord, action: str, field: str, before, after, source: str, at: str, by: str
) -> MemberAudit:
    return MemberAudit(
        pk=store.user_pk(membership.user_id),
        sk=f"{store.audit_prefix(membership.workspace_id)}{at}#{uuid.uuid4().hex[:8]}",
        workspace_id=membership.workspace_id,
        user_id=membership.user_id,
        action=action,
        field=field,
        from_value=None if before is None else list(before),
        to_value=None if after is None else list(after),
        source=source,
        at=at,
        by=by,
    )


def _joined(membership: MembershipRecord, action: str, source: str) -> tuple:
    """A new membership's audit row, ready for ``commit_new_items``."""
    row = _audit_row(
        membership,
        action,
        "membership",
        None,
        [*membership.roles, membership.status],
        source,
        membership.created_at,
        membership.created_by,
    )
    return (row, "audit row collision; retry", "audit_exists")


def _logged(row) -> tuple:
    """A workspace audit-log row (``chalicelib.domain.audit``), ready for ``commit_new_items``."""
    return (row, "audit row collision; retry", "audit_exists")


def _user_created(membership: MembershipRecord):
    """The audit-log row of a user joining a workspace: the same whether the account is new or not."""
    return audit_record(
        membership.workspace_id,
        membership.created_by,
        "user.created",
        "user",
        membership.user_id,
        {"roles": {"from": None, "to": list(membership.roles)}},
        at=membership.created_at,
    )


def _user_updated(membership: MembershipRecord, rows: list[MemberAudit], actor: str, at: str):
    """The audit-log row of a change to a member's roles or status (``rows``: its member-audit rows)."""
    changes = {row.field: {"from": row.from_value, "to": row.to_value} for row in rows}
    return audit_record(membership.workspace_id, actor, "user.updated", "user", membership.user_id, changes, at=at)


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
    display_name = _display_name(admin_display_name, email)
    check_new_password(admin_password, "admin.password", email=email, hints=(display_name,))
    password_hash = passwords.hash_password(admin_password)
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
            _joined(membership, "added", "system"),
            _logged(audit_record(workspace_id, created_by, "workspace.created", "workspace", workspace_id)),
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
    user_id: str | None = None,
) -> dict:
    """Make ``email`` a member of ``workspace_id`` with ``roles`` (from admin, agent, requester,
    viewer) and return the member as this workspace sees it (with ``"id"``).

    A new email gets a new password account. An email that already has an account (in any other
    workspace) makes that account a member here instead; its password stays its owner's, and the
    answer does not differ (see the module docstring). Conflict ``email_taken`` only when the email
    is already a member of this workspace. ``user_id`` lets an import (or a test) choose the id of
    a new account. The workspace is not required to exist (the seeder may order things freely)."""
    workspace_id = _workspace_id(workspace_id, "workspace_id")
    email, email_key = _email(email)
    roles = _workspace_roles(roles)
    display_name = _display_name(display_name, email)
    check_new_password(password, "password", email=email, hints=(display_name,))
    password_hash = passwords.hash_password(password)  # spent on both paths: timing tells nothing
    stamp = _stamp(created_by, now_iso())
    for _attempt in range(2):  # a concurrent creation of the same email falls back to joining it
        claim = store.get_email_claim(email_key)
        if claim is not None:
            return _join_existing_account(claim.user_id, workspace_id, email, email_key, display_name, roles, stamp)
        new_id = user_id or new_user_id()
        user = _user_record(new_id, email, email_key, display_name, password_hash, roles, workspace_id, stamp)
        membership = _membership_record(new_id, workspace_id, email, email_key, display_name, roles, "local", stamp)
        try:
            store.commit_new_items(
                [
                    (_email_claim(email_key, new_id, stamp), *_EMAIL_TAKEN),
                    (user, "user id is taken", "user_exists"),
                    (membership, "membership already exists", "membership_exists"),
                    _joined(membership, "added", "admin"),
                    _logged(_user_created(membership)),
                ]
            )
        except Conflict as conflict:
            if conflict.code != _EMAIL_TAKEN[1]:
                raise
            continue
        return _member_view(membership)
    raise Conflict("a concurrent change touched the same records; retry", code="write_conflict")


def _join_existing_account(user_id, workspace_id, email, email_key, display_name, roles, stamp) -> dict:
    membership = _membership_record(user_id, workspace_id, email, email_key, display_name, roles, "local", stamp)
    store.commit_new_items(
        [
            (membership, "email is already a member of this workspace", "email_taken"),
            _joined(membership, "added", "admin"),
            _logged(_user_created(membership)),
        ]
    )
    return _member_view(membership)


def add_passwordless_member(
    workspace_id: str,
    email: str,
    display_name: str,
    roles: list[str],
    *,
    created_by: str,
    also_write=lambda member_id: [],
) -> dict:
    """Make ``email`` a member of ``workspace_id`` without setting a password (a requester that
    staff register: no password login until the account gets one). Like ``create_user``, an email
    that already has an account makes that account a member, answered alike; Conflict
    ``email_taken`` when it is already a member here. ``also_write(member_id)`` gives records (an
    audit row) to commit in the same transaction."""
    workspace_id = _workspace_id(workspace_id, "workspace_id")
    email, email_key = _email(email)
    roles = _workspace_roles(roles)
    display_name = _display_name(display_name, email)
    stamp = _stamp(created_by, now_iso())
    for _attempt in range(2):  # a concurrent creation of the same email falls back to joining it
        claim = store.get_email_claim(email_key)
        member_id = claim.user_id if claim else new_user_id()
        membership = _membership_record(member_id, workspace_id, email, email_key, display_name, roles, "local", stamp)
        joined = [
            _joined(membership, "added", "admin"),
            *[(record, "audit row collision; retry", "audit_exists") for record in also_write(member_id)],
        ]
        items = [(membership, "email is already a member of this workspace", "email_taken"), *joined]
        if claim is None:
            user = _user_record(member_id, email, email_key, display_name, None, roles, workspace_id, stamp)
            items = [
                (_email_claim(email_key, member_id, stamp), *_EMAIL_TAKEN),
                (user, "user id is taken", "user_exists"),
                (membership, "membership already exists", "membership_exists"),
                *joined,
            ]
        try:
            store.commit_new_items(items)
        except Conflict as conflict:
            if claim is not None or conflict.code != _EMAIL_TAKEN[1]:
                raise
            continue
        return _member_view(membership)
    raise Conflict("a concurrent change touched the same records; retry", code="write_conflict")


def create_platform_admin(
    email: str, password: str, display_name: str = "", *, created_by: str = SYSTEM_ACTOR, user_id: str | None = None
) -> dict:
    """Create a platform admin: no workspace, role ``platform_admin``. Conflict when the email is taken."""
    email, email_key = _email(email)
    display_name = _display_name(display_name, email)
    check_new_password(password, "password", email=email, hints=(display_name,))
    password_hash = passwords.hash_password(password)
    stamp = _stamp(created_by, now_iso())
    user_id = user_id or new_user_id()
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


def login(email: str, password: str, client_address: str | None = None) -> dict:
    """Check a password login and issue a local session token.

    Returns ``{"token", "expires_in", "user"}``. The token carries sub, email, name, roles and
    workspaces (the workspaces where the user is an active member, home first; none for a platform
    admin). NotFound ``local_login_disabled`` when the deployment signs in through OIDC;
    Unauthorized ``invalid_credentials`` for a wrong email or password, ``user_deactivated`` for
    an account no workspace lets in any more; TooManyRequests ``login_locked`` / ``login_slowed``
    after repeated failures (see ``login_throttle``, keyed by the email and ``client_address``).
    """
    settings = get_settings()
    if settings.auth_mode != "local":
        raise NotFound(
            "password login is not available: this deployment signs in through its identity provider (OIDC)",
            code="local_login_disabled",
        )
    standing = login_throttle.check_allowed(email, client_address)
    try:
        user = verify_credentials(email, password)
    except Unauthorized:
        login_throttle.record_failure(email, client_address)
        raise
    login_throttle.record_success(email, client_address, standing)
    workspaces = _active_workspaces(user)
    if not workspaces and PLATFORM_ADMIN not in user["roles"]:
        raise Unauthorized("this account has been deactivated", code="user_deactivated")
    token = issue_local_token(user["id"], user["email"], user["roles"], workspaces, display_name=user["display_name"])
    return {"token": token, "expires_in": settings.token_ttl_seconds, "user": session_user(user)}


def _active_workspaces(user: dict) -> list[str]:
    active = [m.workspace_id for m in store.memberships_of(user["id"]) if m.is_active]
    home = user["workspace_id"]
    return ([home] if home in active else []) + sorted(w for w in active if w != home)


def update_profile(
    user_id: str,
    *,
    display_name: str | None = None,
    current_password: str | None = None,
    new_password: str | None = None,
    expected_version: int | None = None,
    updated_by: str | None = None,
    client_address: str | None = None,
) -> dict:
    """Change a user's display name and/or password; returns the updated profile.

    A password change needs ``current_password`` (ValidationError ``current_password_invalid`` when
    it is missing or wrong; wrong guesses are throttled like logins, under the account's email and
    ``client_address``) and a new password that passes ``check_new_password``; it is refused for
    accounts that sign in through an identity provider. It ends every session: tokens issued before
    it are refused from then on. ``expected_version`` (from If-Match) that is no longer current →
    PreconditionFailed; a concurrent change is caught by the version condition as well. NotFound
    for an unknown user.
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
        changed_at = utcnow()
        user_actions += [
            UserRecord.password_hash.set(_changed_password(user, current_password, new_password, client_address)),
            UserRecord.password_changed_at.set(format_time(changed_at)),
            UserRecord.tokens_valid_after.set(round(changed_at.timestamp(), 6)),
        ]
    if not user_actions:
        return _user_view(user)
    now, actor = now_iso(), updated_by or user_id
    user_actions += [UserRecord.updated_at.set(now), UserRecord.updated_by.set(actor)]
    memberships: list = []
    if membership_actions:
        membership_actions += [MembershipRecord.updated_at.set(now), MembershipRecord.updated_by.set(actor)]
        memberships = store.memberships_of(user_id)
    return _user_view(store.update_user(user, user_actions, memberships, membership_actions))


def _changed_password(
    user: UserRecord, current_password: str | None, new_password: str | None, client_address: str | None
) -> str:
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
    if current_password is None:
        raise _current_password_invalid()
    account = user.email_key or user.user_id
    standing = login_throttle.check_allowed(account, client_address)
    if not passwords.verify_password(current_password, user.password_hash):
        login_throttle.record_failure(account, client_address)
        raise _current_password_invalid()
    login_throttle.record_success(account, client_address, standing)
    check_new_password(new_password, "new_password", email=user.email, hints=(user.display_name,))
    return passwords.hash_password(new_password)


def _current_password_invalid() -> ValidationError:
    return ValidationError(
        "current password is missing or incorrect",
        details={"current_password": "is missing or incorrect"},
        code="current_password_invalid",
    )


# --- members: roles and status, set by a workspace admin ----------------------------------------


def get_member(workspace_id: str, user_id: str) -> dict:
    """One member of ``workspace_id`` as that workspace sees them; NotFound ``member_not_found``
    for anyone else (a user of another workspace is not found here either)."""
    return _member_view(_membership(workspace_id, user_id))


def _membership(workspace_id: str, user_id: str) -> MembershipRecord:
    membership = store.get_membership_consistent(workspace_id, user_id) if user_id else None
    if membership is None:
        raise NotFound("member not found", code="member_not_found")
    return membership


def change_member(
    workspace_id: str,
    user_id: str,
    *,
    roles: list[str] | None = None,
    status: str | None = None,
    expected_version: int | None = None,
    changed_by: str,
) -> dict:
    """Change a member's ``roles`` and/or ``status`` (``active`` | ``deactivated``); returns the member.

    Each change writes an audit row in the same transaction, and counts from the member's very
    next request (a deactivated member's tokens are refused with 401). Refused: changing one's
    own membership (Conflict ``own_membership``: a workspace cannot lose its last admin this way),
    the roles of an identity-provider member (Conflict ``roles_managed_by_identity_provider``: its
    provider decides them), a stale ``expected_version`` (PreconditionFailed). NotFound
    ``member_not_found`` for someone who is not a member of this workspace.
    """
    if roles is None and status is None:
        raise ValidationError("nothing to change", details={"body": "must give roles and/or status"})
    membership = _membership(workspace_id, user_id)
    if expected_version is not None and expected_version != (membership.version or 1):
        raise PreconditionFailed("If-Match does not match the current version")
    if user_id == changed_by:
        raise Conflict("you cannot change your own roles or status", code="own_membership")
    new_roles = _workspace_roles(roles) if roles is not None else None
    if status is not None and status not in MEMBER_STATUSES:
        raise ValidationError("status is invalid", details={"status": f"must be one of: {', '.join(MEMBER_STATUSES)}"})
    if new_roles is not None and new_roles != sorted(membership.roles or []) and membership.auth_source == "oidc":
        raise Conflict(
            "this member's roles come from their identity provider; change them there",
            code="roles_managed_by_identity_provider",
        )
    now = now_iso()
    actions, audits = [], []
    if new_roles is not None and new_roles != sorted(membership.roles or []):
        actions.append(MembershipRecord.roles.set(new_roles))
        audits.append(
            _audit_row(membership, "roles_changed", "roles", membership.roles, new_roles, "admin", now, changed_by)
        )
    if status is not None and status != (membership.status or ACTIVE):
        actions.append(MembershipRecord.status.set(status))
        action = "deactivated" if status == DEACTIVATED else "reactivated"
        audits.append(
            _audit_row(membership, action, "status", [membership.status or ACTIVE], [status], "admin", now, changed_by)
        )
    if not actions:
        return _member_view(membership)
    actions += [MembershipRecord.updated_at.set(now), MembershipRecord.updated_by.set(changed_by)]
    user, user_actions = _home_roles_copy(membership, new_roles, now, changed_by)
    audits.append(_user_updated(membership, audits, changed_by, now))
    store.change_membership(membership, actions, audits, user, user_actions)
    return get_member(workspace_id, user_id)


def _home_roles_copy(membership: MembershipRecord, new_roles, now: str, actor: str):
    """The profile's copy of its home workspace's roles, to change with the membership."""
    if new_roles is None:
        return None, None
    user = store.get_user(membership.user_id, consistent=True)
    if user is None or user.workspace_id != membership.workspace_id:
        return None, None
    platform = [role for role in user.roles or [] if role == PLATFORM_ADMIN]
    return user, [
        UserRecord.roles.set(sorted({*platform, *new_roles})),
        UserRecord.updated_at.set(now),
        UserRecord.updated_by.set(actor),
    ]


def member_history(
    workspace_id: str, user_id: str, limit: int, start_key: dict | None = None
) -> tuple[list[dict], dict | None]:
    """A member's audit trail in ``workspace_id``, oldest first: who changed what, when, from what
    to what, and on whose authority (``admin``, ``identity_provider``, ``system``). NotFound
    ``member_not_found`` when the user is not a member of this workspace."""
    _membership(workspace_id, user_id)
    rows, next_key = store.page_of_member_audit(workspace_id, user_id, limit, start_key)
    return [_audit_view(row) for row in rows], next_key


# --- what every request checks -----------------------------------------------------------------


def caller_snapshot(user_id: str, token_id: str, workspace_ids: list[str]) -> store.SessionSnapshot:
    """The caller's profile, memberships in ``workspace_ids`` and token revocation, in one read."""
    return store.session_snapshot(user_id, token_id, workspace_ids)


def revoke_token(token_id: str, user_id: str | None, expires_at: int) -> None:
    """Refuse the token ``token_id`` from now until ``expires_at`` (epoch seconds), when it would
    have expired anyway."""
    from datetime import UTC, datetime

    store.revoke_token(token_id, user_id, now_iso(), datetime.fromtimestamp(expires_at, UTC))


# --- identity-provider subjects ---------------------------------------------------------------


def ensure_external_user(
    user_id: str,
    issuer: str,
    subject: str,
    email: str,
    display_name: str,
    roles: list[str],
    home_workspace_id: str | None,
) -> UserRecord:
    """The profile of an identity-provider subject, provisioned on first sight (a conditional put:
    an existing profile is left as it is). The email is kept as the provider states it but does
    not claim the unique-email index: the provider owns that identity, and a local account with
    the same email must not block its sign-in."""
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
    if store.put_if_absent(record):
        return record
    return store.get_user(user_id, consistent=True) or record


def sync_identity_provider_member(
    membership: MembershipRecord | None,
    user_id: str,
    workspace_id: str,
    email: str,
    display_name: str,
    roles: list[str],
) -> MembershipRecord:
    """Make the membership of an identity-provider user in ``workspace_id`` hold the workspace
    ``roles`` its provider states now: provisioned on first sight, updated when the roles differ
    (audited as changed by the identity provider), untouched otherwise. Returns the membership as
    it now stands. ``membership`` is what the caller read (None when there was none). A
    deactivated membership keeps its status: the provider decides roles, the workspace decides
    whether to let the user in."""
    roles = sorted({role for role in roles if role in WORKSPACE_ROLES})
    if membership is None:
        email_key = email.strip().lower() if email else None
        stamp = _stamp(OIDC_PROVISIONING_ACTOR, now_iso())
        record = _membership_record(
            user_id, workspace_id, email or None, email_key, display_name[:DISPLAY_NAME_MAX], roles, "oidc", stamp
        )
        try:
            store.commit_new_items(
                [
                    (record, "membership already exists", "membership_exists"),
                    _joined(record, "provisioned", "identity_provider"),
                    _logged(_user_created(record)),
                ]
            )
        except Conflict:  # a concurrent first request provisioned it: sync against that one
            existing = store.get_membership_consistent(workspace_id, user_id)
            if existing is None:
                raise
            return sync_identity_provider_member(existing, user_id, workspace_id, email, display_name, roles)
        return record
    if sorted(membership.roles or []) == roles:
        return membership
    now = now_iso()
    audit = _audit_row(
        membership, "roles_changed", "roles", membership.roles, roles, "identity_provider", now, IDENTITY_PROVIDER_ACTOR
    )
    actions = [
        MembershipRecord.roles.set(roles),
        MembershipRecord.updated_at.set(now),
        MembershipRecord.updated_by.set(IDENTITY_PROVIDER_ACTOR),
    ]
    store.change_membership(
        membership, actions, [audit, _user_updated(membership, [audit], IDENTITY_PROVIDER_ACTOR, now)]
    )
    membership.roles = roles
    return membership


def member_roles(workspace_id: str, user_id: str) -> frozenset[str]:
    """The roles ``user_id`` holds in ``workspace_id``: empty when not a member or deactivated."""
    membership = store.get_membership_consistent(workspace_id, user_id)
    return frozenset(membership.roles) if membership and membership.is_active else frozenset()
