"""GET /api/v1/audit-logs: every ticket change (through the audit-trail consumer) and directory mutation
leaves one row, and admins read them filtered by actor, action, target and time range, newest first."""

from __future__ import annotations

from datetime import timedelta, timezone
from urllib.parse import quote

from tests.audit_trail import deliver_audit_trail
from tests.routes.http_helpers import call, open_ticket

AUDIT = "/api/v1/audit-logs"
TICKETS = "/api/v1/tickets"


def read_audit(client, url, headers):
    """GET an audit-log URL once the audit-trail consumer has had the ticket events so far."""
    deliver_audit_trail()
    return call(client, "GET", url, headers)


def ticket_rows(client, headers, ticket_id, **params):
    query = "&".join(
        f"{name}={value}" for name, value in {"target_type": "ticket", "target_id": ticket_id, **params}.items()
    )
    response = read_audit(client, f"{AUDIT}?{query}", headers)
    assert response.status_code == 200, response.body
    return response.json["data"]


def test_every_ticket_change_leaves_one_row_newest_first(client, as_role, member, clock):
    admin = as_role("admin", user_id="admin-1")
    agent = as_role("agent", user_id="agent-1")
    ticket = open_ticket(client, agent, priority="low")
    path = f"{TICKETS}/{ticket['id']}"
    for method, suffix, body in [
        ("PATCH", "", {"priority": "high"}),
        ("POST", "/status", {"status": "in_progress"}),
        ("POST", "/assignment", {"assignee_id": "agent-1"}),
        ("POST", "/comments", {"body_md": "On it"}),
        ("DELETE", "", None),
    ]:
        clock.advance(seconds=1)
        response = call(client, method, f"{path}{suffix}", admin if method == "DELETE" else agent, body)
        assert response.status_code < 300, response.body

    rows = ticket_rows(client, admin, ticket["id"])

    assert [row["action"] for row in rows] == [
        "ticket.deleted",
        "ticket.commented",
        "ticket.assigned",
        "ticket.status_changed",
        "ticket.updated",
        "ticket.created",
    ]
    assert [row["actor_id"] for row in rows] == ["admin-1"] + ["agent-1"] * 5
    assert rows[4]["changes"] == {"priority": {"from": "low", "to": "high"}}
    assert rows[3]["changes"] == {"status": {"from": "new", "to": "in_progress"}}
    assert rows[1]["changes"]["comment"]["from"] is None
    assert all(row["target_type"] == "ticket" and row["target_id"] == ticket["id"] for row in rows)


def test_rows_carry_the_requests_correlation_id(client, as_role):
    admin = as_role("admin")
    ticket = open_ticket(client, as_role("agent", **{"x-correlation-id": "trace-77"}))

    (row,) = ticket_rows(client, admin, ticket["id"])

    assert row["correlation_id"] == "trace-77"


def test_filter_by_actor(client, as_role):
    admin = as_role("admin")
    first, second = as_role("agent", user_id="agent-a"), as_role("agent", user_id="agent-b")
    mine = [open_ticket(client, first)["id"] for _ in range(2)]
    open_ticket(client, second)

    rows = read_audit(client, f"{AUDIT}?actor=agent-a", admin).json["data"]

    assert sorted(row["target_id"] for row in rows) == sorted(mine)
    assert {row["actor_id"] for row in rows} == {"agent-a"}


def test_filter_by_action(client, as_role):
    admin, agent = as_role("admin"), as_role("agent")
    ticket = open_ticket(client, agent)
    call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "open"})
    open_ticket(client, agent)

    rows = read_audit(client, f"{AUDIT}?action=ticket.status_changed", admin).json["data"]

    assert [(row["action"], row["target_id"]) for row in rows] == [("ticket.status_changed", ticket["id"])]


def test_actor_and_target_filters_combine(client, as_role):
    admin = as_role("admin")
    first, second = as_role("agent", user_id="agent-a"), as_role("agent", user_id="agent-b")
    ticket = open_ticket(client, first)
    call(client, "POST", f"{TICKETS}/{ticket['id']}/status", second, {"status": "open"})

    rows = ticket_rows(client, admin, ticket["id"], actor="agent-b")

    assert [row["action"] for row in rows] == ["ticket.status_changed"]


def test_time_range_is_inclusive_at_both_ends(client, as_role, clock):
    from chalicelib.clock import format_time

    admin, agent = as_role("admin"), as_role("agent")
    start = clock.now().replace(microsecond=0)
    opened = []
    for hour in range(4):
        clock.set(start + timedelta(hours=hour))
        opened.append(open_ticket(client, agent)["id"])
    second, third = start + timedelta(hours=1), (start + timedelta(hours=2)).astimezone(timezone(timedelta(hours=2)))

    rows = read_audit(
        client,
        f"{AUDIT}?action=ticket.created&from={format_time(second)}&to={quote(third.isoformat())}",
        admin,
    ).json["data"]

    assert [row["target_id"] for row in rows] == [opened[2], opened[1]]


def test_a_cursor_walks_every_row_once_and_only_for_its_own_filters(client, as_role, clock):
    admin, agent = as_role("admin"), as_role("agent")
    opened = []
    for _ in range(5):
        clock.advance(seconds=1)
        opened.append(open_ticket(client, agent)["id"])
    seen, cursor, pages = [], None, 0
    while True:
        query = "action=ticket.created&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = read_audit(client, f"{AUDIT}?{query}", admin).json
        seen += [row["target_id"] for row in body["data"]]
        pages += 1
        cursor = body["page"]["next_cursor"]
        if cursor is None:
            break
        last_cursor = cursor

    other_filters = read_audit(client, f"{AUDIT}?action=ticket.updated&limit=2&cursor={last_cursor}", admin)

    assert seen == list(reversed(opened))
    assert pages == 3
    assert other_filters.status_code == 400
    assert other_filters.json["code"] == "invalid_cursor"


def test_only_admins_read_the_audit_log(client, as_role):
    response = call(client, "GET", AUDIT, as_role("agent"))

    assert response.status_code == 403


def test_another_workspace_sees_none_of_this_workspaces_rows(client, as_role):
    ticket = open_ticket(client, as_role("agent"))
    elsewhere = as_role("admin", workspace="ws-elsewhere")

    rows = call(client, "GET", AUDIT, elsewhere).json["data"]

    assert ticket_rows(client, elsewhere, ticket["id"]) == []
    assert all(row["target_id"] != ticket["id"] for row in rows)


def test_bad_filters_are_refused(client, as_role):
    admin = as_role("admin")

    half_target = read_audit(client, f"{AUDIT}?target_type=ticket", admin)
    bad_time = read_audit(client, f"{AUDIT}?from=yesterday", admin)
    reversed_range = read_audit(client, f"{AUDIT}?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z", admin)

    assert half_target.status_code == bad_time.status_code == reversed_range.status_code == 400
    assert "target_id" in half_target.json["details"]
    assert "from" in bad_time.json["details"]
    assert "to" in reversed_range.json["details"]


def test_directory_mutations_are_logged(client, as_role, cheap_password_hashing):
    from chalicelib.domain.directory import change_member, create_user

    admin = as_role("admin", user_id="admin-1")
    workspace = admin["x-workspace-id"]
    user = create_user(workspace, "new.agent@example.com", "correct horse battery", ["agent"], created_by="admin-1")
    change_member(workspace, user["id"], roles=["agent", "viewer"], changed_by="admin-1")

    rows = read_audit(client, f"{AUDIT}?target_type=user&target_id={user['id']}", admin).json["data"]

    assert [(row["action"], row["actor_id"]) for row in rows] == [
        ("user.updated", "admin-1"),
        ("user.created", "admin-1"),
    ]
    assert rows[0]["changes"] == {"roles": {"from": ["agent"], "to": ["agent", "viewer"]}}


def test_creating_a_workspace_is_logged_in_it(client, aws, cheap_password_hashing):
    from chalicelib.domain.audit_logs import AuditQuery, list_audit_logs
    from chalicelib.domain.directory import create_workspace

    create_workspace("ws-new-one", "New", "boss@example.com", "correct horse battery", created_by="platform-1")

    rows, _next = list_audit_logs("ws-new-one", AuditQuery({"action": "workspace.created"}), 10, None)

    assert [(row["actor_id"], row["target_type"], row["target_id"]) for row in rows] == [
        ("platform-1", "workspace", "ws-new-one")
    ]


def test_a_ticket_event_delivered_twice_leaves_one_row_with_what_moved(client, as_role):
    admin, agent = as_role("admin"), as_role("agent", user_id="agent-1")
    ticket = open_ticket(client, agent)
    call(client, "POST", f"{TICKETS}/{ticket['id']}/status", agent, {"status": "in_progress"})
    call(client, "POST", f"{TICKETS}/{ticket['id']}/assignment", agent, {"assignee_id": "agent-1"})

    assert deliver_audit_trail() > 0
    rows = ticket_rows(client, admin, ticket["id"])
    from chalicelib.domain.audit_trail import record_ticket_event
    from tests.counters import outbox_envelopes

    again = [record_ticket_event(event) for event in outbox_envelopes(agent["x-workspace-id"])]

    assert not any(again)  # every event already had its row
    assert ticket_rows(client, admin, ticket["id"]) == rows
    changes = {row["action"]: row["changes"] for row in rows}
    assert changes["ticket.status_changed"] == {"status": {"from": "new", "to": "in_progress"}}
    assert changes["ticket.assigned"] == {"assignee_id": {"from": None, "to": "agent-1"}}
