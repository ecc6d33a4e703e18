"""What API Gateway (REST API, Lambda proxy integration) does before and after a Lambda call: match a
request path against the declared resource paths, build the proxy event, read the proxy response."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from infra.local.lambda_context import LOCAL_ACCOUNT_ID

STAGE = "local"
API_ID = "deskflowlocal"


@dataclass(frozen=True)
class PathMatch:
    resource: str  # the declared template, e.g. /api/v1/tickets/{id}
    path_parameters: dict[str, str]
    families_by_method: dict[str, str]  # HTTP method -> route family

    @property
    def allowed_methods(self) -> list[str]:
        return sorted(self.families_by_method)


class RouteTable:
    """Resource paths from the route registry, matched segment by segment as API Gateway does:
    ``{name}`` matches one non-empty segment, and literal segments win over parameters."""

    def __init__(self, routes):
        self._families: dict[str, dict[str, str]] = {}
        for spec in routes:
            self._families.setdefault(spec.path, {}).setdefault(spec.method, spec.family)
        self._templates = [(template, _segments(template)) for template in self._families]

    @property
    def families(self) -> set[str]:
        return {family for methods in self._families.values() for family in methods.values()}

    def match(self, path: str) -> PathMatch | None:
        segments = _segments(path)
        if segments is None:
            return None
        best = None
        for template, template_segments in self._templates:
            if template_segments is None or len(template_segments) != len(segments):
                continue
            params = _bind(template_segments, segments)
            if params is None:
                continue
            # Literal segments outrank parameters, left to right: /tickets/export beats /tickets/{id}.
            specificity = tuple(not _is_parameter(part) for part in template_segments)
            if best is None or specificity > best[0]:
                best = (specificity, template, params)
        if best is None:
            return None
        _, template, params = best
        return PathMatch(template, params, dict(self._families[template]))


def _segments(path: str) -> list[str] | None:
    if not path.startswith("/"):
        return None
    trimmed = path[1:]
    if trimmed.endswith("/"):  # API Gateway ignores one trailing slash
        trimmed = trimmed[:-1]
    if not trimmed:
        return []
    parts = trimmed.split("/")
    return None if any(part == "" for part in parts) else parts


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _bind(template_segments: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for expected, actual in zip(template_segments, segments, strict=True):
        if _is_parameter(expected):
            params[expected[1:-1]] = unquote(actual)
        elif unquote(actual) != expected:
            return None
    return params


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # without the query string, still percent-encoded
    query_string: str
    headers: list[tuple[str, str]]  # in arrival order, duplicates kept
    body: bytes
    source_ip: str = "127.0.0.1"


def build_proxy_event(request: HttpRequest, match: PathMatch, request_id: str | None = None) -> dict:
    """The REST API proxy event API Gateway sends the function for ``request``."""
    headers, multi_headers = _headers(request.headers)
    query, multi_query = _query(request.query_string)
    body, is_base64 = _body(request.body)
    decoded_path = unquote(request.path)
    now = time.time()
    return {
        "resource": match.resource,
        "path": decoded_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": match.resource,
            "httpMethod": request.method,
            "path": f"/{STAGE}{decoded_path}",
            "stage": STAGE,
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": API_ID,
            "protocol": "HTTP/1.1",
            "domainName": _header(request.headers, "host") or "127.0.0.1",
            "requestId": request_id or str(uuid.uuid4()),
            "extendedRequestId": request_id or str(uuid.uuid4()),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": request.source_ip, "userAgent": _header(request.headers, "user-agent")},
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _headers(pairs: list[tuple[str, str]]) -> tuple[dict | None, dict | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value  # API Gateway keeps the last value of a repeated header here
        multi.setdefault(name, []).append(value)
    return single, multi


def _header(pairs: list[tuple[str, str]], wanted: str) -> str | None:
    for name, value in reversed(pairs):
        if name.lower() == wanted:
            return value
    return None


def _query(query_string: str) -> tuple[dict | None, dict | None]:
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


class BadLambdaResponse(ValueError):
    """The function returned something API Gateway would answer 502 for."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def read_proxy_response(result) -> HttpResponse:
    """Turn a proxy-integration result into the HTTP response API Gateway would send."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise BadLambdaResponse("the function's response has no integer statusCode")
    status = result["statusCode"]
    if not 100 <= status <= 599:
        raise BadLambdaResponse(f"the function returned status {status}")
    multi = {name.lower(): (name, values) for name, values in (result.get("multiValueHeaders") or {}).items()}
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in multi:  # a name in both: multiValueHeaders wins, as on API Gateway
            headers.append((name, str(value)))
    for name, values in multi.values():
        headers.extend((name, str(value)) for value in (values or []))
    body = result.get("body")
    if body is None:
        raw = b""
    elif result.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (ValueError, TypeError) as error:
            raise BadLambdaResponse("the function's base64 body does not decode") from error
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers, raw)
