"""What the AI can say about itself: ``GET /ai/status`` (who answers, reachable, model version, what it
was trained on and when, whether images are read) and ``GET /ai/metrics`` (accuracy, per-category
precision and recall, the confusion matrix, the auto-assignment rate), each from a few key reads."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain import ai_models, ai_providers, system_config
from chalicelib.models.ai import NO_CATEGORY, ConfusionItem, StatsItem, model_pk


def status(workspace_id: str) -> dict:
    ai_config = system_config.current(workspace_id)["ai"]
    provider = ai_providers.configured(ai_config)
    record = ai_models.current_record(workspace_id)
    if record is None:
        categories = ai_config["categories"]
        trained_on = {"labels": 0, "examples": sum(len(c.get("examples", [])) for c in categories), "source": "config"}
        version, trained_at = ai_models.seed_version(categories), None
    else:
        trained_on = {"labels": int(record.labels), "examples": int(record.examples), "source": "labels"}
        version, trained_at = record.version, record.trained_at
    return {
        "provider": provider,
        "available": ai_providers.reachable(workspace_id, ai_config),
        "fallback": ai_providers.BUILTIN if provider != ai_providers.BUILTIN else None,
        "model_version": version,
        "trained_at": trained_at,
        "trained_on": trained_on,
        "new_labels": _stats(workspace_id).new_labels or 0,
        "vision": ai_providers.supports_images(ai_config),
    }


def metrics(workspace_id: str) -> dict:
    cells = list(ConfusionItem.query(model_pk(workspace_id), ConfusionItem.sk.startswith("CM#")))
    counts = {(cell.actual, cell.predicted): int(cell.count) for cell in cells if int(cell.count or 0) > 0}
    judged = sum(counts.values())
    correct = sum(n for (actual, predicted), n in counts.items() if actual == predicted)
    categories = sorted({name for pair in counts for name in pair if name != NO_CATEGORY})
    per_category = {}
    for name in categories:
        true_positive = counts.get((name, name), 0)
        predicted = sum(n for (_, guess), n in counts.items() if guess == name)
        actual = sum(n for (truth, _), n in counts.items() if truth == name)
        per_category[name] = {
            "precision": _ratio(true_positive, predicted),
            "recall": _ratio(true_positive, actual),
            "support": actual,
        }
    stats = _stats(workspace_id)
    classified = int(stats.classified_tickets or 0)
    return {
        "judged": judged,
        "accuracy": _ratio(correct, judged),
        "per_category": per_category,
        "confusion_matrix": [
            {"actual": actual, "predicted": None if predicted == NO_CATEGORY else predicted, "count": n}
            for (actual, predicted), n in sorted(counts.items())
        ],
        "classified_tickets": classified,
        "auto_assigned": int(stats.auto_assigned or 0),
        "auto_assign_rate": _ratio(int(stats.auto_assigned or 0), classified),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _stats(workspace_id: str) -> StatsItem:
    try:
        return StatsItem.get(model_pk(workspace_id), "STATS")
    except DoesNotExist:
        return StatsItem(pk=model_pk(workspace_id))
