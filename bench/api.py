"""Calling the Deskflow routes in-process (``chalice.test.Client`` over the full app) as a
given role in a given workspace."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: object
    headers: dict
    elapsed_ms: float


class BenchApi:
    def __init__(self, client, workspace_id: str):
        self._client = client
        self.workspace_id = workspace_id
        self._tokens: dict[str, str] = {}

    def headers(self, role: str, **extra: str) -> dict:
        headers = {
            "Authorization": f"Bearer {self._token(role)}",
            "x-workspace-id": self.workspace_id,
            "Content-Type": "application/json",
        }
        headers.update(extra)
        return headers

    def call(self, method: str, path: str, role: str = "agent", body: dict | None = None, **headers: str):
        """One request; raises if the answer is not a success (a benchmark of errors measures nothing)."""
        request = getattr(self._client.http, method.lower())
        arguments = {"headers": self.headers(role, **headers)}
        if body is not None:
            arguments["body"] = json.dumps(body)
        started = time.perf_counter()
        raw = request(path, **arguments)
        elapsed_ms = (time.perf_counter() - started) * 1000
        parsed = json.loads(raw.body) if raw.body else None
        if raw.status_code >= 300:
            raise RuntimeError(f"{method} {path} answered {raw.status_code}: {parsed}")
        return ApiResponse(raw.status_code, parsed, dict(raw.headers), elapsed_ms)

    def _token(self, role: str) -> str:
        if role not in self._tokens:
            from chalicelib.auth.tokens import issue_local_token
            from chalicelib.domain.directory import create_user

            user_id = f"bench-{role}"
            # Every request checks its caller against the directory: the caller must be a real member.
            create_user(self.workspace_id, f"{user_id}@example.com", "bench-password", [role], user_id=user_id)
            self._tokens[role] = issue_local_token(user_id, f"{user_id}@example.com", [role], [self.workspace_id])
        return self._tokens[role]


def idempotency_key() -> str:
    return f"bench-{uuid.uuid4().hex}"
