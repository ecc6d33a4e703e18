"""The OpenAPI document the API serves: valid OpenAPI 3.1, complete, and honest about errors."""

from __future__ import annotations

import json

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
        if len(successes) != 1:
            problems.append(f"{method.upper()} {path}: success responses {sorted(successes)}")
            continue
        status, response = next(iter(successes.items()))
        has_body_schema = any("schema" in media for media in response.get("content", {}).values())
        if status != "204" and not has_body_schema:
            problems.append(f"{method.upper()} {path}: {status} declares no body schema")
        if status == "204" and response.get("content"):
            problems.append(f"{method.upper()} {path}: 204 declares a body")

    assert problems == []


def test_every_operation_declares_the_error_envelope_for_its_errors(document):
    problems = []
    for path, method, operation in operations(document):
        expected = {"400", "404"} | ({"401", "403"} if operation.get("security") else set())
        for status in sorted(expected - set(operation["responses"])):
            problems.append(f"{method.upper()} {path}: no {status} response")
        for status, response in operation["responses"].items():
            if status[0] in "45" and _json_schema(response) != {"$ref": ERROR_REF}:
                problems.append(f"{method.upper()} {path}: {status} is not the error envelope")

    assert problems == []


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
