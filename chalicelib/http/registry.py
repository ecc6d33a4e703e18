"""Route families: Chalice blueprints whose routes also describe themselves.

Every route is declared once, with ``RouteFamily.route``; the description feeds the request
pipeline (auth, tenancy, roles, idempotency, validation), the OpenAPI document and the
template's API events. A CORS preflight (OPTIONS) route is added for each path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalice import Blueprint

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RouteSpec:
    family: str
    path: str
    method: str
    summary: str = ""
    auth: bool = True
    tenant: bool = True
    roles: frozenset[str] | None = None
    idempotent: bool = False
    body: dict | None = None
    query: dict = field(default_factory=dict)
    response: dict | None = None
    status: int = 200
    tags: tuple[str, ...] = ()
    preflight: bool = False
    raw_response: bool = False
    content_type: str = "application/json"

    @property
    def operation_id(self) -> str:
        return f"{self.method.lower()}_{self.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"


ROUTES: list[RouteSpec] = []


def api_routes() -> list[RouteSpec]:
    """Every route registered so far (import the blueprints first), preflights included."""
    return list(ROUTES)


class RouteFamily:
    """A Chalice blueprint for one route family (one Lambda function on AWS)."""

    def __init__(self, family: str):
        self.family = family
        self.blueprint = Blueprint(f"deskflow.{family}")
        self._paths_with_preflight: set[str] = set()

    def route(self, path: str, method: str, **options):
        """Declare ``method path``; options are RouteSpec fields (summary, roles, body, query, ...)."""
        from chalicelib.http.pipeline import make_view

        method = method.upper()
        options.setdefault("idempotent", method in MUTATING_METHODS)
        spec = RouteSpec(family=self.family, path=path, method=method, **options)

        def decorator(handler):
            ROUTES.append(spec)
            view = make_view(self.blueprint, spec, handler)
            self.blueprint.route(
                path, methods=[method], content_types=["*/*"], name=f"{self.family}_{spec.operation_id}"
            )(view)
            self._add_preflight(path)
            return handler

        return decorator

    def _add_preflight(self, path: str) -> None:
        from chalicelib.http.pipeline import make_preflight_view

        if path in self._paths_with_preflight:
            return
        self._paths_with_preflight.add(path)
        spec = RouteSpec(family=self.family, path=path, method="OPTIONS", auth=False, tenant=False, preflight=True)
        ROUTES.append(spec)
        view = make_preflight_view(self.blueprint, path)
        self.blueprint.route(
            path, methods=["OPTIONS"], content_types=["*/*"], name=f"{self.family}_{spec.operation_id}"
        )(view)


def methods_for_path(path: str) -> list[str]:
    return sorted({spec.method for spec in ROUTES if spec.path == path and not spec.preflight})
