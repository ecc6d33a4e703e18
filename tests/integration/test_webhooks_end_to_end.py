"""Webhooks on the real local stack, over HTTP: a ticket created through the API reaches a local
receiver as a signed Standard Webhooks delivery (outbox → bus → queue → consumer), and a GitHub
delivery's raw bytes survive the API Gateway stand-in so its signature verifies."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import pytest

from tests.integration.local_stack import LocalStackProcess, as_member, call
from tests.waiting import wait_until
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.integration

DELIVERY_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("webhooks-stack")
    running = LocalStackProcess(state_dir=folder / "state", log_path=folder / "stack.log")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


def test_created_ticket_reaches_a_subscriber_signed(stack, receiver):
    admin = as_member(stack.login("admin@example.com"))
    created = call(
        "POST",
        f"{stack.api_url}/api/v1/webhooks/subscriptions",
        {"url": receiver.url(), "topics": ["ticket.created"]},
        headers=admin,
    )
    assert created.status == 201, created.body
    receiver.secret = created.json()["secret"]
    title = f"Projector flickers {uuid.uuid4().hex[:6]}"

    ticket = call("POST", f"{stack.api_url}/api/v1/tickets", {"title": title}, headers=admin)
    assert ticket.status == 201, ticket.body

    def delivered():
        return next((request for request in receiver.received if title.encode() in request.body), None)

    request = wait_until(delivered, DELIVERY_TIMEOUT_SECONDS, lambda: f"nothing received:\n{stack.log_tail()}")
    assert request.signature_valid
    assert json.loads(request.body)["subject"]["id"] == ticket.json()["id"]


def test_signed_github_delivery_verifies_through_the_gateway(stack):
    admin = as_member(stack.login("admin@example.com"))
    secret = "integration-suite-github-secret"
    configured = call("PUT", f"{stack.api_url}/api/v1/integrations/github", {"enabled": True, "secret": secret}, admin)
    assert configured.status == 200, configured.body
    raw = json.dumps({"zen": "Design for failure. ✓", "hook_id": 1, "repository": {"full_name": "o/r"}}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(),
    }

    import urllib.request

    request = urllib.request.Request(configured.json()["webhook_url"], data=raw, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read())["result"] == "applied"
