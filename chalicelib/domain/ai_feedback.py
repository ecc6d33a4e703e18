"""How the classifier learns what is right: feedback on a log (``PATCH /ai/logs/{id}/feedback``), staff
correcting an AI-classified ticket's category, and the category staff give a ticket themselves.

Each judged classification moves one confusion-matrix cell (and back out of the old cell when judged
again), and becomes a training label; once ``ai.retrain_after_labels`` new labels arrived, the
workspace is marked due for the retraining schedule (``chalicelib.domain.ai_training``).
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib.clock import now_iso
from chalicelib.domain import system_config
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.models.ai import (
    LOG_SK,
    RETRAIN_DUE,
    AiLogItem,
    ConfusionItem,
    LabelItem,
    StatsItem,
    confusion_sk,
    labels_pk,
    log_pk,
    model_pk,
)
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.intake import created_key

FEEDBACK = "feedback"
CORRECTION = "correction"


def get_log(workspace_id: str, log_id: str) -> AiLogItem:
    try:
        return AiLogItem.get(log_pk(workspace_id, log_id), LOG_SK, consistent_read=True)
    except DoesNotExist:
        raise NotFound("AI log not found", code="ai_log_not_found") from None


def give_feedback(workspace_id: str, actor_id: str, log_id: str, actual_category: str, correlation_id) -> AiLogItem:
    """Record the right category for a classification. The category must be one the workspace knows
    (its system config, or a category the current model learned); 409 when another judgement won a race."""
    log = get_log(workspace_id, log_id)
    actual = known_category(workspace_id, actual_category)
    return judge(log, actual, FEEDBACK, actor_id, correlation_id)


def known_category(workspace_id: str, name: str) -> str:
    categories = [category["name"] for category in system_config.current(workspace_id)["ai"]["categories"]]
    for category in categories:
        if category.casefold() == name.strip().casefold():
            return category
    raise ValidationError(
        "unknown category",
        details={"actual_category": f"must be one of {categories}"},
        code="unknown_category",
    )


def judge(
    log: AiLogItem, actual: str, source: str, actor_id: str | None, correlation_id=None, more: Callable | None = None
) -> AiLogItem:
    """Set ``log``'s actual category in one transaction with its confusion cell, its label, the label
    counter and (feedback only) an audit row. ``more(write)`` adds to that transaction (a consumer's receipt)."""
    before = log.actual_category
    if before == actual and log.feedback_source:
        return log
    at = now_iso()
    workspace_id = log.workspace_id
    stats = StatsItem(pk=model_pk(workspace_id))
    label = LabelItem(
        pk=labels_pk(workspace_id),
        sk=f"TICKET#{log.ticket_id}" if log.ticket_id else f"LOG#{log.id}",
        text=log.text,
        category=actual,
        source=source,
        at=at,
    )
    log.actual_category, log.feedback_source, log.updated_at = actual, source, at
    try:
        with transaction() as write:
            write.save(log)  # the version read rides along: a concurrent judgement makes this fail
            if before is not None:
                write.update(_cell(workspace_id, before, log.predicted_category), actions=[ConfusionItem.count.add(-1)])
            write.update(
                _cell(workspace_id, actual, log.predicted_category),
                actions=[
                    ConfusionItem.count.add(1),
                    ConfusionItem.actual.set(actual),
                    ConfusionItem.predicted.set(log.predicted_category or "~none"),
                ],
            )
            write.save(label)
            write.update(stats, actions=[StatsItem.new_labels.add(1)])
            if source == FEEDBACK:
                write.save(
                    audit_record(
                        workspace_id,
                        actor_id or "system",
                        "ai_log.feedback",
                        "ai_log",
                        log.id,
                        {"actual_category": {"from": before, "to": actual}},
                        correlation_id,
                        at,
                    )
                )
            if more is not None:
                more(write)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            raise Conflict(
                "the log was judged by someone else meanwhile; read it again", code="ai_log_conflict"
            ) from None
        raise
    mark_due_if_enough(workspace_id)
    return log


def add_ticket_label(workspace_id: str, ticket_id: str, text: str, category: str, more: Callable) -> None:
    """The category a person gave a ticket (no AI involved) is a training label too."""
    label = LabelItem(
        pk=labels_pk(workspace_id),
        sk=f"TICKET#{ticket_id}",
        text=text,
        category=category,
        source="ticket",
        at=now_iso(),
    )
    with transaction() as write:
        write.save(label)
        write.update(StatsItem(pk=model_pk(workspace_id)), actions=[StatsItem.new_labels.add(1)])
        more(write)
    mark_due_if_enough(workspace_id)


def mark_due_if_enough(workspace_id: str) -> bool:
    """Put the workspace on the retraining list once enough new labels arrived (once: the condition)."""
    threshold = system_config.current(workspace_id)["ai"]["retrain_after_labels"]
    try:  # a read first: a conditional write that fails still costs a write unit, and most labels fail it
        stats = StatsItem.get(model_pk(workspace_id), "STATS", consistent_read=True)
    except DoesNotExist:
        return False
    if int(stats.new_labels or 0) < threshold or stats.list_key:
        return False
    try:
        StatsItem(pk=model_pk(workspace_id)).update(
            actions=[
                StatsItem.list_key.set(RETRAIN_DUE),
                StatsItem.created_key.set(created_key(now_iso(), workspace_id)),
            ],
            condition=(StatsItem.new_labels >= threshold) & StatsItem.list_key.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _cell(workspace_id: str, actual: str | None, predicted: str | None) -> ConfusionItem:
    return ConfusionItem(pk=model_pk(workspace_id), sk=confusion_sk(actual, predicted))
