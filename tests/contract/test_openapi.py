"""The OpenAPI document the API serves: valid OpenAPI 3.1, complete, and honest about errors."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def document():
    """GET /api/v1/openapi through chalice.test.Client (the route touches no AWS; moto guards anyway)."""
    from chalice.test import Client
    from moto import mock_aws

    from app import app

    with mock_aws(), Client(app) as client:
        response = client.http.get("/api/v1/openapi")
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def served_routes() -> set[tuple[str, str]]:
    """(path, method) for every route the Chalice app answers, CORS preflights left out."""
    from app import app

    return {
        (path, method.lower())
        for path, methods in app.routes.items()
        for method in methods
        if method.upper() != "OPTIONS"
    }


def test_document_is_valid_openapi_3_1(document):
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in _spec_errors(document)]

    assert document["openapi"].startswith("3.1."), document["openapi"]
    assert errors == []


def _spec_errors(document: dict):
    return OpenAPIV31SpecValidator(document).iter_errors()


def test_every_route_the_app_serves_is_documented(document):
    documented = {(path, method) for path, method, _ in operations(document)}

    missing = sorted(served_routes() - documented)

    assert missing == [], f"served but not in the OpenAPI document: {missing}"


def test_every_registered_route_is_documented(document):
    from chalicelib.app_factory import load_all_families
    from chalicelib.http.registry import api_routes

    load_all_families()
    registered = {(spec.path, spec.method.lower()) for spec in api_routes() if not spec.preflight}
    documented = {(path, method) for path, method, _ in operations(document)}

    assert sorted(registered - documented) == [], "registered routes missing from the document"
    assert sorted(documented - registered) == [], "documented operations that no route serves"


def test_every_operation_declares_one_success_response_with_its_body(document):
    problems = []
    for path, method, operation in operations(document):
        successes = {status: response for status, response in operation["responses"].items() if status[0] == "2"}
        # More than one success status only with one body (POST /chat: 201 opened a ticket, 200 did not).
        if len(successes) != 1 and len({json.dumps(_json_schema(response)) for response in successes.values()}) != 1:
            problems.append(f"{method.upper()} {path}: success responses {sorted(successes)}")
            continue
        status, response = min(successes.items())
        has_body_schema = any("schema" in media for media in response.get("content", {}).values())
        if status != "204" and not has_body_schema:
            problems.append(f"{method.upper()} {path}: {status} declares no body schema")
        if status == "204" and response.get("content"):
            problems.append(f"{method.upper()} {path}: 204 declares a body")

    assert problems == []


def test_every_error_response_is_the_error_envelope_with_a_correlation_id(document):
    problems = []
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45" and _json_schema(response) != {"$ref": ERROR_REF}:
                problems.append(f"{method.upper()} {path}: {status} is not the error envelope")
            if "x-correlation-id" not in response.get("headers", {}):
                problems.append(f"{method.upper()} {path}: {status} does not declare x-correlation-id")

    assert problems == []


def test_statuses_are_declared_only_where_a_route_can_answer_them(document):
    problems = []
    for path, method, operation in operations(document):
        statuses = set(operation["responses"])
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        has_path_id = any(p["in"] == "path" for p in operation["parameters"])
        secured = bool(operation["security"])
        name = f"{operation['operationId']} ({method.upper()} {path})"
        if ("412" in statuses) != ("If-Match" in headers):
            problems.append(f"{name}: 412 without If-Match, or If-Match without 412")
        if ("409" not in statuses or "422" not in statuses) and "Idempotency-Key" in headers:
            problems.append(f"{name}: reads Idempotency-Key but declares no 409/422")
        if "404" in statuses and not has_path_id and operation["operationId"] not in LOOKUPS_WITHOUT_PATH_ID:
            problems.append(f"{name}: 404 without a path id")
        if has_path_id and "404" not in statuses:
            problems.append(f"{name}: a path id but no 404")
        if secured and not {"401", "403"} <= statuses and operation["operationId"] not in SECURED_WITHOUT_ROLES:
            problems.append(f"{name}: authenticated but no 401/403")
        if not secured and {"401", "403"} & statuses and operation["operationId"] not in {"login", *SIGNED_WEBHOOKS}:
            problems.append(f"{name}: public but declares 401/403")
        if "429" in statuses and operation["operationId"] not in PASSWORD_CHECKS:
            problems.append(f"{name}: 429 outside the password checks")

    assert problems == []


# /auth/me looks the caller up (gone → 404) and is open to any role of any workspace (no 403).
# Webhooks carry no token: a signature over the body authenticates them (401), and the workspace
# they name may have the integration switched off (404).
SIGNED_WEBHOOKS = {"receiveGithubWebhook", "receiveWorkflowCallback"}
# Routes that look up an id given in the body (a ticket, an upload, an intake session).
BODY_LOOKUPS = {"sendChatThreadMessage", "uploadImage", "clarifyIntake", "submitIntake"}
LOOKUPS_WITHOUT_PATH_ID = {"login", "getMe", "updateMe", *SIGNED_WEBHOOKS, *BODY_LOOKUPS}
SECURED_WITHOUT_ROLES = {"getMe", "updateMe"}
# Wrong password guesses are throttled wherever a password is checked: at login and on a password change.
PASSWORD_CHECKS = {"login", "updateMe"}


def test_the_health_check_declares_no_errors(document):
    responses = document["paths"]["/api/v1/health"]["get"]["responses"]

    assert set(responses) == {"200"}


def test_login_declares_lockout_with_retry_after_and_bad_credentials(document):
    responses = document["paths"]["/api/v1/auth/login"]["post"]["responses"]

    assert {"400", "401", "429"} <= set(responses)
    assert responses["429"]["headers"]["Retry-After"]["required"] is True
    assert set(responses["200"]["headers"]) >= {"Set-Cookie", "x-correlation-id"}


def test_a_password_change_declares_the_same_lockout(document):
    responses = document["paths"]["/api/v1/auth/me"]["patch"]["responses"]

    assert responses["429"]["headers"]["Retry-After"]["required"] is True


def test_ticket_responses_declare_etag_location_and_replay_headers(document):
    tickets = document["paths"]["/api/v1/tickets"]
    one_ticket = document["paths"]["/api/v1/tickets/{ticket_id}"]

    created = tickets["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location", "Idempotent-Replayed", "x-correlation-id"} <= set(created)
    assert "ETag" in one_ticket["get"]["responses"]["200"]["headers"]
    assert "ETag" in one_ticket["patch"]["responses"]["200"]["headers"]
    assert "ETag" not in tickets["get"]["responses"]["200"]["headers"]


EXPECTED_OPERATIONS = {
    "createTicket": ("post", "/api/v1/tickets"),
    "listTickets": ("get", "/api/v1/tickets"),
    "getTicket": ("get", "/api/v1/tickets/{ticket_id}"),
    "updateTicket": ("patch", "/api/v1/tickets/{ticket_id}"),
    "deleteTicket": ("delete", "/api/v1/tickets/{ticket_id}"),
    "changeTicketStatus": ("post", "/api/v1/tickets/{ticket_id}/status"),
    "assignTicket": ("post", "/api/v1/tickets/{ticket_id}/assignment"),
    "addComment": ("post", "/api/v1/tickets/{ticket_id}/comments"),
    "listComments": ("get", "/api/v1/tickets/{ticket_id}/comments"),
    "listHistory": ("get", "/api/v1/tickets/{ticket_id}/history"),
    "login": ("post", "/api/v1/auth/login"),
    "logout": ("post", "/api/v1/auth/logout"),
    "getMe": ("get", "/api/v1/auth/me"),
    "updateMe": ("patch", "/api/v1/auth/me"),
}


def test_operation_ids_are_unique_camel_case_names(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]

    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", i)] == []


def test_core_operations_have_their_readable_ids(document):
    found = {operation["operationId"]: (method, path) for path, method, operation in operations(document)}

    assert {name: found.get(name) for name in EXPECTED_OPERATIONS} == EXPECTED_OPERATIONS


REQUIRED_SCHEMAS = {
    "Ticket",
    "TicketCreate",
    "TicketPatch",
    "Comment",
    "CommentCreate",
    "HistoryRow",
    "User",
    "Workspace",
    "LoginRequest",
    "LoginResponse",
    "Error",
    "TicketList",
    "CommentList",
    "HistoryList",
    "UserList",
    "Page",
}


def test_named_schemas_are_published_once_and_referenced(document):
    schemas = document["components"]["schemas"]
    ticket_list = schemas["TicketList"]["properties"]

    assert set(schemas) >= REQUIRED_SCHEMAS
    assert ticket_list["data"]["items"] == {"$ref": "#/components/schemas/Ticket"}
    assert ticket_list["page"] == schemas["UserList"]["properties"]["page"] == {"$ref": "#/components/schemas/Page"}


def test_request_and_json_response_bodies_are_references_to_named_schemas(document):
    inline = []
    for path, method, operation in operations(document):
        bodies = [operation.get("requestBody", {}).get("content", {}).get("application/json", {})]
        bodies += [
            response.get("content", {}).get("application/json", {}) for response in operation["responses"].values()
        ]
        for media in bodies:
            if "schema" in media and "$ref" not in media["schema"] and operation["operationId"] != "getOpenApiDocument":
                inline.append(f"{method.upper()} {path}")

    assert inline == []


def test_every_enum_is_typed_strings_without_case_collisions(document):
    problems = []
    for where, schema in _all_schemas(document):
        if "enum" not in schema:
            continue
        values = schema["enum"]
        if schema.get("type") != "string" or not all(isinstance(value, str) for value in values):
            problems.append(f"{where}: enum is not typed strings: {values}")
        elif len({value.upper() for value in values}) != len(values):
            problems.append(f"{where}: enum values collide ignoring case: {values}")

    assert problems == []


def test_priority_is_documented_as_strings_with_p_and_number_aliases(document):
    priority_input = document["components"]["schemas"]["PriorityInput"]

    assert set(priority_input["enum"]) == {
        "low",
        "medium",
        "high",
        "urgent",
        "P1",
        "P2",
        "P3",
        "P4",
        "1",
        "2",
        "3",
        "4",
    }


def test_every_priority_spelling_the_domain_accepts_passes_request_validation():
    from chalicelib.blueprints.ticket_schemas import CREATE_TICKET
    from chalicelib.domain.ticket_rules import PRIORITY_INPUTS
    from chalicelib.http.validation import errors_for

    refused = {repr(p): errors_for({"title": "t", "priority": p}, CREATE_TICKET) for p in PRIORITY_INPUTS}

    assert {spelling: errors for spelling, errors in refused.items() if errors} == {}
    assert errors_for({"title": "t", "priority": "P5"}, CREATE_TICKET) != {}
    assert errors_for({"title": "t", "priority": True}, CREATE_TICKET) != {}


def _all_schemas(document: dict):
    def walk(node, where):
        if isinstance(node, dict):
            if "enum" in node:
                yield where, node
            for key, value in node.items():
                yield from walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for position, value in enumerate(node):
                yield from walk(value, f"{where}/{position}")

    yield from walk(document["components"]["schemas"], "#/components/schemas")
    yield from walk(document["paths"], "#/paths")


def _json_schema(response: dict):
    return response.get("content", {}).get("application/json", {}).get("schema")


def test_error_envelope_schema_requires_error_code_and_details(document):
    schema = document["components"]["schemas"]["Error"]

    assert set(schema["required"]) == {"error", "code", "details"}
    assert schema["properties"]["details"]["type"] == "object"


def test_a_real_not_found_answer_matches_the_documented_envelope(document, client, as_role):
    response = client.http.get("/api/v1/tickets/no-such-ticket", headers=as_role("agent"))

    assert response.status_code == 404
    assert "404" in document["paths"]["/api/v1/tickets/{ticket_id}"]["get"]["responses"]
    jsonschema.validate(json.loads(response.body), document["components"]["schemas"]["Error"])


def test_a_real_unauthenticated_answer_matches_the_documented_envelope(document, client):
    response = client.http.get("/api/v1/tickets", headers={"x-workspace-id": "ws-contract"})

    assert response.status_code == 401
    jsonschema.validate(json.loads(response.body), document["components"]["schemas"]["Error"])
