"""Demo data for a local stack: two workspaces, their people, a platform admin and a few tickets.

Idempotent: what already exists is left alone (the domain raises Conflict for it), and tickets are
only created together with the demo workspace, so a restart does not duplicate them.

    python -m infra.seed          (DESKFLOW_SEED=0 skips it under ``make run``)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import partial

from chalicelib.errors import Conflict, NotFound

DEFAULT_PASSWORD = "deskflow-demo"
DEMO_WORKSPACE = "demo"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    workspace: str | None  # None: platform-wide
    display_name: str


ACCOUNTS = (
    DemoAccount("admin@example.com", "admin", DEMO_WORKSPACE, "Demo Admin"),
    DemoAccount("agent@example.com", "agent", DEMO_WORKSPACE, "Demo Agent"),
    DemoAccount("requester@example.com", "requester", DEMO_WORKSPACE, "Demo Requester"),
    DemoAccount("admin@acme.example.com", "admin", "acme", "Acme Admin"),
    DemoAccount("platform@example.com", "platform_admin", None, "Platform Admin"),
)
WORKSPACES = {DEMO_WORKSPACE: "Demo", "acme": "Acme"}
DEMO_TICKETS = (
    {
        "title": "VPN drops every few minutes",
        "description": "Since this morning the VPN disconnects every 5-10 minutes on the office Wi-Fi.",
        "priority": "high",
        "category": "network",
    },
    {
        "title": "New laptop for onboarding",
        "description": "A new starter joins on Monday and needs a laptop with the standard image.",
        "priority": "medium",
        "category": "hardware",
    },
    {
        "title": "Password reset for the billing portal",
        "description": "I am locked out of the billing portal after too many attempts.",
        "priority": "low",
        "category": "access",
    },
)


@dataclass(frozen=True)
class DemoTicket:
    number: str  # DF-1001: what the API and the README walk-through use
    title: str
    priority: str


@dataclass
class SeedReport:
    password: str
    accounts: tuple[DemoAccount, ...] = ACCOUNTS
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)  # ids of the tickets created by this run
    demo_tickets: list[DemoTicket] = field(default_factory=list)  # created now or found from an earlier run

    def credentials_text(self) -> str:
        lines = [f"Demo accounts (password: {self.password}):"]
        for account in self.accounts:
            where = f"workspace {account.workspace}" if account.workspace else "all workspaces"
            lines.append(f"  {account.email:<26} {account.role:<15} {where}")
        return "\n".join(lines)

    def tickets_text(self) -> str:
        if not self.demo_tickets:
            return f"Demo tickets: none found in workspace {DEMO_WORKSPACE}."
        lines = [f"Demo tickets (workspace {DEMO_WORKSPACE}):"]
        lines += [f"  {ticket.number:<9} {ticket.priority:<7} {ticket.title}" for ticket in self.demo_tickets]
        return "\n".join(lines)


def seed(password: str = DEFAULT_PASSWORD) -> SeedReport:
    """Create whatever demo data is missing; return what was created and what already existed."""
    from chalicelib.domain import directory

    report = SeedReport(password=password)
    created_workspaces = set()
    for workspace_id, name in WORKSPACES.items():
        admin = next(a for a in ACCOUNTS if a.workspace == workspace_id and a.role == "admin")
        create = partial(directory.create_workspace, workspace_id, name, admin.email, password, admin.display_name)
        if _ensure(report, f"workspace {workspace_id}", admin.email, create):
            created_workspaces.add(workspace_id)
    for account in ACCOUNTS:
        if account.role == "platform_admin":
            create = partial(directory.create_platform_admin, account.email, password, account.display_name)
        elif account.role == "admin":
            continue  # created with its workspace
        else:
            create = partial(
                directory.create_user, account.workspace, account.email, password, [account.role], account.display_name
            )
        _ensure(report, account.email, account.email, create)
    _seed_places_and_people(report)
    requester = directory.find_user_by_email("requester@example.com")
    if DEMO_WORKSPACE in created_workspaces:
        created = _seed_tickets(requester)
        report.tickets = [ticket["id"] for ticket in created]
        report.demo_tickets = [_demo_ticket(ticket) for ticket in created]
    elif requester is not None:
        report.demo_tickets = _existing_demo_tickets(requester)
    return report


DEMO_TEAMS = {"plumbing": "Plumbing", "facilities": "Facilities", "it-support": "IT Support"}
DEMO_BUILDING = ("building-1", "Harbour View", "1 Quay Street")
DEMO_APARTMENTS = (("apartment-7", 1), ("apartment-12", 3))


def _seed_places_and_people(report: SeedReport) -> None:
    """Teams, the demo agent's technician profile, a building with apartments (each left alone if
    it exists already)."""
    from contextlib import suppress

    from chalicelib.auth.principal import Principal
    from chalicelib.domain import buildings, directory, teams, technicians

    agent = directory.find_user_by_email("agent@example.com")
    actor = directory.SYSTEM_ACTOR
    with suppress(Conflict):
        for team_id, name in DEMO_TEAMS.items():
            members = [agent["id"]] if agent else []
            teams.create_team(DEMO_WORKSPACE, name, team_id=team_id, members=members, actor_id=actor)
            report.created.append(f"team {team_id}")
    with suppress(Conflict):
        building_id, name, address = DEMO_BUILDING
        buildings.create_building(DEMO_WORKSPACE, name, building_id=building_id, address=address, actor_id=actor)
        for apartment_id, floor in DEMO_APARTMENTS:
            buildings.create_apartment(
                DEMO_WORKSPACE, building_id, apartment_id=apartment_id, floor=floor, actor_id=actor
            )
        report.created.append(f"building {building_id}")
    if agent is not None:
        admin = Principal(user_id=actor, email="", roles=frozenset({"admin"}), workspaces=(DEMO_WORKSPACE,))
        profile = {"skills": ["plumbing", "networking"], "categories": ["plumbing", "network"], "available": True}
        try:
            technicians.get_technician(DEMO_WORKSPACE, agent["id"])
        except NotFound:
            technicians.put_technician(DEMO_WORKSPACE, admin, agent["id"], profile)
            report.created.append("technician agent@example.com")


def _demo_ticket(ticket: dict) -> DemoTicket:
    return DemoTicket(number=ticket["number"], title=ticket["title"], priority=ticket["priority"])


def _existing_demo_tickets(requester: dict) -> list[DemoTicket]:
    """The demo tickets an earlier run created: the requester's oldest tickets with a demo title
    (one Query on the requester index; users may have added, edited or deleted tickets since)."""
    from chalicelib.domain.ticket_listing import TicketQuery, list_tickets

    titles = {data["title"] for data in DEMO_TICKETS}
    oldest_first = TicketQuery(filters={"requester": requester["id"]}, sort="created_at", order="asc")
    page, _ = list_tickets(DEMO_WORKSPACE, oldest_first, limit=25, start_key=None)
    return [_demo_ticket(ticket) for ticket in page if ticket["title"] in titles]


def _ensure(report: SeedReport, label: str, email: str, create) -> bool:
    """Run ``create`` unless ``email`` already has a user; True when it created something."""
    from chalicelib.domain import directory

    # Looking the email up first saves a password hash per account on every restart.
    if directory.find_user_by_email(email) is not None:
        report.existing.append(label)
        return False
    try:
        create()
    except Conflict:
        report.existing.append(label)
        return False
    report.created.append(label)
    return True


def _seed_tickets(requester: dict | None) -> list[dict]:
    from chalicelib.auth.principal import Principal
    from chalicelib.domain import tickets

    if requester is None:
        return []
    actor = Principal(
        user_id=requester["id"],
        email=requester.get("email", "requester@example.com"),
        roles=frozenset({"requester"}),
        workspaces=(DEMO_WORKSPACE,),
        display_name=requester.get("display_name", ""),
    )
    return [
        tickets.create_ticket(
            DEMO_WORKSPACE, actor, {**data, "requester_id": requester["id"]}, correlation_id=f"seed-{uuid.uuid4()}"
        )
        for data in DEMO_TICKETS
    ]


if __name__ == "__main__":
    from infra.local.config import load_local_config

    result = seed(load_local_config().demo_password)
    print(result.credentials_text())
    print(result.tickets_text())
    print(f"created: {', '.join(result.created) or 'nothing'}; tickets: {len(result.tickets)}")
