"""CSAT surveys: a token issued on resolution, shown to staff only; a public form; one answer."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from tests.routes.http_helpers import call, open_ticket

TICKETS = "/api/v1/tickets"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def resolve(client, headers, ticket_id: str) -> dict:
    response = call(client, "POST", f"{TICKETS}/{ticket_id}/status", headers, {"status": "resolved"})
    assert response.status_code == 200, response.body
    return response.json


def events_of(workspace_id: str, topic: str) -> list[dict]:
    from chalicelib.domain.events import envelope
    from chalicelib.models.events import EventItem

    return [envelope(item) for item in EventItem.query(f"WS#{workspace_id}") if item.type == topic]


@pytest.fixture
def resolved(client, as_role, member):
    """A ticket a requester opened, resolved by an agent: (agent headers, requester headers, ticket)."""
    agent = as_role("agent")
    requester_id = member("requester")
    requester = as_role("requester", user_id=requester_id)
    ticket = open_ticket(client, requester, title="Printer <b>jam</b> & smoke")
    return agent, requester, resolve(client, agent, ticket["id"])


def test_resolving_a_ticket_shows_staff_a_survey_token_and_url(client, resolved, workspace_id):
    agent, _requester, ticket = resolved

    read = call(client, "GET", f"{TICKETS}/{ticket['id']}", agent).json

    assert len(read["csat_token"]) >= 43
    assert read["csat_url"] == f"/api/v1/csat/{read['csat_token']}"
    assert ticket["csat_token"] == read["csat_token"]
    [requested] = events_of(workspace_id, "ticket.csat_requested")
    assert requested["data"]["survey_url"] == read["csat_url"]
    assert requested["subject"] == {"type": "ticket", "id": ticket["id"]}


def test_a_requester_never_sees_the_survey_token_on_the_ticket(client, resolved):
    _agent, requester, ticket = resolved

    read = call(client, "GET", f"{TICKETS}/{ticket['id']}", requester).json
    listed = call(client, "GET", TICKETS, requester).json["data"]
    history = call(client, "GET", f"{TICKETS}/{ticket['id']}/history", requester).body

    assert "csat_token" not in read and "csat_url" not in read
    assert all("csat_token" not in item for item in listed)
    assert ticket["csat_token"].encode() not in history


def test_an_unresolved_ticket_has_no_survey(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    read = call(client, "GET", f"{TICKETS}/{ticket['id']}", agent).json

    assert read["csat_token"] is None and read["csat_url"] is None


def test_resolving_by_patch_issues_a_survey_too(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)

    patched = call(client, "PATCH", f"{TICKETS}/{ticket['id']}", agent, {"status": "resolved"})

    assert patched.status_code == 200
    assert patched.json["csat_url"].endswith(patched.json["csat_token"])


def test_the_survey_form_is_html_that_escapes_what_it_echoes(client, resolved):
    _agent, _requester, ticket = resolved

    page = client.http.get(ticket["csat_url"])

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    text = page.body.decode()
    assert '<form method="post">' in text and 'name="score"' in text
    assert "Printer &lt;b&gt;jam&lt;/b&gt; &amp; smoke" in text and "<b>jam</b>" not in text
    assert "<script" not in text and "http" not in text  # nothing external
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_a_json_answer_is_recorded_once_and_a_second_is_a_409(client, resolved, workspace_id):
    agent, _requester, ticket = resolved
    url = ticket["csat_url"]

    first = call(client, "POST", url, body={"score": "good", "comment": "quick fix"})
    second = call(client, "POST", url, body={"score": "bad"})

    assert first.status_code == 200, first.body
    assert first.json["ok"] is True and first.json["score"] == "good"
    assert second.status_code == 409 and second.json["code"] == "csat_already_answered"
    [submitted] = events_of(workspace_id, "ticket.csat_submitted")
    assert submitted["data"] == {"score": "good", "ticket_id": ticket["id"]}
    history = call(client, "GET", f"{TICKETS}/{ticket['id']}/history", agent).json["data"]
    assert [(row["field"], row["to"], row["note"]) for row in history if row["field"] == "csat"] == [
        ("csat", "good", "quick fix")
    ]


def test_answering_takes_the_token_off_the_ticket_and_writes_an_audit_row(client, resolved, workspace_id):
    agent, _requester, ticket = resolved

    call(client, "POST", ticket["csat_url"], body={"score": "bad"})
    read = call(client, "GET", f"{TICKETS}/{ticket['id']}", agent)

    assert read.json["csat_token"] is None and read.json["csat_url"] is None
    assert read.json["version"] == ticket["version"] + 1  # a stale If-Match cannot put the token back
    from chalicelib.models.audit import AuditItem, audit_pk

    actions = [
        (row.action, row.target_id, json.loads(row.changes) if row.changes else None)
        for row in AuditItem.query(audit_pk(workspace_id))
    ]
    assert ("csat.submitted", ticket["id"], {"csat": {"from": None, "to": "bad"}}) in actions


def test_a_form_post_is_recorded_and_answered_with_a_thank_you_page(client, resolved, workspace_id):
    _agent, _requester, ticket = resolved

    response = client.http.post(
        ticket["csat_url"], headers=FORM, body=urlencode({"score": "good", "comment": "<i>great</i>"})
    )
    again = client.http.get(ticket["csat_url"])

    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Thank you" in response.body.decode()
    assert "already been answered" in again.body.decode()
    [submitted] = events_of(workspace_id, "ticket.csat_submitted")
    assert submitted["data"]["score"] == "good"


def test_a_second_form_post_is_a_409(client, resolved):
    _agent, _requester, ticket = resolved
    client.http.post(ticket["csat_url"], headers=FORM, body="score=good")

    second = client.http.post(ticket["csat_url"], headers=FORM, body="score=bad")

    assert second.status_code == 409


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"score": "meh"}, {}),
        ({}, {}),
        ({"score": "good", "rating": 5}, {}),
        ("score=meh", FORM),
        ("score=good&score=bad", FORM),
        ("score=%ff", FORM),
        ("comment=" + "x" * 2001 + "&score=good", FORM),
    ],
)
def test_a_bad_answer_is_a_400_and_records_nothing(client, resolved, body, headers):
    _agent, _requester, ticket = resolved

    response = call(client, "POST", ticket["csat_url"], headers, body)
    then = call(client, "POST", ticket["csat_url"], body={"score": "good"})

    assert response.status_code == 400, response.body
    assert then.status_code == 200


def test_an_unknown_token_is_a_404_for_the_form_and_the_answer(client, aws):
    unknown = "/api/v1/csat/" + "A" * 43

    assert client.http.get(unknown).status_code == 404
    assert call(client, "POST", unknown, body={"score": "good"}).status_code == 404
    assert call(client, "POST", "/api/v1/csat/short", body={"score": "good"}).status_code == 404


def test_an_expired_token_is_a_404(client, resolved_at_clock, clock):
    ticket = resolved_at_clock
    clock.advance(days=14, seconds=1)

    assert client.http.get(ticket["csat_url"]).status_code == 404
    assert call(client, "POST", ticket["csat_url"], body={"score": "good"}).status_code == 404


def test_a_token_is_good_until_it_expires(client, resolved_at_clock, clock):
    clock.advance(timedelta(days=14) - timedelta(seconds=1))

    assert call(client, "POST", resolved_at_clock["csat_url"], body={"score": "good"}).status_code == 200


@pytest.fixture
def resolved_at_clock(client, as_role, clock):
    agent = as_role("agent")
    return resolve(client, agent, open_ticket(client, agent)["id"])


def test_resolving_again_after_a_reopen_issues_a_new_token_and_the_old_one_stops_working(client, resolved):
    agent, _requester, ticket = resolved
    call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "open"})

    again = resolve(client, agent, ticket["id"])

    assert again["csat_token"] != ticket["csat_token"]
    assert call(client, "POST", ticket["csat_url"], body={"score": "good"}).status_code == 404
    assert call(client, "POST", again["csat_url"], body={"score": "good"}).status_code == 200


def test_an_answered_survey_stays_answered_after_the_ticket_is_resolved_again(client, resolved):
    agent, _requester, ticket = resolved
    call(client, "POST", ticket["csat_url"], body={"score": "good"})
    call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "open"})
    resolve(client, agent, ticket["id"])

    assert call(client, "POST", ticket["csat_url"], body={"score": "bad"}).status_code == 409


def test_the_public_answer_needs_no_idempotency_key_even_in_strict_mode(client, resolved, env):
    _agent, _requester, ticket = resolved
    env.set(REQUIRE_IDEMPOTENCY_KEY="true")

    response = call(client, "POST", ticket["csat_url"], body={"score": "good"})

    assert response.status_code == 200, response.body


def test_two_racing_answers_record_one(resolved, monkeypatch):
    """Both submissions read the token as unanswered; the conditional write lets one through."""
    from chalicelib.domain import csat
    from chalicelib.errors import Conflict

    _agent, _requester, ticket = resolved
    token = ticket["csat_token"]
    real_live_token = csat._live_token
    first_reads = [real_live_token(token), real_live_token(token)]
    monkeypatch.setattr(
        csat, "_live_token", lambda _token: first_reads.pop(0) if first_reads else real_live_token(_token)
    )

    csat.submit(token, "good", None, None)
    with pytest.raises(Conflict):
        csat.submit(token, "bad", None, None)


def test_form_bodies_are_accepted_only_where_a_route_declares_them(client, as_role):
    response = call(client, "POST", TICKETS, {**as_role("agent"), **FORM}, "title=Leak")

    assert response.status_code == 415


def test_the_api_document_offers_the_answer_as_json_or_form(client, aws):
    document = call(client, "GET", "/api/v1/openapi").json
    answer = document["paths"]["/api/v1/csat/{token}"]["post"]

    assert set(answer["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert answer["security"] == []
    assert not any(parameter["name"] == "Idempotency-Key" for parameter in answer["parameters"])
