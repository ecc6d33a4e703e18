"""Many tickets, fast: BatchWriteItem of the items ``create_ticket`` writes, built the same way.

``create_ticket`` itself costs a TransactWriteItems per ticket, and moto deep-copies the table
for every transaction, so 20,000 tickets through the domain would take far longer than the bench
may run. Instead each ticket is built as ``create_ticket`` builds it (``set_index_keys``,
``tag_entries``, version 1 as the first transactional save sets it) and written with its tag
entries (keys only): the items the list indexes read. The number item, the "created" history row and the
outbox event are left out: no list reads them, and every extra item slows moto's queries (it
walks the whole table for each). The workspace's number sequence is set to match.
``bench.list_reads.shape_differences`` compares seeded items with those of a ticket created
through the API (number item included), so the two cannot drift apart unnoticed.

The mix of statuses, priorities, assignees, categories and tags repeats every few tickets, so
any window of the newest tickets looks alike whatever the workspace's size.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chalicelib.clock import format_time
from chalicelib.domain.ticket_records import set_index_keys, tag_entries
from chalicelib.domain.ticket_rules import PRIORITIES, STATUSES
from chalicelib.domain.tickets import FIRST_NUMBER, new_ticket_item
from chalicelib.models.tickets import SequenceItem, TicketItem, TicketNumberItem

SEED_START = datetime(2025, 1, 1, tzinfo=UTC)
SECONDS_BETWEEN_TICKETS = 37
ASSIGNEES = [None] + [f"agent-{n}" for n in range(1, 11)]
CATEGORIES = ("hardware", "software", "network", "access", "facilities")
TEAMS = ("it", "facilities", "security")


@dataclass(frozen=True)
class TicketProfile:
    """The values that decide which lists a ticket appears in."""

    status: str
    priority: str
    requester_id: str
    assignee_id: str | None = None
    category: str | None = None
    team: str | None = None
    tags: list[str] = field(default_factory=list)


def profile_for(index: int) -> TicketProfile:
    """A deterministic, periodic mix. Cancelled tickets are never urgent, so the filter
    ``status=cancelled&priority=urgent`` matches nothing (the worst case for a filtered list)."""
    status = STATUSES[index % len(STATUSES)]
    priority = PRIORITIES[(index // len(STATUSES)) % len(PRIORITIES)]
    if status == "cancelled" and priority == "urgent":
        priority = "low"
    tags = [tag for tag, period in (("vpn", 4), ("laptop", 6)) if index % period == 0]
    return TicketProfile(
        status=status,
        priority=priority,
        requester_id=f"requester-{index % 97}",
        assignee_id=ASSIGNEES[index % len(ASSIGNEES)],
        category=CATEGORIES[index % len(CATEGORIES)],
        team=TEAMS[index % len(TEAMS)],
        tags=tags,
    )


def build_ticket_items(workspace_id: str, number: int, ticket_id: str, created_at: str, profile: TicketProfile):
    """The ticket, its number item and its tag entries, as ``create_ticket`` shapes them."""
    fields = {
        "title": f"Seeded ticket {number}",
        "priority": profile.priority,
        "category": profile.category,
        "team": profile.team,
        "tags": profile.tags,
        "requester_id": profile.requester_id,
    }
    ticket = new_ticket_item(workspace_id, ticket_id, profile.requester_id, fields, created_at, number=number)
    # Where the ticket has got to since (status and assignment change after creation).
    ticket.status = profile.status
    ticket.assignee_id = profile.assignee_id
    ticket.resolved_at = created_at if profile.status in {"resolved", "closed"} else None
    ticket.closed_at = created_at if profile.status == "closed" else None
    set_index_keys(ticket)
    tags = tag_entries(ticket)
    ticket.version = 1  # as the first transactional save sets it
    number_item = TicketNumberItem(pk=f"WS#{workspace_id}#NUM#{number}", sk="NUMBER", ticket_id=ticket_id)
    return [ticket, number_item, *tags]


def seed_tickets(workspace_id: str, first_index: int, count: int) -> int:
    """Write tickets ``first_index`` .. ``first_index + count - 1``; return how many items were written."""
    written = 0
    with TicketItem.batch_write() as batch:
        for index in range(first_index, first_index + count):
            created_at = format_time(SEED_START + timedelta(seconds=index * SECONDS_BETWEEN_TICKETS))
            number = FIRST_NUMBER + index + 1
            items = build_ticket_items(workspace_id, number, f"seed-{index:08d}", created_at, profile_for(index))
            for item in items:
                if not isinstance(item, TicketNumberItem):
                    batch.save(item)
                    written += 1
        batch.save(SequenceItem(pk=f"WS#{workspace_id}", sk="COUNTER#ticket_number", value=first_index + count))
    return written + 1


def ensure_team(workspace_id: str, team_id: str) -> None:
    """Make ``team_id`` a team of the workspace (a ticket's team must name one) unless it is already."""
    from chalicelib.domain.teams import create_team
    from chalicelib.errors import Conflict

    with suppress(Conflict):
        create_team(workspace_id, team_id.upper(), team_id=team_id, actor_id="bench")
