"""Ticket classification: the one entry point every intake channel calls (classify, chat, image, submit).

``classify`` asks the workspace's provider (``chalicelib.domain.ai_providers``: the built-in model,
falling back to it when an external one fails), adds the priority and class hints, and logs the
answer (``chalicelib.models.ai.AiLogItem``); ``record_outcome`` tells the log which ticket it became
and whether that ticket was auto-assigned.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.ai import hints
from chalicelib.clock import now_iso
from chalicelib.domain import ai_providers, system_config
from chalicelib.models.ai import LOG_SK, AiLogItem, StatsItem, TicketLogItem, log_pk, logs_list, model_pk, ticket_log_pk
from chalicelib.models.base import transaction
from chalicelib.models.intake import created_key
from chalicelib.models.sizing import compact_json

MAX_LOGGED_TEXT = 4000


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
    fallback_from: str | None = None
    fallback_reason: str | None = None
    # May a ticket opened from this answer run the RACI rules? The workspace's gate: ``ai.auto_assign_enabled``
    # and a confidence at or above ``ai.auto_assign_confidence_threshold`` (below it: the triage queue).
    auto_assignable: bool = False

    def public(self) -> dict:
        return asdict(self)

    def suggestion(self) -> dict:
        """What a ticket opened from this classification carries (``ticket.created``'s ``ai_suggestion``)."""
        return {
            "category": self.category,
            "confidence": self.confidence,
            "model_version": self.model_version,
            "provider": self.provider,
            "ai_log_id": self.ai_log_id,
        }


def classify(
    workspace_id: str, text: str, *, source: str, actor_id: str | None = None, image: bytes | None = None
) -> Classification:
    """Classify ``text`` (title and description, a chat message, a caption and file name) for
    ``workspace_id`` and log it. ``source`` is the channel (``api``, ``chat``, ``image``, ``intake``);
    ``image`` is read only by a provider that understands images (``image_read`` says whether it was)."""
    ai_config = system_config.current(workspace_id)["ai"]
    answer = ai_providers.answer(workspace_id, ai_config, text, image)
    is_work_order = answer.category is not None
    priority, priority_reasons = hints.suggested_priority(text)
    at = now_iso()
    log_id = str(uuid.uuid4())
    log = AiLogItem(
        pk=log_pk(workspace_id, log_id),
        id=log_id,
        workspace_id=workspace_id,
        source=source,
        text=text[:MAX_LOGGED_TEXT],
        actor_id=actor_id,
        provider=answer.provider,
        fallback_from=answer.fallback_from,
        fallback_reason=answer.fallback_reason,
        predicted_category=answer.category,
        confidence=answer.confidence,
        model_version=answer.model_version,
        reasons=compact_json(answer.reasons),
        image_read=answer.image_read,
        created_at=at,
        updated_at=at,
        list_key=logs_list(workspace_id),
        created_key=created_key(at, log_id),
    )
    log.save(condition=AiLogItem.pk.does_not_exist())
    return Classification(
        category=answer.category,
        ticket_class=hints.ticket_class(text, is_work_order),
        suggested_priority=priority,
        is_work_order=is_work_order,
        confidence=answer.confidence,
        model_version=answer.model_version,
        provider=answer.provider,
        reasons=[f"'{term}' points to {answer.category}" for term in answer.reasons] + priority_reasons,
        ai_log_id=log_id,
        image_read=answer.image_read,
        fallback_from=answer.fallback_from,
        fallback_reason=answer.fallback_reason,
        auto_assignable=_passes_gate(ai_config, answer.confidence),
    )


def _passes_gate(ai_config: dict, confidence: float) -> bool:
    return bool(ai_config["auto_assign_enabled"]) and confidence >= float(ai_config["auto_assign_confidence_threshold"])


def record_outcome(workspace_id: str, ai_log_id: str | None, ticket_id: str, auto_assigned: bool) -> None:
    """Note on the classification's log the ticket it opened and whether it was auto-assigned, point the
    ticket at its log (a later staff correction of the category finds it) and count it for the
    auto-assignment rate. A second call for the same log changes nothing."""
    if ai_log_id is None:
        return
    at = now_iso()
    try:
        log = AiLogItem.get(
            log_pk(workspace_id, ai_log_id), LOG_SK, consistent_read=True
        )  # its version guards the write
    except DoesNotExist:
        return
    stats = StatsItem(pk=model_pk(workspace_id))
    try:
        with transaction() as write:
            write.update(
                log,
                actions=[
                    AiLogItem.ticket_id.set(ticket_id),
                    AiLogItem.auto_assigned.set(auto_assigned),
                    AiLogItem.updated_at.set(at),
                ],
                condition=AiLogItem.ticket_id.does_not_exist(),
            )
            write.save(
                TicketLogItem(pk=ticket_log_pk(workspace_id, ticket_id), log_id=ai_log_id),
                condition=TicketLogItem.pk.does_not_exist(),
            )
            write.update(
                stats,
                actions=[StatsItem.classified_tickets.add(1), StatsItem.auto_assigned.add(1 if auto_assigned else 0)],
            )
    except TransactWriteError:
        return  # already recorded (or no such log): the first outcome stands
