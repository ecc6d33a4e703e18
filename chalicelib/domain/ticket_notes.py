"""Notes other aggregates write on a ticket's timeline (an approval chain, a clarification), built as
records to add to the writer's own transaction, so the note and the change it tells of commit together."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from chalicelib.domain.events import new_event
from chalicelib.domain.ticket_records import history_row
from chalicelib.errors import NotFound
from chalicelib.events.catalogue import Topic
from chalicelib.models.tickets import CommentItem, TicketItem, ticket_pk


@dataclass
class NoteRecords:
    ticket: TicketItem
    items: list  # the comment, its history row and its ticket.commented event

    def write_into(self, write) -> None:
        """Add to a TransactWrite: the ticket must still be live, then the note's records."""
        write.condition_check(TicketItem, self.ticket.pk, "TICKET", condition=TicketItem.deleted_at.does_not_exist())
        for item in self.items:
            write.save(item)


def live_ticket(workspace_id: str, ticket_id: str) -> TicketItem:
    """The ticket by id; NotFound when missing or deleted."""
    try:
        ticket = TicketItem.get(ticket_pk(workspace_id, ticket_id), "TICKET", consistent_read=True)
    except TicketItem.DoesNotExist:
        raise NotFound("ticket not found") from None
    if ticket.deleted_at is not None:
        raise NotFound("ticket not found")
    return ticket


def note_records(
    ticket: TicketItem, author_id: str, body_md: str, is_internal: bool, correlation_id: str | None, at: str
) -> NoteRecords:
    comment_id = str(uuid.uuid4())
    comment = CommentItem(
        pk=ticket.pk,
        sk=f"COMMENT#{at}#{comment_id}",
        id=comment_id,
        ticket_id=ticket.id,
        author_id=author_id,
        body_md=body_md,
        is_internal=is_internal,
        created_at=at,
    )
    row = history_row(ticket, author_id, at, "comment", None, comment_id, correlation_id, internal=is_internal)
    event = new_event(
        Topic.TICKET_COMMENTED,
        ticket.workspace_id,
        "ticket",
        ticket.id,
        {"comment_id": comment_id, "author_id": author_id, "is_internal": is_internal},
        correlation_id,
        at,
        actor_id=author_id,
        audience_id=ticket.requester_id,
    )
    return NoteRecords(ticket, [comment, row, event])
