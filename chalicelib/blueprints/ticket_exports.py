"""Ticket exports: CSV stream, export jobs: parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.auth.roles import ANY_MEMBER, STAFF
from chalicelib.blueprints import ticket_schemas
from chalicelib.domain import ticket_exports
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import NULLABLE_STRING, NULLABLE_TIME, TIME, named, string_enum

routes = RouteFamily("ticket_extras")

EXPORT_JOBS_PATH = "/api/v1/exports/tickets"
# The list's filters and sort, without its paging: an export is the whole filtered list.
EXPORT_QUERY = {name: schema for name, schema in ticket_schemas.LIST_QUERY.items() if name not in {"limit", "cursor"}}
EXPORT_REQUEST = named(
    "TicketExportRequest",
    {"type": "object", "additionalProperties": False, "properties": EXPORT_QUERY},
)
JOB = named(
    "Job",
    {
        "type": "object",
        "required": ["id", "kind", "status", "created_by", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "string"},
            "kind": {"type": "string"},
            "status": string_enum("JobStatus", ["queued", "running", "succeeded", "failed"]),
            "created_by": {"type": "string"},
            "created_at": TIME,
            "updated_at": TIME,
            "started_at": NULLABLE_TIME,
            "finished_at": NULLABLE_TIME,
            "row_count": {"type": ["integer", "null"]},
            "truncated": {"type": ["boolean", "null"]},
            "error": NULLABLE_STRING,
            "download_url": {**NULLABLE_STRING, "description": "Presigned GET of the CSV, once succeeded"},
            "download_expires_in": {"type": ["integer", "null"], "description": "Seconds the URL stays valid"},
        },
    },
)


@routes.route(
    "/api/v1/tickets/export",
    "GET",
    operation_id="exportTickets",
    summary=(
        f"The filtered ticket list as CSV (the list's filters and visibility); at most "
        f"{ticket_exports.MAX_STREAM_ROWS} rows or {ticket_exports.MAX_STREAM_BYTES // (1024 * 1024)} MiB, "
        "else cut short with X-Export-Truncated (POST /api/v1/exports/tickets exports everything)"
    ),
    roles=ANY_MEMBER,
    query=EXPORT_QUERY,
    raw_response=True,
    content_type="text/csv; charset=utf-8",
    response_headers=("Content-Disposition", "Cache-Control", "X-Export-Truncated", "Link"),
)
def export_tickets(request):
    text, written = ticket_exports.export_csv(request.workspace_id, request.principal, request.query)
    headers = {
        "Content-Disposition": 'attachment; filename="tickets.csv"',
        "Cache-Control": "no-store",
    }
    if written.truncated:
        headers["X-Export-Truncated"] = "true"
        headers["Link"] = f'<{EXPORT_JOBS_PATH}>; rel="export-job"'
    return Reply(text, headers=headers)


@routes.route(
    EXPORT_JOBS_PATH,
    "POST",
    operation_id="requestTicketExport",
    summary="Export the filtered ticket list to a CSV file as a job (poll GET /api/v1/jobs/{job_id})",
    roles=STAFF,
    body=EXPORT_REQUEST,
    response=JOB,
    status=202,
    response_headers=("Location",),
)
def request_export(request):
    job = ticket_exports.request_export(request.workspace_id, request.principal, request.body, request.correlation_id)
    return Reply(job, status=202, headers={"Location": f"/api/v1/jobs/{job['id']}"})


@routes.route(
    "/api/v1/jobs/{job_id}",
    "GET",
    operation_id="getJob",
    summary="A background job: queued, running, succeeded (with a fresh download URL) or failed",
    roles=STAFF,
    response=JOB,
)
def get_job(request):
    return ticket_exports.get_job(request.workspace_id, request.path_params["job_id"])
