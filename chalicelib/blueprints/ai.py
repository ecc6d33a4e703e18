"""Classification and the AI's logs, feedback, training, status and metrics (seeds 000, 001); the triage
queue; the system metrics (seed 000)."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, ANY_MEMBER
from chalicelib.blueprints.intake_schemas import CLASSIFICATION
from chalicelib.domain import ai_feedback, ai_insights, ai_logs, ai_training, ai_triage, classification, metrics
from chalicelib.domain.ai_credentials import set_api_key
from chalicelib.errors import ValidationError
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import list_of, named

routes = RouteFamily("ai")

ADMINS = frozenset({ADMIN})
STAFF = frozenset({ADMIN, AGENT})
_TEXT = {"type": "string", "maxLength": 20000}
_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_CATEGORY = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"}

CLASSIFY_BODY = named(
    "ClassifyRequest",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "description": _TEXT,
            "message": _TEXT,
        },
    },
)
AI_LOG = named(
    "AiLog",
    {
        "type": "object",
        "required": ["id", "predicted_category", "actual_category", "confidence_score", "model_version", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "ticket_id": _NULLABLE_STRING,
            "predicted_category": _NULLABLE_STRING,
            "actual_category": _NULLABLE_STRING,
            "confidence_score": {"type": "number"},
            "auto_assigned": {"type": ["boolean", "null"]},
            "model_version": {"type": "string"},
            "created_at": {"type": "string"},
            "source": {"type": "string"},
            "provider": {"type": "string"},
            "fallback_from": _NULLABLE_STRING,
            "fallback_reason": _NULLABLE_STRING,
            "reasons": {"type": "array", "items": {"type": "string"}},
            "feedback_source": _NULLABLE_STRING,
            "image_read": {"type": "boolean"},
            "text": {"type": "string"},
        },
    },
)
AI_LOG_ENVELOPE = named("AiLogEnvelope", {"type": "object", "required": ["ai_log"], "properties": {"ai_log": AI_LOG}})
AI_STATUS = named(
    "AiStatus",
    {
        "type": "object",
        "required": ["provider", "available", "model_version", "trained_at", "trained_on", "vision"],
        "properties": {
            "provider": {"type": "string"},
            "available": {"type": "boolean"},
            "fallback": _NULLABLE_STRING,
            "model_version": {"type": "string"},
            "trained_at": _NULLABLE_STRING,
            "trained_on": {"type": "object"},
            "new_labels": {"type": "integer"},
            "vision": {"type": "boolean"},
        },
    },
)
AI_METRICS = named(
    "AiMetrics",
    {
        "type": "object",
        "required": ["accuracy", "per_category", "confusion_matrix"],
        "properties": {
            "judged": {"type": "integer"},
            "accuracy": _NULLABLE_NUMBER,
            "per_category": {"type": "object"},
            "confusion_matrix": {"type": "array", "items": {"type": "object"}},
            "classified_tickets": {"type": "integer"},
            "auto_assigned": {"type": "integer"},
            "auto_assign_rate": _NULLABLE_NUMBER,
        },
    },
)
TRAINING_JOB = named(
    "AiTrainingJob",
    {
        "type": "object",
        "required": ["id", "kind", "status"],
        "properties": {
            "id": {"type": "string"},
            "kind": {"type": "string"},
            "status": {"type": "string"},
            "created_by": {"type": "string"},
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "finished_at": _NULLABLE_STRING,
            "error": _NULLABLE_STRING,
        },
    },
)
TRIAGE_ENTRY = named(
    "TriageEntry",
    {
        "type": "object",
        "required": ["ticket_id", "reason", "suggestion", "waiting_since"],
        "properties": {
            "ticket_id": {"type": "string"},
            "ticket_number": _NULLABLE_STRING,
            "title": _NULLABLE_STRING,
            "reason": _NULLABLE_STRING,
            "suggestion": {"type": ["object", "null"]},
            "waiting_since": {"type": "string"},
        },
    },
)


@routes.route(
    "/api/v1/intake/classify",
    "POST",
    operation_id="classifyIntake",
    summary="Classify a request's text: category, class, priority, whether it is a work order, and why",
    roles=ANY_MEMBER,
    body=CLASSIFY_BODY,
    response=CLASSIFICATION,
)
def classify(request):
    body = request.body
    text = "\n".join(part for part in (body.get("title"), body.get("description"), body.get("message")) if part)
    if not text.strip():
        raise ValidationError(
            "say what the request is about",
            details={"description": "give description or message (title optional)"},
            code="text_required",
        )
    answer = classification.classify(request.workspace_id, text, source="api", actor_id=request.principal.user_id)
    return answer.public()


@routes.route(
    "/api/v1/ai/status",
    "GET",
    operation_id="getAiStatus",
    summary="Which provider answers, whether it is reachable, the model version and what it was trained on",
    roles=STAFF,
    response=AI_STATUS,
)
def ai_status(request):
    return ai_insights.status(request.workspace_id)


@routes.route(
    "/api/v1/ai/logs",
    "GET",
    operation_id="listAiLogs",
    summary="Every classification, newest first",
    roles=ADMINS,
    query=PAGE_QUERY,
    response=list_of("AiLogList", AI_LOG),
)
def list_ai_logs(request):
    cursor_scope = f"ai-logs|{request.workspace_id}"
    items, next_key = ai_logs.list_logs(request.workspace_id, request.query["limit"], start_key(request, cursor_scope))
    return page(request, items, next_key, cursor_scope, "created_at", "desc", {})


@routes.route(
    "/api/v1/ai/logs/{log_id}",
    "GET",
    operation_id="getAiLog",
    summary="One classification",
    roles=ADMINS,
    response=AI_LOG_ENVELOPE,
)
def get_ai_log(request):
    return {"ai_log": ai_logs.get_log(request.workspace_id, request.path_params["log_id"])}


@routes.route(
    "/api/v1/ai/logs/{log_id}/feedback",
    "PATCH",
    operation_id="giveAiFeedback",
    summary="Say which category was right; it becomes a training label and counts in the AI metrics",
    roles=STAFF,
    body=named(
        "AiFeedback",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["actual_category"],
            "properties": {"actual_category": _CATEGORY},
        },
    ),
    response=AI_LOG_ENVELOPE,
    errors=frozenset({409}),
)
def give_feedback(request):
    log = ai_feedback.give_feedback(
        request.workspace_id,
        request.principal.user_id,
        request.path_params["log_id"],
        request.body["actual_category"],
        request.correlation_id,
    )
    return {"ai_log": ai_logs.to_public(log)}


@routes.route(
    "/api/v1/ai/train",
    "POST",
    operation_id="trainAiModel",
    summary="Retrain the workspace's built-in model now, as a job (GET /api/v1/jobs/{id} follows it)",
    roles=ADMINS,
    response=TRAINING_JOB,
    status=202,
)
def train(request):
    job = ai_training.request_training(request.workspace_id, request.principal.user_id, request.correlation_id)
    return Reply(job, status=202, headers={"Location": f"/api/v1/jobs/{job['id']}"})


@routes.route(
    "/api/v1/ai/metrics",
    "GET",
    operation_id="getAiMetrics",
    summary="Accuracy, per-category precision and recall and the confusion matrix, from feedback and corrections",
    roles=STAFF,
    response=AI_METRICS,
)
def ai_metrics(request):
    return ai_insights.metrics(request.workspace_id)


@routes.route(
    "/api/v1/ai/credentials",
    "PUT",
    operation_id="setAiCredentials",
    summary="Set the external provider's API key (never returned; null removes it)",
    roles=ADMINS,
    body=named(
        "AiCredentials",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["api_key"],
            "properties": {"api_key": {"type": ["string", "null"], "minLength": 1, "maxLength": 500}},
        },
    ),
    response=named(
        "AiCredentialsState",
        {"type": "object", "required": ["api_key_set"], "properties": {"api_key_set": {"type": "boolean"}}},
    ),
)
def set_credentials(request):
    return set_api_key(request.workspace_id, request.principal.user_id, request.body["api_key"], request.correlation_id)


@routes.route(
    "/api/v1/intake/triage",
    "GET",
    operation_id="listTriage",
    summary="Tickets waiting for a person to route them, oldest first, with the AI's suggestion",
    roles=STAFF,
    query=PAGE_QUERY,
    response=list_of("TriageList", TRIAGE_ENTRY),
)
def list_triage(request):
    cursor_scope = f"triage|{request.workspace_id}"
    items, next_key = ai_triage.list_waiting(
        request.workspace_id, request.query["limit"], start_key(request, cursor_scope)
    )
    return page(request, items, next_key, cursor_scope, "waiting_since", "asc", {})


@routes.route(
    "/api/v1/metrics/system",
    "GET",
    operation_id="getSystemMetrics",
    summary="Tickets by status, SLA attainment, AI accuracy and auto-assignment rate (seed 000)",
    roles=STAFF,
    response=named("SystemMetrics", {"type": "object", "required": ["tickets", "sla", "ai"]}),
)
def system_metrics(request):
    workspace_id = request.workspace_id
    summary, ai = metrics.summary(workspace_id), ai_insights.metrics(workspace_id)
    return {
        "tickets": {
            "open": summary["open"],
            "created_today": summary["created_today"],
            "resolved_today": summary["resolved_today"],
        },
        "sla": metrics.sla(workspace_id),
        "ai": {
            key: ai[key] for key in ("accuracy", "judged", "classified_tickets", "auto_assigned", "auto_assign_rate")
        },
    }
