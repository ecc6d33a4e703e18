"""Classification (seed 001's intake/classify), the AI's logs and feedback (seed 000), training that learns
from corrections, external providers with fallback, status and metrics (issue 11)."""

from __future__ import annotations

import importlib

import pytest

from chalicelib.events.catalogue import AI_TRAINING, AI_TRIAGE
from tests.chat_completions_server import ChatCompletionsServer
from tests.routes.http_helpers import call, open_ticket
from tests.unit.test_event_delivery import drain, lambda_event

CLASSIFY = "/api/v1/intake/classify"
CONFIG = "/api/v1/admin/system-config"
CATEGORIES = [
    {"name": "plumbing", "examples": ["water leak", "blocked drain", "no hot water"]},
    {"name": "electrical", "examples": ["power outage", "light not working", "sparking socket"]},
    {"name": "heating", "examples": []},
]


def deliver(subscription) -> None:
    """Publish the outbox and run the subscription's real consumer on what its queue holds."""
    from chalicelib.domain.events import publish_pending

    publish_pending()
    messages = drain(subscription.queue)
    handler = importlib.import_module(subscription.handler).handler
    assert handler(lambda_event(messages, subscription.queue), None)["batchItemFailures"] == []


def set_ai(client, admin, **settings) -> None:
    current = call(client, "GET", CONFIG, admin).json
    document = {section: current[section] for section in ("sla", "ai", "notifications", "security", "attachments")}
    document["ai"] = {**document["ai"], **settings}
    assert call(client, "PUT", CONFIG, admin, document).status_code == 200


@pytest.fixture
def admin(as_role):
    return as_role("admin", user_id="admin-1")


def test_a_work_order_is_classified_with_reasons_and_logged(client, as_role, admin):
    requester = as_role("requester", user_id="req-1")

    answer = call(client, "POST", CLASSIFY, requester, {"title": "Kitchen", "description": "water leak under the sink"})

    assert answer.status_code == 200
    body = answer.json
    assert (body["category"], body["is_work_order"], body["provider"]) == ("plumbing", True, "builtin")
    assert body["confidence"] >= 0.8 and body["model_version"].startswith("seed-")
    assert any("leak" in reason for reason in body["reasons"])
    assert body["suggested_priority"] == "high"  # "leak"
    log = call(client, "GET", f"/api/v1/ai/logs/{body['ai_log_id']}", admin).json["ai_log"]
    assert (log["predicted_category"], log["actual_category"], log["confidence_score"]) == (
        "plumbing",
        None,
        body["confidence"],
    )
    listed = call(client, "GET", "/api/v1/ai/logs", admin).json
    assert [entry["id"] for entry in listed["data"]] == [body["ai_log_id"]]


def test_small_talk_is_no_work_order(client, as_role):
    answer = call(client, "POST", CLASSIFY, as_role("requester"), {"message": "hello, what are your opening hours?"})

    assert (answer.json["category"], answer.json["is_work_order"], answer.json["confidence"]) == (None, False, 0.0)


def test_classify_needs_some_text_and_logs_are_for_admins(client, as_role, admin):
    agent = as_role("agent")
    assert call(client, "POST", CLASSIFY, agent, {"title": "  "}).status_code == 400
    assert call(client, "POST", CLASSIFY, agent, {"description": "x", "colour": "red"}).status_code == 400
    assert call(client, "GET", "/api/v1/ai/logs", agent).status_code == 403
    assert call(client, "GET", "/api/v1/ai/logs/nope", admin).status_code == 404


def test_feedback_answers_seed_000s_shape_and_feeds_the_metrics(client, as_role, admin):
    set_ai(client, admin, categories=CATEGORIES)
    agent = as_role("agent")
    right = call(client, "POST", CLASSIFY, agent, {"description": "blocked drain in the shower"}).json
    wrong = call(client, "POST", CLASSIFY, agent, {"description": "water leak from the radiator"}).json

    confirmed = call(
        client, "PATCH", f"/api/v1/ai/logs/{right['ai_log_id']}/feedback", agent, {"actual_category": "plumbing"}
    )
    corrected = call(
        client, "PATCH", f"/api/v1/ai/logs/{wrong['ai_log_id']}/feedback", agent, {"actual_category": "Heating"}
    )

    assert confirmed.status_code == corrected.status_code == 200
    assert set(corrected.json["ai_log"]) >= {
        "id",
        "ticket_id",
        "predicted_category",
        "actual_category",
        "confidence_score",
        "auto_assigned",
        "model_version",
        "created_at",
    }
    assert (corrected.json["ai_log"]["predicted_category"], corrected.json["ai_log"]["actual_category"]) == (
        "plumbing",
        "heating",
    )
    metrics = call(client, "GET", "/api/v1/ai/metrics", agent).json
    assert (metrics["judged"], metrics["accuracy"]) == (2, 0.5)
    assert metrics["per_category"]["plumbing"] == {"precision": 0.5, "recall": 1.0, "support": 1}
    assert metrics["per_category"]["heating"]["recall"] == 0.0
    assert {"actual": "heating", "predicted": "plumbing", "count": 1} in metrics["confusion_matrix"]
    # judged again: the cell moves, nothing is counted twice
    call(client, "PATCH", f"/api/v1/ai/logs/{wrong['ai_log_id']}/feedback", agent, {"actual_category": "plumbing"})
    again = call(client, "GET", "/api/v1/ai/metrics", agent).json
    assert (again["judged"], again["accuracy"]) == (2, 1.0)


def test_feedback_refuses_unknown_categories_and_requesters(client, as_role, admin):
    log_id = call(client, "POST", CLASSIFY, admin, {"description": "power outage"}).json["ai_log_id"]
    path = f"/api/v1/ai/logs/{log_id}/feedback"

    assert call(client, "PATCH", path, admin, {"actual_category": "astrology"}).status_code == 400
    assert call(client, "PATCH", path, admin, {}).status_code == 400
    assert call(client, "PATCH", path, as_role("requester"), {"actual_category": "plumbing"}).status_code == 403
    assert (
        call(client, "PATCH", path, as_role("admin", workspace="ws-other"), {"actual_category": "plumbing"}).status_code
        == 404
    )


def test_corrections_change_later_predictions_after_training(client, as_role, admin):
    set_ai(client, admin, categories=CATEGORIES)
    agent = as_role("agent")
    texts = [
        "the radiator is cold",
        "boiler makes a banging noise",
        "radiator cold in the bedroom",
        "boiler pressure low",
    ]
    for text in texts:
        log_id = call(client, "POST", CLASSIFY, agent, {"description": text}).json["ai_log_id"]
        call(client, "PATCH", f"/api/v1/ai/logs/{log_id}/feedback", agent, {"actual_category": "heating"})
    before = call(client, "POST", CLASSIFY, agent, {"description": "the boiler and radiator are cold"}).json
    assert before["category"] != "heating"

    job = call(client, "POST", "/api/v1/ai/train", admin)
    assert job.status_code == 202 and job.json["status"] == "queued"
    deliver(AI_TRAINING)

    assert call(client, "GET", f"/api/v1/jobs/{job.json['id']}", admin).json["status"] == "succeeded"
    after = call(client, "POST", CLASSIFY, agent, {"description": "the boiler and radiator are cold"}).json
    assert after["category"] == "heating" and after["model_version"].startswith("v")
    status = call(client, "GET", "/api/v1/ai/status", admin).json
    assert status["model_version"] == after["model_version"]
    assert status["trained_on"]["labels"] == 4 and status["trained_at"] is not None
    assert status["new_labels"] == 0


def test_enough_new_labels_queue_one_training_on_the_schedule(client, as_role, admin):
    from chalicelib.domain.ai_training import request_due_trainings

    set_ai(client, admin, retrain_after_labels=2)
    for text in ("power outage on floor 2", "blocked drain"):
        log_id = call(client, "POST", CLASSIFY, admin, {"description": text}).json["ai_log_id"]
        call(client, "PATCH", f"/api/v1/ai/logs/{log_id}/feedback", admin, {"actual_category": "electrical"})

    assert request_due_trainings() == 1
    assert request_due_trainings() == 0  # taken off the due list with its job
    deliver(AI_TRAINING)
    assert call(client, "GET", "/api/v1/ai/status", admin).json["trained_on"]["labels"] == 2


def test_a_staff_category_change_on_a_classified_ticket_is_a_correction(client, as_role, admin):
    from chalicelib.domain import classification

    agent = as_role("agent", user_id="agent-1")
    ticket = open_ticket(client, agent, title="water leak in hall")
    answer = classification.classify(ticket_workspace(agent), "water leak in hall", source="api")
    classification.record_outcome(ticket_workspace(agent), answer.ai_log_id, ticket["id"], auto_assigned=False)
    deliver(AI_TRIAGE)

    call(client, "PATCH", f"/api/v1/tickets/{ticket['id']}", agent, {"category": "electrical"})
    deliver(AI_TRIAGE)

    log = call(client, "GET", f"/api/v1/ai/logs/{answer.ai_log_id}", admin).json["ai_log"]
    assert (log["ticket_id"], log["actual_category"], log["feedback_source"]) == (
        ticket["id"],
        "electrical",
        "correction",
    )
    assert call(client, "GET", "/api/v1/ai/metrics", admin).json["accuracy"] == 0.0


def ticket_workspace(headers: dict) -> str:
    return headers["x-workspace-id"]


@pytest.fixture
def provider():
    server = ChatCompletionsServer().start()
    yield server
    server.stop()


def test_an_openai_compatible_provider_answers_when_configured(client, as_role, admin, provider):
    set_ai(client, admin, provider="openai", provider_settings={"base_url": provider.base_url, "model": "triage-model"})
    call(client, "PUT", "/api/v1/ai/credentials", admin, {"api_key": "sk-test-123"})

    answer = call(client, "POST", CLASSIFY, admin, {"description": "drip drip from the ceiling"}).json

    assert (answer["provider"], answer["category"], answer["confidence"]) == ("openai", "plumbing", 0.93)
    assert answer["model_version"] == "openai:triage-model" and answer["fallback_from"] is None
    assert provider.requests[0]["path"] == "/v1/chat/completions"
    assert provider.requests[0]["auth"] == "Bearer sk-test-123"
    status = call(client, "GET", "/api/v1/ai/status", admin).json
    assert (status["provider"], status["available"], status["vision"]) == ("openai", True, False)
    assert "sk-test-123" not in str(call(client, "GET", CONFIG, admin).json)


def test_a_failing_provider_falls_back_to_the_builtin_model_and_says_so(client, as_role, admin, provider):
    set_ai(client, admin, provider="openai", provider_settings={"base_url": provider.base_url, "model": "m"})
    provider.fail_with = 503

    answer = call(client, "POST", CLASSIFY, admin, {"description": "water leak in the garage"}).json

    assert (answer["provider"], answer["category"], answer["fallback_from"]) == ("builtin", "plumbing", "openai")
    assert "503" in answer["fallback_reason"]
    log = call(client, "GET", f"/api/v1/ai/logs/{answer['ai_log_id']}", admin).json["ai_log"]
    assert (log["provider"], log["fallback_from"]) == ("builtin", "openai")
    assert call(client, "GET", "/api/v1/ai/status", admin).json["available"] is False


def test_a_provider_that_answers_too_late_or_nonsense_is_replaced(client, as_role, admin, provider):
    import threading

    set_ai(
        client,
        admin,
        provider="openai",
        provider_settings={"base_url": provider.base_url, "model": "m", "timeout_ms": 200},
    )
    provider.hang = threading.Event()
    late = call(client, "POST", CLASSIFY, admin, {"description": "power outage"}).json
    provider.hang.set()
    provider.hang = None
    provider.answer = {"category": "astrology", "confidence": 0.99}
    nonsense = call(client, "POST", CLASSIFY, admin, {"description": "power outage"}).json

    assert (late["provider"], late["category"], late["fallback_from"]) == ("builtin", "electrical", "openai")
    assert "unreachable" in late["fallback_reason"]
    assert (nonsense["provider"], nonsense["fallback_from"]) == ("builtin", "openai")


def test_system_metrics_sum_up_tickets_sla_and_ai(client, as_role, admin):
    body = call(client, "GET", "/api/v1/metrics/system", as_role("agent")).json

    assert set(body) == {"tickets", "sla", "ai"}
    assert set(body["ai"]) >= {"accuracy", "auto_assign_rate"}
    assert call(client, "GET", "/api/v1/metrics/system", as_role("requester")).status_code == 403


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_a_vision_provider_is_shown_the_image(client, admin, provider, workspace_id):
    from chalicelib.domain import classification

    settings = {"base_url": provider.base_url, "model": "m", "vision": True}
    set_ai(client, admin, provider="openai", provider_settings=settings)

    answer = classification.classify(workspace_id, "photo.png", source="image", image=PNG)

    assert (answer.provider, answer.image_read) == ("openai", True)
    user_content = provider.requests[0]["body"]["messages"][1]["content"]
    assert [part["type"] for part in user_content] == ["text", "image_url"]
    assert user_content[1]["image_url"]["url"].startswith("data:image/")
    assert call(client, "GET", "/api/v1/ai/status", admin).json["vision"] is True


def test_without_a_vision_provider_the_image_is_not_read(client, admin, workspace_id):
    from chalicelib.domain import classification

    answer = classification.classify(workspace_id, "water leak photo.png", source="image", image=PNG)

    assert (answer.provider, answer.image_read, answer.category) == ("builtin", False, "plumbing")


def test_bedrock_unreachable_falls_back_to_the_builtin_model(client, admin):
    set_ai(
        client, admin, provider="bedrock", provider_settings={"model": "anthropic.claude-3-haiku", "timeout_ms": 500}
    )

    answer = call(client, "POST", CLASSIFY, admin, {"description": "power outage"}).json

    assert (answer["provider"], answer["fallback_from"], answer["category"]) == ("builtin", "bedrock", "electrical")
    assert call(client, "GET", "/api/v1/ai/status", admin).json["available"] is False
