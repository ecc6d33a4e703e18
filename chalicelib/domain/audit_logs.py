"""Reading the workspace audit log: newest first, filtered, one bounded Query per page.

Which key answers (``chalicelib.models.audit``): a target (``target_type`` + ``target_id``) is
read on ``by-target``, else an actor on ``by-actor``, else the workspace's own partition. The
time range (``from``/``to``, inclusive) is a key condition on ``sk`` (``<at>#<id>``) in all three.
``action``, and the actor when a target also narrows the read, are filter expressions.

Reads are bounded as ticket lists are (``chalicelib.domain.ticket_listing``): a filtered page's
Query evaluates at most ``FILTERED_READ_FACTOR`` times the rows the page needs (never more than
``MAX_ITEMS_READ``), so a sparse filter yields short pages with a cursor to read on; only the last
page has none. Cursors are bound to the workspace and the exact filters (``AuditQuery.scope``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib.clock import format_time, parse_time
from chalicelib.errors import ValidationError
from chalicelib.models.audit import AuditItem, actor_key, audit_pk, target_key

MAX_ITEMS_READ = 500
FILTERED_READ_FACTOR = 4
FILTERS = ("actor", "action", "target_type", "target_id", "from", "to")


@dataclass(frozen=True)
class AuditQuery:
    filters: dict

    def scope(self, workspace_id: str) -> str:
        """What a cursor is bound to: the workspace and the exact filters."""
        return json.dumps(["audit-logs", workspace_id, self.filters], sort_keys=True)


def build_query(params: dict) -> AuditQuery:
    """Validate the filters: ``target_type`` and ``target_id`` go together; ``from``/``to`` are
    RFC 3339 times with ``from`` not after ``to``. ValidationError otherwise."""
    filters = {name: params[name] for name in FILTERS if params.get(name)}
    if ("target_type" in filters) != ("target_id" in filters):
        missing = "target_id" if "target_type" in filters else "target_type"
        raise ValidationError(
            "target_type and target_id go together", details={missing: "is required with the other target filter"}
        )
    for bound in ("from", "to"):
        if bound in filters:
            try:
                filters[bound] = format_time(parse_time(filters[bound]))
            except ValueError:
                raise ValidationError(f"{bound} is invalid", details={bound: "must be an RFC 3339 timestamp"}) from None
    if filters.get("from", "") > filters.get("to", "\uffff"):
        raise ValidationError("to is before from", details={"to": "must not be before from"})
    return AuditQuery(filters)


def list_audit_logs(workspace_id: str, query: AuditQuery, limit: int, start_key: dict | None):
    """One page, newest first: ``(rows, next_key)``; ``next_key`` is None on the last page."""
    filters = query.filters
    index, hash_name, hash_value = _key(workspace_id, filters)
    if start_key is not None and not _holds(start_key, hash_name, hash_value):
        raise ValidationError(
            "cursor is invalid", details={"cursor": "is not a cursor this list issued"}, code="invalid_cursor"
        )
    condition = _filter(filters, hash_name)
    window = limit + 1 if condition is None else min(MAX_ITEMS_READ, FILTERED_READ_FACTOR * (limit + 1))
    pages = index.query(
        hash_value,
        range_key_condition=_time_range(filters),
        filter_condition=condition,
        scan_index_forward=False,
        page_size=window,
        last_evaluated_key=start_key,
    ).page_iter
    rows = [AuditItem.from_raw_data(raw) for raw in next(pages).get("Items", [])]
    if len(rows) > limit:
        return [to_public(row) for row in rows[:limit]], _position(rows[limit - 1], hash_name)
    return [to_public(row) for row in rows], pages.last_evaluated_key


def to_public(row: AuditItem) -> dict:
    return {
        "id": row.id,
        "at": row.at,
        "actor_id": row.actor_id,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "changes": json.loads(row.changes) if row.changes is not None else None,
        "correlation_id": row.correlation_id,
    }


def _key(workspace_id: str, filters: dict):
    """The index (or table), its hash key name and the value to Query."""
    if "target_type" in filters:
        return AuditItem.by_target, "target_key", target_key(workspace_id, filters["target_type"], filters["target_id"])
    if "actor" in filters:
        return AuditItem.by_actor, "actor_key", actor_key(workspace_id, filters["actor"])
    return AuditItem, "pk", audit_pk(workspace_id)


def _filter(filters: dict, hash_name: str):
    condition = None
    if "action" in filters:
        condition = AuditItem.action == filters["action"]
    if "actor" in filters and hash_name != "actor_key":
        clause = AuditItem.actor_id == filters["actor"]
        condition = clause if condition is None else condition & clause
    return condition


def _time_range(filters: dict):
    low, high = filters.get("from"), filters.get("to")
    if low and high:
        return AuditItem.sk.between(low, f"{high}#~")
    if low:
        return AuditItem.sk >= low
    if high:
        return AuditItem.sk <= f"{high}#~"
    return None


def _position(row: AuditItem, hash_name: str) -> dict:
    """A cursor position at ``row``: its table key and (on an index) its index hash key."""
    names = dict.fromkeys(("pk", "sk", hash_name))
    return {name: {"S": getattr(row, name)} for name in names}


def _holds(position: dict, hash_name: str, hash_value: str) -> bool:
    names = set(dict.fromkeys(("pk", "sk", hash_name)))
    return (
        set(position) == names
        and all(isinstance(value, dict) and set(value) == {"S"} for value in position.values())
        and position[hash_name] == {"S": hash_value}
    )
