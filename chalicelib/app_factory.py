"""Build a Chalice app from route families: all of them for local serving and tests (``app.py``),
one of them per Lambda function (``functions/*_api.py``)."""

from __future__ import annotations

import importlib

from chalice import Chalice

# family -> the modules declaring its routes (each has a ``routes = RouteFamily(<family>)``). A family
# is one Lambda function on AWS; its routes may live in several modules, one per capability.
FAMILY_MODULES: dict[str, tuple[str, ...]] = {
    "system": ("chalicelib.blueprints.system",),
    "directory": ("chalicelib.blueprints.directory",),
    # Requesters, teams, technicians, buildings: their own function, because one Lambda's resource policy
    # holds about 40 API permissions (tests/infra/test_template.py) and directory + people would need ~50.
    "people": ("chalicelib.blueprints.people",),
    "tickets": (
        "chalicelib.blueprints.tickets",
        "chalicelib.blueprints.ticket_attachments",
        "chalicelib.blueprints.ticket_watchers",
    ),
    # Split from "tickets": API Gateway grants one Lambda permission per route, and a function's resource
    # policy holds about 40 (tests/infra/test_template.py).
    "ticket_extras": (
        "chalicelib.blueprints.ticket_exports",
        "chalicelib.blueprints.csat",
        "chalicelib.blueprints.notifications",
    ),
    "workflows": (
        "chalicelib.blueprints.workflows",
        "chalicelib.blueprints.workflow_tasks",
        "chalicelib.blueprints.workflow_executions",
    ),
    "approvals": (
        "chalicelib.blueprints.changes",
        "chalicelib.blueprints.clarifications",
        "chalicelib.blueprints.access_requests",
    ),
    "integrations": (
        "chalicelib.blueprints.event_feed",
        "chalicelib.blueprints.event_ingest",
        "chalicelib.blueprints.integrations",
        "chalicelib.blueprints.webhook_subscriptions",
    ),
    "sla": ("chalicelib.blueprints.sla", "chalicelib.blueprints.sla_breaches"),
    # Intake channels (issue 11): chat, image intake, clarify/submit sessions.
    "intake": (
        "chalicelib.blueprints.chat",
        "chalicelib.blueprints.image_intake",
        "chalicelib.blueprints.intake_sessions",
    ),
    # Classification, AI logs, training, status and metrics; RACI groups and rules; system metrics.
    "ai": ("chalicelib.blueprints.ai", "chalicelib.blueprints.raci"),
    "admin": (
        "chalicelib.blueprints.system_config",
        "chalicelib.blueprints.audit_logs",
        "chalicelib.blueprints.metrics",
    ),
}


def load_family(family: str) -> list:
    """The RouteFamily objects of ``family`` (importing a module registers its routes)."""
    return [importlib.import_module(module).routes for module in FAMILY_MODULES[family]]


def load_all_families() -> None:
    """Import every family so the route registry is complete (OpenAPI, template parity)."""
    for family in FAMILY_MODULES:
        load_family(family)


def create_app(name: str, families: list[str] | None = None) -> Chalice:
    app = Chalice(app_name=name)
    app.api.binary_types = []  # bodies are JSON or text; keep API Gateway from base64-wrapping them
    for family in families or list(FAMILY_MODULES):
        for routes in load_family(family):
            app.register_blueprint(routes.build_blueprint())
    return app
