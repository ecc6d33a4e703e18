"""Change requests: approval gates that are durable Step Functions executions.

A request starts one execution of the ``change-approval`` machine, named after the change. The machine
hands a task token to the ``change-approvals`` queue, whose consumer keeps it on the change
(``keep_task_token``), and waits. Votes are recorded here; the vote that reaches the quorum approves the
change and resumes the execution (``SendTaskSuccess``), a rejection decides it at once
(``SendTaskFailure`` with ``ChangeRejected``), and a machine whose wait times out sends ``expire``
through the same queue. The token and a decision may arrive in either order: whichever comes second
resumes the execution.

Every transition (requested, approved, rejected, expired, completed) commits in one transaction with its
timeline row, an internal note on the ticket (the approval chain on the ticket timeline, seed 001), an
audit row and its event; a vote that does not decide leaves a timeline row and an audit row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError

from chalicelib import flows
from chalicelib.auth.principal import Principal
from chalicelib.clock import format_time, parse_time, utcnow
from chalicelib.domain import directory, tickets
from chalicelib.domain.audit import audit_record
from chalicelib.domain.events import new_event
from chalicelib.domain.ticket_notes import live_ticket, note_records
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.events.catalogue import Topic
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.changes import (
    CHANGE_SK,
    ChangeItem,
    TimelineItem,
    VoteItem,
    change_pk,
    find_task_token,
    has_voted,
    keep_token,
)

MACHINE = "change-approval"
STATUSES = ("pending", "approved", "rejected", "expired", "completed")
RISK_LEVELS = ("low", "medium", "high", "critical")
DEFAULT_EXPIRES_IN = 24 * 3600
MAX_EXPIRES_IN = 30 * 24 * 3600
REJECTED_ERROR = "ChangeRejected"  # the machine's Catch names it
DEFAULT_APPROVER_ROLES = ("admin",)

Clock = Callable[[], datetime]


@dataclass
class _Transition:
    """A change about to be written with everything that commits with it."""

    change: ChangeItem
    actor_id: str
    correlation_id: str | None
    at: str
    records: list = field(default_factory=list)
    conditional: list = field(default_factory=list)  # (item, condition) pairs
    note: object = None

    def happened(self, event: str, note: str = "") -> None:
        self.records.append(
            TimelineItem(
                pk=self.change.pk,
                # Ordered within a transition by position; the random tail keeps keys unique.
                sk=f"TIMELINE#{self.at}#{len(self.records):03d}{uuid.uuid4().hex[:6]}",
                at=self.at,
                event=event,
                by=self.actor_id,
                note=note,
            )
        )

    def audit(self, verb: str, changes: dict | None = None) -> None:
        change = self.change
        self.records.append(
            audit_record(
                change.workspace_id,
                self.actor_id,
                f"change.{verb}",
                "change",
                change.id,
                changes,
                self.correlation_id,
                self.at,
            )
        )

    def announce(self, topic: str, ticket_note: str) -> None:
        """The event of a transition and its internal note on the ticket."""
        change = self.change
        self.records.append(
            new_event(
                topic,
                change.workspace_id,
                "change",
                change.id,
                _public(change),
                self.correlation_id,
                self.at,
                actor_id=self.actor_id,
            )
        )
        ticket = live_ticket(change.workspace_id, change.ticket_id)
        self.note = note_records(ticket, self.actor_id, ticket_note, True, self.correlation_id, self.at)

    def commit(self) -> None:
        try:
            with transaction() as write:
                for item, condition in self.conditional:
                    write.save(item, condition=condition)
                write.save(self.change)
                for item in self.records:
                    write.save(item)
                if self.note is not None:
                    self.note.write_into(write)
        except TransactWriteError as error:
            # Which item's condition failed cannot be read from the reasons' order (PynamoDB sends
            # condition checks first), so a repeated vote is caught before the write; a lost race
            # ends here as a 409 all the same.
            if "ConditionalCheckFailed" not in cancellation_codes(error):
                raise
            raise Conflict(
                "the change was changed by someone else; reload and retry", code="concurrent_update"
            ) from error


def request_change(
    workspace_id: str,
    actor: Principal,
    data: dict,
    correlation_id: str | None,
    *,
    start_execution=flows.start_execution,
    now: Clock = utcnow,
    access_ticket_id: str | None = None,
) -> dict:
    """Open an approval gate on a ticket (``access_ticket_id``: the gate of an access request, whose
    child ticket that is). Raises ValidationError for an unknown ticket or approver, or a quorum the
    named approvers could never reach."""
    try:  # by id or by number (DF-1042)
        ticket_id = tickets.get_ticket(workspace_id, actor, data["ticket_id"])["id"]
    except NotFound:
        raise ValidationError("the ticket does not exist", details={"ticket_id": "no such ticket"}) from None
    policy = data.get("approval_policy") or {}
    users, roles = _approvers(workspace_id, policy.get("approvers") or [])
    if not users and not roles:
        roles = list(DEFAULT_APPROVER_ROLES)
    quorum = int(policy.get("quorum") or 1)
    if not roles and quorum > len(users):
        raise ValidationError(
            "the quorum is larger than the approvers named", details={"approval_policy.quorum": f"at most {len(users)}"}
        )
    expires_in = int(policy.get("expires_in") or DEFAULT_EXPIRES_IN)
    at_time = now()
    at = format_time(at_time)
    change_id = uuid.uuid4().hex
    requires_human = policy.get("requires_human", True)
    change = ChangeItem(
        pk=change_pk(workspace_id, change_id),
        sk=CHANGE_SK,
        id=change_id,
        workspace_id=workspace_id,
        ticket_id=ticket_id,
        agent_id=data.get("agent_id"),
        action=data["action"],
        target=data.get("target") or "",
        reason=data.get("reason") or "",
        command=data.get("command"),
        risk_level=data.get("risk_level") or "medium",
        requires_human="true" if requires_human else "false",
        approver_users=users,
        approver_roles=roles,
        quorum=quorum,
        auto_complete="true" if policy.get("auto_complete") else "false",
        status="pending",
        requested_by=actor.user_id,
        created_at=at,
        expires_at=format_time(at_time + timedelta(seconds=expires_in)),
        ws_key=workspace_id,
        ticket_key=f"{workspace_id}#{ticket_id}",
        agent_key=f"{workspace_id}#{data['agent_id']}" if data.get("agent_id") else None,
        created_key=f"{at}#{change_id}",
        kind="access_request" if access_ticket_id else "change",
        access_ticket_id=access_ticket_id,
    )
    _set_status(change, "pending")
    transition = _Transition(change, actor.user_id, correlation_id, at)
    transition.happened("requested", change.reason)
    transition.audit("requested")
    transition.announce(
        Topic.CHANGE_REQUESTED,
        f"Change requested: **{change.action}** on `{change.target}` "
        f"(risk {change.risk_level}). {change.reason}".strip(),
    )
    if not requires_human:
        _decide(change, "approved", "system", at)
        transition.happened("approved", "no human approval required")
        transition.records.append(
            new_event(
                Topic.CHANGE_APPROVED,
                workspace_id,
                "change",
                change_id,
                {**_public(change), "approval_mode": "auto"},
                correlation_id,
                at,
                actor_id=actor.user_id,
            )
        )
    else:
        # Started before the change is written: the consumer that receives the task token retries until
        # the change exists, while a change without its execution could never be decided.
        execution = start_execution(
            MACHINE, change_id, {"workspace_id": workspace_id, "change_id": change_id, "timeout_seconds": expires_in}
        )
        change.execution_arn = execution.arn
    try:
        transition.commit()
    except Conflict:  # the ticket was deleted meanwhile (the change's own key is new)
        raise ValidationError("the ticket does not exist", details={"ticket_id": "no such ticket"}) from None
    return _public(change)


def _approvers(workspace_id: str, approvers: list[dict]) -> tuple[list[str], list[str]]:
    users, roles, problems = [], [], {}
    for position, approver in enumerate(approvers):
        if "user_id" in approver:
            if not directory.member_roles(workspace_id, approver["user_id"]):
                problems[f"approval_policy.approvers[{position}].user_id"] = "is not a member of this workspace"
            users.append(approver["user_id"])
        else:
            roles.append(approver["role"])
    if problems:
        raise ValidationError("an approver is not a member of this workspace", details=problems)
    return sorted(set(users)), sorted(set(roles))


def _set_status(change: ChangeItem, status: str) -> None:
    change.status = status
    change.status_key = f"{change.workspace_id}#{status}"


def _decide(change: ChangeItem, status: str, by: str, at: str) -> None:
    _set_status(change, status)
    change.decided_at = at
    change.decided_by = by


def vote(
    workspace_id: str,
    actor: Principal,
    change_id: str,
    decision: str,
    reason: str | None,
    correlation_id: str | None,
    *,
    now: Clock = utcnow,
) -> dict:
    """Record ``actor``'s vote (``approve`` or ``reject``). Conflict when the change is decided or
    expired or the actor already voted; Forbidden for someone not among the approvers, and for the
    requester approving their own change."""
    change = _load(workspace_id, change_id)
    at_time = now()
    if change.status != "pending":
        raise Conflict(f"the change is already {change.status}", code="change_decided")
    if at_time >= parse_time(change.expires_at):
        raise Conflict("the change has expired", code="change_expired")
    if decision == "approve" and actor.user_id == change.requested_by:
        raise Forbidden("you cannot approve your own change", code="own_change")
    if actor.user_id not in change.approver_users and not actor.has_any_role(set(change.approver_roles)):
        raise Forbidden("you are not an approver of this change", code="not_an_approver")
    if has_voted(change.pk, actor.user_id):
        raise Conflict("you have already voted on this change", code="already_voted")
    at = format_time(at_time)
    transition = _Transition(change, actor.user_id, correlation_id, at)
    vote_item = VoteItem(
        pk=change.pk, sk=f"VOTE#{actor.user_id}", user_id=actor.user_id, decision=decision, reason=reason or "", at=at
    )
    transition.conditional.append((vote_item, VoteItem.pk.does_not_exist()))
    if decision == "approve":
        change.approvals = int(change.approvals or 0) + 1
        if change.approvals >= int(change.quorum):
            _decide(change, "approved", actor.user_id, at)
    else:
        change.rejections = int(change.rejections or 0) + 1
        _decide(change, "rejected", actor.user_id, at)
    transition.happened("voted", f"{decision}: {reason or ''}".strip())
    transition.audit("voted", {"vote": {"from": None, "to": decision}})
    if change.status != "pending":
        transition.audit(change.status, {"status": {"from": "pending", "to": change.status}})
    if change.status == "approved":
        transition.happened("approved")
        transition.announce(
            Topic.CHANGE_APPROVED,
            f"Change **{change.action}** approved ({change.approvals} of {change.quorum}). {reason or ''}".strip(),
        )
    elif change.status == "rejected":
        transition.happened("rejected")
        transition.announce(
            Topic.CHANGE_REJECTED, f"Change **{change.action}** rejected by {actor.user_id}. {reason or ''}".strip()
        )
    transition.commit()
    _resume_if_decided(change)
    return _public(change)


def _resume_if_decided(change: ChangeItem) -> None:
    """Resume the execution when the change is decided and its token has come (either may come first:
    the token's consumer calls this too, so whichever arrives second resumes it; a second resume of the
    same token is refused by Step Functions and ignored)."""
    if change.status not in {"approved", "completed", "rejected"}:
        return
    token = find_task_token(change.pk)
    if token is None:
        return  # the consumer resumes it when the token arrives
    if change.status == "rejected":
        flows.fail_task(token, REJECTED_ERROR, f"change {change.id} rejected by {change.decided_by}")
    else:
        flows.complete_task(token, {"status": "approved", "change_id": change.id})


def complete(workspace_id: str, actor: Principal, change_id: str, result: str, correlation_id: str | None) -> dict:
    """Record the result of an approved change. Conflict unless it is approved."""
    change = _load(workspace_id, change_id)
    if change.status != "approved":
        raise Conflict(
            f"only an approved change can be completed; this one is {change.status}", code="change_not_approved"
        )
    at = format_time(utcnow())
    _set_status(change, "completed")
    change.completed_at = at
    change.completed_by = actor.user_id
    change.result = result
    transition = _Transition(change, actor.user_id, correlation_id, at)
    transition.happened("completed", result)
    transition.audit("completed", {"status": {"from": "approved", "to": "completed"}})
    transition.announce(Topic.CHANGE_COMPLETED, f"Change **{change.action}** completed: {result}")
    transition.commit()
    return _public(change)


def keep_task_token(message: dict) -> bool:
    """The consumer's half of ``await_decision``: keep the execution's task token beside the change (an
    item of its own, so it never races a vote for the change's version), and resume the execution at
    once when the change was decided before the token came. Raises NotFound while the change is not
    written yet (the message is retried)."""
    change_key = change_pk(message["workspace_id"], message["change_id"])
    _load(message["workspace_id"], message["change_id"])  # NotFound until the change is written: retried
    keep_token(change_key, message["task_token"], message.get("execution"))
    _resume_if_decided(_load(message["workspace_id"], message["change_id"]))  # read after the token is kept
    return True


def expire(message: dict) -> bool:
    """The consumer's half of a timed-out wait: a change still pending becomes ``expired``. False when
    it had been decided already (a vote just before the deadline, or a redelivered message)."""
    try:
        change = _load(message["workspace_id"], message["change_id"])
    except NotFound:
        return False
    if change.status != "pending":
        return False
    at = format_time(utcnow())
    _decide(change, "expired", "system", at)
    transition = _Transition(change, "system", None, at)
    transition.happened("expired")
    transition.audit("expired", {"status": {"from": "pending", "to": "expired"}})
    transition.announce(Topic.CHANGE_EXPIRED, f"Change **{change.action}** expired without a decision.")
    try:
        transition.commit()
    except Conflict:
        return False  # decided in the meantime
    return True


def _load(workspace_id: str, change_id: str) -> ChangeItem:
    try:
        return ChangeItem.get(change_pk(workspace_id, change_id), CHANGE_SK, consistent_read=True)
    except ChangeItem.DoesNotExist:
        raise NotFound("change not found") from None


def get_change(workspace_id: str, change_id: str) -> dict:
    """The change with its votes and timeline (a GetItem and two Queries of the change's key)."""
    change, votes, timeline = _load(workspace_id, change_id), [], []
    for vote_item in VoteItem.query(change.pk, VoteItem.sk.startswith("VOTE#")):
        votes.append(
            {
                "user_id": vote_item.user_id,
                "decision": vote_item.decision,
                "reason": vote_item.reason,
                "at": vote_item.at,
            }
        )
    for row in TimelineItem.query(change.pk, TimelineItem.sk.startswith("TIMELINE#")):
        timeline.append({"at": row.at, "event": row.event, "by": row.by, "note": row.note})
    return {**_public(change), "votes": votes, "timeline": timeline}


def change_status(workspace_id: str, change_id: str, now: Clock = utcnow) -> dict:
    """The compact state agents poll."""
    change = _load(workspace_id, change_id)
    public = _public(change, now)
    return {
        name: public[name] for name in ("id", "status", "approvals", "quorum", "expires_at", "decided_at", "expired")
    }


def list_changes(
    workspace_id: str,
    filters: dict,
    limit: int,
    start_key: dict | None,
    pending_only: bool = False,
    now: Clock = utcnow,
):
    """Changes newest first, from the index the most selective filter names; the other filters (and,
    for ``pending_only``, "not past its expiry") are applied within each page read."""
    status = "pending" if pending_only else filters.get("status")
    conditions = []
    if filters.get("ticket_id"):
        index, key = ChangeItem.by_ticket, f"{workspace_id}#{filters['ticket_id']}"
        if filters.get("agent_id"):
            conditions.append(ChangeItem.agent_id == filters["agent_id"])
        if status:
            conditions.append(ChangeItem.status == status)
    elif filters.get("agent_id"):
        index, key = ChangeItem.by_agent, f"{workspace_id}#{filters['agent_id']}"
        if status:
            conditions.append(ChangeItem.status == status)
    elif status:
        index, key = ChangeItem.by_status, f"{workspace_id}#{status}"
    else:
        index, key = ChangeItem.by_workspace, workspace_id
    if pending_only:
        conditions.append(ChangeItem.expires_at > format_time(now()))
    if filters.get("kind"):
        conditions.append(ChangeItem.kind == filters["kind"])
    condition = None
    for part in conditions:
        condition = part if condition is None else condition & part
    result = index.query(
        key, filter_condition=condition, scan_index_forward=False, limit=limit, last_evaluated_key=start_key
    )
    return [_public(item, now) for item in result], result.last_evaluated_key


def _public(change: ChangeItem, now: Clock = utcnow) -> dict:
    return {
        "id": change.id,
        "ticket_id": change.ticket_id,
        "agent_id": change.agent_id,
        "action": change.action,
        "target": change.target,
        "reason": change.reason,
        "command": change.command,
        "risk_level": change.risk_level,
        "status": change.status,
        "approval_policy": {
            "requires_human": change.requires_human == "true",
            "approvers": [{"user_id": user} for user in change.approver_users]
            + [{"role": role} for role in change.approver_roles],
            "quorum": int(change.quorum),
            "auto_complete": change.auto_complete == "true",
        },
        "approvals": int(change.approvals or 0),
        "rejections": int(change.rejections or 0),
        "quorum": int(change.quorum),
        "requested_by": change.requested_by,
        "created_at": change.created_at,
        "expires_at": change.expires_at,
        "expired": change.status == "expired"
        or (change.status == "pending" and now() >= parse_time(change.expires_at)),
        "decided_at": change.decided_at,
        "decided_by": change.decided_by,
        "completed_at": change.completed_at,
        "completed_by": change.completed_by,
        "result": change.result,
        "execution_arn": change.execution_arn,
        "kind": change.kind or "change",
        "access_ticket_id": change.access_ticket_id,
    }
