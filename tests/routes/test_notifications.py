"""The notification feed over HTTP: the caller's own feed, newest first, paged by cursor, with the
unread count; reading one or all; nobody reads or marks another user's notifications."""

from __future__ import annotations

from tests.routes.http_helpers import call, open_ticket

FEED = "/api/v1/notifications"


def deliver_events(workspace_id: str) -> None:
    """What the notifications consumer does when the outbox's events reach its queue."""
    from chalicelib.domain.events import envelope
    from chalicelib.domain.notifications import apply_notification_event
    from chalicelib.models.events import EventItem

    for event in EventItem.query(f"WS#{workspace_id}", EventItem.sk.startswith("EVENT#")):
        apply_notification_event(envelope(event))


def reply(client, headers, ticket, text: str, internal: bool = False):
    path = f"/api/v1/tickets/{ticket['id']}/comments"
    response = call(client, "POST", path, headers, {"body_md": text, "is_internal": internal})
    assert response.status_code == 201, response.body


def test_the_feed_shows_the_callers_notifications_newest_first_with_the_unread_count(client, as_role, workspace_id):
    requester = as_role("requester", user_id="req-1")
    agent = as_role("agent", user_id="agent-1")
    ticket = open_ticket(client, requester)
    reply(client, agent, ticket, "first")
    reply(client, agent, ticket, "secret", internal=True)
    reply(client, agent, ticket, "second")
    deliver_events(workspace_id)

    response = call(client, "GET", FEED, requester)

    assert response.status_code == 200
    assert response.json["unread_count"] == 2
    assert [n["type"] for n in response.json["data"]] == ["ticket.commented", "ticket.commented"]
    newest, oldest = response.json["data"]
    assert newest["occurred_at"] > oldest["occurred_at"]
    assert newest["ticket_number"] == ticket["number"] and newest["actor_id"] == "agent-1"
    assert newest["read"] is False
    assert response.json["page"] == {"limit": 25, "returned": 2, "next_cursor": None}


def test_the_feed_pages_with_a_cursor_bound_to_its_owner(client, as_role, workspace_id):
    requester = as_role("requester", user_id="req-1")
    agent = as_role("agent", user_id="agent-1")
    ticket = open_ticket(client, requester)
    for text in ("one", "two", "three"):
        reply(client, agent, ticket, text)
    deliver_events(workspace_id)
    everything = call(client, "GET", FEED, requester).json["data"]

    first = call(client, "GET", f"{FEED}?limit=2", requester).json
    second = call(client, "GET", f"{FEED}?limit=2&cursor={first['page']['next_cursor']}", requester).json
    borrowed = call(client, "GET", f"{FEED}?limit=2&cursor={first['page']['next_cursor']}", agent)

    assert first["data"] + second["data"] == everything
    assert second["page"]["next_cursor"] is None
    assert second["unread_count"] == 3
    assert borrowed.status_code == 400


def test_reading_one_notification_marks_it_and_lowers_the_count(client, as_role, workspace_id):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)
    reply(client, as_role("agent"), ticket, "one")
    reply(client, as_role("agent"), ticket, "two")
    deliver_events(workspace_id)
    newest = call(client, "GET", FEED, requester).json["data"][0]

    marked = call(client, "POST", f"{FEED}/{newest['id']}/read", requester)
    feed = call(client, "GET", FEED, requester).json

    assert marked.status_code == 200
    assert marked.json["id"] == newest["id"] and marked.json["read"] is True
    assert feed["unread_count"] == 1
    assert [n["read"] for n in feed["data"]] == [True, False]


def test_read_all_marks_the_whole_feed_read(client, as_role, workspace_id):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)
    for text in ("one", "two", "three"):
        reply(client, as_role("agent"), ticket, text)
    deliver_events(workspace_id)

    answer = call(client, "POST", f"{FEED}/read-all", requester)
    feed = call(client, "GET", FEED, requester).json

    assert answer.status_code == 200 and answer.json["unread_count"] == 0
    assert feed["unread_count"] == 0
    assert all(n["read"] for n in feed["data"]) and len(feed["data"]) == 3


def test_another_users_notification_is_not_found_and_stays_unread(client, as_role, workspace_id):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)
    reply(client, as_role("agent"), ticket, "for req-1")
    deliver_events(workspace_id)
    theirs = call(client, "GET", FEED, requester).json["data"][0]["id"]

    by_colleague = call(client, "POST", f"{FEED}/{theirs}/read", as_role("agent"))
    from_elsewhere = call(
        client, "POST", f"{FEED}/{theirs}/read", as_role("requester", user_id="req-1", workspace="other-ws")
    )
    malformed = call(client, "POST", f"{FEED}/nonsense/read", requester)

    assert (by_colleague.status_code, from_elsewhere.status_code, malformed.status_code) == (404, 404, 404)
    assert call(client, "GET", FEED, requester).json["unread_count"] == 1


def test_a_new_user_has_an_empty_feed_and_nothing_unread(client, as_role):
    response = call(client, "GET", FEED, as_role("viewer"))

    assert response.status_code == 200
    assert (response.json["data"], response.json["unread_count"]) == ([], 0)


def test_the_feed_needs_a_workspace_and_a_token(client, as_role):
    headers = as_role("agent")

    without_token = call(client, "GET", FEED, {"x-workspace-id": headers["x-workspace-id"]})
    bad_limit = call(client, "GET", f"{FEED}?limit=0", headers)

    assert without_token.status_code == 401
    assert bad_limit.status_code == 400
