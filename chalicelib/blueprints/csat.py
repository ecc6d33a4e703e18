"""Customer satisfaction surveys (public, by token): parse, call the domain, shape the reply.

The form and thank-you pages are self-contained HTML (no scripts, no external assets) with a
Content-Security-Policy to match; every value they echo is escaped. Errors stay JSON envelopes.
"""

from __future__ import annotations

from html import escape

from chalicelib.domain import csat
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import named, string_enum

routes = RouteFamily("ticket_extras")

PUBLIC = {"auth": False, "tenant": False}
SURVEY_PATH = "/api/v1/csat/{token}"
HTML = "text/html; charset=utf-8"
PAGE_HEADERS = {
    "Content-Type": HTML,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
}

CSAT_ANSWER = named(
    "CsatAnswer",
    {
        "type": "object",
        "required": ["score"],
        "additionalProperties": False,
        "properties": {
            "score": string_enum("CsatScore", list(csat.SCORES), "How the resolution went"),
            "comment": {"type": "string", "maxLength": csat.MAX_COMMENT_LENGTH},
        },
    },
)
CSAT_RESULT = named(
    "CsatResult",
    {
        "type": "object",
        "required": ["ok", "ticket_id", "score", "answered_at"],
        "properties": {
            "ok": {"type": "boolean"},
            "ticket_id": {"type": "string"},
            "score": {"type": "string", "enum": list(csat.SCORES)},
            "comment": {"type": ["string", "null"]},
            "answered_at": {"type": "string", "format": "date-time"},
        },
    },
)


@routes.route(
    SURVEY_PATH,
    "GET",
    operation_id="getCsatSurvey",
    summary="The CSAT survey form (public, by token)",
    raw_response=True,
    content_type=HTML,
    **PUBLIC,
)
def survey_form(request):
    survey = csat.open_survey(request.path_params["token"])
    if survey.answered:
        return _page("Thank you", "<p>This survey has already been answered.</p>")
    ticket = f"{escape(survey.ticket_number)}: {escape(survey.ticket_title)}"
    choices = "".join(
        f'<label><input type="radio" name="score" value="{score}" required> {label}</label> '
        for score, label in (("good", "Good"), ("bad", "Bad"))
    )
    body = (
        f"<p>How did we do with <strong>{ticket}</strong>?</p>"
        '<form method="post">'
        f"<p>{choices}</p>"
        f'<p><label>Comment (optional)<br><textarea name="comment" maxlength="{csat.MAX_COMMENT_LENGTH}" '
        'rows="4" cols="50"></textarea></label></p>'
        '<p><button type="submit">Send</button></p>'
        "</form>"
    )
    return _page("How did we do?", body)


@routes.route(
    SURVEY_PATH,
    "POST",
    operation_id="submitCsatSurvey",
    summary="Answer a CSAT survey once (JSON, or a form post answered with an HTML page)",
    body=CSAT_ANSWER,
    form_body=True,
    response=CSAT_RESULT,
    raw_response=True,  # a form post is answered with HTML; JSON with JSON
    idempotent=False,  # public: never asks for an Idempotency-Key; answering twice is a 409 anyway
    errors=frozenset({409}),
    **PUBLIC,
)
def submit_survey(request):
    result = csat.submit(
        request.path_params["token"], request.body["score"], request.body.get("comment"), request.correlation_id
    )
    if request.sent_form():
        return _page("Thank you", "<p>Thank you for your feedback.</p>")
    return {"ok": True, **result}


def _page(title: str, body: str) -> Reply:
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}</style>"
        f"</head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Reply(html, headers=dict(PAGE_HEADERS))
