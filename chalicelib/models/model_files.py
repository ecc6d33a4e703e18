"""Trained AI models in the files bucket, as JSON weight documents under ``models/<ws>/<version>.json``."""

from __future__ import annotations

import json

from chalicelib.models import files_bucket


def model_key(workspace_id: str, version: str) -> str:
    return f"models/{workspace_id}/{version}.json"


def put_model(key: str, document: dict) -> int:
    """Store ``document`` (durably on ``make run`` too); return its size in bytes."""
    body = json.dumps(document, separators=(",", ":")).encode()
    files_bucket.put(key, body, "application/json")
    files_bucket.keep(key)
    return len(body)


def get_model(key: str) -> dict:
    return json.loads(files_bucket.read(key))
