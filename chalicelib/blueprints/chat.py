"""Chat intake (seed 000): a message becomes a ticket or a reply; conversations, messages, recipients."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("intake")
