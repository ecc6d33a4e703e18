"""The OpenAPI 3.1 document, generated from the route registry."""

from __future__ import annotations

import re

from chalicelib.http.registry import RouteSpec, api_routes

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "code", "details"],
    "properties": {
        "error": {"type": "string"},
        "code": {"type": "string"},
        "details": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

_COMMON_ERRORS = {
    "400": "Invalid input",
    "401": "Missing or invalid credentials",
    "403": "Not allowed",
    "404": "Not found",
    "409": "Conflict",
    "412": "If-Match no longer matches",
    "413": "Body too large",
    "415": "Body is not JSON",
    "422": "Idempotency-Key reused with another body",
    "429": "Too many attempts; see Retry-After",
    "503": "Identity provider unavailable",
}


def _parameters(spec: RouteSpec) -> list[dict]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": schema} for name, schema in spec.query.items()
    ]
    parameters.append(
        {
            "name": "x-correlation-id",
            "in": "header",
            "required": False,
            "description": "Echoed; replaced by a generated id unless it matches ^[A-Za-z0-9._:-]{1,128}$",
            "schema": {"type": "string"},
        }
    )
    if spec.tenant:
        parameters.append(
            {
                "name": "x-workspace-id",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"},
            }
        )
    if spec.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
            }
        )
    if spec.method == "PATCH":
        parameters.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}})
    return parameters


def _operation(spec: RouteSpec) -> dict:
    success: dict = {"description": spec.summary or "OK"}
    if spec.status != 204:
        content_type = spec.content_type if spec.raw_response else "application/json"
        schema = spec.response or ({"type": "string"} if spec.raw_response else {})
        success["content"] = {content_type: {"schema": schema}}
    responses = {str(spec.status): success}
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for status, description in _COMMON_ERRORS.items():
        responses.setdefault(status, {"description": description, "content": error_content})
    operation = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": list(spec.tags or (spec.family,)),
        "parameters": _parameters(spec),
        "responses": responses,
    }
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": spec.body}}}
    if spec.auth:
        operation["security"] = [{"bearer": []}, {"cookie": []}]
    else:
        operation["security"] = []
    return operation


def build_openapi() -> dict:
    from chalicelib.app_factory import load_all_families

    load_all_families()
    paths: dict = {}
    for spec in api_routes():
        if spec.preflight:
            continue
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Deskflow API", "version": "1.0.0", "description": "Serverless service desk."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "deskflow_session"},
            },
        },
    }
