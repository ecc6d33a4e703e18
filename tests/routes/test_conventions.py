"""Conventions every route shares: correlation ids, error shape, body limit, CORS, idempotency."""

from __future__ import annotations

import io
import json
import uuid

from tests.routes.http_helpers import call, open_ticket

TICKETS = "/api/v1/tickets"


def test_a_given_correlation_id_is_echoed(client, as_role):
    response = call(client, "GET", TICKETS, as_role("agent", **{"x-correlation-id": "req-42.a:b"}))

    assert response.headers["x-correlation-id"] == "req-42.a:b"


def test_a_correlation_id_is_generated_when_absent_or_unusable(client, as_role):
    absent = call(client, "GET", TICKETS, as_role("agent"))
    unusable = call(client, "GET", TICKETS, as_role("agent", **{"x-correlation-id": "spaces are not ok"}))

    for response in (absent, unusable):
        uuid.UUID(response.headers["x-correlation-id"])


def test_errors_carry_the_correlation_id_and_the_error_shape(client, as_role):
    response = call(client, "POST", TICKETS, as_role("agent", **{"x-correlation-id": "trace-1"}), {})

    assert response.headers["x-correlation-id"] == "trace-1"
    assert set(response.json) == {"error", "code", "details"}


def test_a_body_over_one_mebibyte_is_a_413(client, as_role):
    body = json.dumps({"title": "x", "description": "a" * (1024 * 1024)})

    response = call(client, "POST", TICKETS, as_role("agent"), body)

    assert (response.status_code, response.json["code"]) == (413, "payload_too_large")


def test_tenant_routes_need_a_token_and_a_granted_workspace(client, as_role):
    headers = as_role("agent")
    no_token = {k: v for k, v in headers.items() if k != "Authorization"}
    no_workspace = {k: v for k, v in headers.items() if k != "x-workspace-id"}

    assert call(client, "GET", TICKETS, no_token).status_code == 401
    assert call(client, "GET", TICKETS, no_workspace).json["code"] == "workspace_required"
    assert call(client, "GET", TICKETS, {**headers, "x-workspace-id": "not-mine"}).status_code == 403
    assert call(client, "GET", TICKETS, {**headers, "x-workspace-id": "Bad Id!"}).status_code == 400


def test_cors_headers_only_for_allowed_origins(client, as_role):
    allowed = call(client, "GET", TICKETS, as_role("agent", Origin="https://helpdesk.example.com"))
    other = call(client, "GET", TICKETS, as_role("agent", Origin="https://evil.example.net"))

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://helpdesk.example.com"
    assert allowed.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_preflight_allows_only_the_headers_the_api_reads(client):
    allowed = client.http.request("OPTIONS", TICKETS, headers={"Origin": "https://helpdesk.example.com"})
    refused = client.http.request("OPTIONS", TICKETS, headers={"Origin": "https://evil.example.net"})

    assert allowed.status_code == 204
    allowed_headers = {h.strip().lower() for h in allowed.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed_headers == {
        "authorization",
        "content-type",
        "if-match",
        "idempotency-key",
        "x-correlation-id",
        "x-requested-with",
        "x-workspace-id",
    }
    assert allowed.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_replaying_an_idempotency_key_returns_the_first_response_and_creates_nothing_new(client, as_role):
    agent = as_role("agent", **{"Idempotency-Key": "create-1"})

    first = call(client, "POST", TICKETS, agent, {"title": "Once"})
    replay = call(client, "POST", TICKETS, agent, {"title": "Once"})

    assert replay.status_code == first.status_code == 201
    assert replay.json == first.json
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["ETag"] == first.headers["ETag"]
    assert len(call(client, "GET", TICKETS, agent).json["data"]) == 1


def test_an_expired_idempotency_record_is_not_replayed_even_before_dynamodb_deletes_it(client, as_role, clock):
    key = {"Idempotency-Key": "create-expiring"}
    first = call(client, "POST", TICKETS, as_role("agent", user_id="agent-1", **key), {"title": "Once"})

    clock.advance(hours=25)  # past the 24 h record lifetime; DynamoDB's TTL deletion lags behind
    again = call(client, "POST", TICKETS, as_role("agent", user_id="agent-1", **key), {"title": "Once"})

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.json["id"] != first.json["id"]


def test_the_same_idempotency_key_with_another_body_is_a_422(client, as_role):
    agent = as_role("agent", **{"Idempotency-Key": "create-2"})
    call(client, "POST", TICKETS, agent, {"title": "Once"})

    response = call(client, "POST", TICKETS, agent, {"title": "Something else"})

    assert (response.status_code, response.json["code"]) == (422, "idempotency_key_reused")


def test_a_duplicate_arriving_while_the_first_is_running_is_a_409(client, as_role, monkeypatch):
    from chalicelib.domain import tickets

    agent = as_role("agent", **{"Idempotency-Key": "create-3"})
    real_create = tickets.create_ticket
    duplicate_responses = []

    def create_while_a_duplicate_arrives(*args, **kwargs):
        duplicate_responses.append(call(client, "POST", TICKETS, agent, {"title": "Once"}))
        return real_create(*args, **kwargs)

    monkeypatch.setattr(tickets, "create_ticket", create_while_a_duplicate_arrives)
    first = call(client, "POST", TICKETS, agent, {"title": "Once"})

    assert first.status_code == 201
    assert (duplicate_responses[0].status_code, duplicate_responses[0].json["code"]) == (409, "idempotency_in_progress")


def test_idempotency_keys_are_scoped_to_the_caller(client, as_role):
    first = call(client, "POST", TICKETS, as_role("agent", user_id="a-1", **{"Idempotency-Key": "k"}), {"title": "A"})
    second = call(client, "POST", TICKETS, as_role("agent", user_id="a-2", **{"Idempotency-Key": "k"}), {"title": "A"})

    assert first.json["id"] != second.json["id"]


def test_a_failed_request_releases_its_idempotency_key(client, as_role):
    agent = as_role("agent")
    ticket = open_ticket(client, agent)
    path = f"{TICKETS}/{ticket['id']}/status"
    keyed = {**agent, "Idempotency-Key": "status-1"}

    refused = call(client, "POST", path, keyed, {"status": "closed"})
    retried = call(client, "POST", path, keyed, {"status": "closed"})

    assert refused.status_code == retried.status_code == 409
    assert retried.json["code"] == "invalid_transition"
    assert "Idempotent-Replayed" not in retried.headers


def test_a_malformed_idempotency_key_is_a_400(client, as_role):
    response = call(client, "POST", TICKETS, as_role("agent", **{"Idempotency-Key": "x" * 300}), {"title": "A"})

    assert (response.status_code, response.json["code"]) == (400, "idempotency_key_invalid")


def test_strict_mode_requires_an_idempotency_key_on_mutations_only(client, as_role, env):
    env.set(REQUIRE_IDEMPOTENCY_KEY="true")
    agent = as_role("agent")

    without_key = call(client, "POST", TICKETS, agent, {"title": "A"})
    with_key = call(client, "POST", TICKETS, {**agent, "Idempotency-Key": "strict-1"}, {"title": "A"})
    read = call(client, "GET", TICKETS, agent)

    assert (without_key.status_code, without_key.json["code"]) == (400, "idempotency_key_required")
    assert with_key.status_code == 201
    assert read.status_code == 200


def test_health_answers_without_authentication(client):
    for path in ("/health", "/api/v1/health"):
        response = client.http.get(path)
        assert (response.status_code, json.loads(response.body)["ok"]) == (200, True)


def test_text_that_cannot_be_stored_as_utf8_is_a_400_not_a_500(client, as_role):
    response = call(client, "POST", TICKETS, as_role("agent"), '{"title": "broken \\ud800 surrogate"}')

    assert (response.status_code, response.json["code"]) == (400, "invalid_json")


def test_an_oversized_path_parameter_is_a_400(client, as_role):
    response = call(client, "GET", f"{TICKETS}/{'x' * 5000}", as_role("agent"))

    assert response.status_code == 400
    assert "ticket_id" in response.json["details"]


def test_every_request_is_logged_as_json_with_its_correlation_id(client, as_role, monkeypatch):
    from aws_lambda_powertools import Logger

    from chalicelib.http import pipeline

    stream = io.StringIO()
    logger = Logger(service=f"deskflow-test-{uuid.uuid4().hex[:6]}", level="INFO", stream=stream)
    monkeypatch.setattr(pipeline, "get_logger", lambda: logger)

    call(client, "GET", TICKETS, as_role("agent", **{"x-correlation-id": "trace-log-1"}))

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["message"] == "request handled"]
    assert access[-1]["correlation_id"] == "trace-log-1"
    assert (access[-1]["route"], access[-1]["status"]) == ("GET /api/v1/tickets", 200)
    assert access[-1]["duration_ms"] >= 0


def test_the_request_log_line_names_workspace_user_and_error_code(client, as_role, workspace_id, monkeypatch):
    from aws_lambda_powertools import Logger

    from chalicelib.http import pipeline

    stream = io.StringIO()
    logger = Logger(service=f"deskflow-test-{uuid.uuid4().hex[:6]}", level="INFO", stream=stream)
    monkeypatch.setattr(pipeline, "get_logger", lambda: logger)

    call(client, "GET", f"{TICKETS}/DF-999999", as_role("agent", user_id="agent-log-1"))

    access = [json.loads(line) for line in stream.getvalue().splitlines()][-1]
    assert access["message"] == "request handled"
    assert (access["workspace_id"], access["user_id"]) == (workspace_id, "agent-log-1")
    assert (access["status"], access["error_code"]) == (404, "not_found")


def test_keys_bound_for_one_request_never_reach_another_threads_lines():
    import threading

    from chalicelib.logs import bind, get_logger, unbind

    logger = get_logger()
    bound = threading.Event()
    other_thread_keys: dict = {}

    def consumer():
        bind(event_id="event-from-a-consumer")
        bound.set()

    worker = threading.Thread(target=consumer)
    worker.start()
    worker.join(timeout=10)
    assert bound.is_set()
    other_thread_keys.update(logger.get_current_keys())
    unbind()

    assert "event_id" not in other_thread_keys


def test_console_log_format_prints_one_readable_line_per_request(env):
    import logging

    from chalicelib.logs import get_logger

    env.set(LOG_FORMAT="console")
    get_logger.cache_clear()
    try:
        formatter = get_logger().registered_formatter
        record = logging.LogRecord("deskflow", logging.INFO, __file__, 1, "request handled", None, None)
        record.route, record.status, record.duration_ms, record.workspace_id = "GET /api/v1/tickets", 200, 3.2, "demo"
        line = formatter.format(record)
    finally:
        get_logger.cache_clear()

    assert "\n" not in line and not line.startswith("{")
    assert "request handled GET /api/v1/tickets 200 3.2ms" in line
    assert "workspace_id=demo" in line


def test_an_unknown_log_format_fails_at_start_naming_the_setting():
    import pytest

    from chalicelib.settings import ConfigurationError, load_settings

    with pytest.raises(ConfigurationError, match="LOG_FORMAT"):
        load_settings({"LOG_FORMAT": "xml", "JWT_SECRET": "x" * 32})


def test_json_nested_a_thousand_deep_is_a_400_even_before_login(client):
    body = "[" * 1000 + "]" * 1000

    response = call(client, "POST", "/api/v1/auth/login", body=body)

    assert (response.status_code, response.json["code"]) == (400, "invalid_json")


def test_json_nested_just_past_the_limit_is_a_400_and_at_the_limit_is_accepted(client, as_role):
    from chalicelib.http.pipeline import MAX_JSON_DEPTH

    def nested(levels: int):
        value: dict = {}
        for _ in range(levels - 2):  # the body itself and custom_fields are two of the levels
            value = {"x": value}
        return value

    too_deep = call(
        client, "POST", TICKETS, as_role("agent"), {"title": "A", "custom_fields": nested(MAX_JSON_DEPTH + 1)}
    )
    fits = call(client, "POST", TICKETS, as_role("agent"), {"title": "A", "custom_fields": nested(MAX_JSON_DEPTH)})

    assert (too_deep.status_code, too_deep.json["code"]) == (400, "invalid_json")
    assert fits.status_code == 201


def test_nan_infinity_and_out_of_range_numbers_are_refused(client, as_role):
    agent = as_role("agent")
    for literal in ("NaN", "Infinity", "-Infinity", "1e400"):
        body = '{"title": "A", "custom_fields": {"reading": ' + literal + "}}"

        response = call(client, "POST", TICKETS, agent, body)

        assert (response.status_code, response.json["code"]) == (400, "invalid_json"), literal
    assert call(client, "GET", TICKETS, agent).json["data"] == []
