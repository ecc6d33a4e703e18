"""Requesters (seed 002): the people tickets are opened for, registered by staff.

A requester is a member of the workspace with the ``requester`` role (``chalicelib.domain.directory``
is the home of accounts, memberships and email claims), so a requester's id is a valid ticket
``requester_id``. One registered here has no password, and cannot sign in, until the account gets
one. An email is unique per workspace: registering an email that is already a member here is a 409
``email_taken``; an email with an account elsewhere joins that account, answered alike (see
``directory``).

What this workspace may change: the display name it shows (its membership's copy, and the profile
too when the account was registered here), and the email only of an account that this workspace
registered and that belongs to no other workspace (an account shared with another workspace keeps
its email: 409 ``email_managed_elsewhere``).
"""

from __future__ import annotations

import re

from chalicelib.auth.roles import REQUESTER
from chalicelib.clock import now_iso
from chalicelib.domain import directory, people
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from chalicelib.models import directory as accounts
from chalicelib.models import people as store
from chalicelib.models.directory import EmailClaim, MembershipRecord

_EMAIL = re.compile(directory.EMAIL_PATTERN)
_STALE = "the requester has changed since you read it"


def _view(membership: MembershipRecord) -> dict:
    return {
        "id": membership.user_id,
        "email": membership.email,
        "display_name": membership.display_name,
        "workspace_id": membership.workspace_id,
        "status": membership.status or accounts.ACTIVE,
        "version": int(membership.version or 1),
        **people.stamps_of(membership),
    }


def create_requester(workspace_id: str, email: str, display_name: str = "", *, actor_id: str, correlation_id=None):
    """Register a requester; Conflict ``email_taken`` when the email is a member of this workspace."""

    def audit_row(member_id: str):
        created = {"email": email.strip(), "display_name": display_name.strip() or None}
        return [
            audit_record(workspace_id, actor_id, "requester.created", "requester", member_id, created, correlation_id)
        ]

    member = directory.add_passwordless_member(
        workspace_id, email, display_name, [REQUESTER], created_by=actor_id, also_write=audit_row
    )
    return get_requester(workspace_id, member["id"])


def _membership(workspace_id: str, requester_id: str) -> MembershipRecord:
    membership = accounts.get_membership_consistent(workspace_id, requester_id) if requester_id else None
    if membership is None or REQUESTER not in (membership.roles or []):
        raise NotFound("requester not found", code="requester_not_found")
    return membership


def get_requester(workspace_id: str, requester_id: str) -> dict:
    """One requester of the workspace; NotFound ``requester_not_found`` for anyone else."""
    return _view(_membership(workspace_id, requester_id))


def list_requesters(workspace_id: str, limit: int, start_key: dict | None = None) -> tuple[list[dict], dict | None]:
    """A page of the workspace's requesters in email order: one Query on the workspace's members
    (the by-workspace index), keeping those with the requester role."""
    records, next_key = store.query_page(
        MembershipRecord.members,
        accounts.members_partition(workspace_id),
        limit,
        start_key,
        ("pk", "sk", "member_key", "email_key"),
        filter_condition=MembershipRecord.roles.contains(REQUESTER),
    )
    return [_view(record) for record in records], next_key


def _checked_email(value) -> tuple[str, str]:
    email = value.strip() if isinstance(value, str) else ""
    if not email or len(email) > directory.EMAIL_MAX or not _EMAIL.match(email):
        raise ValidationError("email is invalid", details={"email": "must be an email address"})
    return email, email.lower()


def _owns_email(workspace_id: str, requester_id: str, owned_here: bool) -> bool:
    """Whether this workspace alone may change the account's email: it registered the account and
    no other workspace has it as a member."""
    return owned_here and all(m.workspace_id == workspace_id for m in accounts.memberships_of(requester_id))


def update_requester(
    workspace_id: str, requester_id: str, values: dict, *, expected_version=None, actor_id: str, correlation_id=None
) -> dict:
    """Change a requester's ``email`` and/or ``display_name``; returns the requester.

    Conflict ``email_taken`` for an email another account has, ``email_managed_elsewhere`` for an
    account this workspace does not own alone; PreconditionFailed for a stale If-Match or a lost race.
    """
    if not values:
        raise ValidationError("nothing to change", details={"body": "give email and/or display_name"})
    membership = _membership(workspace_id, requester_id)
    if expected_version is not None and expected_version != int(membership.version or 1):
        raise PreconditionFailed(_STALE, details={"If-Match": f'current version is "v{int(membership.version or 1)}"'})
    user = accounts.get_user(requester_id, consistent=True)
    owned_here = user is not None and user.workspace_id == workspace_id and user.auth_source == "local"
    wanted = {}
    if "display_name" in values:
        wanted["display_name"] = people.text(values["display_name"], "display_name", directory.DISPLAY_NAME_MAX)
    new_email_key = None
    if "email" in values:
        email, new_email_key = _checked_email(values["email"])
        if new_email_key != (membership.email or "").lower() and not _owns_email(
            workspace_id, requester_id, owned_here
        ):
            raise Conflict(
                "this account is shared with another workspace or signs in elsewhere; its email is not changed here",
                code="email_managed_elsewhere",
            )
        wanted["email"] = email
    old_email_key = membership.email_key
    changed = people.apply(membership, wanted)
    if not changed:
        return _view(membership)
    at = now_iso()
    membership.updated_at, membership.updated_by = at, actor_id
    changes = store.Changes()
    stale = PreconditionFailed(_STALE)
    if "email" in changed and new_email_key != old_email_key:
        membership.email_key = new_email_key
        changes.delete(
            EmailClaim(pk=accounts.email_pk(old_email_key), sk=accounts.EMAIL_SK),
            stale,
            condition=EmailClaim.user_id == requester_id,
        )
        claim = EmailClaim(
            pk=accounts.email_pk(new_email_key),
            sk=accounts.EMAIL_SK,
            user_id=requester_id,
            **people.stamp(actor_id, at),
        )
        changes.put_new(claim, Conflict("email is already registered", code="email_taken"))
    if owned_here:
        profile = {name: change["to"] for name, change in changed.items()}
        if "email" in profile:
            profile["email_key"] = new_email_key
        people.apply(user, profile)
        user.updated_at, user.updated_by = at, actor_id
        changes.put(user, stale)
    changes.put(membership, stale)
    changes.put_audit(
        audit_record(
            workspace_id, actor_id, "requester.updated", "requester", requester_id, changed, correlation_id, at
        )
    )
    store.commit(changes)
    return _view(membership)
