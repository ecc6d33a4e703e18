"""Requesters, technicians, teams, buildings and apartments: parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.http.registry import RouteFamily

routes = RouteFamily("directory")
