"""Which model answers for a workspace: its trained model (weights in the files bucket), or, until it
has one, the seed model built from its system config's categories and example phrases.

One GetItem per classification finds the current version; the weights are read from S3 once per
version and process (a warm function scores from memory).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from pynamodb.exceptions import DoesNotExist

from chalicelib.ai.model import LinearTextModel, seed_model
from chalicelib.models.ai import ModelRecord, model_pk
from chalicelib.models.model_files import get_model

SEED_PREFIX = "seed-"


def current_record(workspace_id: str) -> ModelRecord | None:
    try:
        return ModelRecord.get(model_pk(workspace_id), "CURRENT")
    except DoesNotExist:
        return None


def current_model(workspace_id: str, categories: list[dict]) -> LinearTextModel:
    record = current_record(workspace_id)
    if record is None:
        return _seed(json.dumps(categories, sort_keys=True))
    return _trained(record.object_key)


def seed_version(categories: list[dict]) -> str:
    digest = hashlib.sha256(json.dumps(categories, sort_keys=True).encode()).hexdigest()[:10]
    return f"{SEED_PREFIX}{digest}"


@lru_cache(maxsize=64)
def _seed(categories_json: str) -> LinearTextModel:
    categories = json.loads(categories_json)
    return seed_model(categories, seed_version(categories))


@lru_cache(maxsize=64)
def _trained(object_key: str) -> LinearTextModel:
    return LinearTextModel.from_document(get_model(object_key))
