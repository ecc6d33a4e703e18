"""The event feed (GET /api/v1/events): in order, resumable, by the caller's visibility; and the
admin's outbox view."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import call, open_ticket

SETTLED = {"seconds": 3}  # past chalicelib.domain.event_feed.SETTLE_SECONDS


def feed(client, headers, cursor=None, limit=25):
    path = f"/api/v1/events?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    response = call(client, "GET", path, headers)
    assert response.status_code == 200, response.body
    return response.json


def test_a_reconnecting_client_gets_every_missed_event_once_in_order(client, as_role, clock):
    agent = as_role("agent")
    opened = []
    for n in range(3):
        opened.append(open_ticket(client, agent, title=f"Ticket {n}")["id"])
        clock.advance(seconds=1)
    clock.advance(**SETTLED)

    first = feed(client, agent, limit=2)
    second = feed(client, agent, cursor=first["page"]["next_cursor"], limit=2)
    caught_up = feed(client, agent, cursor=second["page"]["next_cursor"])

    subjects = [event["subject"]["id"] for event in first["data"] + second["data"]]
    assert subjects == opened
    assert {event["type"] for event in first["data"] + second["data"]} == {"ticket.created"}
    assert caught_up["data"] == []
    assert caught_up["page"]["next_cursor"] == second["page"]["next_cursor"]


def test_an_event_is_served_once_it_has_settled(client, as_role, clock):
    agent = as_role("agent")
    open_ticket(client, agent)

    too_soon = feed(client, agent)
    clock.advance(**SETTLED)
    settled = feed(client, agent)

    assert too_soon["data"] == []
    assert [event["type"] for event in settled["data"]] == ["ticket.created"]


def test_a_requester_sees_only_public_events_of_their_own_tickets(client, as_role, clock):
    agent = as_role("agent")
    mine = open_ticket(client, as_role("requester", user_id="req-mine"))
    open_ticket(client, as_role("requester", user_id="req-other"))
    clock.advance(seconds=1)
    for body in ({"body": "We are on it", "visibility": "public"}, {"body": "Landlord owes us", "is_internal": True}):
        assert call(client, "POST", f"/api/v1/tickets/{mine['id']}/comments", agent, body).status_code == 201
    clock.advance(**SETTLED)

    seen = feed(client, as_role("requester", user_id="req-mine"))["data"]

    assert {event["subject"]["id"] for event in seen} == {mine["id"]}
    assert [event["type"] for event in seen] == ["ticket.created", "ticket.commented"]
    assert seen[1]["data"]["is_internal"] is False


def test_admins_see_queue_changed_after_events_that_move_a_queue_and_agents_do_not(client, as_role, clock):
    agent, admin = as_role("agent"), as_role("admin")
    open_ticket(client, agent)
    clock.advance(**SETTLED)

    assert [event["type"] for event in feed(client, admin)["data"]] == ["ticket.created", "queue_changed"]
    assert [event["type"] for event in feed(client, agent)["data"]] == ["ticket.created"]


def test_a_cursor_from_another_caller_is_refused(client, as_role, clock):
    open_ticket(client, as_role("agent", user_id="agent-a"))
    clock.advance(**SETTLED)
    cursor = feed(client, as_role("agent", user_id="agent-a"))["page"]["next_cursor"]

    response = call(client, "GET", f"/api/v1/events?cursor={cursor}", as_role("agent", user_id="agent-b"))

    assert response.status_code == 400
    assert response.json["code"] == "invalid_cursor"


@pytest.mark.parametrize("wait", ["-1", "21", "soon"])
def test_a_wait_outside_0_to_20_seconds_is_refused(client, as_role, wait):
    response = call(client, "GET", f"/api/v1/events?wait={wait}", as_role("agent"))

    assert response.status_code == 400


def test_another_workspace_reads_none_of_these_events(client, as_role, clock):
    open_ticket(client, as_role("agent"))
    clock.advance(**SETTLED)

    other = as_role("admin", workspace="ws-elsewhere")

    assert feed(client, other)["data"] == []


def test_the_outbox_shows_each_event_with_its_dispatch_state(client, as_role):
    from chalicelib.domain.events import publish_pending

    admin = as_role("admin")
    first = open_ticket(client, admin)
    publish_pending()
    second = open_ticket(client, admin)

    everything = call(client, "GET", "/api/v1/events/outbox", admin).json["data"]
    pending = call(client, "GET", "/api/v1/events/outbox?state=pending", admin).json["data"]

    assert [(row["subject"]["id"], row["state"]) for row in everything] == [
        (second["id"], "pending"),
        (first["id"], "dispatched"),
    ]
    assert [row["subject"]["id"] for row in pending] == [second["id"]]


@pytest.mark.parametrize("path", ["/api/v1/events/outbox", "/api/v1/events/failures"])
def test_only_admins_read_the_outbox_and_the_dead_letters(client, as_role, path):
    assert call(client, "GET", path, as_role("agent")).status_code == 403
