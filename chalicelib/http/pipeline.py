"""The one request pipeline every route runs through.

Order: correlation id → body size → authentication → tenancy → role → query and body
validation → idempotency → handler → response headers (correlation id, ETag, CORS). Domain
errors become the error envelope here and nowhere else; nothing unexpected leaks as a stack trace.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from urllib.parse import parse_qsl

from chalice import Response

from chalicelib.errors import DeskflowError, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationError
from chalicelib.http.registry import RouteSpec, methods_for_path
from chalicelib.http.request import FORM_MEDIA_TYPE, RequestContext, media_type, source_ip_of
from chalicelib.http.responses import Reply, error_body, to_json
from chalicelib.http.validation import errors_for
from chalicelib.logs import bind, get_logger, unbind
from chalicelib.settings import get_settings

_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_WORKSPACE_ID = re.compile(r"^[a-z0-9][a-z0-9\-]{0,62}$")
ALLOWED_REQUEST_HEADERS = (
    "Authorization, Content-Type, If-Match, Idempotency-Key, X-Correlation-Id, X-Requested-With, X-Workspace-Id"
)
EXPOSED_HEADERS = "ETag, X-Correlation-Id, Location, Content-Disposition, X-Export-Truncated, Link"


def make_view(blueprint, spec: RouteSpec, handler):
    def view(**path_params):
        return handle(spec, handler, blueprint.current_request, path_params)

    view.__name__ = handler.__name__
    return view


def make_preflight_view(blueprint, path: str):
    def preflight(**_path_params):
        request = blueprint.current_request
        headers = _lower(request.headers)
        correlation_id = _correlation_id(headers)
        origin = headers.get("origin")
        response_headers = {
            "x-correlation-id": correlation_id,
            "Allow": ", ".join(methods_for_path(path) + ["OPTIONS"]),
        }
        if origin is not None:
            if origin not in get_settings().allowed_origins:
                body = error_body("origin is not allowed", "origin_not_allowed")
                return Response(
                    body=to_json(body),
                    status_code=403,
                    headers={**response_headers, "Content-Type": "application/json"},
                )
            response_headers.update(_cors_headers(origin))
            response_headers["Access-Control-Allow-Methods"] = response_headers["Allow"]
            response_headers["Access-Control-Allow-Headers"] = ALLOWED_REQUEST_HEADERS
            response_headers["Access-Control-Max-Age"] = "600"
        return Response(body="", status_code=204, headers=response_headers)

    return preflight


def handle(spec: RouteSpec, handler, request, path_params: dict) -> Response:
    headers = _lower(request.headers)
    correlation_id = _correlation_id(headers)
    route = f"{spec.method} {spec.path}"
    logger = get_logger()
    bind(correlation_id=correlation_id, route=route)  # for whatever else this request logs
    started = time.perf_counter()
    seen: dict = {}  # who and where, filled in as the pipeline learns it
    try:
        reply = _run(spec, handler, request, headers, path_params, correlation_id, seen)
    except DeskflowError as error:
        reply = Reply(error_body(error.message, error.code, error.details), status=error.status, headers=error.headers)
    except Exception:  # the last line of defence: log it whole, answer without internals
        logger.exception("unhandled error")
        reply = Reply(error_body("internal error", "internal_error"), status=500)
    try:
        logger.info(
            "request handled",
            extra={
                "route": route,
                "status": reply.status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "correlation_id": correlation_id,
                "workspace_id": seen.get("workspace_id"),
                "user_id": seen.get("user_id"),
                "error_code": _error_code(reply),
            },
        )
    finally:
        unbind()
    return _to_response(reply, headers, correlation_id, spec)


def _error_code(reply: Reply) -> str | None:
    if reply.status < 400 or not isinstance(reply.body, dict):
        return None
    return reply.body.get("code")


def _run(spec: RouteSpec, handler, request, headers: dict, path_params: dict, correlation_id: str, seen: dict) -> Reply:
    from chalicelib.auth.authenticate import authenticate

    settings = get_settings()
    raw_body = _raw_body(request)
    if len(raw_body) > settings.max_body_bytes:
        raise PayloadTooLarge(f"request body exceeds {settings.max_body_bytes} bytes")
    principal = authenticate(headers, _requested_workspace(spec, headers)) if spec.auth else None
    seen["user_id"] = principal.user_id if principal else None
    workspace_id = _workspace(spec, headers, principal)
    seen["workspace_id"] = workspace_id
    if spec.roles is not None and not principal.has_any_role(spec.roles):
        raise Forbidden("your role does not allow this action", code="role_forbidden")
    _check_path_params(path_params)
    query = _query(spec, request)
    body = _body(spec, raw_body, headers)
    context = RequestContext(
        method=spec.method,
        path=_concrete_path(spec.path, path_params),
        path_params=path_params,
        query=query,
        body=body,
        raw_body=raw_body,
        headers=headers,
        correlation_id=correlation_id,
        principal=principal,
        workspace_id=workspace_id,
        source_ip=source_ip_of(request),
    )
    if spec.idempotent:
        from chalicelib.http import idempotency

        return idempotency.run_once(context, lambda: _call(handler, context), required=spec.idempotency_key_required)
    return _call(handler, context)


def _concrete_path(template: str, path_params: dict) -> str:
    for name, value in path_params.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def _call(handler, context: RequestContext) -> Reply:
    result = handler(context)
    return result if isinstance(result, Reply) else Reply(result)


def _requested_workspace(spec: RouteSpec, headers: dict) -> str | None:
    """The well-formed workspace a tenant route names, for authentication to read its membership
    in the same round trip; ``_workspace`` then refuses a missing or malformed one."""
    workspace_id = headers.get("x-workspace-id") if spec.tenant else None
    return workspace_id if workspace_id and _WORKSPACE_ID.match(workspace_id) else None


def _workspace(spec: RouteSpec, headers: dict, principal) -> str | None:
    if not spec.tenant:
        return None
    workspace_id = headers.get("x-workspace-id")
    if not workspace_id:
        raise ValidationError(
            "x-workspace-id header is required", details={"x-workspace-id": "is required"}, code="workspace_required"
        )
    if not _WORKSPACE_ID.match(workspace_id):
        raise ValidationError(
            "x-workspace-id is malformed", details={"x-workspace-id": "has an invalid format"}, code="workspace_invalid"
        )
    if not principal.can_access(workspace_id):
        raise Forbidden("your token does not grant this workspace", code="workspace_forbidden")
    return workspace_id


MAX_PATH_PARAM_LENGTH = 200


def _check_path_params(path_params: dict) -> None:
    for name, value in path_params.items():
        if len(value) > MAX_PATH_PARAM_LENGTH or not _is_utf8(value):
            raise ValidationError(f"{name} is malformed", details={name: "has an invalid format"})


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeError:
        return False
    return True


def _query(spec: RouteSpec, request) -> dict:
    raw = dict(request.query_params or {})
    values: dict = {}
    errors: dict[str, str] = {}
    for name, schema in spec.query.items():
        if name not in raw:
            if "default" in schema:
                values[name] = schema["default"]
            continue
        value = _coerce_query(raw[name], schema)
        if value is _INVALID or (isinstance(value, str) and not _is_utf8(value)):
            errors[name] = f"must be of type {schema.get('type')}"
            continue
        problems = errors_for(value, schema, name)
        errors.update(problems)
        values[name] = value
    if errors:
        raise ValidationError("query parameters are invalid", details=errors)
    return values


_INVALID = object()


def _coerce_query(text: str, schema: dict):
    kind = schema.get("type", "string")
    if kind == "integer":
        return int(text) if re.fullmatch(r"-?\d{1,9}", text) else _INVALID
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), _INVALID)
    return text


def _body(spec: RouteSpec, raw_body: bytes, headers: dict) -> dict | None:
    if spec.body is None:
        return None
    if not raw_body.strip():
        parsed = {}
    else:
        content_type = media_type(headers)
        if spec.form_body and content_type == FORM_MEDIA_TYPE:
            parsed = parse_form_body(raw_body)
        elif content_type not in {"application/json", ""} and not content_type.endswith("+json"):
            raise UnsupportedMediaType("request body must be JSON" + (" or form-encoded" if spec.form_body else ""))
        else:
            parsed = parse_json_body(raw_body)
    problems = errors_for(parsed, spec.body)
    if problems:
        raise ValidationError("request body is invalid", details=problems)
    return parsed


MAX_JSON_DEPTH = 32
MAX_FORM_FIELDS = 20


def parse_form_body(raw_body: bytes) -> dict[str, str]:
    """A form-encoded body (only for routes that declare ``form_body``): valid UTF-8 after
    percent-decoding, every field named once, at most ``MAX_FORM_FIELDS``. Values are strings, and
    the route's schema validates them as it validates JSON. Anything else is a 400."""
    invalid = ValidationError(
        "request body is not a valid form", details={"body": "is not valid UTF-8 form data"}, code="invalid_form"
    )
    try:
        pairs = parse_qsl(
            raw_body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:  # includes every UnicodeError and too many fields
        raise invalid from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise ValidationError("request body is invalid", details={name: "is given more than once"})
        fields[name] = value
    return fields


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400 parses as infinity, which JSON cannot carry back out
        raise ValueError("number out of range")
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_json_body(raw_body: bytes):
    """Strict JSON: valid UTF-8, no NaN/Infinity or out-of-range numbers, no lone surrogates, at most
    ``MAX_JSON_DEPTH`` levels of nesting. Anything else is a 400, never a 500."""
    invalid = ValidationError(
        "request body is not valid JSON", details={"body": "is not valid UTF-8 JSON"}, code="invalid_json"
    )
    try:
        parsed = json.loads(raw_body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:  # includes JSONDecodeError and every UnicodeError
        raise invalid from None
    if _depth_exceeds(parsed, MAX_JSON_DEPTH):
        raise _too_deep()
    try:
        # Lone surrogates parse as JSON but cannot be stored as UTF-8: refuse them here, not in DynamoDB.
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except ValueError:
        raise invalid from None
    return parsed


def _too_deep() -> ValidationError:
    return ValidationError(
        "request body is nested too deeply",
        details={"body": f"must nest at most {MAX_JSON_DEPTH} levels"},
        code="invalid_json",
    )


def _depth_exceeds(value, limit: int) -> bool:
    """Iterative, so a hostile document cannot exhaust the stack while being measured."""
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict | list):
            if depth > limit:
                return True
            children = current.values() if isinstance(current, dict) else current
            pending.extend((child, depth + 1) for child in children)
    return False


def _raw_body(request) -> bytes:
    raw = getattr(request, "raw_body", b"") or b""
    return raw.encode() if isinstance(raw, str) else raw


def _lower(headers) -> dict:
    return {str(name).lower(): value for name, value in dict(headers or {}).items()}


def _correlation_id(headers: dict) -> str:
    given = headers.get("x-correlation-id", "")
    return given if _CORRELATION_ID.match(given) else str(uuid.uuid4())


def _cors_headers(origin: str) -> dict:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def _to_response(reply: Reply, request_headers: dict, correlation_id: str, spec: RouteSpec) -> Response:
    headers = dict(reply.headers)
    headers["x-correlation-id"] = correlation_id
    if reply.etag:
        headers["ETag"] = reply.etag
    origin = request_headers.get("origin")
    if origin and origin in get_settings().allowed_origins:
        headers.update(_cors_headers(origin))
    if reply.status == 204 or reply.body is None:
        return Response(body="", status_code=reply.status, headers=headers)
    if isinstance(reply.body, (str, bytes)) and spec.raw_response:
        headers.setdefault("Content-Type", spec.content_type)
        return Response(body=reply.body, status_code=reply.status, headers=headers)
    headers["Content-Type"] = "application/json"
    return Response(body=to_json(reply.body), status_code=reply.status, headers=headers)
