"""Trained AI models in the files bucket, as JSON weight documents under ``models/<ws>/<version>.json``."""

from __future__ import annotations

import json

from chalicelib import aws
from chalicelib.models import files_bucket
from chalicelib.settings import get_settings


def model_key(workspace_id: str, version: str) -> str:
    return f"models/{workspace_id}/{version}.json"


def put_model(key: str, document: dict) -> int:
    """Store ``document`` (durably on ``make run`` too); return its size in bytes."""
    body = json.dumps(document, separators=(",", ":")).encode()
    aws.s3().put_object(Bucket=get_settings().files_bucket, Key=key, Body=body, ContentType="application/json")
    files_bucket.keep(key)
    return len(body)


def get_model(key: str) -> dict:
    stored = aws.s3().get_object(Bucket=get_settings().files_bucket, Key=key)
    return json.loads(stored["Body"].read())
