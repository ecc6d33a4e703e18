"""Intake sessions (seed 001): gather a ticket a question at a time, then submit it.

``clarify`` creates or updates the caller's session with what they wrote and answered, classifies the
text so far and asks at most one question, the first of these that applies:

1. the description is missing or shorter than ``MIN_DESCRIPTION`` characters: ask for details;
2. the classification's confidence is below the workspace's auto-assign threshold and the caller has not
   chosen a category: ask them to choose (the options are the system config's categories);
3. the category needs a place (``BUILDING_CATEGORIES``) and no building was given: ask for it.

Answers fill the session (a ``description`` answer adds to the description), so a question answered is
not asked again. ``submit`` turns the session into a ticket (source ``intake``, routed by the same gate
as chat) in the same transaction that marks the session submitted: a session becomes one ticket only.
Sessions are their owner's: anyone else's is NotFound.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from pynamodb.exceptions import TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.clock import now_iso
from chalicelib.domain import classification, intake_channel, people, system_config, ticket_references
from chalicelib.domain.audit import audit_record
from chalicelib.domain.classification import Classification
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.models import intake_sessions as storage
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.intake_sessions import OPEN, SUBMITTED, IntakeSessionItem
from chalicelib.models.sizing import compact_json

SOURCE = "intake"
MIN_DESCRIPTION = 15
DESCRIPTION_MAX = 20000  # what a ticket's description holds
BUILDING_CATEGORIES = frozenset({"plumbing", "electrical", "heating", "hvac", "maintenance"})
ANSWER_FIELDS = ("description", "category", "building_id", "apartment_id")
QUESTIONS = {
    "description": "Could you describe the problem in a bit more detail: what happens, where, and since when?",
    "category": "Which of these best describes your request?",
    "building_id": "Which building is this in?",
}


def clarify(
    workspace_id: str,
    actor: Principal,
    session_id: str | None,
    title: str | None,
    description: str | None,
    message: str | None,
    answers: dict | None,
    correlation_id: str | None,
) -> dict:
    """Create (without ``session_id``) or update the caller's session, classify it and ask at most one
    question: ``{"session_id", "session", "classification", "question": None | {"field", "text",
    "options"?}}``. NotFound for a session that is not the caller's; Conflict (``session_submitted``)
    once it became a ticket; ValidationError for an answer to no question, an unknown category or
    building."""
    at = now_iso()
    ai = system_config.current(workspace_id)["ai"]
    if session_id is None:
        session, before = storage.new_session(workspace_id, str(uuid.uuid4()), actor.user_id, at), None
    else:
        session = _own(workspace_id, actor, session_id)
        if session.status != OPEN:
            raise _submitted(session)
        before = public(session)
    values = _answers(session)
    if title is not None:
        session.title = intake_channel.title_from(title) or None
    if description is not None:
        session.description = description
    for text in (message, (answers or {}).get("description")):
        if text and text.strip():
            session.description = f"{session.description}\n{text}" if session.description else text
    values.update(_checked_answers(workspace_id, ai, answers or {}, values))
    if len(session.description or "") > DESCRIPTION_MAX:
        raise ValidationError(
            "the description is too long", details={"description": f"must be at most {DESCRIPTION_MAX} characters"}
        )
    session.answers = json.dumps(values, sort_keys=True) if values else None
    session.updated_at = at
    result = _classified(session, actor)
    action = "intake_session.created" if before is None else "intake_session.updated"
    _save(session, _audit(session, actor, action, before, correlation_id, at))
    return {
        "session_id": session.id,
        "session": public(session),
        "classification": result.public(),
        "question": _question(session, values, result, ai),
    }


def submit(workspace_id: str, actor: Principal, session_id: str, auto_assign: bool, correlation_id: str | None) -> dict:
    """Open the session's ticket: ``{"session", "ticket", "classification"}``. ``auto_assign`` false keeps
    the ticket out of routing whatever the gate says. NotFound for a session that is not the caller's;
    Conflict (``session_submitted``, with the ticket id in details) for a session submitted before;
    ValidationError for a session with nothing to submit."""
    session = _own(workspace_id, actor, session_id)
    if session.status != OPEN:
        raise _submitted(session)
    values = _answers(session)
    description = (session.description or "").strip()
    title = session.title or intake_channel.title_from(description)
    if not title:
        raise ValidationError(
            "the session has nothing to submit yet", details={"description": "is required"}, code="session_empty"
        )
    result = _classified(session, actor)
    at = now_iso()
    before = public(session)
    ticket_id = str(uuid.uuid4())
    session.status, session.ticket_id, session.updated_at = SUBMITTED, ticket_id, at
    audit = _audit(session, actor, "intake_session.submitted", before, correlation_id, at)
    data = {
        "title": title,
        "description": session.description or "",
        "building_id": values.get("building_id"),
        "apartment_id": values.get("apartment_id"),
    }
    try:
        ticket = intake_channel.open_ticket(
            workspace_id,
            actor,
            result,
            SOURCE,
            data,
            correlation_id,
            category=values.get("category"),
            allow_routing=auto_assign,
            ticket_id=ticket_id,
            extra_puts=[(session, IntakeSessionItem.status == OPEN), (audit, None)],
        )
    except Conflict:
        again = storage.load(workspace_id, session_id)
        if again is not None and again.status != OPEN:  # a concurrent submit won
            raise _submitted(again) from None
        raise
    return {"session": public(session), "ticket": ticket, "classification": result.public()}


def list_sessions(workspace_id: str, actor: Principal, limit: int, start_key: dict | None):
    """A page of the caller's sessions, newest first: ``(sessions, next_key)``."""
    items, next_key = storage.page_of_sessions(workspace_id, actor.user_id, limit, start_key)
    return [public(item) for item in items], next_key


def get_session(workspace_id: str, actor: Principal, session_id: str) -> dict:
    """One of the caller's sessions; NotFound otherwise."""
    return public(_own(workspace_id, actor, session_id))


def public(session: IntakeSessionItem) -> dict:
    return {
        "id": session.id,
        "status": session.status,
        "title": session.title,
        "description": session.description,
        "answers": _answers(session),
        "ticket_id": session.ticket_id,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    }


# --- internals ---------------------------------------------------------------------------


def _question(session: IntakeSessionItem, values: dict, result, ai: dict) -> dict | None:
    if len((session.description or "").strip()) < MIN_DESCRIPTION:
        return {"field": "description", "text": QUESTIONS["description"]}
    if "category" not in values and result.confidence < float(ai["auto_assign_confidence_threshold"]):
        options = [category["name"] for category in ai["categories"]]
        return {"field": "category", "text": QUESTIONS["category"], "options": options}
    category = values.get("category") or result.category
    if category and people.name_key(category) in BUILDING_CATEGORIES and not values.get("building_id"):
        return {"field": "building_id", "text": QUESTIONS["building_id"]}
    return None


def _checked_answers(workspace_id: str, ai: dict, answers: dict, values: dict) -> dict:
    """The answers to keep (``description`` is added to the text instead); ValidationError naming a field
    no question asks for, a category the workspace lacks, or a building or apartment it lacks."""
    unknown = sorted(set(answers) - set(ANSWER_FIELDS))
    if unknown:
        raise ValidationError(
            "no question asks for these", details={f"answers.{name}": "is not a question" for name in unknown}
        )
    kept = {}
    if "category" in answers:
        names = {people.name_key(category["name"]): category["name"] for category in ai["categories"]}
        chosen = names.get(people.name_key(str(answers["category"])))
        if chosen is None:
            raise ValidationError(
                "category is not one of this workspace's",
                details={"answers.category": f"must be one of {', '.join(names.values())}"},
                code="category_invalid",
            )
        kept["category"] = chosen
    place = {name: answers[name] for name in ("building_id", "apartment_id") if name in answers}
    if place:
        building = place.get("building_id", values.get("building_id"))
        ticket_references.check(workspace_id, {"building_id": building, **place})
        kept.update(place)
    return kept


def _classified(session: IntakeSessionItem, actor: Principal) -> Classification:
    """The classification of the session's text: the one stored by the last clarify while the text is the
    same (one log per text, the one the caller saw), else a new one, stored on the session."""
    text = _text(session)
    digest = hashlib.sha256(text.encode()).hexdigest()
    if session.classification and session.classified_digest == digest:
        return Classification(**json.loads(session.classification))
    result = classification.classify(session.workspace_id, text, source=SOURCE, actor_id=actor.user_id)
    session.classification, session.classified_digest = compact_json(result.public()), digest
    return result


def _text(session: IntakeSessionItem) -> str:
    return "\n".join(part for part in (session.title, session.description) if part)


def _answers(session: IntakeSessionItem) -> dict:
    return json.loads(session.answers) if session.answers else {}


def _own(workspace_id: str, actor: Principal, session_id: str) -> IntakeSessionItem:
    session = storage.load(workspace_id, session_id)
    if session is None or session.user_id != actor.user_id:
        raise NotFound("intake session not found", code="session_not_found")
    return session


def _submitted(session: IntakeSessionItem) -> Conflict:
    return Conflict(
        "this session has already been submitted",
        details={"ticket_id": session.ticket_id or ""},
        code="session_submitted",
    )


def _audit(session, actor: Principal, action: str, before: dict | None, correlation_id, at: str):
    summary = {"status": session.status, "ticket_id": session.ticket_id, "answers": _answers(session)}
    shown_before = None if before is None else {name: before[name] for name in summary}
    return audit_record(
        session.workspace_id,
        actor.user_id,
        action,
        "intake_session",
        session.id,
        {"session": {"from": shown_before, "to": summary}},
        correlation_id=correlation_id,
        at=at,
    )


def _save(session: IntakeSessionItem, audit) -> None:
    try:
        with transaction() as write:
            write.save(session)  # guarded by its version: a concurrent clarify loses with a 409
            write.save(audit)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise Conflict("the session changed meanwhile; retry", code="concurrent_update") from error
        raise
