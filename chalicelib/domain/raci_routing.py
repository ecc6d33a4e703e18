"""RACI routing (seed 001): which group a new ticket goes to, and who in it takes it.

The workspace's enabled rules are tried in order (position, then the older first). A rule matches when
each of ticket class, category and priority it sets equals the ticket's (ignoring case) and, when it has
keywords, at least one of them occurs as a whole word (or phrase) in the title or description, ignoring
case. The first match decides: with ``auto_assign`` the ticket goes to the group's least-loaded
responsible member (ties: the one listed first), load being the open tickets each is assigned
(``AssigneeLoadItem``, kept by the ticket-counters consumer: no scan); the accountable and consulted
members watch it; the group's team becomes the ticket's when the ticket has none. No match: nothing
changes, the ticket waits unassigned.

This module only decides (three reads: one Query of the RACI partition, one BatchGetItem of the members'
memberships, one of their loads); ``chalicelib.domain.tickets.create_ticket`` writes the decision with the
ticket, in its transaction. Members who left the workspace or lost the role they need since the group was
written are passed over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain import teams
from chalicelib.domain.raci import ROLE_HOLDERS, ordered_rules
from chalicelib.models import raci as store
from chalicelib.models.directory import MembershipRecord, membership_sk, user_pk
from chalicelib.models.metrics import assignee_loads
from chalicelib.models.raci import RaciRuleItem


@dataclass(frozen=True)
class Routing:
    """The first matching rule's decision for a new ticket."""

    rule_id: str
    rule_name: str
    group_id: str
    assignee_id: str | None  # None: the rule does not auto-assign, or nobody in the group can take it
    team: str | None  # the group's team, when the ticket has none to keep
    watchers: tuple[str, ...]  # the accountable and consulted, in the order the group lists them

    def event_data(self) -> dict:
        """What ``ticket.created`` says about it (``data.routing``)."""
        return {
            "matched": True,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "group_id": self.group_id,
            "assigned": self.assignee_id is not None,
        }


NO_MATCH = {"matched": False}


def route(workspace_id: str, ticket: dict) -> Routing | None:
    """The routing of a new ticket (``ticket``: its ``ticket_class``, ``category``, ``priority``, ``title``,
    ``description`` and ``team``), or None when no enabled rule matches."""
    partition = store.read_partition(workspace_id)
    rule = next((rule for rule in ordered_rules(partition) if rule.enabled and matches(rule, ticket)), None)
    if rule is None:
        return None
    group = partition.groups.get(rule.group_id)
    if group is None:  # cannot happen while rules hold their group (rule_count); treat as a group of nobody
        return Routing(rule.id, rule.name, rule.group_id, None, None, ())
    responsible, accountable, consulted = list(group.responsible), list(group.accountable), list(group.consulted)
    roles = _active_roles(workspace_id, [*responsible, *accountable, *consulted])
    candidates = [user for user in responsible if roles.get(user, frozenset()) & ROLE_HOLDERS["responsible"]]
    watchers = [
        user
        for user in dict.fromkeys([*accountable, *consulted])
        if roles.get(user, frozenset()) & ROLE_HOLDERS["accountable"]
    ]
    assignee = least_loaded(workspace_id, candidates) if rule.auto_assign else None
    team = group.team if group.team and not ticket.get("team") and teams.team_exists(workspace_id, group.team) else None
    return Routing(rule.id, rule.name, group.id, assignee, team, tuple(watchers))


def matches(rule: RaciRuleItem, ticket: dict) -> bool:
    """Whether ``rule`` matches the ticket: each field it sets equal (ignoring case), and one of its
    keywords (if any) a word of the title or description."""
    for name in ("ticket_class", "category", "priority"):
        wanted = getattr(rule, name)
        if wanted and _folded(ticket.get(name)) != _folded(wanted):
            return False
    if not rule.keywords:
        return True
    text = f"{ticket.get('title') or ''}\n{ticket.get('description') or ''}"
    return any(_keyword_pattern(keyword).search(text) for keyword in rule.keywords)


def least_loaded(workspace_id: str, user_ids: list[str]) -> str | None:
    """The user with the fewest open tickets assigned (ties: the first in ``user_ids``); None for nobody."""
    if not user_ids:
        return None
    loads = assignee_loads(workspace_id, user_ids)
    return min(user_ids, key=lambda user_id: (loads.get(user_id, 0), user_ids.index(user_id)))


def _active_roles(workspace_id: str, user_ids: list[str]) -> dict[str, frozenset[str]]:
    """The roles each user holds in the workspace while an active member (one BatchGetItem)."""
    keys = [(user_pk(user_id), membership_sk(workspace_id)) for user_id in dict.fromkeys(user_ids)]
    if not keys:
        return {}
    return {
        record.user_id: frozenset(record.roles or [])
        for record in MembershipRecord.batch_get(keys)
        if record.is_active and record.workspace_id == workspace_id
    }


def _folded(value) -> str:
    return str(value).strip().casefold() if value is not None else ""


def _keyword_pattern(keyword: str) -> re.Pattern:
    """``keyword`` as a whole word or phrase (any run of spaces between its words), ignoring case; its
    edges need no word character, so ``c++`` and ``wi-fi`` match too."""
    phrase = r"\s+".join(re.escape(word) for word in keyword.split())
    return re.compile(rf"(?<!\w){phrase}(?!\w)", re.IGNORECASE)
