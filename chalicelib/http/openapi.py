"""The OpenAPI 3.1 document, generated from the route registry.

Each operation lists only the statuses its route can answer: those the pipeline can give it
(from what the route declares: auth, tenancy, body, query, path ids, idempotency, If-Match)
plus those its domain call adds (``RouteSpec.errors``). Schemas that carry a ``title``
(``chalicelib.http.schemas.named``) are published once under ``components/schemas`` and
referred to by ``$ref`` everywhere they appear.
"""

from __future__ import annotations

import re

from chalicelib.http.registry import RouteSpec, api_routes
from chalicelib.http.schemas import ERROR

ERROR_DESCRIPTIONS = {
    400: "Invalid input",
    401: "Missing or invalid credentials",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict: a concurrent change, or a request with this Idempotency-Key still in progress",
    412: "If-Match no longer matches",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Idempotency-Key reused with another body",
    429: "Too many attempts; see Retry-After",
    503: "Identity provider unavailable (AUTH_MODE=oidc)",
}

CORRELATION_ID_HEADER = {
    "description": "The request's x-correlation-id when well formed, otherwise a generated one",
    "required": True,
    "schema": {"type": "string"},
}
# Headers a route's success may declare (RouteSpec.response_headers).
RESPONSE_HEADERS = {
    "ETag": {
        "description": "The object's version; send it back in If-Match to update only that version",
        "required": True,
        "schema": {"type": "string", "pattern": '^"v[0-9]+"$'},
    },
    "Location": {"description": "Where the created object lives", "required": True, "schema": {"type": "string"}},
    "Set-Cookie": {"description": "The HttpOnly session cookie", "required": True, "schema": {"type": "string"}},
    "Cache-Control": {"description": "Never cached", "required": True, "schema": {"type": "string"}},
    "Content-Disposition": {"description": "The file name to save as", "required": True, "schema": {"type": "string"}},
    "X-Export-Truncated": {
        "description": "`true` when the export stopped at its size limit; an export job has the rest",
        "required": False,
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Link": {
        "description": 'With X-Export-Truncated: where to ask for the whole export (rel="export-job")',
        "required": False,
        "schema": {"type": "string"},
    },
}
IDEMPOTENT_REPLAYED_HEADER = {
    "description": "`true` when this is the stored response of an earlier request with the same Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "enum": ["true"]},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds until another attempt may succeed",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains")


class SchemaCatalogue:
    """Collects named schemas while operations are built; one name, one schema."""

    def __init__(self):
        self.schemas: dict[str, dict] = {}

    def ref(self, schema):
        """``schema`` with every named schema in it (itself included) replaced by a ``$ref``."""
        if not isinstance(schema, dict):
            return schema
        walked = self._walk(schema)
        name = schema.get("title")
        if not isinstance(name, str):
            return walked
        published = {key: value for key, value in walked.items() if key != "title"}
        if self.schemas.setdefault(name, published) != published:
            raise ValueError(f"two different schemas are both named {name!r}")
        return {"$ref": f"#/components/schemas/{name}"}

    def _walk(self, schema: dict) -> dict:
        walked = dict(schema)
        for key in _SUBSCHEMA_MAPS:
            if isinstance(schema.get(key), dict):
                walked[key] = {name: self.ref(item) for name, item in schema[key].items()}
        for key in _SUBSCHEMA_LISTS:
            if isinstance(schema.get(key), list):
                walked[key] = [self.ref(item) for item in schema[key]]
        for key in _SUBSCHEMAS:
            if isinstance(schema.get(key), dict):
                walked[key] = self.ref(schema[key])
        return walked


def _path_ids(spec: RouteSpec) -> list[str]:
    return re.findall(r"{(\w+)}", spec.path)


def error_statuses(spec: RouteSpec) -> set[int]:
    """Every error status ``spec``'s route can answer (the pipeline's and its domain's)."""
    statuses = set(spec.errors)
    if spec.body is not None:
        statuses |= {400, 413, 415}
    if spec.query or _path_ids(spec) or spec.tenant:
        statuses.add(400)  # malformed query, path id or x-workspace-id
    if spec.auth:
        statuses |= {401, 503}  # 503: the OIDC key set cannot be fetched
    if spec.roles is not None or spec.tenant:
        statuses.add(403)  # a role the token lacks; a workspace it does not grant
    if _path_ids(spec):
        statuses.add(404)
    if spec.idempotent:
        statuses |= {400, 409, 422}  # malformed key; the same key in flight; the same key, another body
    if spec.if_match:
        statuses.add(412)
    return statuses


def _parameters(spec: RouteSpec, catalogue: SchemaCatalogue) -> list[dict]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
        for name in _path_ids(spec)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": catalogue.ref(schema)}
        for name, schema in spec.query.items()
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
                "required": spec.idempotency_key_required,
                "description": "The same key and body replay the first response (Idempotent-Replayed: true)",
                "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
            }
        )
    if spec.if_match:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "An ETag from an earlier response: the change applies only to that version (else 412)",
                "schema": {"type": "string"},
            }
        )
    return parameters


def _success(spec: RouteSpec, catalogue: SchemaCatalogue) -> dict:
    headers = {"x-correlation-id": CORRELATION_ID_HEADER}
    headers.update({name: RESPONSE_HEADERS[name] for name in spec.response_headers})
    if spec.idempotent:
        headers["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED_HEADER
    success: dict = {"description": spec.summary or "OK", "headers": headers}
    if spec.status != 204:
        media_type = spec.content_type.split(";")[0].strip() if spec.raw_response else "application/json"
        schema = spec.response or ({"type": "string"} if spec.raw_response else {})
        success["content"] = {media_type: {"schema": catalogue.ref(schema)}}
    return success


def _error(status: int, catalogue: SchemaCatalogue) -> dict:
    headers = {"x-correlation-id": CORRELATION_ID_HEADER}
    if status == 429:
        headers["Retry-After"] = RETRY_AFTER_HEADER
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "headers": headers,
        "content": {"application/json": {"schema": catalogue.ref(ERROR)}},
    }


def _operation(spec: RouteSpec, catalogue: SchemaCatalogue) -> dict:
    responses = {str(spec.status): _success(spec, catalogue)}
    for status in spec.also_status:
        responses[str(status)] = _success(spec, catalogue)
    for status in sorted(error_statuses(spec)):
        responses[str(status)] = _error(status, catalogue)
    operation = {
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "tags": list(spec.tags or (spec.family,)),
        "parameters": _parameters(spec, catalogue),
        "responses": responses,
        "security": [{"bearer": []}, {"cookie": []}] if spec.auth else [],
    }
    if spec.body is not None:
        content = {"application/json": {"schema": catalogue.ref(spec.body)}}
        if spec.form_body:
            content["application/x-www-form-urlencoded"] = {"schema": catalogue.ref(spec.body)}
        operation["requestBody"] = {"required": True, "content": content}
    return operation


def build_openapi() -> dict:
    from chalicelib.app_factory import load_all_families

    load_all_families()
    catalogue = SchemaCatalogue()
    paths: dict = {}
    for spec in api_routes():
        if spec.preflight:
            continue
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, catalogue)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Deskflow API",
            "version": "1.0.0",
            "description": "Serverless service desk. Interactive reference at /api/v1/docs.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(catalogue.schemas.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "deskflow_session"},
            },
        },
    }
