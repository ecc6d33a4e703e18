"""Classification and the AI's logs, feedback, training, status and metrics (seeds 000, 001)."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("ai")
