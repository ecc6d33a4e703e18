"""Items read for one ticket list page, against the number of tickets in the workspace.

"Items read" is the sum of ``ScannedCount`` over the Query calls one GET makes: the index entries
DynamoDB evaluates (and bills) before filter expressions; the page's tickets then come from one
BatchGetItem. A list answered by a Query on the right index
reads about one page whatever the workspace holds; a Scan, or a filter that reads on until it
finds a page, grows with it. The workspace is seeded (``bench.seed_tickets``), measured, grown
and measured again.
"""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import quote

from bench.api import BenchApi
from bench.dynamodb_calls import COUNTER, ReadBudgetExceeded
from bench.seed_tickets import TicketProfile, build_ticket_items, ensure_team, seed_tickets
from chalicelib.domain.ticket_listing import MAX_ITEMS_READ

WORKSPACE_SIZES = (1_000, 20_000)
# A request reading more than this is stopped (the row then says so): enough to show a bound is
# missed, without paying moto for every page of an unbounded read.
READ_BUDGET = 2 * MAX_ITEMS_READ
LIST_WORKSPACE = "bench-lists"
SHAPE_WORKSPACE = "bench-shape"

# (label, query string, what it exercises)
LIST_QUERIES = (
    ("default page", "", "Query on by-ws-created"),
    ("second page (cursor)", None, "same, from the first page's cursor"),
    ("?status=new", "status=new", "Query on by-status"),
    ("?tag=vpn", "tag=vpn", "Query on by-label (tag entries)"),
    ("?status=new&priority=high", "status=new&priority=high", "by-status, priority checked on the fetched"),
    ("?status=cancelled&priority=urgent", "status=cancelled&priority=urgent", "filter matching nothing"),
    ("?sort=updated_at&priority=high", "sort=updated_at&priority=high", "by-ws-updated + filter expression"),
    (
        "?requester=requester-5&sort=updated_at",
        "requester=requester-5&sort=updated_at",
        "by-ws-updated filtered: 1 in 97 matches",
    ),
)

# The API ticket's title is free text, the seeder's says "Seeded ticket <number>".
_FREE_TEXT = "title"


@dataclass(frozen=True)
class ListRead:
    query: str
    exercises: str
    tickets_in_workspace: int
    items_read: int
    query_calls: int
    returned: int | None  # None: stopped for reading more than READ_BUDGET items
    stopped_over_budget: bool
    moto_ms: float


@dataclass(frozen=True)
class SeedTiming:
    tickets: int
    items_written: int
    seconds: float


def shape_differences(client) -> list[str]:
    """Compare a ticket created through the API with the items the seeder builds from the same
    id, number, time and values; an empty list means they are stored alike."""
    from chalicelib import aws
    from chalicelib.settings import get_settings

    api = BenchApi(client, SHAPE_WORKSPACE)
    ensure_team(SHAPE_WORKSPACE, "it")  # a ticket's team names an existing team
    body = {"title": "Shape", "priority": "high", "category": "network", "team": "it", "tags": ["vpn"]}
    created = api.call("POST", "/api/v1/tickets", body=body).body
    profile = TicketProfile(
        status="new", priority="high", requester_id="bench-agent", category="network", team="it", tags=["vpn"]
    )
    number = int(created["number"].removeprefix("DF-"))
    seeded = build_ticket_items(SHAPE_WORKSPACE, number, created["id"], created["created_at"], profile)
    table = get_settings().table_name("tickets")
    differences = []
    for item in seeded:
        key = {"pk": {"S": item.pk}, "sk": {"S": item.sk}}
        stored = aws.dynamodb().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})
        differences += _compare(item.sk, stored, item.serialize())
    return differences


def _compare(label: str, stored: dict, seeded: dict) -> list[str]:
    differences = []
    for name in sorted(set(stored) | set(seeded)):
        if name not in stored or name not in seeded:
            differences.append(f"{label}: {name} only in the {'seeded' if name in seeded else 'API'} item")
        elif _comparable(name, stored[name]) != _comparable(name, seeded[name]):
            differences.append(f"{label}: {name} is {seeded[name]} seeded, {stored[name]} through the API")
    return differences


def _comparable(name: str, value: dict):
    return None if name == _FREE_TEXT else value


def measure_list_reads(client) -> tuple[list[ListRead], list[SeedTiming]]:
    api = BenchApi(client, LIST_WORKSPACE)
    reads, timings, seeded = [], [], 0
    for size in WORKSPACE_SIZES:
        started = time.perf_counter()
        written = seed_tickets(LIST_WORKSPACE, seeded, size - seeded)
        timings.append(SeedTiming(size - seeded, written, round(time.perf_counter() - started, 1)))
        seeded = size
        reads += _read_pages(api, size)
    return reads, timings


def _read_pages(api: BenchApi, size: int) -> list[ListRead]:
    reads, first_cursor = [], None
    for label, query_string, exercises in LIST_QUERIES:
        if query_string is None:
            query_string = f"cursor={quote(first_cursor, safe='')}"
        read, next_cursor = _read_one_page(api, query_string, size)
        reads.append(ListRead(query=label, exercises=exercises, **read))
        first_cursor = first_cursor or next_cursor
    return reads


def _read_one_page(api: BenchApi, query_string: str, size: int) -> tuple[dict, str | None]:
    path = f"/api/v1/tickets?{query_string}" if query_string else "/api/v1/tickets"
    started = time.perf_counter()
    page = None
    # Stopped over budget, the figures so far say enough: more than READ_BUDGET items for one page.
    with COUNTER.measure(max_items_read=READ_BUDGET) as measurement, suppress(ReadBudgetExceeded):
        page = api.call("GET", path).body["page"]
    read = {
        "tickets_in_workspace": size,
        "items_read": measurement.items_read(),
        "query_calls": measurement.query_calls(),
        "returned": None if page is None else page["returned"],
        "stopped_over_budget": page is None,
        "moto_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return read, None if page is None else page["next_cursor"]
