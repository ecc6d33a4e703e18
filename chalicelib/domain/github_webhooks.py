"""GitHub webhook deliveries: verified, deduplicated, mirrored onto tickets.

Verification comes first and works on the raw bytes: the workspace named by the webhook URL (never
by the payload) must have the integration enabled (else NotFound), and ``X-Hub-Signature-256`` must
be the HMAC-SHA256 of the body under that workspace's secret (else Unauthorized).

Nothing is half-applied: every change a delivery makes goes through ``chalicelib.domain.tickets`` in
one transaction that also writes the delivery record (``attribute_not_exists``) and, for a new
ticket, the link that names it (issue → ticket, failed run → incident, each ``attribute_not_exists``).
We chose this over "record the delivery as processing, complete it after": with the record in the
effect's own transaction there is no state in which a ticket exists but its delivery is unrecorded,
so a redelivery (or two copies racing) can never open a second ticket or post a second comment, and
a crash before the commit leaves nothing behind for the redelivery to trip over. When the change
turns out to write nothing (an edit that changes no field, a close of a resolved ticket), the
delivery is recorded on its own afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from chalicelib.clock import now_iso
from chalicelib.domain import tickets
from chalicelib.domain.events import new_event
from chalicelib.domain.integrations import active_secret, delivery_record, once, record_once, seen, system_actor
from chalicelib.domain.webhook_signatures import sha256_signature_matches
from chalicelib.errors import Conflict, NotFound, Unauthorized, ValidationError
from chalicelib.events.catalogue import Topic
from chalicelib.models.integrations import GITHUB
from chalicelib.models.webhooks import IssueLink, RunLink, issue_link_sk, run_link_sk, workspace_pk
from chalicelib.settings import get_settings

SOURCE = "github"
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out"})
MAX_DELIVERY_ID = 128
MAX_TITLE = 200
MAX_DESCRIPTION = 20000
MAX_COMMENT = 50000

APPLIED = "applied"  # the delivery changed something
DUPLICATE = "duplicate"  # seen before: nothing changed
IGNORED = "ignored"  # an event or action Deskflow does not act on: recorded only
NOT_APPLIED = "not_applied"  # understood, but there was nothing it could change (unlinked issue, ...)


@dataclass(frozen=True)
class Delivery:
    workspace_id: str
    event: str
    delivery_id: str


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    result: str
    detail: str
    ticket_id: str | None = None

    @property
    def acted_on(self) -> bool:
        """False for an event Deskflow does not handle (answered 202 rather than 200)."""
        return self.result != IGNORED

    def to_public(self) -> dict:
        return {
            "delivery_id": self.delivery.delivery_id,
            "event": self.delivery.event,
            "result": self.result,
            "detail": self.detail,
            "ticket_id": self.ticket_id,
        }


def verified_delivery(
    workspace_id: str | None, event: str | None, delivery_id: str | None, signature: str | None, raw_body: bytes
) -> Delivery:
    """Check the delivery before its body is parsed. NotFound when the webhook is switched off for
    the deployment or the workspace; Unauthorized when the signature is absent or wrong;
    ValidationError when a signed delivery lacks its event name or delivery id."""
    if not get_settings().github_webhook_enabled:
        raise NotFound("not found")
    secret = active_secret(workspace_id, GITHUB)
    if secret is None:
        raise NotFound("the GitHub integration is not enabled for this workspace", code="integration_disabled")
    if not sha256_signature_matches(secret, raw_body, signature):
        raise Unauthorized("X-Hub-Signature-256 is missing or does not match", code="invalid_signature")
    problems = {}
    if not event or len(event) > 64:
        problems["X-GitHub-Event"] = "is required"
    if not delivery_id or len(delivery_id) > MAX_DELIVERY_ID:
        problems["X-GitHub-Delivery"] = f"is required (at most {MAX_DELIVERY_ID} characters)"
    if problems:
        raise ValidationError("the delivery headers are incomplete", details=problems)
    return Delivery(workspace_id, event, delivery_id)


def apply(delivery: Delivery, payload, correlation_id: str | None) -> Outcome:
    """Act on a verified delivery once. ValidationError for a payload that lacks what its event needs
    (nothing is written then)."""
    if seen(delivery.workspace_id, SOURCE, delivery.delivery_id):
        return Outcome(delivery, DUPLICATE, "this delivery was received before")
    if not isinstance(payload, dict):
        raise ValidationError("the payload must be a JSON object", details={"body": "must be a JSON object"})
    handler = _HANDLERS.get(delivery.event)
    if handler is None:
        return _finish(delivery, IGNORED, f"{delivery.event} events are not handled")
    return handler(delivery, payload, correlation_id)


# --- events ----------------------------------------------------------------------------------------


def _ping(delivery: Delivery, _payload: dict, _correlation_id) -> Outcome:
    return _finish(delivery, APPLIED, "pong")


def _issues(delivery: Delivery, payload: dict, correlation_id) -> Outcome:
    action = payload.get("action")
    if action not in {"opened", "edited", "closed", "reopened"}:
        return _finish(delivery, IGNORED, f"issues.{action} is not handled")
    repository = _repository(payload)
    issue = _object(payload, "issue")
    number = _integer(issue, "number", "issue")
    if action == "opened":
        return _open_issue_ticket(delivery, repository, issue, number, correlation_id)
    link = _issue_link(delivery.workspace_id, repository, number)
    if link is None:
        return _finish(delivery, NOT_APPLIED, f"{repository}#{number} is not linked to a ticket")
    ws, actor = delivery.workspace_id, system_actor(SOURCE, delivery.workspace_id)
    login = _login(payload.get("sender"))
    if action == "edited":
        fields = {"title": _title(repository, number, issue), "description": _description(issue)}
        change = lambda puts: tickets.update_ticket(ws, actor, link.ticket_id, fields, correlation_id, extra_puts=puts)  # noqa: E731
    else:
        status = "resolved" if action == "closed" else "open"
        reason = f"{action} on GitHub by {login}"
        change = lambda puts: tickets.change_status(  # noqa: E731
            ws, actor, link.ticket_id, status, reason, correlation_id, extra_puts=puts
        )
    return _change_ticket(delivery, link.ticket_id, change, f"issues.{action} applied")


def _issue_comment(delivery: Delivery, payload: dict, correlation_id) -> Outcome:
    if payload.get("action") != "created":
        return _finish(delivery, IGNORED, f"issue_comment.{payload.get('action')} is not handled")
    repository = _repository(payload)
    number = _integer(_object(payload, "issue"), "number", "issue")
    comment = _object(payload, "comment")
    link = _issue_link(delivery.workspace_id, repository, number)
    if link is None:
        return _finish(delivery, NOT_APPLIED, f"{repository}#{number} is not linked to a ticket")
    text = comment.get("body") if isinstance(comment.get("body"), str) else ""
    author = _login(comment.get("user"))
    where = f" ([view]({comment['html_url']}))" if isinstance(comment.get("html_url"), str) else ""
    body_md = f"**{author}** commented on GitHub{where}:\n\n{text}"[:MAX_COMMENT]
    ws, actor = delivery.workspace_id, system_actor(SOURCE, delivery.workspace_id)
    return _change_ticket(
        delivery,
        link.ticket_id,
        lambda puts: tickets.add_comment(ws, actor, link.ticket_id, body_md, False, correlation_id, extra_puts=puts),
        "comment added",
    )


def _failed_run(kind: str):
    def handle(delivery: Delivery, payload: dict, correlation_id) -> Outcome:
        run = _object(payload, kind)
        conclusion = run.get("conclusion")
        if payload.get("action") != "completed" or conclusion not in FAILED_CONCLUSIONS:
            return _finish(delivery, IGNORED, f"{kind}.{payload.get('action')} ({conclusion}) is not a failure")
        return _open_incident(delivery, kind, _repository(payload), run, correlation_id)

    return handle


_HANDLERS = {
    "ping": _ping,
    "issues": _issues,
    "issue_comment": _issue_comment,
    "workflow_run": _failed_run("workflow_run"),
    "check_run": _failed_run("check_run"),
}


# --- ticket changes --------------------------------------------------------------------------------


def _open_issue_ticket(delivery: Delivery, repository: str, issue: dict, number: int, correlation_id) -> Outcome:
    ws = delivery.workspace_id
    if _issue_link(ws, repository, number) is not None:
        return _finish(delivery, NOT_APPLIED, f"{repository}#{number} is already linked to a ticket")
    ticket_id = str(uuid.uuid4())
    link = IssueLink(
        pk=workspace_pk(ws),
        sk=issue_link_sk(repository, number),
        ticket_id=ticket_id,
        repository=repository,
        issue_number=number,
        created_at=now_iso(),
    )
    data = {
        "title": _title(repository, number, issue),
        "description": _description(issue),
        "source": SOURCE,
        "tags": ["github"],
        "custom_fields": {"github": {"repository": repository, "issue_number": number, "url": issue.get("html_url")}},
    }
    puts = [once(_record(delivery, APPLIED)), (link, IssueLink.pk.does_not_exist())]
    return _create(delivery, data, ticket_id, puts, correlation_id, f"issue {repository}#{number} mirrored")


def _open_incident(delivery: Delivery, kind: str, repository: str, run: dict, correlation_id) -> Outcome:
    ws = delivery.workspace_id
    run_id = str(_integer(run, "id", kind))
    if _run_link(ws, kind, run_id) is not None:
        return _finish(delivery, NOT_APPLIED, f"an incident is already open for {kind} {run_id}")
    name = str(run.get("name") or kind)[:100]
    branch = run.get("head_branch") or (run.get("check_suite") or {}).get("head_branch")
    details = {
        "repository": repository,
        "kind": kind,
        "run_id": run_id,
        "name": name,
        "conclusion": run.get("conclusion"),
        "url": run.get("html_url"),
        "head_branch": branch if isinstance(branch, str) else None,
        "head_sha": run.get("head_sha") if isinstance(run.get("head_sha"), str) else None,
    }
    ticket_id = str(uuid.uuid4())
    link = RunLink(
        pk=workspace_pk(ws),
        sk=run_link_sk(kind, run_id),
        ticket_id=ticket_id,
        kind=kind,
        run_id=run_id,
        created_at=now_iso(),
    )
    event = new_event(
        Topic.PIPELINE_FAILED,
        ws,
        "pipeline_run",
        f"{kind}:{run_id}",
        {**details, "ticket_id": ticket_id},
        correlation_id,
        actor_id=system_actor(SOURCE, ws).user_id,
    )
    on = f" on {details['head_branch']}" if details["head_branch"] else ""
    data = {
        "title": f"Pipeline failed: {name} in {repository}{on}"[:MAX_TITLE],
        "description": f"GitHub {kind} {run_id} concluded {details['conclusion']}.\n\n{details['url'] or ''}".strip(),
        "priority": "high",
        "ticket_class": "incident",
        "source": SOURCE,
        "tags": ["github", "pipeline"],
        "custom_fields": {"github": details},
    }
    puts = [once(_record(delivery, APPLIED)), (link, RunLink.pk.does_not_exist()), (event, None)]
    return _create(delivery, data, ticket_id, puts, correlation_id, f"incident opened for {kind} {run_id}")


def _create(delivery: Delivery, data: dict, ticket_id: str, puts: list, correlation_id, detail: str) -> Outcome:
    actor = system_actor(SOURCE, delivery.workspace_id)
    try:
        ticket = tickets.create_ticket(
            delivery.workspace_id, actor, data, correlation_id, extra_puts=puts, ticket_id=ticket_id
        )
    except Conflict:
        # A copy of this delivery, or another delivery for the same issue or run, got there first.
        if seen(delivery.workspace_id, SOURCE, delivery.delivery_id):
            return Outcome(delivery, DUPLICATE, "this delivery was received before")
        return _finish(delivery, NOT_APPLIED, "another delivery already opened the ticket")
    return Outcome(delivery, APPLIED, detail, ticket["id"])


def _change_ticket(delivery: Delivery, ticket_id: str, change, detail: str) -> Outcome:
    """Run ``change(extra_puts)`` with the delivery record among its puts; record the delivery on its
    own when the change had nothing to write or could not be made."""
    try:
        change([once(_record(delivery, APPLIED))])
    except NotFound:
        return _finish(delivery, NOT_APPLIED, "the linked ticket no longer exists", ticket_id)
    except Conflict as error:
        if seen(delivery.workspace_id, SOURCE, delivery.delivery_id):
            return Outcome(delivery, DUPLICATE, "this delivery was received before", ticket_id)
        if error.code != "invalid_transition":
            raise  # a lost race with another writer: unrecorded, so a redelivery applies it
        return _finish(delivery, NOT_APPLIED, error.message, ticket_id)
    record_once(_record(delivery, APPLIED))  # False when the change's own transaction wrote it: fine
    return Outcome(delivery, APPLIED, detail, ticket_id)


def _finish(delivery: Delivery, result: str, detail: str, ticket_id: str | None = None) -> Outcome:
    if not record_once(_record(delivery, result)):
        return Outcome(delivery, DUPLICATE, "this delivery was received before", ticket_id)
    return Outcome(delivery, result, detail, ticket_id)


def _record(delivery: Delivery, outcome: str):
    return delivery_record(delivery.workspace_id, SOURCE, delivery.delivery_id, delivery.event, outcome)


def _issue_link(workspace_id: str, repository: str, number: int) -> IssueLink | None:
    try:
        return IssueLink.get(workspace_pk(workspace_id), issue_link_sk(repository, number), consistent_read=True)
    except IssueLink.DoesNotExist:
        return None


def _run_link(workspace_id: str, kind: str, run_id: str) -> RunLink | None:
    try:
        return RunLink.get(workspace_pk(workspace_id), run_link_sk(kind, run_id), consistent_read=True)
    except RunLink.DoesNotExist:
        return None


# --- payload reading -------------------------------------------------------------------------------


def _object(payload: dict, name: str) -> dict:
    value = payload.get(name)
    if not isinstance(value, dict):
        raise ValidationError(f"the payload has no {name} object", details={name: "must be an object"})
    return value


def _integer(container: dict, name: str, where: str) -> int:
    value = container.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(f"{where}.{name} is missing", details={f"{where}.{name}": "must be an integer"})
    return value


def _repository(payload: dict) -> str:
    name = _object(payload, "repository").get("full_name")
    if not isinstance(name, str) or not 0 < len(name) <= 200:
        raise ValidationError("repository.full_name is missing", details={"repository.full_name": "is required"})
    return name


def _login(user) -> str:
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) and login else "someone"


def _title(repository: str, number: int, issue: dict) -> str:
    title = issue.get("title") if isinstance(issue.get("title"), str) else ""
    return f"[{repository}#{number}] {title.strip() or 'GitHub issue'}"[:MAX_TITLE]


def _description(issue: dict) -> str:
    body = issue.get("body") if isinstance(issue.get("body"), str) else ""
    link = f"\n\nGitHub issue: {issue['html_url']}" if isinstance(issue.get("html_url"), str) else ""
    return (body[: MAX_DESCRIPTION - len(link)] + link).strip()
