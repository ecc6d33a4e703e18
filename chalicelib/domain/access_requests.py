"""Access requests (seed 001's permission wall): a child ticket for the team that owns the resource and
an approval gate on the original ticket. The decision is carried out by the ``access-grants``
consumer: approval resolves the child ticket (access granted) and puts the original ticket back to
work; a rejection or an expiry cancels the child ticket.

The child ticket and the gate are two writes: when the gate cannot be opened, the child ticket is
cancelled again, so no access ticket is left waiting on a gate that does not exist.
"""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import ADMIN
from chalicelib.domain import changes, tickets
from chalicelib.errors import DeskflowError
from chalicelib.events.catalogue import Topic

KIND = "access_request"
PRIORITY_FOR_RISK = {"low": "low", "medium": "medium", "high": "high", "critical": "urgent"}
BACK_TO_WORK = "in_progress"
PARKED = frozenset({"new", "open", "awaiting_user_response", "on_hold"})


def request_access(workspace_id: str, actor: Principal, ticket_ref: str, data: dict, correlation_id) -> dict:
    """Open the child ticket and the gate; returns both. NotFound for an unknown ticket."""
    original = tickets.get_ticket(workspace_id, actor, ticket_ref)
    risk = data.get("risk_level") or "medium"
    details = [data.get("reason") or "", f"Account: {data['account_ref']}" if data.get("account_ref") else ""]
    child = tickets.create_ticket(
        workspace_id,
        actor,
        {
            "title": f"Access request: {data['permission']} on {data['resource']}"[:200],
            "description": "\n\n".join(part for part in details if part),
            "ticket_class": "service_request",
            "priority": PRIORITY_FOR_RISK[risk],
            "tags": ["access-request"],
            "custom_fields": {
                "parent_ticket_id": original["id"],
                "resource": data["resource"],
                "permission": data["permission"],
                **({"account_ref": data["account_ref"]} if data.get("account_ref") else {}),
            },
            **({"team": data["assignment_group"]} if data.get("assignment_group") else {}),
        },
        correlation_id,
    )
    gate = {
        "ticket_id": original["id"],
        "action": "grant_access",
        "target": f"{data['resource']}: {data['permission']}",
        "reason": data.get("reason") or "",
        "risk_level": risk,
        "approval_policy": data.get("approval_policy") or {},
        **({"agent_id": data["agent_id"]} if data.get("agent_id") else {}),
    }
    try:
        change = changes.request_change(workspace_id, actor, gate, correlation_id, access_ticket_id=child["id"])
    except DeskflowError:
        tickets.change_status(
            workspace_id, actor, child["id"], "cancelled", "the approval gate could not be opened", correlation_id
        )
        raise
    return _access_request(change, child)


def _access_request(change: dict, child: dict | None = None) -> dict:
    return {
        "ticket_id": change["ticket_id"],
        "access_ticket_id": change["access_ticket_id"],
        "access_ticket_number": child["number"] if child else None,
        "change_id": change["id"],
        "grant_status": {"pending": "pending", "approved": "granted", "completed": "granted"}.get(
            change["status"], change["status"]
        ),
        "change": change,
    }


def list_access_requests(workspace_id: str, actor: Principal, ticket_ref: str, limit: int, start_key):
    original = tickets.get_ticket(workspace_id, actor, ticket_ref)
    items, next_key = changes.list_changes(workspace_id, {"ticket_id": original["id"], "kind": KIND}, limit, start_key)
    return [_access_request(change) for change in items], next_key


def carry_out(event: dict) -> bool:
    """The ``access-grants`` consumer: act on the decision of an access request's gate. Idempotent by
    state (a ticket already where the decision puts it is left alone); False when there was nothing to
    do (not an access request, or already carried out)."""
    change = event.get("data") or {}
    if change.get("kind") != KIND or not change.get("access_ticket_id"):
        return False
    workspace_id = event["workspace_id"]
    system = Principal("system", None, frozenset({ADMIN}), (workspace_id,))
    child = tickets.get_ticket(workspace_id, system, change["access_ticket_id"])
    acted = False
    if event["type"] == Topic.CHANGE_APPROVED:
        if child["status"] not in {"resolved", "closed", "cancelled"}:
            tickets.change_status(
                workspace_id, system, child["id"], "resolved", "access granted", event.get("correlation_id")
            )
            acted = True
        original = tickets.get_ticket(workspace_id, system, change["ticket_id"])
        if original["status"] in PARKED:
            tickets.change_status(
                workspace_id, system, original["id"], BACK_TO_WORK, "access granted", event.get("correlation_id")
            )
            acted = True
    elif child["status"] not in {"resolved", "closed", "cancelled"}:
        reason = "access request rejected" if event["type"] == Topic.CHANGE_REJECTED else "access request expired"
        tickets.change_status(workspace_id, system, child["id"], "cancelled", reason, event.get("correlation_id"))
        acted = True
    return acted
