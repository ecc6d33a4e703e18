"""RACI groups and rules (seed 001) and the system metrics (seed 000)."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("ai")
