"""A ticket's watchers: items in the ticket's own partition of the tickets table.

    pk = WS#<ws>#T#<ticket id>   sk = WATCHER#<user id>

One item per watcher (so adding the same watcher twice is one conditional put, and a ticket's
watchers are one Query on its partition, in user-id order).
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.models.base import DeskflowModel

WATCHER_PREFIX = "WATCHER#"


def watcher_sk(user_id: str) -> str:
    return f"{WATCHER_PREFIX}{user_id}"


class WatcherItem(DeskflowModel):
    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    ticket_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    added_by = UnicodeAttribute()
    added_at = UnicodeAttribute()
