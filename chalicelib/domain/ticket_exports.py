"""Ticket exports as CSV: the same filters and visibility as the ticket list (``ticket_listing``),
read page by page through it.

Two ways out:
- ``export_csv``: the whole CSV in one response. API Gateway and Lambda cap a response near 6 MB and
  29 s, so it stops at ``MAX_STREAM_ROWS`` rows, ``MAX_STREAM_BYTES`` bytes or ``MAX_STREAM_PAGES``
  list pages (a sparse filter reads many short pages), whichever comes first, and says it was cut
  short; the export job has no such ceiling below ``MAX_JOB_ROWS``.
- export jobs: ``request_export`` stores a queued job and emits ``export.requested`` in one
  transaction; the ``ticket-exports`` consumer runs it (``run_export_job``) into the files bucket.
  Every step of a job is a conditional write (queued → running → succeeded | failed), so a
  redelivered message never exports twice; a job whose runner died is taken over once its lease
  has run out.

Cells are quoted by the ``csv`` module; a cell that a spreadsheet would read as a formula (starting
with ``= + - @``, tab or carriage return) gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import asdict, dataclass
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib.auth.principal import Principal
from chalicelib.domain import jobs
from chalicelib.domain.ticket_listing import TicketQuery, build_query, list_tickets
from chalicelib.errors import NotFound
from chalicelib.events.catalogue import TICKET_EXPORTS, Topic
from chalicelib.logs import get_logger
from chalicelib.models import export_files
from chalicelib.models.jobs import JobItem, job_key

COLUMNS = (
    "number",
    "id",
    "title",
    "status",
    "priority",
    "urgency",
    "category",
    "subcategory",
    "ticket_class",
    "requester_id",
    "assignee_id",
    "team",
    "building_id",
    "apartment_id",
    "source",
    "tags",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "description",
)
MAX_STREAM_ROWS = 5000
MAX_STREAM_BYTES = 5 * 1024 * 1024  # under the ~6 MB response cap, with room for headers
MAX_STREAM_PAGES = 100
MAX_JOB_ROWS = 200_000
PAGE_SIZE = 100  # the list's largest page
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
JOB_KIND = "tickets_export"
JOB_LEASE = timedelta(seconds=TICKET_EXPORTS.visibility_timeout)
JOB_DAYS = 7
CONSUMER = TICKET_EXPORTS.name
SPOOL_BYTES = 8 * 1024 * 1024  # a job's CSV stays in memory up to this, then spills to /tmp


def neutralised(value) -> str:
    """One CSV cell as text, defused if a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(ticket: dict) -> list[str]:
    return [neutralised(ticket.get(column)) for column in COLUMNS]


@dataclass(frozen=True)
class Written:
    rows: int
    truncated: bool


def write_csv(
    out, workspace_id: str, query: TicketQuery, max_rows: int, max_bytes: int | None = None, max_pages=None
) -> Written:
    """Write the header and the tickets ``query`` lists to the text stream ``out``; stop (truncated)
    before a row that would pass ``max_rows`` or ``max_bytes``, or after ``max_pages`` pages."""
    line = io.StringIO()
    writer = csv.writer(line)

    def encoded(row: list[str]) -> str:
        line.seek(0)
        line.truncate()
        writer.writerow(row)
        return line.getvalue()

    header = encoded(list(COLUMNS))
    out.write(header)
    size, rows, pages, start_key = len(header.encode()), 0, 0, None
    while True:
        tickets, start_key = list_tickets(workspace_id, query, PAGE_SIZE, start_key)
        pages += 1
        for ticket in tickets:
            text = encoded(csv_row(ticket))
            size += len(text.encode())
            if rows >= max_rows or (max_bytes is not None and size > max_bytes):
                return Written(rows, truncated=True)
            out.write(text)
            rows += 1
        if start_key is None:
            return Written(rows, truncated=False)
        if max_pages is not None and pages >= max_pages:
            return Written(rows, truncated=True)


def export_csv(workspace_id: str, actor: Principal, params: dict) -> tuple[str, Written]:
    """The CSV of the tickets ``actor`` may list with ``params`` (the list's filters and sort),
    bounded for one response."""
    query = build_query(actor, params)
    out = io.StringIO()
    written = write_csv(out, workspace_id, query, MAX_STREAM_ROWS, MAX_STREAM_BYTES, MAX_STREAM_PAGES)
    return out.getvalue(), written


# --- jobs ----------------------------------------------------------------------------------------


def request_export(workspace_id: str, actor: Principal, params: dict, correlation_id: str | None) -> dict:
    """Queue an export of what ``actor`` may list with ``params``; the job, event and audit row
    commit together. ValidationError for filters the list would refuse."""
    query = build_query(actor, params)
    job = jobs.queue(
        workspace_id,
        JOB_KIND,
        Topic.EXPORT_REQUESTED,
        actor.user_id,
        correlation_id,
        params={"filters": query.filters, "sort": query.sort, "order": query.order},
        audit_action="export_job.created",
        keep_days=JOB_DAYS,
    )
    return job_to_public(job)


def get_job(workspace_id: str, job_id: str) -> dict:
    """A job of the workspace; a succeeded export comes with a fresh presigned download URL."""
    pk, sk = job_key(workspace_id, job_id)
    try:
        job = JobItem.get(pk, sk, consistent_read=True)
    except DoesNotExist:
        raise NotFound("job not found") from None
    return job_to_public(job)


def job_to_public(job: JobItem) -> dict:
    public = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "row_count": None if job.row_count is None else int(job.row_count),
        "truncated": job.truncated,
        "error": job.error,
        "download_url": None,
        "download_expires_in": None,
    }
    if job.status == "succeeded" and job.object_key:
        public["download_url"] = export_files.download_url(job.object_key, f"tickets-{job.id}.csv")
        public["download_expires_in"] = export_files.DOWNLOAD_URL_SECONDS
    return public


def run_export_job(envelope: dict) -> bool:
    """The consumer's work for one ``export.requested`` event: run the job if it is still to run
    (or its last runner's lease ran out). False when there was nothing to do (a redelivery)."""
    data = envelope.get("data") or {}
    job = _claim(envelope["workspace_id"], data["job_id"])
    if job is None:
        return False
    key = export_files.export_key(job.workspace_id, job.id)
    try:
        params = json.loads(job.params)
        query = TicketQuery(filters=params["filters"], sort=params["sort"], order=params["order"])
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as buffer:
            text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
            written = write_csv(text, job.workspace_id, query, MAX_JOB_ROWS)
            text.detach()  # flushes, and leaves the buffer open for the upload
            buffer.seek(0)
            export_files.put_csv(key, buffer)
    except Exception as error:  # the job says it failed rather than staying "running"
        get_logger().exception("export job failed", extra={"job_id": job.id})
        return _finish(job, envelope["id"], status="failed", error=f"export failed ({type(error).__name__})")
    return _finish(job, envelope["id"], status="succeeded", object_key=key, **asdict(written))


def _claim(workspace_id: str, job_id: str) -> JobItem | None:
    return jobs.claim(workspace_id, job_id, JOB_LEASE)


def _finish(job: JobItem, event_id: str, status: str, **outcome) -> bool:
    return jobs.finish(job, CONSUMER, event_id, status, **outcome)
