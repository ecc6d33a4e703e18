"""The workspace's event feed and the outbox view.

The feed is the outbox itself (``WS#<ws>`` / ``EVENT#<occurred_at>#<id>``) read in order from a
position, so a client that reconnects with its cursor gets every event it missed exactly once:
- Staff see every event of the workspace; an admin also sees seed 002's ``queue_changed`` after each
  event that changes a queue. A requester reads the sparse ``by-audience`` index, which holds only
  the public events of their own tickets (``chalicelib.events.catalogue.visible_to_requester``).
- Only events at least ``SETTLE_SECONDS`` old are served. An event's position is its writer's clock
  at the start of its transaction, so an event can commit a moment after a later-stamped one; serving
  only settled positions means a reader's cursor never moves past an event that has yet to commit.
  The price is that an event shows up at most that long after it happened.
- ``wait`` long-polls: with nothing new, the read is repeated every ``POLL_SECONDS`` until an event
  arrives or the wait (at most ``MAX_WAIT_SECONDS``) is over, so a dashboard need not hammer the API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import ADMIN
from chalicelib.clock import format_time, utcnow
from chalicelib.domain.events import envelope
from chalicelib.domain.ticket_rules import sees_whole_workspace
from chalicelib.events.catalogue import QUEUE_CHANGING_TOPICS
from chalicelib.models.events import EVENT_SK_PREFIX, EventItem, audience_key

SETTLE_SECONDS = 2.0
MAX_WAIT_SECONDS = 20
POLL_SECONDS = 1.0
QUEUE_CHANGED = "queue_changed"


@dataclass
class FeedPage:
    events: list[dict]
    position: str | None  # where the next read starts (None: from the beginning)


def read_feed(
    workspace_id: str,
    actor: Principal,
    after: str | None,
    limit: int,
    wait_seconds: float = 0,
    sleep: Callable[[float], None] = time.sleep,
) -> FeedPage:
    """Up to ``limit`` events after position ``after``, oldest first, as the caller may see them.

    With ``wait_seconds`` and nothing new, polls until an event arrives or the wait is over (the
    answer is then an empty page whose position is unchanged).
    """
    deadline = utcnow() + timedelta(seconds=min(max(wait_seconds, 0), MAX_WAIT_SECONDS))
    while True:
        page = _read_once(workspace_id, actor, after, limit)
        remaining = (deadline - utcnow()).total_seconds()
        if page.events or remaining <= 0:
            return page
        sleep(min(POLL_SECONDS, remaining))


def _read_once(workspace_id: str, actor: Principal, after: str | None, limit: int) -> FeedPage:
    settled = format_time(utcnow() - timedelta(seconds=SETTLE_SECONDS))
    # ``between`` is inclusive: the smallest key above ``after`` is ``after`` plus the lowest printable
    # character (event keys end in a uuid, so no other key has ``after`` as a prefix).
    lower = f"{after} " if after else EVENT_SK_PREFIX
    upper = f"{EVENT_SK_PREFIX}{settled}"
    if lower > upper:
        return FeedPage([], after)
    condition = EventItem.sk.between(lower, upper)
    if sees_whole_workspace(actor):
        items = list(EventItem.query(f"WS#{workspace_id}", condition, limit=limit))
    else:
        keys = [
            (entry.pk, entry.sk)
            for entry in EventItem.by_audience.query(audience_key(workspace_id, actor.user_id), condition, limit=limit)
        ]
        found = {(item.pk, item.sk): item for item in EventItem.batch_get(keys)}
        items = [found[key] for key in keys if key in found]
    if not items:
        return FeedPage([], after)
    events: list[dict] = []
    for item in items:
        events.append(envelope(item))
        if actor.has_any_role({ADMIN}) and item.type in QUEUE_CHANGING_TOPICS:
            events.append(_queue_changed(item))
    return FeedPage(events, items[-1].sk)


def _queue_changed(item: EventItem) -> dict:
    return {
        "id": f"{item.id}:{QUEUE_CHANGED}",
        "type": QUEUE_CHANGED,
        "workspace_id": item.workspace_id,
        "occurred_at": item.occurred_at,
        "correlation_id": item.correlation_id,
        "actor_id": item.actor_id,
        "subject": {"type": item.subject_type, "id": item.subject_id},
        "data": {"cause": item.type},
    }


OUTBOX_STATES = ("pending", "dispatched")


def list_outbox(workspace_id: str, state: str | None, limit: int, start_key: dict | None):
    """The workspace's outbox rows, newest first, with their dispatch state (``pending`` or
    ``dispatched``); a state filter is applied within each page read, so a page may hold fewer."""
    filter_condition = None
    if state == "pending":
        filter_condition = EventItem.dispatched_at.does_not_exist()
    elif state == "dispatched":
        filter_condition = EventItem.dispatched_at.exists()
    result = EventItem.query(
        f"WS#{workspace_id}",
        EventItem.sk.startswith(EVENT_SK_PREFIX),
        filter_condition=filter_condition,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start_key,
    )
    rows = [_outbox_row(item) for item in result]
    return rows, result.last_evaluated_key


def _outbox_row(item: EventItem) -> dict:
    return {
        "id": item.id,
        "type": item.type,
        "occurred_at": item.occurred_at,
        "correlation_id": item.correlation_id,
        "subject": {"type": item.subject_type, "id": item.subject_id},
        "state": "dispatched" if item.dispatched_at else "pending",
        "dispatched_at": item.dispatched_at,
    }
