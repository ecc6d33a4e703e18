"""Change requests (approval gates): one item per change, its votes and timeline rows under the same key.

    pk = WS#<ws>#CHANGE#<id>   sk = CHANGE                      the change (version-guarded)
    pk = WS#<ws>#CHANGE#<id>   sk = VOTE#<user id>               one vote per approver (put if absent)
    pk = WS#<ws>#CHANGE#<id>   sk = TIMELINE#<at>#<n>            what happened, in order
    pk = WS#<ws>#CHANGE#<id>   sk = TASK_TOKEN                   the waiting execution's task token

So ``GET /changes/{id}`` reads one key. The lists read sparse indexes carried by the change item only:
``by-workspace`` (every change), ``by-status`` (``<ws>#<status>``), ``by-ticket`` and ``by-agent``, all
sorted by ``created_key`` (``<created_at>#<id>``) and projecting everything (changes are few and small).
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import DeskflowModel

TABLE = "changes"
CHANGE_SK = "CHANGE"


def change_pk(workspace_id: str, change_id: str) -> str:
    return f"WS#{workspace_id}#CHANGE#{change_id}"


class ByWorkspace(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-workspace"
        projection = AllProjection()

    ws_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ByTicket(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-ticket"
        projection = AllProjection()

    ticket_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ByAgent(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-agent"
        projection = AllProjection()

    agent_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class ChangeItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=CHANGE_SK)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    agent_id = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    target = UnicodeAttribute(default="")
    reason = UnicodeAttribute(default="")
    command = UnicodeAttribute(null=True)
    risk_level = UnicodeAttribute()
    requires_human = UnicodeAttribute(default="true")  # "true" | "false": kept as text for the status index
    approver_users = ListAttribute(of=UnicodeAttribute, default=list)
    approver_roles = ListAttribute(of=UnicodeAttribute, default=list)
    quorum = NumberAttribute(default=1)
    auto_complete = UnicodeAttribute(default="false")
    status = UnicodeAttribute()  # pending | approved | rejected | expired | completed
    approvals = NumberAttribute(default=0)
    rejections = NumberAttribute(default=0)
    requested_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    completed_by = UnicodeAttribute(null=True)
    result = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(default="change")  # change | access_request
    access_ticket_id = UnicodeAttribute(null=True)  # an access request's child ticket
    version = VersionAttribute()
    ws_key = UnicodeAttribute()
    status_key = UnicodeAttribute()
    ticket_key = UnicodeAttribute()
    agent_key = UnicodeAttribute(null=True)
    created_key = UnicodeAttribute()
    by_workspace = ByWorkspace()
    by_status = ByStatus()
    by_ticket = ByTicket()
    by_agent = ByAgent()


class VoteItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    decision = UnicodeAttribute()  # approve | reject
    reason = UnicodeAttribute(default="")
    at = UnicodeAttribute()


class TimelineItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()
    event = UnicodeAttribute()  # requested | approved | rejected | voted | expired | completed
    by = UnicodeAttribute()
    note = UnicodeAttribute(default="")


TOKEN_SK = "TASK_TOKEN"


class TaskTokenItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=TOKEN_SK)
    token = UnicodeAttribute()
    execution = UnicodeAttribute(null=True)


def keep_token(change_key: str, token: str, execution: str | None) -> None:
    TaskTokenItem(pk=change_key, sk=TOKEN_SK, token=token, execution=execution).save()


def find_task_token(change_key: str) -> str | None:
    try:
        return TaskTokenItem.get(change_key, TOKEN_SK, consistent_read=True).token
    except TaskTokenItem.DoesNotExist:
        return None


def has_voted(change_key: str, user_id: str) -> bool:
    try:
        VoteItem.get(change_key, f"VOTE#{user_id}", consistent_read=True, attributes_to_get=["pk"])
    except VoteItem.DoesNotExist:
        return False
    return True
