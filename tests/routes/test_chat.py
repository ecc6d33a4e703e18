"""Chat intake (seed 000): a work order becomes a ticket named in the reply, anything else a reply only;
conversations, thread messages, the public thread and who is available."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import call

CHAT = "/api/v1/chat"
LEAK = "There is a water leak in my bathroom.\nIt started this morning under the sink."


def chat(client, headers, message, **fields):
    return call(client, "POST", CHAT, headers, {"message": message, **fields})


def ticket_count(client, admin) -> int:
    response = call(client, "GET", "/api/v1/tickets?limit=100", admin)
    assert response.status_code == 200, response.body
    return len(response.json["data"])


def thread(client, headers, ticket_id, query=""):
    return call(client, "GET", f"/api/v1/tickets/{ticket_id}/messages{query}", headers)


@pytest.fixture
def requester(as_role):
    return as_role("requester", user_id="req-1")


@pytest.fixture
def admin(as_role):
    return as_role("admin", user_id="admin-1")


def test_a_work_order_opens_a_chat_ticket_whose_number_is_in_the_reply(client, requester, admin):
    response = chat(client, requester, LEAK)

    assert response.status_code == 201, response.body
    body = response.json
    number = body["ticket"]["number"]
    assert number in body["reply"]
    assert body["classification"]["category"] == "plumbing"
    ticket = call(client, "GET", f"/api/v1/tickets/{body['ticket']['id']}", admin).json
    assert (ticket["number"], ticket["source"], ticket["category"]) == (number, "chat", "plumbing")
    assert ticket["title"] == "There is a water leak in my bathroom."
    assert ticket["description"] == LEAK
    assert ticket["requester_id"] == "req-1"


def test_a_message_that_is_no_work_order_gets_a_reply_and_no_ticket(client, requester, admin):
    before = ticket_count(client, admin)

    response = chat(client, requester, "Hello, what are your opening hours?")

    assert response.status_code == 200, response.body
    assert response.json["ticket"] is None
    assert response.json["reply"]
    assert ticket_count(client, admin) == before


def test_a_long_first_line_becomes_a_title_cut_at_a_word_boundary(client, requester):
    message = "power outage " + "in the whole east wing of the building " * 10

    ticket = chat(client, requester, message).json["ticket"]
    title = call(client, "GET", f"/api/v1/tickets/{ticket['id']}", requester).json["title"]

    assert len(title) <= 200
    assert message.startswith(title) and message[len(title)] == " "


def test_an_unknown_building_is_a_400_and_opens_nothing(client, requester, admin):
    before = ticket_count(client, admin)

    response = chat(client, requester, LEAK, building_id="nowhere")

    assert response.status_code == 400
    assert "building_id" in response.json["details"]
    assert ticket_count(client, admin) == before


def test_a_chat_ticket_carries_its_building_and_apartment(client, requester, admin):
    assert call(client, "POST", "/api/v1/buildings", admin, {"id": "building-1", "name": "North"}).status_code == 201
    created = call(
        client, "POST", "/api/v1/buildings/building-1/apartments", admin, {"id": "apartment-12", "label": "12"}
    )
    assert created.status_code == 201, created.body

    ticket = chat(client, requester, LEAK, building_id="building-1", apartment_id="apartment-12").json["ticket"]

    stored = call(client, "GET", f"/api/v1/tickets/{ticket['id']}", admin).json
    assert (stored["building_id"], stored["apartment_id"]) == ("building-1", "apartment-12")


def test_conversations_list_the_callers_active_tickets_with_their_last_public_message(client, requester, as_role):
    agent = as_role("agent")
    first = chat(client, requester, "I am locked out of the storage room").json["ticket"]
    second = chat(client, requester, LEAK).json["ticket"]
    chat(client, as_role("requester", user_id="req-2"), "power outage on floor 3")
    call(client, "POST", "/api/v1/chat/messages", agent, {"ticket_id": first["id"], "body": "On my way with a key"})
    call(
        client, "POST", f"/api/v1/tickets/{first['id']}/comments", agent, {"body_md": "staff only", "is_internal": True}
    )

    response = call(client, "GET", "/api/v1/chat/conversations", requester)

    assert response.status_code == 200, response.body
    rows = response.json["data"]
    assert [row["ticket"]["id"] for row in rows] == [second["id"], first["id"]]
    assert rows[1]["last_message"]["body"] == "On my way with a key"
    assert rows[0]["last_message"] == {**rows[0]["last_message"], "kind": "description", "body": LEAK}


def test_resolved_tickets_leave_the_conversations(client, requester, as_role):
    agent = as_role("agent")
    ticket = chat(client, requester, LEAK).json["ticket"]
    for status in ("open", "resolved"):
        moved = call(client, "POST", f"/api/v1/tickets/{ticket['id']}/status", agent, {"status": status})
        assert moved.status_code == 200, moved.body

    response = call(client, "GET", "/api/v1/chat/conversations", requester)

    assert response.json["data"] == []


def test_a_requester_posts_on_their_own_thread_but_not_on_anothers(client, requester, as_role):
    own = chat(client, requester, LEAK).json["ticket"]
    other = chat(client, as_role("requester", user_id="req-2"), "power outage in flat 4").json["ticket"]

    posted = call(
        client, "POST", "/api/v1/chat/messages", requester, {"ticket_id": own["id"], "body": "Still dripping"}
    )
    refused = call(client, "POST", "/api/v1/chat/messages", requester, {"ticket_id": other["id"], "body": "hi"})

    assert posted.status_code == 201, posted.body
    assert (posted.json["body"], posted.json["author_id"], posted.json["ticket_id"]) == (
        "Still dripping",
        "req-1",
        own["id"],
    )
    assert refused.status_code == 404
    assert thread(client, requester, other["id"]).status_code == 404


def test_the_thread_is_the_description_then_public_messages_and_never_internal_notes(client, requester, as_role):
    agent = as_role("agent")
    ticket = chat(client, requester, LEAK).json["ticket"]
    call(client, "POST", "/api/v1/chat/messages", agent, {"ticket_id": ticket["id"], "body": "A plumber comes at 3"})
    note = call(
        client,
        "POST",
        f"/api/v1/tickets/{ticket['id']}/comments",
        agent,
        {"body": "tenant is rude", "is_internal": True},
    )
    assert note.status_code == 201
    call(client, "POST", "/api/v1/chat/messages", requester, {"ticket_id": ticket["id"], "body": "Thanks"})

    for headers in (requester, agent):
        response = thread(client, headers, ticket["id"])
        assert response.status_code == 200, response.body
        assert [message["body"] for message in response.json["data"]] == [LEAK, "A plumber comes at 3", "Thanks"]


def test_the_thread_pages_with_a_cursor(client, requester):
    ticket = chat(client, requester, LEAK).json["ticket"]
    for body in ("one", "two", "three"):
        call(client, "POST", "/api/v1/chat/messages", requester, {"ticket_id": ticket["id"], "body": body})

    bodies, query = [], "?limit=1"
    while True:
        response = thread(client, requester, ticket["id"], query)
        assert response.status_code == 200, response.body
        bodies += [message["body"] for message in response.json["data"]]
        cursor = response.json["page"]["next_cursor"]
        if cursor is None:
            break
        query = f"?limit=2&cursor={cursor}"

    assert bodies == [LEAK, "one", "two", "three"]


def test_recipients_are_the_staff_available_now_by_category(client, requester, admin, member):
    plumber, electrician, off_duty = member("agent"), member("agent"), member("agent")
    for user_id, categories, available in (
        (plumber, ["plumbing"], True),
        (electrician, ["electrical"], True),
        (off_duty, ["plumbing"], False),
    ):
        put = call(
            client, "PUT", f"/api/v1/technicians/{user_id}", admin, {"categories": categories, "available": available}
        )
        assert put.status_code == 200, put.body

    everyone = call(client, "GET", "/api/v1/chat/recipients", requester)
    plumbers = call(client, "GET", "/api/v1/chat/recipients?category=plumbing", requester)

    assert everyone.status_code == 200, everyone.body
    assert sorted(row["id"] for row in everyone.json["data"]) == sorted([plumber, electrician])
    assert [row["id"] for row in plumbers.json["data"]] == [plumber]
    assert "email" not in plumbers.json["data"][0]


def test_a_viewer_reads_but_does_not_chat(client, as_role):
    viewer = as_role("viewer")

    assert chat(client, viewer, LEAK).status_code == 403
    assert call(client, "GET", "/api/v1/chat/conversations", viewer).status_code == 200


def test_the_classification_log_is_told_which_ticket_it_became(client, requester, monkeypatch):
    from chalicelib.domain import intake_channel

    outcomes = []
    monkeypatch.setattr(
        intake_channel.classification,
        "record_outcome",
        lambda workspace_id, ai_log_id, ticket_id, auto_assigned: outcomes.append((ticket_id, auto_assigned)),
    )

    ticket = chat(client, requester, LEAK).json["ticket"]
    chat(client, requester, "good morning!")

    assert outcomes == [(ticket["id"], False)]
