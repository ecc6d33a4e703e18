"""Chat intake (seed 000): a message that is a work order becomes a classified ticket and the reply names
its number; anything else gets a reply and no ticket. A ticket's chat thread is its public side: the
description first, then its public comments (internal notes never appear, whoever asks).

Requesters see only their own tickets' threads (another's is answered NotFound, as a missing one).
"""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.domain import classification, intake_channel, system_config, technicians, ticket_listing, tickets
from chalicelib.errors import ValidationError
from chalicelib.models.tickets import CommentItem, ticket_pk

SOURCE = "chat"
CLOSED_STATUSES = frozenset({"resolved", "closed", "cancelled"})
COMMENTS_PREFIX = "COMMENT#"
# A thread's first page starts with the description; this position means "the comments from the start".
_COMMENTS_FROM_START = {"thread": "comments"}


def send(
    workspace_id: str,
    actor: Principal,
    message: str,
    building_id: str | None,
    apartment_id: str | None,
    correlation_id: str | None,
) -> dict:
    """Answer a chat message: ``{"reply", "ticket": {id, number} | None, "classification"}``. A work
    order opens a ticket (source ``chat``; the message is its description, its first line the title).
    ValidationError for a blank message or unknown building/apartment ids."""
    if not message.strip():
        raise ValidationError("message is empty", details={"message": "must not be blank"})
    result = classification.classify(workspace_id, message, source=SOURCE, actor_id=actor.user_id)
    if not result.is_work_order:
        return {"reply": _no_ticket_reply(workspace_id), "ticket": None, "classification": result.public()}
    data = {
        "title": intake_channel.title_from(message),
        "description": message,
        "building_id": building_id,
        "apartment_id": apartment_id,
    }
    ticket = intake_channel.open_ticket(workspace_id, actor, result, SOURCE, data, correlation_id)
    return {
        "reply": _ticket_reply(ticket),
        "ticket": {"id": ticket["id"], "number": ticket["number"]},
        "classification": result.public(),
    }


def conversations(workspace_id: str, actor: Principal, limit: int, start_key: dict | None):
    """A page of the caller's active tickets (not resolved, closed or cancelled), newest first, each with
    its last public message: ``(items, next_key)``. One Query on the by-requester index
    (``ticket_listing``); tickets that are no longer active are left out, so a page may come back short
    with a cursor to read on."""
    query = conversations_query(actor)
    page, next_key = ticket_listing.list_tickets(workspace_id, query, limit, start_key)
    active = [ticket for ticket in page if ticket["status"] not in CLOSED_STATUSES]
    return [
        {"ticket": ticket, "last_message": _last_public_message(workspace_id, ticket)} for ticket in active
    ], next_key


def conversations_query(actor: Principal) -> ticket_listing.TicketQuery:
    return ticket_listing.TicketQuery(filters={"requester": actor.user_id}, sort="created_at", order="desc")


def post_message(workspace_id: str, actor: Principal, ticket_id: str, body: str, correlation_id) -> dict:
    """A public message on the ticket's thread (a public comment). NotFound for a ticket the caller
    cannot see; ValidationError for a blank body."""
    if not body.strip():
        raise ValidationError("message body is empty", details={"body": "must not be blank"})
    comment = tickets.add_comment(workspace_id, actor, ticket_id, body, False, correlation_id)
    return _comment_message(comment["id"], comment["ticket_id"], comment["author_id"], body, comment["created_at"])


def thread(workspace_id: str, actor: Principal, ticket_id: str, limit: int, start_key: dict | None):
    """A page of the ticket's public thread, oldest first: the description, then public comments.
    ``(messages, next_key)``; NotFound for a ticket the caller cannot see."""
    ticket = tickets.visible_ticket(workspace_id, actor, ticket_id)
    messages = []
    if start_key is None:
        messages.append(
            _comment_message(ticket.id, ticket.id, ticket.requester_id, _opening(ticket), ticket.created_at)
        )
        messages[0]["kind"] = "description"
        start_key = _COMMENTS_FROM_START
    if len(messages) >= limit:
        return messages, _COMMENTS_FROM_START
    wanted = limit - len(messages)
    exclusive_start = None if start_key == _COMMENTS_FROM_START else _checked_position(ticket.pk, start_key)
    results = CommentItem.query(
        ticket.pk,
        CommentItem.sk.startswith(COMMENTS_PREFIX),
        filter_condition=CommentItem.is_internal == False,  # noqa: E712
        limit=wanted + 1,
        page_size=wanted + 1,
        last_evaluated_key=exclusive_start,
    )
    comments = list(results)
    next_key = None
    if len(comments) > wanted:
        comments = comments[:wanted]
        next_key = {"pk": {"S": ticket.pk}, "sk": {"S": comments[-1].sk}}
    for comment in comments:
        messages.append(
            _comment_message(comment.id, comment.ticket_id, comment.author_id, comment.body_md, comment.created_at)
        )
    return messages, next_key


def recipients(workspace_id: str, category: str | None, limit: int, start_key: dict | None):
    """A page of the staff available now (technicians with the availability flag, for ``category`` when
    given): who a chat can reach. Only what a requester needs to see: id, name, categories."""
    profiles, next_key = technicians.available_technicians(workspace_id, category, limit, start_key)
    people = [
        {"id": profile["id"], "display_name": profile["display_name"], "categories": profile["categories"]}
        for profile in profiles
    ]
    return people, next_key


# --- internals ---------------------------------------------------------------------------


def _ticket_reply(ticket: dict) -> str:
    what = f" ({ticket['category']})" if ticket.get("category") else ""
    who = (
        " It has been assigned to a technician." if ticket.get("assignee_id") else " Our team will pick it up shortly."
    )
    return f"I've opened ticket {ticket['number']}{what} for you.{who} You can follow it and reply here."


def _no_ticket_reply(workspace_id: str) -> str:
    names = [category["name"] for category in system_config.current(workspace_id)["ai"]["categories"]]
    known = f" (for example {', '.join(names)})" if names else ""
    return (
        "I didn't open a ticket: that doesn't read like a maintenance or service request to me. "
        f"Tell me what is wrong and where{known}, and I'll open one for you."
    )


def _opening(ticket) -> str:
    return ticket.description or ticket.title


def _comment_message(message_id: str, ticket_id: str, author_id: str, body: str, created_at: str) -> dict:
    return {
        "id": message_id,
        "ticket_id": ticket_id,
        "author_id": author_id,
        "body": body,
        "kind": "message",
        "created_at": created_at,
    }


def _last_public_message(workspace_id: str, ticket: dict) -> dict:
    pk = ticket_pk(workspace_id, ticket["id"])
    latest = next(
        iter(
            CommentItem.query(
                pk,
                CommentItem.sk.startswith(COMMENTS_PREFIX),
                filter_condition=CommentItem.is_internal == False,  # noqa: E712
                scan_index_forward=False,
                limit=1,
            )
        ),
        None,
    )
    if latest is None:
        message = _comment_message(
            ticket["id"],
            ticket["id"],
            ticket["requester_id"],
            ticket["description"] or ticket["title"],
            ticket["created_at"],
        )
        message["kind"] = "description"
        return message
    return _comment_message(latest.id, latest.ticket_id, latest.author_id, latest.body_md, latest.created_at)


def _checked_position(pk: str, position: dict) -> dict:
    if set(position) != {"pk", "sk"} or position["pk"] != {"S": pk}:
        raise ValidationError(
            "cursor is invalid", details={"cursor": "is not a cursor this list issued"}, code="invalid_cursor"
        )
    return position
