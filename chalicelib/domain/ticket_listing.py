"""Ticket lists: a page is one Query on one narrow index, then one BatchGetItem of its tickets.

Which index (``infra.tables`` says why they look as they do):

- sorted by updated time: ``by-ws-updated``. It projects the filter attributes, so every filter
  is a filter expression on that Query and the tickets fetched are the page.
- sorted by created time: the index of the most selective dimension filtered on (the order of
  ``TICKET_LIST_DIMENSIONS``), or ``by-ws-created`` when there is none. These hold keys only;
  created-time bounds are key conditions, and any further filter is applied to the fetched
  tickets (the Query then reads at most ``BATCH_GET_MAX`` entries, all fetched by that one
  BatchGetItem).

Reads are bounded: a filtered page's Query evaluates up to ``FILTERED_READ_FACTOR`` times the
entries the page needs (a filter matching one entry in four fills it in one Query), never more
than ``MAX_ITEMS_READ``. A page whose filters match more sparsely comes back short, with a cursor
to read on; only the last page has none. That is the price of a single updated-order index: a
selective filter sorted by updated time (a requester's own tickets by last change) walks the
workspace's order, so in a large workspace it comes in short pages (``bench.list_reads``).

Every fetched ticket is checked against every filter, so a page never shows a ticket that has
changed or been deleted since the (eventually consistent) index was read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib.auth.principal import Principal
from chalicelib.clock import format_time, parse_time
from chalicelib.domain import ticket_rules as rules
from chalicelib.domain.ticket_records import UNASSIGNED, dimension_key, to_public
from chalicelib.errors import ValidationError
from chalicelib.models.tickets import TICKET_LIST_INDEXES, TicketItem
from infra.tables import TICKET_LIST_DIMENSIONS

MAX_ITEMS_READ = 500
FILTERED_READ_FACTOR = 4
BATCH_GET_MAX = 100  # keys one BatchGetItem takes
SORT_FIELDS = {"created_at": "created", "updated_at": "updated"}
_DIMENSIONS = {dimension.name: dimension for dimension in TICKET_LIST_DIMENSIONS}
_CREATED_BOUNDS = ("created_from", "created_to")


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
    filters = {
        dimension.name: params[dimension.name] for dimension in TICKET_LIST_DIMENSIONS if params.get(dimension.name)
    }
    if "status" in filters and filters["status"] not in rules.STATUSES:
        raise ValidationError(
            "status filter is invalid", details={"status": f"must be one of {', '.join(rules.STATUSES)}"}
        )
    if "priority" in filters:
        filters["priority"] = rules.normalize_priority(filters["priority"])
    if "tag" in filters:
        filters["tag"] = filters["tag"].strip().lower()
    for bound in ("created_from", "created_to"):
        if params.get(bound):
            try:
                filters[bound] = format_time(parse_time(params[bound]))
            except ValueError:
                raise ValidationError(f"{bound} is invalid", details={bound: "must be an RFC 3339 timestamp"}) from None
    if filters.get("created_from", "") > filters.get("created_to", "\uffff"):
        # DynamoDB refuses a BETWEEN whose bounds are reversed (moto did not): say so as a 400.
        raise ValidationError(
            "created_to is before created_from", details={"created_to": "must not be before created_from"}
        )
    if not rules.sees_whole_workspace(actor):
        filters["requester"] = actor.user_id
    return TicketQuery(filters=filters, sort=params.get("sort") or "created_at", order=params.get("order") or "desc")


def list_tickets(workspace_id: str, query: TicketQuery, limit: int, start_key: dict | None):
    """One page: ``(tickets, next_key)``; ``next_key`` is None on the last page."""
    plan = _plan(workspace_id, query)
    if start_key is not None and not plan.holds(start_key):
        # Signed and in scope, yet not a position in this index (say, from before the indexes changed).
        raise ValidationError(
            "cursor is invalid", details={"cursor": "is not a cursor this list issued"}, code="invalid_cursor"
        )
    window = limit + 1
    if plan.filter_later or plan.filter_condition is not None:
        window = min(MAX_ITEMS_READ, FILTERED_READ_FACTOR * window)
    if plan.filter_later:
        window = min(window, BATCH_GET_MAX)  # every entry read is fetched
    pages = plan.index.query(
        plan.hash_value,
        range_key_condition=plan.range_condition,
        filter_condition=plan.filter_condition,
        scan_index_forward=query.order == "asc",
        page_size=window,
        last_evaluated_key=start_key,
    ).page_iter
    entries = next(pages).get("Items", [])
    # Entries the index already matched need fetching only for the page; the others all do.
    candidates = entries if plan.filter_later else entries[:limit]
    tickets = _fetch(candidates)
    matched = [
        (entry, tickets[entry["pk"]["S"]])
        for entry in candidates
        if _matches(tickets.get(entry["pk"]["S"]), query.filters)
    ]
    if plan.filter_later:
        if len(matched) > limit:
            return [to_public(ticket) for _entry, ticket in matched[:limit]], plan.position(matched[limit - 1][0])
        return [to_public(ticket) for _entry, ticket in matched], pages.last_evaluated_key
    next_key = plan.position(entries[limit - 1]) if len(entries) > limit else pages.last_evaluated_key
    return [to_public(ticket) for _entry, ticket in matched], next_key


@dataclass(frozen=True)
class _Plan:
    index: object
    hash_value: str
    range_condition: object
    filter_condition: object
    filter_later: bool

    def key_names(self) -> tuple[str, ...]:
        return ("pk", "sk", self.index._hash_key_attribute().attr_name, _range_key_name(self.index))

    def position(self, entry: dict) -> dict:
        """A cursor position at ``entry``: its table key and index key, as DynamoDB's own."""
        return {name: entry[name] for name in self.key_names()}

    def holds(self, position: dict) -> bool:
        """Whether ``position`` is a key in the part of the index this plan reads."""
        hash_key = self.key_names()[2]
        return (
            set(position) == set(self.key_names())
            and all(isinstance(value, dict) and set(value) == {"S"} for value in position.values())
            and position[hash_key] == {"S": self.hash_value}
        )


def _range_key_name(index) -> str:
    return next(attribute.attr_name for attribute in index.Meta.attributes.values() if attribute.is_range_key)


def _plan(workspace_id: str, query: TicketQuery) -> _Plan:
    filters = query.filters
    if SORT_FIELDS[query.sort] == "updated":
        return _Plan(
            index=TicketItem.by_ws_updated,
            hash_value=workspace_id,
            range_condition=None,
            filter_condition=_index_filter(filters),
            filter_later=False,
        )
    dimension = next((d for d in TICKET_LIST_DIMENSIONS if d.name in filters), None)
    if dimension is None:
        index, hash_value, answered = TicketItem.by_ws_created, workspace_id, None
    else:
        value = filters[dimension.name]
        if dimension.name == "assignee" and value == "none":
            value = UNASSIGNED
        index, hash_value = TICKET_LIST_INDEXES[dimension.index], dimension_key(workspace_id, dimension.name, value)
        answered = dimension.name
    further = [name for name in filters if name not in _CREATED_BOUNDS and name != answered]
    return _Plan(
        index=index,
        hash_value=hash_value,
        range_condition=_created_range(filters),
        filter_condition=None,
        filter_later=bool(further),
    )


def _fetch(entries: list[dict]) -> dict[str, TicketItem]:
    """The tickets behind index entries (ticket or tag entry: both share the ticket's pk), by pk."""
    keys = list(dict.fromkeys(entry["pk"]["S"] for entry in entries))
    if not keys:
        return {}
    return {ticket.pk: ticket for ticket in TicketItem.batch_get([(pk, "TICKET") for pk in keys])}


def _matches(ticket: TicketItem | None, filters: dict) -> bool:
    if ticket is None or ticket.deleted_at is not None:
        return False
    for name, wanted in filters.items():
        if name == "created_from":
            ok = ticket.created_at >= wanted
        elif name == "created_to":
            ok = ticket.created_at <= wanted
        elif name == "tag":
            ok = wanted in (ticket.tags or [])
        elif name == "assignee" and wanted == "none":
            ok = ticket.assignee_id is None
        else:
            ok = getattr(ticket, _DIMENSIONS[name].attribute) == wanted
        if not ok:
            return False
    return True


def _created_range(filters: dict):
    low, high = filters.get("created_from"), filters.get("created_to")
    key = TicketItem.created_key
    if low and high:
        return key.between(low, f"{high}#~")
    if low:
        return key >= low
    if high:
        return key <= f"{high}#~"
    return None


def _index_filter(filters: dict):
    """Every filter as a filter expression on the attributes ``by-ws-updated`` projects."""
    condition = None
    for name, value in filters.items():
        if name == "created_from":
            clause = TicketItem.created_at >= value
        elif name == "created_to":
            clause = TicketItem.created_at <= value
        elif name == "tag":
            clause = TicketItem.tags.contains(value)
        elif name == "assignee" and value == "none":
            clause = TicketItem.assignee_id.does_not_exist()
        else:
            clause = getattr(TicketItem, _DIMENSIONS[name].attribute) == value
        condition = clause if condition is None else condition & clause
    return condition
