"""Outgoing webhook subscriptions over HTTP: admin only, http(s) public targets only (unless the
deployment allows private ones), the secret shown once, the delivery log and replay."""

from __future__ import annotations

import pytest

from tests.routes.http_helpers import call
from tests.webhook_receiver import WebhookReceiver

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions"


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def admin(as_role):
    return as_role("admin")


def subscribe(client, headers: dict, url: str, topics=("ticket.created",)):
    return call(client, "POST", SUBSCRIPTIONS, headers, {"url": url, "topics": list(topics)})


def test_secret_is_shown_once_on_creation_and_never_listed(client, admin, receiver):
    created = subscribe(client, admin, receiver.url())

    listed = call(client, "GET", SUBSCRIPTIONS, admin)

    assert created.status_code == 201, created.body
    assert created.json["secret"].startswith("whsec_")
    assert [item["id"] for item in listed.json["data"]] == [created.json["id"]]
    assert "secret" not in listed.json["data"][0]
    assert created.json["secret"].encode() not in listed.body


def test_only_admins_manage_subscriptions(client, as_role, receiver):
    assert subscribe(client, as_role("agent"), receiver.url()).status_code == 403
    assert call(client, "GET", SUBSCRIPTIONS, as_role("agent")).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused_when_not_allowed(client, admin, env, url):
    env.set(WEBHOOK_ALLOW_PRIVATE_TARGETS="false")

    response = subscribe(client, admin, url)

    assert response.status_code == 400
    assert response.json["code"] == "webhook_target_refused"


def test_a_public_address_is_accepted_when_private_targets_are_not_allowed(client, admin, env):
    env.set(WEBHOOK_ALLOW_PRIVATE_TARGETS="false")

    assert subscribe(client, admin, "https://93.184.215.14/hooks/deskflow").status_code == 201


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "javascript:alert(1)", "https://user:pw@example.com/"])
def test_only_plain_http_and_https_urls_are_accepted(client, admin, url):
    assert subscribe(client, admin, url).status_code == 400


def test_unknown_topic_is_refused(client, admin, receiver):
    assert subscribe(client, admin, receiver.url(), topics=("ticket.exploded",)).status_code == 400


def test_deleted_subscription_is_gone(client, admin, receiver):
    created = subscribe(client, admin, receiver.url()).json

    deleted = call(client, "DELETE", f"{SUBSCRIPTIONS}/{created['id']}", admin)

    assert deleted.status_code == 204
    assert call(client, "GET", SUBSCRIPTIONS, admin).json["data"] == []
    assert call(client, "DELETE", f"{SUBSCRIPTIONS}/{created['id']}", admin).status_code == 404


def test_another_workspaces_subscription_is_not_found(client, as_role, admin, receiver):
    created = subscribe(client, admin, receiver.url()).json
    stranger = as_role("admin", workspace="ws-elsewhere")

    assert call(client, "DELETE", f"{SUBSCRIPTIONS}/{created['id']}", stranger).status_code == 404
    assert call(client, "GET", f"{SUBSCRIPTIONS}/{created['id']}/deliveries", stranger).status_code == 404


def test_delivery_log_lists_attempts_and_a_replay_adds_one(client, admin, receiver, workspace_id):
    from chalicelib.domain.events import envelope, new_event
    from chalicelib.domain.outgoing_webhooks import deliver_event

    created = subscribe(client, admin, receiver.url()).json
    receiver.secret = created["secret"]
    deliver_event(envelope(new_event("ticket.created", workspace_id, "ticket", "t-1", {}, "c-1")), attempt=1)
    deliveries_path = f"{SUBSCRIPTIONS}/{created['id']}/deliveries"

    [delivery] = call(client, "GET", deliveries_path, admin).json["data"]
    replayed = call(client, "POST", f"{deliveries_path}/{delivery['id']}/replay", admin)

    assert delivery["status"] == "delivered"
    assert delivery["attempts"][0]["status_code"] == 200
    assert replayed.status_code == 200, replayed.body
    assert [attempt["trigger"] for attempt in replayed.json["attempts"]] == ["delivery", "replay"]
    assert len(receiver.received) == 2 and all(request.signature_valid for request in receiver.received)


def test_delivery_log_pages_with_a_cursor(client, admin, receiver, workspace_id):
    from chalicelib.domain.events import envelope, new_event
    from chalicelib.domain.outgoing_webhooks import deliver_event

    created = subscribe(client, admin, receiver.url()).json
    for number in range(3):
        deliver_event(envelope(new_event("ticket.created", workspace_id, "ticket", f"t-{number}", {}, "c")), 1)
    path = f"{SUBSCRIPTIONS}/{created['id']}/deliveries"

    first = call(client, "GET", f"{path}?limit=2", admin).json
    second = call(client, "GET", f"{path}?limit=2&cursor={first['page']['next_cursor']}", admin).json

    assert len(first["data"]) == 2
    assert len(second["data"]) == 1
    assert second["page"]["next_cursor"] is None
    assert len({item["id"] for item in first["data"] + second["data"]}) == 3


def test_replaying_an_unknown_delivery_is_404(client, admin, receiver):
    created = subscribe(client, admin, receiver.url()).json

    response = call(client, "POST", f"{SUBSCRIPTIONS}/{created['id']}/deliveries/bm90LWEtZGVsaXZlcnk/replay", admin)

    assert response.status_code == 404
