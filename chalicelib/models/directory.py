"""The ``directory`` table: workspaces, users, workspace memberships and email claims.

One table, four item kinds (keys below); every item records who created and last changed it.

| item        | pk                     | sk               | by-workspace index (member_key / email_key)     |
|-------------|------------------------|------------------|-------------------------------------------------|
| workspace   | ``WORKSPACE#<id>``     | ``WORKSPACE``    | ``WORKSPACES`` / ``<workspace id>``             |
| user        | ``USER#<user id>``     | ``PROFILE``      | not indexed                                     |
| membership  | ``USER#<user id>``     | ``MEMBER#<ws>``  | ``MEMBERS#<ws>`` / ``<lowercased email>``        |
| email claim | ``EMAIL#<lower email>``| ``EMAIL``        | not indexed                                     |
| member audit| ``USER#<user id>``     | ``AUDIT#<ws>#<at>#<n>`` | not indexed                              |
| revocation  | ``REVOKED#<token id>`` | ``TOKEN``        | not indexed (expires by TTL with the token)     |

The ``by-workspace`` index therefore answers two lists with one Query each: the users of a
workspace (sorted by email) and the catalogue of workspaces (sorted by id). A membership copies
the user's email, display name and roles so a list page needs no further reads. The email claim
makes emails unique across every workspace; it is written in the same transaction as its user.
A member audit row is written in the same transaction as the membership change it records, and
lives in the user's partition, so one Query reads a member's history in one workspace.

What every authenticated request needs to know about its caller (profile, membership in the
workspaces in play, whether the token was revoked) is one consistent ``BatchGetItem``:
``session_snapshot``.

This module is the storage adapter: it speaks PynamoDB and turns failed conditions into
``Conflict``; it knows nothing about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.attributes import ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib import aws
from chalicelib.errors import Conflict, NotFound, PreconditionFailed
from chalicelib.models.base import DeskflowModel, cancellation_codes, transaction
from chalicelib.settings import get_settings

TABLE = "directory"
WORKSPACE_CATALOGUE = "WORKSPACES"
PROFILE_SK = "PROFILE"
WORKSPACE_SK = "WORKSPACE"
EMAIL_SK = "EMAIL"
TOKEN_SK = "TOKEN"
AUDIT_PREFIX = "AUDIT#"
MEMBER_PREFIX = "MEMBER#"
ACTIVE = "active"
DEACTIVATED = "deactivated"


def workspace_pk(workspace_id: str) -> str:
    return f"WORKSPACE#{workspace_id}"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def membership_sk(workspace_id: str) -> str:
    return f"MEMBER#{workspace_id}"


def members_partition(workspace_id: str) -> str:
    return f"MEMBERS#{workspace_id}"


def email_pk(email_key: str) -> str:
    return f"EMAIL#{email_key}"


def revoked_pk(token_id: str) -> str:
    return f"REVOKED#{token_id}"


def audit_prefix(workspace_id: str) -> str:
    return f"{AUDIT_PREFIX}{workspace_id}#"


class ByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-workspace"
        projection = AllProjection()

    member_key = UnicodeAttribute(hash_key=True)
    email_key = UnicodeAttribute(range_key=True)


class _Audited(DeskflowModel):
    class Meta:
        abstract = True
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class WorkspaceRecord(_Audited):
    class Meta:
        short_table = TABLE
        table_name = None

    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    member_key = UnicodeAttribute()
    email_key = UnicodeAttribute()
    version = VersionAttribute()
    catalogue = ByWorkspace()


class UserRecord(_Audited):
    class Meta:
        short_table = TABLE
        table_name = None

    user_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    email_key = UnicodeAttribute(null=True)
    display_name = UnicodeAttribute(default="")
    password_hash = UnicodeAttribute(null=True)
    roles = ListAttribute(of=UnicodeAttribute, default=list)
    workspace_id = UnicodeAttribute(null=True)  # home workspace; None for platform admins
    auth_source = UnicodeAttribute(default="local")  # local | oidc
    external_issuer = UnicodeAttribute(null=True)
    external_subject = UnicodeAttribute(null=True)
    password_changed_at = UnicodeAttribute(null=True)
    # Epoch seconds (with a fraction): tokens issued before it are refused (set by a password change).
    tokens_valid_after = NumberAttribute(null=True)
    version = VersionAttribute()


class MembershipRecord(_Audited):
    class Meta:
        short_table = TABLE
        table_name = None

    user_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    display_name = UnicodeAttribute(default="")
    roles = ListAttribute(of=UnicodeAttribute, default=list)
    auth_source = UnicodeAttribute(default="local")
    status = UnicodeAttribute(default=ACTIVE)  # active | deactivated
    member_key = UnicodeAttribute()
    email_key = UnicodeAttribute()
    version = VersionAttribute()
    members = ByWorkspace()

    @property
    def is_active(self) -> bool:
        return self.status != DEACTIVATED


class EmailClaim(_Audited):
    class Meta:
        short_table = TABLE
        table_name = None

    user_id = UnicodeAttribute()


class MemberAudit(DeskflowModel):
    """One change to a membership: who, when, what changed from what to what, and on whose authority."""

    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    action = UnicodeAttribute()  # added | provisioned | roles_changed | deactivated | reactivated
    field = UnicodeAttribute()  # roles | status | membership
    from_value = ListAttribute(of=UnicodeAttribute, null=True)
    to_value = ListAttribute(of=UnicodeAttribute, null=True)
    source = UnicodeAttribute()  # admin | identity_provider | system
    at = UnicodeAttribute()
    by = UnicodeAttribute()


class RevokedToken(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=TOKEN_SK)
    user_id = UnicodeAttribute(null=True)
    revoked_at = UnicodeAttribute()
    expires_at = TTLAttribute()


def _does_not_exist(model):
    return model.pk.does_not_exist()


def commit_new_items(items: list[tuple[DeskflowModel, str, str]]) -> None:
    """Write ``items`` in one transaction, each only if its key is free. Each entry is
    ``(record, conflict_message, conflict_code)``; the first item whose key is taken decides
    the ``Conflict`` raised (DynamoDB reports the cancellation reason per item, in order)."""
    try:
        with transaction() as write:
            for record, _message, _code in items:
                write.save(record, condition=_does_not_exist(type(record)))
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        for (_record, message, code), reason in zip(items, codes, strict=False):
            if reason == "ConditionalCheckFailed":
                raise Conflict(message, code=code) from error
        if "TransactionConflict" in codes:
            raise Conflict("a concurrent change touched the same records; retry", code="write_conflict") from error
        raise


def put_if_absent(record: DeskflowModel) -> bool:
    """Save ``record`` unless its key exists; True when this call created it."""
    try:
        record.save(condition=_does_not_exist(type(record)))
    except PutError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_user(user_id: str, consistent: bool = False) -> UserRecord | None:
    """A user's profile record; ``consistent`` for read-modify-write and password checks."""
    try:
        return UserRecord.get(user_pk(user_id), PROFILE_SK, consistent_read=consistent)
    except UserRecord.DoesNotExist:
        return None


def get_email_claim(email_key: str) -> EmailClaim | None:
    try:
        return EmailClaim.get(email_pk(email_key), EMAIL_SK)
    except EmailClaim.DoesNotExist:
        return None


def get_workspace(workspace_id: str) -> WorkspaceRecord | None:
    try:
        return WorkspaceRecord.get(workspace_pk(workspace_id), WORKSPACE_SK)
    except WorkspaceRecord.DoesNotExist:
        return None


def get_membership(workspace_id: str, user_id: str) -> MembershipRecord | None:
    try:
        return MembershipRecord.get(user_pk(user_id), membership_sk(workspace_id))
    except MembershipRecord.DoesNotExist:
        return None


def memberships_of(user_id: str) -> list[MembershipRecord]:
    return list(
        MembershipRecord.query(user_pk(user_id), MembershipRecord.sk.startswith(MEMBER_PREFIX), consistent_read=True)
    )


def update_user(user: UserRecord, user_actions: list, memberships: list[MembershipRecord], membership_actions: list):
    """Apply ``user_actions`` to the user (only at the version it was read at) and
    ``membership_actions`` to each of its memberships, in one transaction. A lost race → 412."""
    try:
        with transaction() as write:
            write.update(user, actions=user_actions)
            for membership in memberships:
                write.update(membership, actions=list(membership_actions), condition=MembershipRecord.pk.exists())
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if codes and codes[0] == "ConditionalCheckFailed":
            raise PreconditionFailed("the profile changed meanwhile; reload and retry") from error
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise Conflict("a concurrent change touched the same records; retry", code="write_conflict") from error
        raise
    refreshed = get_user(user.user_id, consistent=True)
    if refreshed is None:
        raise NotFound("user not found", code="user_not_found")
    return refreshed


def _page(index, hash_value: str, limit: int, start_key: dict | None) -> tuple[list, dict | None]:
    """One page of ``limit`` items from ``index`` and the key to resume after its last item
    (None when nothing follows: one extra item is read to know, so no trailing empty page)."""
    exclusive_start = {name: {"S": value} for name, value in start_key.items()} if start_key else None
    results = index.query(hash_value, limit=limit + 1, page_size=limit + 1, last_evaluated_key=exclusive_start)
    items = list(results)
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    resume = {"pk": last.pk, "sk": last.sk, "member_key": last.member_key, "email_key": last.email_key}
    return items[:limit], resume


def page_of_members(
    workspace_id: str, limit: int, start_key: dict | None
) -> tuple[list[MembershipRecord], dict | None]:
    return _page(MembershipRecord.members, members_partition(workspace_id), limit, start_key)


def page_of_workspaces(limit: int, start_key: dict | None) -> tuple[list[WorkspaceRecord], dict | None]:
    return _page(WorkspaceRecord.catalogue, WORKSPACE_CATALOGUE, limit, start_key)


def page_of_member_audit(
    workspace_id: str, user_id: str, limit: int, start_key: dict | None
) -> tuple[list[MemberAudit], dict | None]:
    """A member's audit rows in one workspace, oldest first."""
    exclusive_start = {name: {"S": value} for name, value in start_key.items()} if start_key else None
    results = MemberAudit.query(
        user_pk(user_id),
        MemberAudit.sk.startswith(audit_prefix(workspace_id)),
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key=exclusive_start,
    )
    items = list(results)
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], {"pk": last.pk, "sk": last.sk}


# --- what a request needs to know about its caller ------------------------------------------------


@dataclass
class SessionSnapshot:
    user: UserRecord | None
    token_revoked: bool
    memberships: dict[str, MembershipRecord] = field(default_factory=dict)  # by workspace id


def session_snapshot(user_id: str, token_id: str, workspace_ids: list[str]) -> SessionSnapshot:
    """The caller's profile, their memberships in ``workspace_ids`` and whether ``token_id`` was
    revoked: one strongly consistent BatchGetItem (more only if DynamoDB leaves keys unprocessed),
    so a logout, a deactivation or a role change counts from the very next request."""
    table = get_settings().table_name(TABLE)
    keys = [{"pk": user_pk(user_id), "sk": PROFILE_SK}, {"pk": revoked_pk(token_id), "sk": TOKEN_SK}]
    keys += [
        {"pk": user_pk(user_id), "sk": membership_sk(workspace_id)} for workspace_id in dict.fromkeys(workspace_ids)
    ]
    request = {
        table: {"Keys": [{name: {"S": value} for name, value in key.items()} for key in keys], "ConsistentRead": True}
    }
    found: list[dict] = []
    client = aws.dynamodb()
    while request:
        answer = client.batch_get_item(RequestItems=request)
        found += answer.get("Responses", {}).get(table, [])
        request = answer.get("UnprocessedKeys") or None
    snapshot = SessionSnapshot(user=None, token_revoked=False)
    for item in found:
        sort_key = item["sk"]["S"]
        if sort_key == PROFILE_SK:
            snapshot.user = UserRecord.from_raw_data(item)
        elif sort_key == TOKEN_SK:
            snapshot.token_revoked = True
        elif sort_key.startswith(MEMBER_PREFIX):
            membership = MembershipRecord.from_raw_data(item)
            snapshot.memberships[membership.workspace_id] = membership
    return snapshot


def revoke_token(token_id: str, user_id: str | None, revoked_at: str, expires_at) -> None:
    """Remember a revoked token until it would have expired anyway (then TTL deletes the record)."""
    RevokedToken(
        pk=revoked_pk(token_id), sk=TOKEN_SK, user_id=user_id, revoked_at=revoked_at, expires_at=expires_at
    ).save()


def change_membership(
    membership: MembershipRecord,
    actions: list,
    audits: list[MemberAudit],
    user: UserRecord | None = None,
    user_actions: list | None = None,
) -> None:
    """Apply ``actions`` to ``membership`` at the version it was read at, write its ``audits`` and,
    when given, ``user_actions`` to the profile (a copy of the home workspace's roles), in one
    transaction. A lost race → PreconditionFailed."""
    try:
        with transaction() as write:
            write.update(membership, actions=actions)
            for audit in audits:
                write.save(audit, condition=MemberAudit.pk.does_not_exist())
            if user is not None and user_actions:
                write.update(user, actions=user_actions)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise PreconditionFailed("the membership changed meanwhile; reload and retry") from error
        raise


def get_membership_consistent(workspace_id: str, user_id: str) -> MembershipRecord | None:
    try:
        return MembershipRecord.get(user_pk(user_id), membership_sk(workspace_id), consistent_read=True)
    except MembershipRecord.DoesNotExist:
        return None
