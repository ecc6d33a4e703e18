"""The AI's classification logs as the API shows them (seed 000's ``ai_log`` shape, plus what explains it)."""

from __future__ import annotations

import json

from chalicelib.domain import ai_feedback
from chalicelib.models.ai import AiLogItem, logs_list


def list_logs(workspace_id: str, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
    query = AiLogItem.lists.query(
        logs_list(workspace_id), limit=limit, last_evaluated_key=start, scan_index_forward=False
    )
    items = [to_public(item) for item in query]
    return items, query.last_evaluated_key


def get_log(workspace_id: str, log_id: str) -> dict:
    return to_public(ai_feedback.get_log(workspace_id, log_id))


def to_public(log: AiLogItem) -> dict:
    return {
        "id": log.id,
        "ticket_id": log.ticket_id,
        "predicted_category": log.predicted_category,
        "actual_category": log.actual_category,
        "confidence_score": float(log.confidence),
        "auto_assigned": log.auto_assigned,
        "model_version": log.model_version,
        "created_at": log.created_at,
        "source": log.source,
        "provider": log.provider,
        "fallback_from": log.fallback_from,
        "fallback_reason": log.fallback_reason,
        "reasons": json.loads(log.reasons or "[]"),
        "feedback_source": log.feedback_source,
        "image_read": bool(log.image_read),
        "text": log.text,
    }
