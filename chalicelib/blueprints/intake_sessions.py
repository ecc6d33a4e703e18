"""Intake sessions (seed 001): clarify, submit, list."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("intake")
