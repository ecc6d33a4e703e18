"""The feed's long poll: it holds the read open until an event arrives or the wait is over, reading
the injected clock (the sleeps here advance it instead of waiting)."""

from __future__ import annotations

import pytest

from chalicelib.auth.principal import Principal


@pytest.fixture
def agent(workspace_id):
    return Principal("agent-1", "agent@example.com", frozenset({"agent"}), (workspace_id,))


def test_a_long_poll_answers_as_soon_as_an_event_has_arrived(aws, workspace_id, agent, clock):
    from chalicelib.domain.event_feed import read_feed
    from chalicelib.domain.tickets import create_ticket

    naps = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            create_ticket(workspace_id, agent, {"title": "Arrives while waiting"}, None)
        clock.advance(seconds=seconds)

    page = read_feed(workspace_id, agent, None, 10, wait_seconds=20, sleep=nap)

    assert [event["type"] for event in page.events] == ["ticket.created"]
    assert 2 < len(naps) < 20  # it returned well before the wait was over


def test_a_long_poll_with_nothing_new_ends_empty_when_the_wait_is_over(aws, workspace_id, agent, clock):
    from chalicelib.domain.event_feed import read_feed

    naps = []

    def nap(seconds):
        naps.append(seconds)
        clock.advance(seconds=seconds)

    page = read_feed(workspace_id, agent, None, 10, wait_seconds=5, sleep=nap)

    assert page.events == [] and page.position is None
    assert sum(naps) == pytest.approx(5)
