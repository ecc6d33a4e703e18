"""Ticket routes."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("tickets")
