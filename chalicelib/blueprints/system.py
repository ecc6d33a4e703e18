"""System routes: health checks and the OpenAPI document."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("system")

HEALTH_SCHEMA = {
    "type": "object",
    "required": ["ok"],
    "properties": {"ok": {"type": "boolean"}, "service": {"type": "string"}},
}


def _health(_request):
    return {"ok": True, "service": "deskflow"}


routes.route("/health", "GET", auth=False, tenant=False, summary="Liveness", response=HEALTH_SCHEMA)(_health)
routes.route("/api/v1/health", "GET", auth=False, tenant=False, summary="Liveness", response=HEALTH_SCHEMA)(_health)


@routes.route(
    "/api/v1/openapi", "GET", auth=False, tenant=False, summary="OpenAPI 3.1 document", response={"type": "object"}
)
def openapi_document(_request):
    from chalicelib.http.openapi import build_openapi

    return build_openapi()
