"""System routes: health checks, the OpenAPI document and its interactive reference."""

from __future__ import annotations

from chalicelib.http import api_docs
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import named

routes = RouteFamily("system")

HEALTH_SCHEMA = named(
    "Health",
    {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}, "service": {"type": "string"}}},
)
PUBLIC = {"auth": False, "tenant": False}


def _health(_request):
    return {"ok": True, "service": "deskflow"}


routes.route("/health", "GET", operation_id="getHealth", summary="Liveness", response=HEALTH_SCHEMA, **PUBLIC)(_health)
routes.route(
    "/api/v1/health", "GET", operation_id="getApiHealth", summary="Liveness", response=HEALTH_SCHEMA, **PUBLIC
)(_health)


@routes.route(
    "/api/v1/openapi",
    "GET",
    operation_id="getOpenApiDocument",
    summary="OpenAPI 3.1 document",
    response={"type": "object"},
    **PUBLIC,
)
def openapi_document(_request):
    from chalicelib.http.openapi import build_openapi

    return build_openapi()


@routes.route(
    "/api/v1/docs",
    "GET",
    operation_id="getApiReference",
    summary="Interactive API reference (Swagger UI) for this document",
    raw_response=True,
    content_type="text/html; charset=utf-8",
    **PUBLIC,
)
def api_reference(_request):
    return Reply(api_docs.PAGE, headers={"Cache-Control": "no-cache"})


def _asset_route(name: str, operation_id: str):
    @routes.route(
        f"/api/v1/docs/{name}",
        "GET",
        operation_id=operation_id,
        summary=f"{name} for the API reference page",
        raw_response=True,
        content_type=api_docs.ASSETS[name],
        **PUBLIC,
    )
    def serve_asset(_request):
        return Reply(api_docs.asset(name), headers={"Cache-Control": api_docs.ASSET_CACHE_CONTROL})

    serve_asset.__name__ = operation_id
    return serve_asset


_asset_route("swagger-ui-bundle.js", "getApiReferenceScript")
_asset_route("swagger-ui.css", "getApiReferenceStylesheet")
