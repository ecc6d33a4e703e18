"""Training a workspace's model: a job (``POST /ai/train`` or the schedule) whose event the ``ai-training``
consumer runs. The consumer reads the workspace's labels (one Query of their partition), fits the model
with scikit-learn (``chalicelib.ai.training``), stores the weights in the files bucket and makes them
the current model; classifications then use the new version.

The schedule (``functions/ai_retrain_schedule.py``) reads the workspaces marked due by
``ai_feedback.mark_due_if_enough`` from one partition of the list index and queues a job for each.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError

from chalicelib.clock import now_iso
from chalicelib.domain import jobs, system_config
from chalicelib.events.catalogue import AI_TRAINING, Topic
from chalicelib.logs import get_logger
from chalicelib.models.ai import RETRAIN_DUE, LabelItem, ModelRecord, StatsItem, labels_pk, model_pk
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.jobs import JobItem
from chalicelib.models.model_files import model_key, put_model

JOB_KIND = "ai_training"
JOB_DAYS = 7
JOB_LEASE = timedelta(seconds=AI_TRAINING.visibility_timeout)
SYSTEM_ACTOR = "system"
MAX_LABELS = 50_000  # the newest labels a training reads (a Lambda's memory and 15 minutes bound it)


def request_training(workspace_id: str, actor_id: str, correlation_id: str | None, due_marker: bool = False) -> dict:
    """Queue a training job (job, event and audit row in one transaction). ``due_marker``: the schedule
    takes the workspace off the due list in the same transaction, so two overlapping runs queue one job."""

    def take_off_the_due_list(write) -> None:
        write.update(
            StatsItem(pk=model_pk(workspace_id)),
            actions=[StatsItem.list_key.remove(), StatsItem.created_key.remove()],
            condition=StatsItem.list_key == RETRAIN_DUE,
        )

    job = jobs.queue(
        workspace_id,
        JOB_KIND,
        Topic.AI_TRAINING_REQUESTED,
        actor_id,
        correlation_id,
        params={},
        audit_action="ai_training.requested",
        keep_days=JOB_DAYS,
        more=take_off_the_due_list if due_marker else None,
    )
    return job_public(job)


def request_due_trainings(limit: int = 100) -> int:
    """The schedule: queue a job for each workspace whose new labels reached its threshold."""
    queued = 0
    for stats in StatsItem.lists.query(RETRAIN_DUE, limit=limit):
        workspace_id = stats.pk.removeprefix("AIMODEL#")
        try:
            request_training(workspace_id, SYSTEM_ACTOR, None, due_marker=True)
            queued += 1
        except TransactWriteError as error:
            if "ConditionalCheckFailed" not in cancellation_codes(error):
                raise  # else another run took it
    return queued


def run_training_job(envelope: dict) -> bool:
    """The consumer's work for one ``ai.training_requested`` event. False for a redelivery."""
    job = jobs.claim(envelope["workspace_id"], (envelope.get("data") or {})["job_id"], JOB_LEASE)
    if job is None:
        return False
    try:
        record, labels_used = train(job.workspace_id, job.id)
    except Exception as error:  # the job says it failed rather than staying "running"
        get_logger().exception("training failed", extra={"job_id": job.id})
        return jobs.finish(
            job, AI_TRAINING.name, envelope["id"], "failed", error=f"training failed ({type(error).__name__})"
        )
    return jobs.finish(
        job, AI_TRAINING.name, envelope["id"], "succeeded", object_key=record.object_key, rows=labels_used
    )


def train(workspace_id: str, job_id: str | None = None) -> tuple[ModelRecord, int]:
    """Fit, store and switch to a new model for ``workspace_id``; returns its record and the labels used."""
    from chalicelib.ai.training import Example, fit  # scikit-learn: only the training function ships it

    categories = system_config.current(workspace_id)["ai"]["categories"]
    known = {category["name"] for category in categories}
    stats_before = _new_labels(workspace_id)
    examples = [
        Example(label.text, label.category)
        for label in LabelItem.query(labels_pk(workspace_id), limit=MAX_LABELS, scan_index_forward=False)
        if label.category in known
    ]
    at = now_iso()
    version = "v" + at[:19].replace("-", "").replace(":", "") + "Z-" + uuid.uuid4().hex[:6]
    model = fit(examples, categories, version, at)
    key = model_key(workspace_id, version)
    put_model(key, model.to_document())
    record = ModelRecord(
        pk=model_pk(workspace_id),
        version=version,
        object_key=key,
        trained_at=at,
        labels=len(examples),
        examples=model.trained_on.get("examples", 0),
        categories=len(model.classes),
        job_id=job_id,
    )
    with transaction() as write:
        write.save(record)
        write.update(StatsItem(pk=model_pk(workspace_id)), actions=[StatsItem.new_labels.add(-stats_before)])
    return record, len(examples)


def _new_labels(workspace_id: str) -> int:
    try:
        return int(StatsItem.get(model_pk(workspace_id), "STATS", consistent_read=True).new_labels or 0)
    except StatsItem.DoesNotExist:
        return 0


def job_public(job: JobItem) -> dict:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "finished_at": job.finished_at,
        "error": job.error,
    }
