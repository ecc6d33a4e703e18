"""Ticket classification: the one entry point every intake channel calls (classify, chat, image, submit).

``classify`` answers a ``Classification``; ``record_outcome`` tells the classification's log which
ticket it became and whether that ticket was auto-assigned. This first version matches the example
phrases of the workspace's system config (``ai.categories``); the trained per-workspace model, the
external providers and the logs replace its inside without changing these two signatures.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from chalicelib.domain import system_config

MODEL_VERSION_RULES = "rules-0"
_WORD = re.compile(r"[a-z0-9]+")
WORK_ORDER_CLASSES = ("incident", "service_request")


@dataclass(frozen=True)
class Classification:
    category: str | None
    ticket_class: str
    suggested_priority: str
    is_work_order: bool
    confidence: float
    model_version: str
    provider: str
    reasons: list[str] = field(default_factory=list)
    subcategory: str | None = None
    ai_log_id: str | None = None
    image_read: bool = False

    def public(self) -> dict:
        return asdict(self)


def classify(
    workspace_id: str, text: str, *, source: str, actor_id: str | None = None, image: bytes | None = None
) -> Classification:
    """Classify ``text`` (title and description, a chat message, a caption and file name) for
    ``workspace_id``. ``source`` is the channel (``api``, ``chat``, ``image``, ``intake``); ``image``
    is read only by a provider that understands images (``image_read`` says whether it was)."""
    words = set(_WORD.findall(text.lower()))
    best, best_hits = None, []
    for category in system_config.current(workspace_id)["ai"]["categories"]:
        hits = [phrase for phrase in category.get("examples", []) if set(_WORD.findall(phrase.lower())) <= words]
        if len(hits) > len(best_hits):
            best, best_hits = category["name"], hits
    confidence = min(1.0, 0.5 + 0.25 * len(best_hits)) if best else 0.0
    return Classification(
        category=best,
        ticket_class="incident" if best else "question",
        suggested_priority="medium",
        is_work_order=best is not None,
        confidence=confidence,
        model_version=MODEL_VERSION_RULES,
        provider="rules",
        reasons=[f"matched '{phrase}'" for phrase in best_hits],
    )


def record_outcome(workspace_id: str, ai_log_id: str | None, ticket_id: str, auto_assigned: bool) -> None:
    """Note on the classification's log the ticket it opened and whether it was auto-assigned.
    Nothing to do while classifications are not logged (``ai_log_id`` is None)."""
    if ai_log_id is None:
        return
