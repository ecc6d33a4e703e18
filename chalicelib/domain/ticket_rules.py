"""Ticket vocabulary and the rules that do not need storage: statuses and their transitions,
priorities (with the P1–P4 and 1–4 spellings other systems use), classes, who may do what."""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import ADMIN, AGENT, VIEWER
from chalicelib.errors import Conflict, Forbidden, ValidationError

STATUSES = ("new", "open", "in_progress", "awaiting_user_response", "on_hold", "resolved", "closed", "cancelled")
_WORKING = ("open", "in_progress", "awaiting_user_response", "on_hold")

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset(_WORKING + ("resolved", "cancelled")),
    "open": frozenset(_WORKING + ("resolved", "cancelled")) - {"open"},
    "in_progress": frozenset(_WORKING + ("resolved", "cancelled")) - {"in_progress"},
    "awaiting_user_response": frozenset(_WORKING + ("resolved", "cancelled")) - {"awaiting_user_response"},
    "on_hold": frozenset(_WORKING + ("resolved", "cancelled")) - {"on_hold"},
    "resolved": frozenset({"closed", "open"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}

# What a requester may do to their own ticket: answer, reopen, withdraw.
REQUESTER_TRANSITIONS: dict[str, frozenset[str]] = {
    "awaiting_user_response": frozenset({"open", "cancelled"}),
    "resolved": frozenset({"open", "closed"}),
    "new": frozenset({"cancelled"}),
    "open": frozenset({"cancelled"}),
    "on_hold": frozenset({"cancelled"}),
    "in_progress": frozenset({"cancelled"}),
}

PRIORITIES = ("low", "medium", "high", "urgent")
_PRIORITY_ALIASES = {
    "p1": "urgent",
    "p2": "high",
    "p3": "medium",
    "p4": "low",
    "1": "urgent",
    "2": "high",
    "3": "medium",
    "4": "low",
    "critical": "urgent",
}
PRIORITY_INPUTS = [*PRIORITIES, "P1", "P2", "P3", "P4", "p1", "p2", "p3", "p4", "1", "2", "3", "4", 1, 2, 3, 4]

STAFF_ROLES = frozenset({ADMIN, AGENT})

TICKET_CLASSES = ("incident", "service_request", "change", "problem")

STAFF_EDITABLE_FIELDS = (
    "title",
    "description",
    "priority",
    "urgency",
    "category",
    "subcategory",
    "ticket_class",
    "team",
    "building_id",
    "apartment_id",
    "source",
    "tags",
    "custom_fields",
)
REQUESTER_EDITABLE_FIELDS = ("title", "description", "custom_fields")
# Routing and provenance: staff decide these, on create as on update.
STAFF_ONLY_ON_CREATE = ("team", "source", "ticket_class")


def normalize_priority(value) -> str:
    """``high``, ``P2``, ``2`` and ``"2"`` all mean high; anything else is a ValidationError."""
    text = str(value).strip().lower()
    if text in PRIORITIES:
        return text
    if text in _PRIORITY_ALIASES and not isinstance(value, bool):
        return _PRIORITY_ALIASES[text]
    raise ValidationError(
        "priority is invalid", details={"priority": "must be low, medium, high, urgent, P1-P4 or 1-4"}
    )


def is_staff(actor: Principal) -> bool:
    return actor.has_any_role(STAFF_ROLES)


def check_transition(actor: Principal, current: str, target: str) -> None:
    """Raise Conflict for a transition the workflow forbids, Forbidden for one the role forbids."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise Conflict(
            f"a ticket cannot move from {current} to {target}",
            code="invalid_transition",
            details={"status": f"allowed from {current}: {', '.join(sorted(TRANSITIONS[current])) or 'none'}"},
        )
    if not is_staff(actor) and target not in REQUESTER_TRANSITIONS.get(current, frozenset()):
        raise Forbidden("requesters may only answer, reopen, close or cancel their tickets", code="role_forbidden")


def sees_whole_workspace(actor: Principal) -> bool:
    """Staff and viewers see every ticket of the workspace (and internal comments)."""
    return actor.has_any_role({ADMIN, AGENT, VIEWER})


def can_view(actor: Principal, requester_id: str) -> bool:
    """Requesters see only the tickets they requested."""
    return sees_whole_workspace(actor) or requester_id == actor.user_id
