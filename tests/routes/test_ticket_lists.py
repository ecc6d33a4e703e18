"""Ticket lists: filters, sorting, cursors, visibility."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.routes.http_helpers import add_team, call, open_ticket

TICKETS = "/api/v1/tickets"


def titles(response) -> list[str]:
    assert response.status_code == 200, response.body
    return [ticket["title"] for ticket in response.json["data"]]


def test_the_list_envelope_describes_page_sort_and_filters(client, as_role):
    agent = as_role("agent")
    open_ticket(client, agent, title="One")

    response = call(client, "GET", f"{TICKETS}?status=new", agent)

    assert response.json["page"] == {"limit": 25, "returned": 1, "next_cursor": None}
    assert response.json["sort"] == {"by": "created_at", "order": "desc"}
    assert response.json["filters"] == {"status": "new"}


def test_paging_with_the_cursor_visits_every_ticket_once_newest_first(client, as_role):
    agent = as_role("agent")
    for number in range(7):
        open_ticket(client, agent, title=f"T{number}")
    seen, cursor = [], None

    for _ in range(10):
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        response = call(client, "GET", TICKETS + query, agent)
        seen += titles(response)
        cursor = response.json["page"]["next_cursor"]
        if cursor is None:
            break

    assert seen == [f"T{number}" for number in reversed(range(7))]


def test_sorting_by_updated_at_puts_the_latest_change_first(client, as_role):
    agent = as_role("agent")
    older = open_ticket(client, agent, title="Older")
    open_ticket(client, agent, title="Newer")
    call(client, "PATCH", f"{TICKETS}/{older['id']}", agent, {"description": "touched"})

    by_updated = call(client, "GET", f"{TICKETS}?sort=updated_at", agent)
    by_created_ascending = call(client, "GET", f"{TICKETS}?sort=created_at&order=asc", agent)

    assert titles(by_updated) == ["Older", "Newer"]
    assert titles(by_created_ascending) == ["Older", "Newer"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["Open one"]),
        ("priority=P1", ["Urgent one"]),
        ("priority=urgent", ["Urgent one"]),
        ("assignee={assignee}", ["Open one"]),
        ("assignee=none", ["Plain", "Urgent one", "Tagged"]),
        ("requester={requester}", ["Tagged"]),
        ("team=network", ["Open one"]),
        ("category=plumbing", ["Urgent one"]),
        ("tag=vip", ["Tagged"]),
        ("status=new&priority=urgent", ["Urgent one"]),
        ("tag=vip&status=open", []),
        ("assignee={assignee}&status=open&team=network", ["Open one"]),
    ],
)
def test_each_filter_narrows_the_list(client, as_role, member, query, expected):
    agent = as_role("agent")
    assignee, requester = member("agent"), member("requester")
    open_ticket(client, agent, title="Tagged", tags=["vip"], requester_id=requester)
    open_ticket(client, agent, title="Urgent one", priority="urgent", category="plumbing")
    add_team(agent["x-workspace-id"], "network")
    opened = open_ticket(client, agent, title="Open one", team="network")
    call(client, "POST", f"{TICKETS}/{opened['id']}/assignment", agent, {"assignee_id": assignee})
    call(client, "POST", f"{TICKETS}/{opened['id']}/status", agent, {"status": "open"})
    open_ticket(client, agent, title="Plain")

    path = f"{TICKETS}?{query.format(assignee=assignee, requester=requester)}"
    assert sorted(titles(call(client, "GET", path, agent))) == sorted(expected)


def test_filters_follow_changes_to_the_ticket(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent, tags=["old"])
    call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"tags": ["new"], "priority": "high"})

    assert titles(call(client, "GET", f"{TICKETS}?tag=old", agent)) == []
    assert len(titles(call(client, "GET", f"{TICKETS}?tag=new", agent))) == 1
    assert call(client, "GET", f"{TICKETS}?tag=new", agent).json["data"][0]["priority"] == "high"
    assert titles(call(client, "GET", f"{TICKETS}?priority=medium", agent)) == []


def test_created_range_bounds_are_inclusive_and_accept_any_utc_offset_spelling(client, as_role, clock):
    agent = as_role("agent")
    before = open_ticket(client, agent, title="Before")
    clock.advance(seconds=1)
    after = open_ticket(client, agent, title="After")
    after_with_offset = quote(after["created_at"].replace("Z", "+00:00"))

    since = call(client, "GET", f"{TICKETS}?created_from={after_with_offset}", agent)
    until = call(client, "GET", f"{TICKETS}?created_to={before['created_at']}", agent)
    until_by_updated = call(client, "GET", f"{TICKETS}?created_to={before['created_at']}&sort=updated_at", agent)

    assert titles(since) == ["After"]
    assert titles(until) == ["Before"]
    assert titles(until_by_updated) == ["Before"]


def test_a_requester_lists_only_their_own_tickets(client, as_role, member):
    agent = as_role("agent")
    me, someone_else = member("requester"), member("requester")
    requester = as_role("requester", user_id=me)
    open_ticket(client, requester, title="Mine")
    open_ticket(client, agent, title="Someone else's", requester_id=someone_else)

    mine = call(client, "GET", TICKETS, requester)
    prying = call(client, "GET", f"{TICKETS}?requester={someone_else}", requester)

    assert titles(mine) == ["Mine"]
    assert titles(prying) == ["Mine"]
    assert prying.json["filters"]["requester"] == me


def test_lists_never_show_another_workspaces_tickets(client, as_role):
    open_ticket(client, as_role("agent"), title="Ours")

    response = call(client, "GET", TICKETS, as_role("agent", workspace="other-ws"))

    assert titles(response) == []


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "status=bogus",
        "priority=P7",
        "sort=title",
        "order=up",
        "created_from=yesterday",
    ],
)
def test_bad_list_parameters_are_a_400(client, as_role, query):
    response = call(client, "GET", f"{TICKETS}?{query}", as_role("agent"))

    assert response.status_code == 400
    assert response.json["details"]


def _first_cursor(client, headers, query="limit=1"):
    open_ticket(client, headers)
    open_ticket(client, headers)
    return call(client, "GET", f"{TICKETS}?{query}", headers).json["page"]["next_cursor"]


def test_a_forged_cursor_is_a_400(client, as_role):
    agent = as_role("agent")
    cursor = _first_cursor(client, agent)
    payload, signature = cursor.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature

    for bad in (forged, "garbage", "a.b.c", cursor + "x"):
        response = call(client, "GET", f"{TICKETS}?limit=1&cursor={bad}", agent)
        assert (response.status_code, response.json["code"]) == (400, "invalid_cursor"), bad


def test_a_cursor_from_another_workspace_or_another_query_is_a_400(client, as_role):
    agent = as_role("agent")
    cursor = _first_cursor(client, agent)
    other_workspace = as_role("agent", workspace="other-ws")

    foreign = call(client, "GET", f"{TICKETS}?limit=1&cursor={cursor}", other_workspace)
    other_query = call(client, "GET", f"{TICKETS}?limit=1&status=new&cursor={cursor}", agent)

    assert foreign.status_code == 400
    assert other_query.status_code == 400


def test_a_signed_cursor_whose_position_is_not_in_the_lists_index_is_a_400(client, as_role):
    from chalicelib.domain.ticket_listing import TicketQuery
    from chalicelib.http.cursors import encode_cursor

    agent = as_role("agent")
    workspace = agent["x-workspace-id"]
    open_ticket(client, agent)
    scope = TicketQuery(filters={"status": "new"}).scope(workspace)
    # A position in another index (as a cursor from an older index layout would hold).
    position = {name: {"S": "x"} for name in ("pk", "sk", "status_key", "updated_key")}

    response = call(client, "GET", f"{TICKETS}?status=new&cursor={encode_cursor(position, scope)}", agent)

    assert (response.status_code, response.json["code"]) == (400, "invalid_cursor")


def test_child_lists_page_with_cursors_too(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}/comments"
    for number in range(3):
        call(client, "POST", path, agent, {"body_md": f"c{number}"})

    first = call(client, "GET", f"{path}?limit=2", agent)
    second = call(client, "GET", f"{path}?limit=2&cursor={first.json['page']['next_cursor']}", agent)

    assert [c["body_md"] for c in first.json["data"] + second.json["data"]] == ["c0", "c1", "c2"]
    assert second.json["page"]["next_cursor"] is None


def test_a_sparse_filter_stops_reading_early_and_the_cursor_finds_the_rest(client, as_role, monkeypatch):
    from chalicelib.domain import ticket_listing

    monkeypatch.setattr(ticket_listing, "MAX_ITEMS_READ", 5)
    agent = as_role("agent")
    open_ticket(client, agent, title="Needle", priority="urgent")
    for number in range(11):
        open_ticket(client, agent, title=f"Hay {number}", priority="low")

    first = call(client, "GET", f"{TICKETS}?status=new&priority=urgent&limit=2", agent)
    found, cursor, requests = titles(first), first.json["page"]["next_cursor"], 1
    while cursor and requests < 10:
        response = call(client, "GET", f"{TICKETS}?status=new&priority=urgent&limit=2&cursor={cursor}", agent)
        found += titles(response)
        cursor, requests = response.json["page"]["next_cursor"], requests + 1

    assert titles(first) == [] and first.json["page"]["next_cursor"] is not None
    assert found == ["Needle"]
    assert cursor is None


def test_a_created_range_whose_end_is_before_its_start_is_a_400(client, as_role):
    agent = as_role("agent")
    open_ticket(client, agent)

    response = call(
        client, "GET", f"{TICKETS}?created_from=2026-02-01T00:00:00Z&created_to=2026-01-01T00:00:00Z", agent
    )

    assert response.status_code == 400
    assert "created_to" in response.json["details"]
