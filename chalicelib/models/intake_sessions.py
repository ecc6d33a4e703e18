"""Intake sessions (seed 001): a conversation that gathers a ticket before it is submitted, on the
``intake`` table (``chalicelib.models.intake``).

    pk = SESSION#<ws>#<session id>   sk = SESSION     the session (version-guarded)

Listed per caller on the ``lists`` index: ``list_key`` = ``<ws>#sessions#<user id>``, ``created_key`` =
``<created_at>#<id>``. A session is ``open`` until it is submitted; then it names its ticket and is never
submitted again (the submit's transaction writes the ticket and the session's change together).
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, VersionAttribute

from chalicelib.models.base import DeskflowModel
from chalicelib.models.intake import TABLE, IntakeLists, created_key

SESSION_SK = "SESSION"
OPEN = "open"
SUBMITTED = "submitted"


def session_pk(workspace_id: str, session_id: str) -> str:
    return f"SESSION#{workspace_id}#{session_id}"


def sessions_list_key(workspace_id: str, user_id: str) -> str:
    return f"{workspace_id}#sessions#{user_id}"


class IntakeSessionItem(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=SESSION_SK)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    answers = UnicodeAttribute(null=True)  # JSON text: {field: value}, what the caller answered
    status = UnicodeAttribute(default=OPEN)  # open | submitted
    ticket_id = UnicodeAttribute(null=True)
    # The last clarify's classification (compact JSON) and a digest of the text it read: submit reuses it,
    # and its log, while the text is unchanged.
    classification = UnicodeAttribute(null=True)
    classified_digest = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
    list_key = UnicodeAttribute()
    created_key = UnicodeAttribute()
    lists = IntakeLists()


def new_session(workspace_id: str, session_id: str, user_id: str, at: str) -> IntakeSessionItem:
    return IntakeSessionItem(
        pk=session_pk(workspace_id, session_id),
        id=session_id,
        workspace_id=workspace_id,
        user_id=user_id,
        created_at=at,
        updated_at=at,
        list_key=sessions_list_key(workspace_id, user_id),
        created_key=created_key(at, session_id),
    )


def load(workspace_id: str, session_id: str) -> IntakeSessionItem | None:
    try:
        return IntakeSessionItem.get(session_pk(workspace_id, session_id), SESSION_SK, consistent_read=True)
    except IntakeSessionItem.DoesNotExist:
        return None


def page_of_sessions(workspace_id: str, user_id: str, limit: int, start_key: dict | None):
    """The caller's sessions, newest first: ``(items, next_key)``, one Query on the ``lists`` index."""
    results = IntakeSessionItem.lists.query(
        sessions_list_key(workspace_id, user_id),
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key=start_key,
    )
    items = list(results)
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    position = {name: {"S": getattr(last, name)} for name in ("pk", "sk", "list_key", "created_key")}
    return items[:limit], position
