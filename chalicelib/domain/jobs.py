"""Background jobs (``chalicelib.models.jobs``): queued by a request, run exactly once under at-least-once
delivery.

``queue`` writes the job with the outbox event its consumer runs and an audit row, in one transaction. A
consumer ``claim``s the job (queued, or running under a lease that ran out), does its work, then
``finish``es it together with its receipt for the event; a runner that lost its lease to another one
finds its outcome refused, and the other runner's stands.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.clock import format_time, now_iso, utcnow
from chalicelib.domain.audit import audit_record
from chalicelib.domain.events import new_event
from chalicelib.events.catalogue import Topic
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.events import ReceiptItem, receipt_key
from chalicelib.models.jobs import JobItem, job_key
from chalicelib.models.sizing import compact_json

RECEIPT_DAYS = 14


def queue(
    workspace_id: str,
    kind: str,
    topic: Topic,
    actor_id: str,
    correlation_id: str | None,
    *,
    params: dict,
    audit_action: str,
    keep_days: int,
    more: Callable | None = None,
) -> JobItem:
    """Queue a ``kind`` job: the job (``queued``), the ``topic`` event carrying its id and an audit row
    ``audit_action``, committed together; ``more(write)`` adds to that transaction. The job expires
    ``keep_days`` after it was queued."""
    at = now_iso()
    job_id = str(uuid.uuid4())
    pk, sk = job_key(workspace_id, job_id)
    job = JobItem(
        pk=pk,
        sk=sk,
        id=job_id,
        workspace_id=workspace_id,
        kind=kind,
        status="queued",
        params=compact_json(params),
        created_by=actor_id,
        created_at=at,
        updated_at=at,
        expires_at=utcnow() + timedelta(days=keep_days),
    )
    event = new_event(
        topic, workspace_id, "job", job_id, {"job_id": job_id, "kind": kind}, correlation_id, at, actor_id=actor_id
    )
    audit = audit_record(workspace_id, actor_id, audit_action, "job", job_id, correlation_id=correlation_id, at=at)
    with transaction() as write:
        write.save(job, condition=JobItem.pk.does_not_exist())
        write.save(event)
        write.save(audit)
        if more is not None:
            more(write)
    return job


def claim(workspace_id: str, job_id: str, lease: timedelta) -> JobItem | None:
    """Take the job to run it for at most ``lease``; None when it is done, being done, or no job."""
    pk, sk = job_key(workspace_id, job_id)
    at = now_iso()
    lease_until = format_time(utcnow() + lease)
    job = JobItem(pk=pk, sk=sk)
    try:
        job.update(
            actions=[
                JobItem.status.set("running"),
                JobItem.started_at.set(at),
                JobItem.updated_at.set(at),
                JobItem.lease_until.set(lease_until),
            ],
            condition=(JobItem.status == "queued") | ((JobItem.status == "running") & (JobItem.lease_until < at)),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return job


def finish(job: JobItem, consumer: str, event_id: str, status: str, **outcome) -> bool:
    """Move the job on from ``running``, if it is still this runner's (its lease unchanged), with
    ``consumer``'s receipt for the event in the same transaction."""
    at = now_iso()
    actions = [JobItem.status.set(status), JobItem.updated_at.set(at), JobItem.finished_at.set(at)]
    actions += [_OUTCOME_ATTRIBUTES[name].set(value) for name, value in outcome.items()]
    receipt_pk, receipt_sk = receipt_key(consumer, event_id)
    receipt = ReceiptItem(pk=receipt_pk, sk=receipt_sk, expires_at=utcnow() + timedelta(days=RECEIPT_DAYS))
    try:
        with transaction() as write:
            write.update(
                JobItem(pk=job.pk, sk=job.sk),
                actions=actions,
                condition=(JobItem.status == "running") & (JobItem.lease_until == job.lease_until),
            )
            write.save(receipt)
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in cancellation_codes(error):
            return False
        raise
    return True


_OUTCOME_ATTRIBUTES = {
    "object_key": JobItem.object_key,
    "rows": JobItem.row_count,
    "truncated": JobItem.truncated,
    "error": JobItem.error,
}
