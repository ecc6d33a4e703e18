"""The notifications table: each user's feed and its unread counter, in one partition per user.

    pk = WS#<ws>#USER#<user id>   sk = N#<occurred_at>#<digest>   a notification (expires by TTL)
    pk = WS#<ws>#USER#<user id>   sk = STATE                      the unread counter and read-all mark

The ``N#`` prefix keeps the state item out of the feed's Query (``begins_with``). A notification's
``digest`` comes from (event id, recipient), so a redelivered event writes the same key again and
its conditional put fails instead of adding a second notification.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.models.base import DeskflowModel

NOTIFICATION_PREFIX = "N#"
STATE_SK = "STATE"


def feed_pk(workspace_id: str, user_id: str) -> str:
    return f"WS#{workspace_id}#USER#{user_id}"


def notification_sk(occurred_at: str, digest: str) -> str:
    return f"{NOTIFICATION_PREFIX}{occurred_at}#{digest}"


class NotificationItem(DeskflowModel):
    """One event as one recipient sees it. ``detail`` is compact JSON chosen for that recipient
    (never the raw event data). ``created_at`` is when the consumer wrote it: read-all's mark
    (``FeedStateItem.read_before``) compares against it."""

    class Meta:
        short_table = "notifications"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    created_at = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute()
    ticket_number = UnicodeAttribute(null=True)
    ticket_title = UnicodeAttribute(null=True)
    summary = UnicodeAttribute()
    detail = UnicodeAttribute(default="{}")
    read_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class FeedStateItem(DeskflowModel):
    """A user's unread count (changed only by ADD, in the same transaction as the notification or
    the read that moves it) and ``read_before``: everything written up to then counts as read."""

    class Meta:
        short_table = "notifications"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=STATE_SK)
    unread = NumberAttribute(default=0)
    read_before = UnicodeAttribute(null=True)
