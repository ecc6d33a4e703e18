"""Small helpers shared by the ticket route tests."""

from __future__ import annotations

import json


def send(client, method: str, path: str, headers: dict, body=None):
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    response = client.http.request(method, path, headers=headers, body=payload)
    response.json = json.loads(response.body) if response.body else None
    return response


def open_ticket(client, headers: dict, **fields):
    body = {"title": "Water leak under sink", **fields}
    response = send(client, "POST", "/api/v1/tickets", headers, body)
    assert response.status_code == 201, response.body
    return response.json
