"""Ticket lists: every filter combination is answered by a Query on one list index.

The most selective filter picks the index (its hash key is ``<workspace>#<value>``), the sort
picks created or updated, and any further filters become a filter expression on that Query.
A page reads at most ``limit + 1`` matching items; a query whose extra filters match sparsely
stops after ``MAX_ITEMS_READ`` items and hands back a cursor instead of reading on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib.auth.principal import Principal
from chalicelib.clock import format_time, parse_time
from chalicelib.domain import ticket_rules as rules
from chalicelib.domain.ticket_records import INDEXED_ATTRIBUTES, UNASSIGNED, to_public
from chalicelib.errors import ValidationError
from chalicelib.models.tickets import TicketItem, TicketTagItem

MAX_ITEMS_READ = 500

# Most selective first: the first filter present chooses the index.
_INDEX_PREFERENCE = ("assignee", "requester", "tag", "team", "category", "status", "priority")
SORT_FIELDS = {"created_at": "created", "updated_at": "updated"}


@dataclass(frozen=True)
class TicketQuery:
    filters: dict
    sort: str = "created_at"
    order: str = "desc"

    def scope(self, workspace_id: str) -> str:
        """What a cursor is bound to: the workspace and the exact filters and sort."""
        return json.dumps(["tickets", workspace_id, self.filters, self.sort, self.order], sort_keys=True)


def build_query(actor: Principal, params: dict) -> TicketQuery:
    """Validate list parameters and apply visibility: a requester's list is their own tickets."""
    filters: dict = {}
    for name in ("status", "assignee", "requester", "team", "category", "tag"):
        if params.get(name):
            filters[name] = params[name]
    if "status" in filters and filters["status"] not in rules.STATUSES:
        raise ValidationError(
            "status filter is invalid", details={"status": f"must be one of {', '.join(rules.STATUSES)}"}
        )
    if params.get("priority"):
        filters["priority"] = rules.normalize_priority(params["priority"])
    if "tag" in filters:
        filters["tag"] = filters["tag"].strip().lower()
    for bound in ("created_from", "created_to"):
        if params.get(bound):
            try:
                filters[bound] = format_time(parse_time(params[bound]))
            except ValueError:
                raise ValidationError(f"{bound} is invalid", details={bound: "must be an RFC 3339 timestamp"}) from None
    if not rules.sees_whole_workspace(actor):
        filters["requester"] = actor.user_id
    return TicketQuery(filters=filters, sort=params.get("sort") or "created_at", order=params.get("order") or "desc")


def list_tickets(workspace_id: str, query: TicketQuery, limit: int, start_key: dict | None):
    """One page: ``(tickets, next_key)``; ``next_key`` is None on the last page."""
    dimension = next((name for name in _INDEX_PREFERENCE if name in query.filters), "ws")
    sort = SORT_FIELDS[query.sort]
    model = TicketTagItem if dimension == "tag" else TicketItem
    index = getattr(model, f"by_{dimension}_{sort}")
    results = index.query(
        _hash_value(workspace_id, dimension, query.filters),
        range_key_condition=_range_condition(model, sort, query.filters),
        filter_condition=_filter_condition(model, dimension, sort, query.filters),
        scan_index_forward=query.order == "asc",
        page_size=limit + 1,
        last_evaluated_key=start_key,
    )
    items: list = []
    pages = results.page_iter
    for page in pages:
        items += [model.from_raw_data(raw) for raw in page.get("Items", [])]
        if len(items) > limit:
            return _page_ending_at(items[:limit], dimension, sort)
        if pages.last_evaluated_key is None:
            break
        if pages.total_scanned_count >= MAX_ITEMS_READ:
            # Sparse matches: stop reading and let the caller continue from here.
            return [_shape(item) for item in items], pages.last_evaluated_key
    return [_shape(item) for item in items], None


def _page_ending_at(items: list, dimension: str, sort: str):
    last = items[-1]
    key_names = ("pk", "sk", f"{dimension}_key", f"{sort}_key")
    return [_shape(item) for item in items], {name: {"S": getattr(last, name)} for name in key_names}


def _shape(item) -> dict:
    if isinstance(item, TicketTagItem):
        return json.loads(item.snapshot)
    return to_public(item)


def _hash_value(workspace_id: str, dimension: str, filters: dict) -> str:
    if dimension == "ws":
        return workspace_id
    value = filters[dimension]
    if dimension == "assignee" and value == "none":
        value = UNASSIGNED
    return f"{workspace_id}#{value}"


def _range_condition(model, sort: str, filters: dict):
    if sort != "created":
        return None
    low, high = filters.get("created_from"), filters.get("created_to")
    key = model.created_key
    if low and high:
        return key.between(low, f"{high}#~")
    if low:
        return key >= low
    if high:
        return key <= f"{high}#~"
    return None


def _filter_condition(model, dimension: str, sort: str, filters: dict):
    condition = None
    for name, value in filters.items():
        if name == dimension or name in {"created_from", "created_to"}:
            continue
        if name == "tag":
            clause = model.tags.contains(value)
        elif name == "assignee" and value == "none":
            clause = model.assignee_id.does_not_exist()
        else:
            clause = getattr(model, INDEXED_ATTRIBUTES[name]) == value
        condition = clause if condition is None else condition & clause
    if sort == "updated":
        for bound, op in (("created_from", "__ge__"), ("created_to", "__le__")):
            if filters.get(bound):
                edge = filters[bound] if op == "__ge__" else f"{filters[bound]}~"
                clause = getattr(model.created_at, op)(edge)
                condition = clause if condition is None else condition & clause
    return condition
