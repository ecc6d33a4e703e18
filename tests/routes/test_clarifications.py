"""Clarifications (seed 001): request-info asks the requester and parks the ticket; user-response records
the answer and restores the status the question interrupted."""

from __future__ import annotations

from tests.routes.http_helpers import call, open_ticket


def ask(client, headers, ticket_id, question="Which boiler model is it?"):
    return call(client, "POST", f"/api/v1/tickets/{ticket_id}/request-info", headers, {"question": question})


def answer(client, headers, ticket_id, text="Vaillant ecoTEC"):
    return call(client, "POST", f"/api/v1/tickets/{ticket_id}/user-response", headers, {"answer": text})


def test_asking_parks_the_ticket_and_the_answer_restores_its_status(client, as_role):
    agent, requester = as_role("agent"), as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)
    call(client, "POST", f"/api/v1/tickets/{ticket['id']}/status", agent, {"status": "in_progress"})

    asked = ask(client, agent, ticket["id"])
    answered = answer(client, requester, ticket["id"])

    assert asked.status_code == 200, asked.body
    assert asked.json["status"] == "awaiting_user_response"
    assert answered.json["status"] == "in_progress"
    comments = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/comments", requester).json["data"]
    assert [(c["body_md"], c["is_internal"]) for c in comments] == [
        ("Which boiler model is it?", False),
        ("Vaillant ecoTEC", False),
    ]


def test_the_history_says_why_the_status_moved(client, as_role):
    agent, requester = as_role("agent"), as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)
    ask(client, agent, ticket["id"])
    answer(client, requester, ticket["id"])

    history = call(client, "GET", f"/api/v1/tickets/{ticket['id']}/history", agent).json["data"]

    moves = [(row["from"], row["to"], row.get("note")) for row in history if row["field"] == "status"]
    assert moves == [
        ("new", "awaiting_user_response", "information requested"),
        ("awaiting_user_response", "new", "requester answered"),
    ]


def test_an_answer_when_nothing_was_asked_is_a_conflict(client, as_role):
    requester = as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)

    response = answer(client, requester, ticket["id"])

    assert response.status_code == 409
    assert response.json["code"] == "not_awaiting_response"


def test_asking_twice_is_a_conflict_and_a_finished_ticket_cannot_be_asked(client, as_role):
    agent = as_role("agent")
    waiting, finished = open_ticket(client, agent), open_ticket(client, agent)
    ask(client, agent, waiting["id"])
    call(client, "POST", f"/api/v1/tickets/{finished['id']}/status", agent, {"status": "cancelled"})

    assert ask(client, agent, waiting["id"]).status_code == 409
    assert ask(client, agent, finished["id"]).status_code == 409


def test_only_staff_ask_and_only_the_requester_or_staff_answer(client, as_role):
    agent, requester = as_role("agent"), as_role("requester", user_id="req-1")
    ticket = open_ticket(client, requester)

    assert ask(client, requester, ticket["id"]).status_code == 403
    ask(client, agent, ticket["id"])
    assert answer(client, as_role("requester", user_id="req-2"), ticket["id"]).status_code == 404
    assert answer(client, agent, ticket["id"]).status_code == 200


def test_a_blank_question_is_refused(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    assert ask(client, agent, ticket["id"], question="   ").status_code == 400
