"""Small helpers shared by the route tests."""

from __future__ import annotations

import json


def call(client, method: str, path: str, headers: dict | None = None, body=None):
    """One request through chalice's test client; ``response.json`` is the decoded body (or None)."""
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    headers = {"Content-Type": "application/json", **(headers or {})}
    response = client.http.request(method, path, headers=headers, body=payload)
    response.json = json.loads(response.body) if response.body else None
    return response


def open_ticket(client, headers: dict, **fields):
    body = {"title": "Water leak under sink", **fields}
    response = call(client, "POST", "/api/v1/tickets", headers, body)
    assert response.status_code == 201, response.body
    return response.json


def add_team(workspace_id: str, team_id: str) -> str:
    """A team of the workspace with the id ``team_id`` (a ticket's ``team`` names an existing team)."""
    from chalicelib.domain.teams import create_team

    create_team(workspace_id, team_id.title(), team_id=team_id, actor_id="test")
    return team_id
