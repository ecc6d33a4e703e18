"""POST /api/v1/events/ingest (seed 004): external events validated per type, Idempotency-Key
required, per-item results; a severe alert opens or updates one incident per fingerprint."""

from __future__ import annotations

import uuid

import pytest

from tests.routes.http_helpers import call


def alert(fingerprint="disk-full:web-1", severity="high", title="Disk almost full on web-1", **extra):
    return {
        "type": "alert.triggered",
        "data": {"fingerprint": fingerprint, "title": title, "severity": severity, **extra},
    }


def ingest(client, headers, *items, key=None):
    headers = {**headers, "Idempotency-Key": key or str(uuid.uuid4())}
    return call(client, "POST", "/api/v1/events/ingest", headers, {"events": list(items)})


def test_a_severe_alert_opens_an_incident_ticket(client, as_role):
    agent = as_role("agent")

    response = ingest(client, agent, alert(severity="critical", description="92% used"))

    assert response.status_code == 200, response.body
    (result,) = response.json["results"]
    assert result["status"] == "accepted" and result["alert"]["action"] == "opened"
    ticket = call(client, "GET", f"/api/v1/tickets/{result['alert']['ticket_id']}", agent).json
    assert (ticket["ticket_class"], ticket["priority"], ticket["source"]) == ("incident", "urgent", "alert")
    assert ticket["title"] == "[alert] Disk almost full on web-1"


def test_the_same_alert_again_updates_its_incident_instead_of_opening_another(client, as_role):
    agent = as_role("agent")
    first = ingest(client, agent, alert()).json["results"][0]["alert"]

    again = ingest(client, agent, alert(title="Disk full on web-1")).json["results"][0]["alert"]

    assert again["action"] == "updated" and again["ticket_id"] == first["ticket_id"]
    comments = call(client, "GET", f"/api/v1/tickets/{first['ticket_id']}/comments", agent).json["data"]
    assert [c["is_internal"] for c in comments] == [True]
    assert "fired again (2 times" in comments[0]["body_md"]


def test_a_resolved_incident_is_not_reused_by_the_next_trigger(client, as_role):
    agent = as_role("agent")
    first = ingest(client, agent, alert()).json["results"][0]["alert"]
    resolved = call(client, "POST", f"/api/v1/tickets/{first['ticket_id']}/status", agent, {"status": "resolved"})
    assert resolved.status_code == 200, resolved.body

    again = ingest(client, agent, alert()).json["results"][0]["alert"]

    assert again["action"] == "opened" and again["ticket_id"] != first["ticket_id"]


def test_an_alert_below_the_configured_severity_opens_nothing(client, as_role):
    response = ingest(client, as_role("agent"), alert(severity="warning"))

    outcome = response.json["results"][0]["alert"]
    assert (outcome["action"], outcome["ticket_id"]) == ("recorded", None)


def test_each_item_is_checked_on_its_own_and_the_good_ones_are_accepted(client, as_role):
    response = ingest(
        client,
        as_role("agent"),
        {"type": "pipeline.failed", "data": {"pipeline": "deploy", "run_id": "881"}},
        alert(severity="apocalyptic"),
        {"type": "asset.state_changed", "data": {"asset_id": "srv-9", "state": "offline", "colour": "red"}},
        {"type": "invoice.overdue", "data": {}},
        {"type": "asset.state_changed", "data": {"asset_id": "srv-9", "state": "offline"}},
    )

    assert response.status_code == 200
    assert (response.json["accepted"], response.json["rejected"]) == (2, 3)
    statuses = [(result["index"], result["status"]) for result in response.json["results"]]
    assert [index for index, status in statuses if status == "accepted"] == [0, 4]
    assert "data.severity" in response.json["results"][1]["errors"]
    assert "data.colour" in response.json["results"][2]["errors"]
    assert "type" in response.json["results"][3]["errors"]


def test_ingested_events_are_on_the_outbox_under_their_own_topics(client, as_role):
    ingest(client, as_role("agent"), {"type": "pipeline.failed", "data": {"pipeline": "deploy", "run_id": "881"}})

    rows = call(client, "GET", "/api/v1/events/outbox", as_role("admin")).json["data"]

    assert [(row["type"], row["subject"]) for row in rows] == [
        ("pipeline.failed", {"type": "pipeline_run", "id": "881"})
    ]


def test_ingest_without_an_idempotency_key_is_refused(client, as_role):
    response = call(client, "POST", "/api/v1/events/ingest", as_role("agent"), {"events": [alert()]})

    assert response.status_code == 400
    assert response.json["code"] == "idempotency_key_required"


def test_a_replayed_batch_opens_no_second_incident(client, as_role):
    agent = as_role("agent")
    first = ingest(client, agent, alert(), key="batch-1")

    replay = ingest(client, agent, alert(), key="batch-1")

    assert replay.json == first.json
    assert replay.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.parametrize("count", [0, 101])
def test_a_batch_must_hold_1_to_100_events(client, as_role, count):
    response = ingest(client, as_role("agent"), *[alert(fingerprint=f"f-{n}") for n in range(count)])

    assert response.status_code == 400


def test_requesters_cannot_ingest(client, as_role):
    assert ingest(client, as_role("requester"), alert()).status_code == 403


def test_an_alert_linked_by_hand_updates_that_ticket_when_it_fires(client, as_role):
    agent = as_role("agent")
    recorded = ingest(client, agent, alert(severity="low")).json["results"][0]["alert"]
    ticket = call(client, "POST", "/api/v1/tickets", agent, {"title": "Web-1 storage"}).json

    linked = call(
        client, "POST", f"/api/v1/ops/alerts/{recorded['id']}/link-ticket", agent, {"ticket_id": ticket["id"]}
    )
    fired = ingest(client, agent, alert(severity="critical")).json["results"][0]["alert"]

    assert linked.status_code == 200, linked.body
    assert linked.json["ticket_id"] == ticket["id"]
    assert (fired["action"], fired["ticket_id"]) == ("updated", ticket["id"])


def test_linking_an_unknown_alert_or_ticket_is_404(client, as_role):
    agent = as_role("agent")
    recorded = ingest(client, agent, alert(severity="low")).json["results"][0]["alert"]

    unknown_alert = call(client, "POST", "/api/v1/ops/alerts/nope/link-ticket", agent, {"ticket_id": "x"})
    unknown_ticket = call(client, "POST", f"/api/v1/ops/alerts/{recorded['id']}/link-ticket", agent, {"ticket_id": "x"})

    assert (unknown_alert.status_code, unknown_ticket.status_code) == (404, 404)


def test_two_triggers_racing_on_a_new_alert_open_one_incident(client, as_role, monkeypatch):
    from chalicelib.domain import ingest as ingest_domain

    agent = as_role("agent")
    first = ingest(client, agent, alert()).json["results"][0]["alert"]
    real_get = ingest_domain._get_alert
    stale_reads = iter([None])  # the loser read before the winner committed its record
    monkeypatch.setattr(ingest_domain, "_get_alert", lambda *key: next(stale_reads, None) or real_get(*key))

    loser = ingest(client, agent, alert()).json["results"][0]["alert"]

    assert (loser["action"], loser["ticket_id"]) == ("updated", first["ticket_id"])
    tickets = call(client, "GET", "/api/v1/tickets?tag=alert", agent).json["data"]
    assert len(tickets) == 1
