"""Intake sessions (seed 001): clarify asks at most one question until the ticket is clear, submit turns
the session into a ticket once, and the caller lists their sessions."""

from __future__ import annotations

import pytest

from chalicelib.domain import intake_channel
from tests.routes.http_helpers import call

CLARIFY = "/api/v1/intake/clarify"
SUBMIT = "/api/v1/intake/submit"
SESSIONS = "/api/v1/intake/sessions"
CONFIG = "/api/v1/admin/system-config"


def clarify(client, headers, **body):
    response = call(client, "POST", CLARIFY, headers, body)
    assert response.status_code == 200, response.body
    return response.json


def submit(client, headers, session_id, **body):
    return call(client, "POST", SUBMIT, headers, {"session_id": session_id, **body})


@pytest.fixture
def requester(as_role):
    return as_role("requester", user_id="req-1")


@pytest.fixture
def admin(as_role):
    return as_role("admin", user_id="admin-1")


@pytest.fixture
def building(client, admin):
    response = call(client, "POST", "/api/v1/buildings", admin, {"id": "building-1", "name": "North"})
    assert response.status_code == 201, response.body
    return "building-1"


@pytest.fixture
def create_ticket_calls(monkeypatch):
    """Every create_ticket call an intake channel makes, with its keyword arguments (the call goes on)."""
    calls = []
    real = intake_channel.tickets.create_ticket

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(intake_channel.tickets, "create_ticket", spy)
    return calls


def test_a_short_description_gets_one_question_asking_for_details(client, requester):
    answer = clarify(client, requester, title="Leak", description="water leak")

    assert answer["question"]["field"] == "description"
    assert answer["session"]["status"] == "open"


def test_low_confidence_asks_to_choose_among_the_configured_categories(client, requester):
    answer = clarify(client, requester, description="Something is wrong in the corridor on floor two")

    assert answer["question"] == {**answer["question"], "field": "category"}
    assert answer["question"]["options"] == ["plumbing", "electrical", "access"]


def test_a_category_that_needs_a_place_asks_for_the_building(client, requester):
    answer = clarify(
        client, requester, description="There is a water leak and a blocked drain in the kitchen", answers={}
    )

    assert answer["classification"]["category"] == "plumbing"
    assert answer["question"]["field"] == "building_id"


def test_answers_fill_the_session_and_the_questions_stop(client, requester, building):
    first = clarify(client, requester, message="a leak")
    session_id = first["session_id"]
    assert first["question"]["field"] == "description"

    # one word of one example phrase: the built-in model is not sure enough (below the default 0.8)
    second = clarify(client, requester, session_id=session_id, answers={"description": "dripping under the sink"})
    assert second["question"]["field"] == "category"

    third = clarify(client, requester, session_id=session_id, answers={"category": "Plumbing"})
    assert third["question"]["field"] == "building_id"

    last = clarify(client, requester, session_id=session_id, answers={"building_id": building})
    assert last["question"] is None
    assert last["session"]["answers"] == {"category": "plumbing", "building_id": building}
    assert last["session"]["description"] == "a leak\ndripping under the sink"


def test_a_clear_request_asks_nothing(client, requester):
    answer = clarify(client, requester, description="I am locked out and need a password reset for the portal")

    assert answer["classification"]["category"] == "access"
    assert answer["question"] is None


def test_an_unknown_category_or_building_answer_is_a_400(client, requester):
    session_id = clarify(client, requester, message="water leak in the bathroom")["session_id"]

    category = call(
        client, "POST", CLARIFY, requester, {"session_id": session_id, "answers": {"category": "gardening"}}
    )
    place = call(client, "POST", CLARIFY, requester, {"session_id": session_id, "answers": {"building_id": "nowhere"}})

    assert (category.status_code, category.json["code"]) == (400, "category_invalid")
    assert place.status_code == 400 and "building_id" in place.json["details"]


def test_submit_opens_an_intake_ticket_from_the_session(client, requester, admin, building):
    session_id = clarify(
        client,
        requester,
        title="Bathroom leak",
        description="There is a water leak under the bathroom sink",
        answers={"category": "plumbing", "building_id": building},
    )["session_id"]

    response = submit(client, requester, session_id)

    assert response.status_code == 201, response.body
    ticket = response.json["ticket"]
    assert (ticket["source"], ticket["category"], ticket["title"], ticket["building_id"]) == (
        "intake",
        "plumbing",
        "Bathroom leak",
        building,
    )
    assert response.json["session"] == {**response.json["session"], "status": "submitted", "ticket_id": ticket["id"]}
    assert call(client, "GET", f"/api/v1/tickets/{ticket['id']}", admin).json["requester_id"] == "req-1"


def test_a_session_submits_once_and_the_second_submit_names_the_ticket(client, requester, admin):
    session_id = clarify(client, requester, description="power outage in the whole flat since 6am")["session_id"]
    first = submit(client, requester, session_id)

    again = submit(client, requester, session_id)
    after = call(client, "POST", CLARIFY, requester, {"session_id": session_id, "message": "still dark"})

    assert first.status_code == 201, first.body
    assert (again.status_code, again.json["code"]) == (409, "session_submitted")
    assert again.json["details"]["ticket_id"] == first.json["ticket"]["id"]
    assert after.status_code == 409
    assert len(call(client, "GET", "/api/v1/tickets", admin).json["data"]) == 1


def test_an_empty_session_cannot_be_submitted(client, requester):
    session_id = clarify(client, requester)["session_id"]

    response = submit(client, requester, session_id)

    assert (response.status_code, response.json["code"]) == (400, "session_empty")


def test_the_gate_routes_only_confident_classifications_and_auto_assign_false_never(
    client, requester, admin, create_ticket_calls
):
    current = call(client, "GET", CONFIG, admin).json["ai"]
    ai = {**current, "auto_assign_enabled": True, "auto_assign_confidence_threshold": 0.9}
    assert call(client, "PUT", CONFIG, admin, {"ai": ai}).status_code == 200
    confident = "water leak and a blocked drain in the kitchen"  # two example phrases: above 0.9
    unsure = "there is a leak in the kitchen"  # one word of one phrase: about 0.79

    for text, extra in ((confident, {}), (unsure, {}), (confident, {"auto_assign": False})):
        session_id = clarify(client, requester, description=text)["session_id"]
        assert submit(client, requester, session_id, **extra).status_code == 201

    assert [call_["route"] for call_ in create_ticket_calls] == [True, False, False]
    assert create_ticket_calls[0]["suggestion"]["category"] == "plumbing"


def test_sessions_are_listed_newest_first_and_are_their_owners_only(client, requester, as_role):
    first = clarify(client, requester, message="water leak")["session_id"]
    second = clarify(client, requester, message="power outage")["session_id"]
    other = as_role("requester", user_id="req-2")

    listed = call(client, "GET", SESSIONS, requester)
    paged = call(client, "GET", f"{SESSIONS}?limit=1", requester)
    fetched = call(client, "GET", f"{SESSIONS}/{first}", requester)

    assert [row["id"] for row in listed.json["data"]] == [second, first]
    assert paged.json["page"]["next_cursor"] is not None
    assert fetched.json["id"] == first
    assert call(client, "GET", SESSIONS, other).json["data"] == []
    assert call(client, "GET", f"{SESSIONS}/{first}", other).status_code == 404
    assert submit(client, other, first).status_code == 404
    assert call(client, "POST", CLARIFY, other, {"session_id": first, "message": "hi"}).status_code == 404


def test_a_submit_after_clarify_reuses_its_classification_and_log(client, requester, admin):
    clarified = clarify(client, requester, description="I am locked out and need a password reset for the portal")

    ticket = submit(client, requester, clarified["session_id"]).json["ticket"]

    logs = call(client, "GET", "/api/v1/ai/logs", admin).json["data"]
    assert [(log["id"], log["ticket_id"]) for log in logs] == [(clarified["classification"]["ai_log_id"], ticket["id"])]
