"""Build a Chalice app from route families: all of them for local serving and tests (``app.py``),
one of them per Lambda function (``functions/*_api.py``)."""

from __future__ import annotations

import importlib

from chalice import Chalice

FAMILY_MODULES = {
    "system": "chalicelib.blueprints.system",
    "directory": "chalicelib.blueprints.directory",
    "tickets": "chalicelib.blueprints.tickets",
}


def load_family(family: str):
    return importlib.import_module(FAMILY_MODULES[family]).routes


def load_all_families() -> None:
    """Import every family so the route registry is complete (OpenAPI, template parity)."""
    for family in FAMILY_MODULES:
        load_family(family)


def create_app(name: str, families: list[str] | None = None) -> Chalice:
    app = Chalice(app_name=name)
    app.api.binary_types = []  # bodies are JSON or text; keep API Gateway from base64-wrapping them
    for family in families or list(FAMILY_MODULES):
        app.register_blueprint(load_family(family).build_blueprint())
    return app
