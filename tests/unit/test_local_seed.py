"""Demo data: created once, left alone on every later start."""

from __future__ import annotations

from infra.seed import ACCOUNTS, DEMO_TICKETS, seed


def test_first_seed_creates_workspaces_accounts_and_tickets_with_the_printed_password(aws):
    from chalicelib.domain import directory

    report = seed("a-demo-password")

    assert "workspace demo" in report.created and "workspace acme" in report.created
    assert len(report.tickets) == len(DEMO_TICKETS)
    assert all(directory.find_user_by_email(account.email) for account in ACCOUNTS)
    assert directory.verify_credentials("agent@example.com", "a-demo-password")["email"] == "agent@example.com"
    assert "a-demo-password" in report.credentials_text()


def test_seeding_again_creates_nothing_and_no_duplicate_tickets(aws):
    seed("a-demo-password")

    again = seed("a-demo-password")

    assert again.created == []
    assert again.tickets == []
    assert len(again.existing) == 2 + sum(1 for account in ACCOUNTS if account.role != "admin")


def test_the_report_names_the_demo_tickets_numbers_on_the_first_run_and_on_every_later_one(aws):
    first = seed("a-demo-password")

    again = seed("a-demo-password")

    numbers = [ticket.number for ticket in first.demo_tickets]
    assert len(numbers) == len(DEMO_TICKETS) and all(number.startswith("DF-") for number in numbers)
    assert [ticket.title for ticket in first.demo_tickets] == [data["title"] for data in DEMO_TICKETS]
    assert again.demo_tickets == first.demo_tickets
    assert all(number in again.tickets_text() for number in numbers)
