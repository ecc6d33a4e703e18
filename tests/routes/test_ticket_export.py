"""GET /tickets/export: the filtered list as CSV, quoted, defused, bounded, visible as the list is."""

from __future__ import annotations

import csv
import io

import pytest

from tests.routes.http_helpers import add_team, call, open_ticket

TICKETS = "/api/v1/tickets"
EXPORT = "/api/v1/tickets/export"


def exported(client, headers, query: str = "") -> list[dict]:
    response = client.http.get(f"{EXPORT}?{query}" if query else EXPORT, headers=headers)
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.body.decode(), newline="")))


def listed(client, headers, query: str = "") -> list[str]:
    response = call(client, "GET", f"{TICKETS}?limit=100&{query}", headers)
    assert response.status_code == 200, response.body
    return [ticket["id"] for ticket in response.json["data"]]


@pytest.fixture
def varied(client, as_role, member):
    """Tickets that the list's filters tell apart; returns (agent headers, assignee, requester)."""
    agent = as_role("agent")
    assignee, requester = member("agent"), member("requester")
    add_team(agent["x-workspace-id"], "network")
    open_ticket(client, agent, title="Tagged", tags=["vip"], requester_id=requester)
    open_ticket(client, agent, title="Urgent one", priority="urgent", category="plumbing")
    opened = open_ticket(client, agent, title="Open one", team="network")
    call(client, "POST", f"{TICKETS}/{opened['id']}/assignment", agent, {"assignee_id": assignee})
    call(client, "POST", f"{TICKETS}/{opened['id']}/status", agent, {"status": "open"})
    open_ticket(client, agent, title="Plain")
    return agent, assignee, requester


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=open",
        "priority=P1",
        "assignee={assignee}",
        "assignee=none",
        "requester={requester}",
        "team=network",
        "category=plumbing",
        "tag=vip",
        "status=new&priority=urgent",
        "tag=vip&status=open",
        "sort=updated_at",
        "sort=created_at&order=asc",
    ],
)
def test_the_export_holds_exactly_the_tickets_and_order_the_list_shows(client, varied, query):
    agent, assignee, requester = varied
    query = query.format(assignee=assignee, requester=requester)

    assert [row["id"] for row in exported(client, agent, query)] == listed(client, agent, query)


def test_an_invalid_filter_is_a_400_as_on_the_list(client, as_role):
    response = call(client, "GET", f"{EXPORT}?status=lost", as_role("agent"))

    assert response.status_code == 400
    assert "status" in response.json["details"]


def test_cells_with_commas_quotes_and_newlines_survive_a_round_trip(client, as_role):
    agent = as_role("agent")
    title = 'Leak, "big" one'
    description = 'line one\nline two, with a comma\r\nand "quotes"'
    open_ticket(client, agent, title=title, description=description, tags=["a", "b"])

    [row] = exported(client, agent)

    assert row["title"] == title
    assert row["description"] == description
    assert row["tags"] == "a;b"
    assert row["number"].startswith("DF-")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused(client, as_role, start):
    agent = as_role("agent")
    formula = f'{start}HYPERLINK("http://evil.example","x")'
    open_ticket(client, agent, title=f"Title {start} x", description=formula, category=f"{start}SUM(A1:A2)")

    [row] = exported(client, agent)

    assert row["description"] == "'" + formula
    assert row["category"] == f"'{start}SUM(A1:A2)"
    assert row["title"] == f"Title {start} x"  # only a cell's first character counts


def test_a_requester_exports_only_their_own_tickets(client, as_role, member):
    agent = as_role("agent")
    me, someone_else = member("requester"), member("requester")
    requester = as_role("requester", user_id=me)
    open_ticket(client, requester, title="Mine")
    open_ticket(client, agent, title="Someone else's", requester_id=someone_else)

    mine = exported(client, requester)
    prying = exported(client, requester, f"requester={someone_else}")

    assert [row["title"] for row in mine] == ["Mine"]
    assert [row["title"] for row in prying] == ["Mine"]


def test_another_workspaces_tickets_are_never_exported(client, as_role):
    open_ticket(client, as_role("agent"), title="Ours")

    assert exported(client, as_role("agent", workspace="other-ws")) == []


def test_a_complete_export_says_nothing_of_truncation(client, as_role):
    agent = as_role("agent")
    open_ticket(client, agent)

    response = client.http.get(EXPORT, headers=agent)

    assert "X-Export-Truncated" not in response.headers
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_an_export_past_the_row_limit_is_cut_short_and_says_so(client, as_role, monkeypatch):
    from chalicelib.domain import ticket_exports

    monkeypatch.setattr(ticket_exports, "MAX_STREAM_ROWS", 3)
    agent = as_role("agent")
    for number in range(4):
        open_ticket(client, agent, title=f"T{number}")

    response = client.http.get(EXPORT, headers=agent)
    rows = list(csv.DictReader(io.StringIO(response.body.decode(), newline="")))

    assert [row["title"] for row in rows] == ["T3", "T2", "T1"]
    assert response.headers["X-Export-Truncated"] == "true"
    assert response.headers["Link"] == '</api/v1/exports/tickets>; rel="export-job"'


def test_an_export_of_exactly_the_row_limit_is_complete(client, as_role, monkeypatch):
    from chalicelib.domain import ticket_exports

    monkeypatch.setattr(ticket_exports, "MAX_STREAM_ROWS", 3)
    agent = as_role("agent")
    for number in range(3):
        open_ticket(client, agent, title=f"T{number}")

    response = client.http.get(EXPORT, headers=agent)

    assert "X-Export-Truncated" not in response.headers
    assert len(list(csv.DictReader(io.StringIO(response.body.decode(), newline="")))) == 3


def test_an_export_past_the_byte_limit_is_cut_short(client, as_role, monkeypatch):
    from chalicelib.domain import ticket_exports

    monkeypatch.setattr(ticket_exports, "MAX_STREAM_BYTES", 2000)
    agent = as_role("agent")
    for number in range(3):
        open_ticket(client, agent, title=f"T{number}", description="x" * 900)

    response = client.http.get(EXPORT, headers=agent)

    assert len(response.body) <= 2000
    assert response.headers["X-Export-Truncated"] == "true"
    assert len(list(csv.DictReader(io.StringIO(response.body.decode(), newline="")))) == 1
