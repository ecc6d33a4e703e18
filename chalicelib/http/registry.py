"""Route families: Chalice blueprints whose routes also describe themselves.

Every route is declared once, with ``RouteFamily.route``; the description feeds the request
pipeline (auth, tenancy, roles, idempotency, validation), the OpenAPI document (operationId,
schemas, the statuses and headers it can answer) and the template's API events. A CORS
preflight (OPTIONS) route is added for each path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalice import Blueprint

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RouteSpec:
    """One route. Besides what the pipeline enforces, it says what the route can answer:
    ``errors`` are the statuses its domain call adds to those the pipeline gives it (e.g. 404
    for a route without a path id that still looks something up), ``if_match`` that it reads
    ``If-Match`` (so it can answer 412), ``response_headers`` the headers its success carries
    beyond those the pipeline adds (names from ``chalicelib.http.openapi.RESPONSE_HEADERS``)."""

    family: str
    path: str
    method: str
    operation_id: str = ""
    summary: str = ""
    auth: bool = True
    tenant: bool = True
    roles: frozenset[str] | None = None
    idempotent: bool = False
    idempotency_key_required: bool = False  # this route refuses a mutation without Idempotency-Key
    body: dict | None = None
    query: dict = field(default_factory=dict)
    response: dict | None = None
    status: int = 200
    also_status: tuple[int, ...] = ()  # other success statuses, with the same body (a 200 beside a 201)
    tags: tuple[str, ...] = ()
    preflight: bool = False
    raw_response: bool = False
    content_type: str = "application/json"
    if_match: bool = False
    errors: frozenset[int] = frozenset()
    response_headers: tuple[str, ...] = ()
    form_body: bool = False  # the body may also come form-encoded (application/x-www-form-urlencoded)


ROUTES: list[RouteSpec] = []


def api_routes() -> list[RouteSpec]:
    """Every route registered so far (import the blueprints first), preflights included."""
    return list(ROUTES)


class RouteFamily:
    """The routes of one family (one Lambda function on AWS).

    Declarations are kept here and a fresh Chalice blueprint is built for every app that serves
    the family: Chalice mutates a blueprint's route options when registering it, so one blueprint
    cannot be registered in two apps (``app.py`` and ``functions/<family>_api.py``).
    """

    def __init__(self, family: str):
        self.family = family
        self._declarations: list[tuple[RouteSpec, object]] = []
        self._paths: list[str] = []

    def route(self, path: str, method: str, *, operation_id: str, **options):
        """Declare ``method path`` as ``operation_id`` (the name clients call it by, unique across
        the API); options are RouteSpec fields (summary, roles, body, query, response, ...)."""
        method = method.upper()
        options.setdefault("idempotent", method in MUTATING_METHODS)
        spec = RouteSpec(family=self.family, path=path, method=method, operation_id=operation_id, **options)

        def decorator(handler):
            ROUTES.append(spec)
            self._declarations.append((spec, handler))
            if path not in self._paths:
                self._paths.append(path)
                ROUTES.append(
                    RouteSpec(family=self.family, path=path, method="OPTIONS", auth=False, tenant=False, preflight=True)
                )
            return handler

        return decorator

    def build_blueprint(self) -> Blueprint:
        from chalicelib.http.pipeline import make_preflight_view, make_view

        blueprint = Blueprint(f"deskflow.{self.family}")
        for spec, handler in self._declarations:
            view = make_view(blueprint, spec, handler)
            blueprint.route(spec.path, methods=[spec.method], content_types=["*/*"], name=self._view_name(spec))(view)
        for path in self._paths:
            preflight = RouteSpec(family=self.family, path=path, method="OPTIONS", preflight=True)
            view = make_preflight_view(blueprint, path)
            blueprint.route(path, methods=["OPTIONS"], content_types=["*/*"], name=self._view_name(preflight))(view)
        return blueprint

    def _view_name(self, spec: RouteSpec) -> str:
        if spec.preflight:
            return f"{self.family}_options_{spec.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"
        return f"{self.family}_{spec.operation_id}"


def methods_for_path(path: str) -> list[str]:
    return sorted({spec.method for spec in ROUTES if spec.path == path and not spec.preflight})
