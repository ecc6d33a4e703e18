"""The ``directory`` table: workspaces, users, workspace memberships and email claims.

One table, four item kinds (keys below); every item records who created and last changed it.

| item        | pk                     | sk               | by-workspace index (member_key / email_key)     |
|-------------|------------------------|------------------|-------------------------------------------------|
| workspace   | ``WORKSPACE#<id>``     | ``WORKSPACE``    | ``WORKSPACES`` / ``<workspace id>``             |
| user        | ``USER#<user id>``     | ``PROFILE``      | not indexed                                     |
| membership  | ``USER#<user id>``     | ``MEMBER#<ws>``  | ``MEMBERS#<ws>`` / ``<lowercased email>``        |
| email claim | ``EMAIL#<lower email>``| ``EMAIL``        | not indexed                                     |

The ``by-workspace`` index therefore answers two lists with one Query each: the users of a
workspace (sorted by email) and the catalogue of workspaces (sorted by id). A membership copies
the user's email, display name and roles so a list page needs no further reads. The email claim
makes emails unique across every workspace; it is written in the same transaction as its user.

This module is the storage adapter: it speaks PynamoDB and turns failed conditions into
``Conflict``; it knows nothing about HTTP.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.errors import Conflict, NotFound, PreconditionFailed
from chalicelib.models.base import DeskflowModel, cancellation_codes, transaction

TABLE = "directory"
WORKSPACE_CATALOGUE = "WORKSPACES"
PROFILE_SK = "PROFILE"
WORKSPACE_SK = "WORKSPACE"
EMAIL_SK = "EMAIL"


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
    member_key = UnicodeAttribute()
    email_key = UnicodeAttribute()
    members = ByWorkspace()


class EmailClaim(_Audited):
    class Meta:
        short_table = TABLE
        table_name = None

    user_id = UnicodeAttribute()


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
    return list(MembershipRecord.query(user_pk(user_id), MembershipRecord.sk.startswith("MEMBER#")))


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
