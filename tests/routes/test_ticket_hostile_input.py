"""Input a hostile run sent to the tickets family: each is a clear 4xx or is stored whole, and a
refused request leaves nothing behind."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import call, open_ticket

TICKETS = "/api/v1/tickets"
EMOJI = "\U0001f600"  # 4 bytes of UTF-8; 12 as a JSON \u escape pair


@pytest.fixture
def item_limit(monkeypatch):
    """DynamoDB's 400 KB item limit, lowered so a schema-valid request can cross it."""
    from chalicelib.models import sizing

    def lower_to(kilobytes: int) -> None:
        monkeypatch.setattr(sizing, "MAX_ITEM_BYTES", kilobytes * 1024)

    return lower_to


def history(client, headers, ticket) -> list[dict]:
    return call(client, "GET", f"{TICKETS}/{ticket['id']}/history?limit=100", headers).json["data"]


def event_types(workspace_id: str) -> list[str]:
    from chalicelib.models.events import EventItem

    return [event.type for event in EventItem.query(f"WS#{workspace_id}")]


def test_a_20000_character_emoji_description_is_stored_and_can_be_replaced(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent, description=EMOJI * 20000)

    replaced = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"description": "\U0001f389" * 20000})

    assert replaced.status_code == 200, replaced.body
    assert call(client, "GET", f"{TICKETS}/{ticket['id']}", agent).json["description"] == "\U0001f389" * 20000
    change = history(client, agent, ticket)[-1]
    assert (change["field"], change["from"], change["to"]) == ("description", EMOJI * 20000, "\U0001f389" * 20000)


def test_a_50000_character_emoji_comment_is_stored_and_read_back(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    posted = call(client, "POST", f"{TICKETS}/{ticket['id']}/comments", agent, {"body_md": EMOJI * 50000})

    assert posted.status_code == 201, posted.body
    comments = call(client, "GET", f"{TICKETS}/{ticket['id']}/comments", agent).json["data"]
    assert [comment["body_md"] for comment in comments] == [EMOJI * 50000]


def test_a_ticket_just_under_the_item_limit_is_opened_and_one_over_it_is_a_413_spending_nothing(
    client, as_role, item_limit
):
    item_limit(32)
    agent = as_role("agent")

    over = call(
        client, "POST", TICKETS, agent, {"title": "x", "description": "x" * 20000, "custom_fields": {"f": "y" * 15000}}
    )
    under = call(client, "POST", TICKETS, agent, {"title": "x", "description": "x" * 20000})

    assert (over.status_code, over.json["code"]) == (413, "payload_too_large")
    assert over.json["details"]["body"]
    assert under.status_code == 201
    assert under.json["number"] == "DF-1001"  # the refused ticket took no number
    assert event_types(agent["x-workspace-id"]) == ["ticket.created"]


def test_an_update_whose_history_cannot_be_stored_is_a_413_and_changes_nothing(client, as_role, item_limit):
    item_limit(32)
    agent = as_role("agent")
    ticket = open_ticket(client, agent, description="x" * 20000)

    refused = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"description": "y" * 20000})
    accepted = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"description": "y" * 10000})

    assert (refused.status_code, refused.json["code"]) == (413, "payload_too_large")
    assert accepted.status_code == 200
    assert accepted.json["version"] == 2  # the refused update wrote no version
    assert [row["field"] for row in history(client, agent, ticket)] == ["ticket", "description"]
    assert event_types(agent["x-workspace-id"]) == ["ticket.created", "ticket.updated"]


def test_a_comment_over_the_item_limit_is_a_413_and_leaves_no_trace(client, as_role, item_limit):
    item_limit(32)
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}/comments"

    over = call(client, "POST", path, agent, {"body_md": "z" * 40000})
    under = call(client, "POST", path, agent, {"body_md": "z" * 30000})

    assert (over.status_code, over.json["code"]) == (413, "payload_too_large")
    assert under.status_code == 201
    assert len(call(client, "GET", path, agent).json["data"]) == 1
    assert [row["field"] for row in history(client, agent, ticket)] == ["ticket", "comment"]


def test_a_requester_cannot_set_team_source_or_ticket_class_when_opening_a_ticket(client, as_role):
    requester = as_role("requester")
    body = {"title": "x", "team": "network", "source": "email", "ticket_class": "change"}

    response = call(client, "POST", TICKETS, requester, body)

    assert response.status_code == 403
    assert set(response.json["details"]) == {"team", "source", "ticket_class"}
    assert call(client, "GET", TICKETS, requester).json["data"] == []


def test_a_requester_still_opens_a_ticket_with_the_fields_they_may_set(client, as_role):
    ticket = open_ticket(client, as_role("requester"), priority="high", category="network", description="VPN down")

    assert (ticket["team"], ticket["source"], ticket["ticket_class"]) == (None, "api", "incident")


@pytest.mark.parametrize("who", ["member of another workspace", "nobody"])
def test_staff_cannot_file_a_ticket_for_someone_outside_the_workspace(client, as_role, member, who):
    outsider = member("requester", workspace="other-ws") if who != "nobody" else "nobody-at-all"

    response = call(client, "POST", TICKETS, as_role("agent"), {"title": "x", "requester_id": outsider})

    assert response.status_code == 400
    assert "requester_id" in response.json["details"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_custom_fields_are_a_400_on_create_and_update(client, as_role, number):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    created = call(client, "POST", TICKETS, agent, f'{{"title": "x", "custom_fields": {{"n": {number}}}}}')
    updated = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, f'{{"custom_fields": {{"n": {number}}}}}')

    assert (created.status_code, updated.status_code) == (400, 400)
    assert call(client, "GET", TICKETS, agent).json["page"]["returned"] == 1


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_the_domain_refuses_non_finite_custom_fields_whatever_reaches_it(aws, workspace_id, number):
    from chalicelib.auth.principal import Principal
    from chalicelib.domain import tickets
    from chalicelib.errors import ValidationError

    agent = Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))
    ticket = tickets.create_ticket(workspace_id, agent, {"title": "x"}, None)

    with pytest.raises(ValidationError) as on_create:
        tickets.create_ticket(workspace_id, agent, {"title": "x", "custom_fields": {"n": number}}, None)
    with pytest.raises(ValidationError) as on_update:
        tickets.update_ticket(workspace_id, agent, ticket["id"], {"custom_fields": {"n": number}}, None)

    assert "custom_fields" in on_create.value.details and "custom_fields" in on_update.value.details
