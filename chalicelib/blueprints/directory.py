"""Auth & directory routes (workspaces, login, logout, me, users)."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("directory")
