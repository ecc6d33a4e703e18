"""Ticket attachments: presigned upload, confirm, list, download, delete: parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("tickets")
