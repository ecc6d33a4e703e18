"""Image intake (seed 000): an image with a caption becomes an attachment and a classified ticket."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("intake")
