"""RACI groups and rules (seed 001): who a new ticket goes to.

A group names a team (optional) and its members by RACI role: the responsible take tickets (the least
loaded of them, ``chalicelib.domain.raci_routing``), the accountable and consulted watch them, the informed
are kept for the record. Every member must be a user of the workspace; the responsible must be agents or
admins (only they can hold a ticket) and the accountable and consulted staff or viewers (a watcher must be
able to open the ticket). A rule matches a new ticket on class, category, priority and keywords and sends
it to a group; rules apply in ``position`` order (ties: the older first). A rule given no position goes
after every rule there is.

Every change writes the item (guarded by the version it read), the workspace's counts (at most
``MAX_GROUPS`` groups and ``MAX_RULES`` rules: the next one is a 400), the rule count of the groups a rule
leaves or joins (a group in use cannot be deleted: 409) and an audit row, in one transaction.
"""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, VIEWER
from chalicelib.clock import now_iso
from chalicelib.domain import directory, people, ticket_references
from chalicelib.domain import ticket_rules as rules_of_tickets
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, DeskflowError, NotFound, PreconditionFailed, ValidationError
from chalicelib.models import raci as store
from chalicelib.models.raci import (
    GROUP_PREFIX,
    MAX_GROUPS,
    MAX_RULES,
    RACI_ROLES,
    RULE_PREFIX,
    RaciGroupItem,
    RaciPartition,
    RaciRuleItem,
    RaciWrite,
    raci_pk,
)

MEMBERS_PER_ROLE = 20  # the accountable and consulted become watchers in the ticket's own transaction
KEYWORDS_MAX = 20
# Who may hold each role: an assignee must be able to work the ticket, a watcher to open it.
ROLE_HOLDERS = {
    "responsible": frozenset({ADMIN, AGENT}),
    "accountable": frozenset({ADMIN, AGENT, VIEWER}),
    "consulted": frozenset({ADMIN, AGENT, VIEWER}),
    "informed": None,  # any member
}
RULE_AGENT_FIELDS = ("auto_assign_agent", "auto_agent_model", "auto_agent_prompt")


# --- reading ----------------------------------------------------------------------------------------


def overview(workspace_id: str) -> dict:
    """Every group (oldest first) and every rule in the order they apply: one Query."""
    partition = store.read_partition(workspace_id, consistent=True)
    return {
        "groups": [group_to_public(group) for group in ordered_groups(partition)],
        "rules": [rule_to_public(rule) for rule in ordered_rules(partition)],
    }


def list_groups(workspace_id: str, limit: int, start_key: dict | None):
    """A page of the workspace's groups, oldest first: ``(groups, next_key)``."""
    partition = store.read_partition(workspace_id, consistent=True)
    items, next_key = _page(ordered_groups(partition), _group_order, limit, start_key)
    return [group_to_public(group) for group in items], next_key


def list_rules(workspace_id: str, limit: int, start_key: dict | None):
    """A page of the workspace's rules in the order they apply: ``(rules, next_key)``."""
    partition = store.read_partition(workspace_id, consistent=True)
    items, next_key = _page(ordered_rules(partition), _rule_order, limit, start_key)
    return [rule_to_public(rule) for rule in items], next_key


def get_group(workspace_id: str, group_id: str) -> dict:
    return group_to_public(_group(workspace_id, group_id))


def get_rule(workspace_id: str, rule_id: str) -> dict:
    return rule_to_public(_rule(workspace_id, rule_id))


def ordered_groups(partition: RaciPartition) -> list[RaciGroupItem]:
    return sorted(partition.groups.values(), key=_group_order)


def ordered_rules(partition: RaciPartition) -> list[RaciRuleItem]:
    """Rules in the order they apply: by position, then the older first."""
    return sorted(partition.rules.values(), key=_rule_order)


# --- groups -----------------------------------------------------------------------------------------


def create_group(workspace_id: str, actor_id: str, data: dict, correlation_id: str | None) -> dict:
    """A new group. ValidationError for a blank name, an unknown team, a member who cannot hold the
    role, or a workspace that has ``MAX_GROUPS`` groups already."""
    _require_room(workspace_id, "groups", MAX_GROUPS)
    values = _group_values(workspace_id, data)
    at = now_iso()
    group_id = people.new_id("grp")
    group = RaciGroupItem(
        pk=raci_pk(workspace_id),
        sk=f"{GROUP_PREFIX}{group_id}",
        id=group_id,
        workspace_id=workspace_id,
        rule_count=0,
        **values,
        **people.stamp(actor_id, at),
    )
    write = RaciWrite()
    write.save(group)
    write.count(workspace_id, "groups", +1, MAX_GROUPS)
    created = {name: {"from": None, "to": value} for name, value in _group_fields(group).items()}
    write.save(
        audit_record(workspace_id, actor_id, "raci_group.created", "raci_group", group_id, created, correlation_id, at)
    )
    write.commit(_lost_race(None))
    return group_to_public(group)


def update_group(
    workspace_id: str, actor_id: str, group_id: str, data: dict, correlation_id, expected_version=None
) -> dict:
    """Change a group's name, team and/or members (the members given replace those of their roles)."""
    group = _group(workspace_id, group_id)
    _check_version(group, expected_version)
    wanted = _group_values(workspace_id, data, group)
    before = _group_fields(group)
    for name, value in wanted.items():
        setattr(group, name, value)
    after = _group_fields(group)
    changed = {name: {"from": before[name], "to": after[name]} for name in after if before[name] != after[name]}
    if not changed:
        return group_to_public(group)
    at = now_iso()
    group.updated_at, group.updated_by = at, actor_id
    write = RaciWrite()
    write.save(group)
    write.save(
        audit_record(workspace_id, actor_id, "raci_group.updated", "raci_group", group_id, changed, correlation_id, at)
    )
    write.commit(_lost_race(expected_version))
    return group_to_public(group)


def delete_group(workspace_id: str, actor_id: str, group_id: str, correlation_id, expected_version=None) -> None:
    """Delete a group no rule uses (Conflict ``raci_group_in_use`` otherwise)."""
    group = _group(workspace_id, group_id)
    _check_version(group, expected_version)
    if int(group.rule_count or 0) > 0:
        raise Conflict(
            "the group is used by a rule; change or delete the rule first",
            details={"group_id": f"used by {int(group.rule_count)} rule(s)"},
            code="raci_group_in_use",
        )
    at = now_iso()
    write = RaciWrite()
    write.delete(group)  # guarded by the version read: a rule written meanwhile moved it
    write.count(workspace_id, "groups", -1, MAX_GROUPS)
    removed = {name: {"from": value, "to": None} for name, value in _group_fields(group).items()}
    write.save(
        audit_record(workspace_id, actor_id, "raci_group.deleted", "raci_group", group_id, removed, correlation_id, at)
    )
    write.commit(_lost_race(expected_version))


# --- rules ------------------------------------------------------------------------------------------


def create_rule(workspace_id: str, actor_id: str, data: dict, correlation_id: str | None) -> dict:
    """A new rule. ValidationError for a blank name, an unknown group, an unknown class or priority, or a
    workspace that has ``MAX_RULES`` rules already."""
    _require_room(workspace_id, "rules", MAX_RULES)
    partition = store.read_partition(workspace_id, consistent=True)
    values = _rule_values(data)
    group = _named_group(partition, values["group_id"])
    if values.get("position") is None:
        values["position"] = max((int(rule.position) for rule in partition.rules.values()), default=0) + 1
    at = now_iso()
    rule_id = people.new_id("rule")
    rule = RaciRuleItem(
        pk=raci_pk(workspace_id),
        sk=f"{RULE_PREFIX}{rule_id}",
        id=rule_id,
        workspace_id=workspace_id,
        **values,
        **people.stamp(actor_id, at),
    )
    write = RaciWrite()
    write.save(rule)
    write.move_rule_count(group, +1, at)
    write.count(workspace_id, "rules", +1, MAX_RULES)
    created = {name: {"from": None, "to": value} for name, value in _rule_fields(rule).items()}
    write.save(
        audit_record(workspace_id, actor_id, "raci_rule.created", "raci_rule", rule_id, created, correlation_id, at)
    )
    write.commit(_lost_race(None))
    return rule_to_public(rule)


def update_rule(
    workspace_id: str, actor_id: str, rule_id: str, data: dict, correlation_id, expected_version=None
) -> dict:
    """Change any of a rule's fields (``null`` clears an optional one); a new ``group_id`` must exist."""
    partition = store.read_partition(workspace_id, consistent=True)
    rule = partition.rules.get(rule_id) if people.is_id(rule_id) else None
    if rule is None:
        raise NotFound("rule not found", code="raci_rule_not_found")
    _check_version(rule, expected_version)
    wanted = _rule_values(data, partial=True)
    before = _rule_fields(rule)
    for name, value in wanted.items():
        setattr(rule, name, value)
    after = _rule_fields(rule)
    changed = {name: {"from": before[name], "to": after[name]} for name in after if before[name] != after[name]}
    if not changed:
        return rule_to_public(rule)
    at = now_iso()
    rule.updated_at, rule.updated_by = at, actor_id
    write = RaciWrite()
    write.save(rule)
    if "group_id" in changed:
        joined = _named_group(partition, rule.group_id)
        left = partition.groups.get(changed["group_id"]["from"])
        write.move_rule_count(joined, +1, at)
        if left is not None:
            write.move_rule_count(left, -1, at)
    write.save(
        audit_record(workspace_id, actor_id, "raci_rule.updated", "raci_rule", rule_id, changed, correlation_id, at)
    )
    write.commit(_lost_race(expected_version))
    return rule_to_public(rule)


def delete_rule(workspace_id: str, actor_id: str, rule_id: str, correlation_id, expected_version=None) -> None:
    partition = store.read_partition(workspace_id, consistent=True)
    rule = partition.rules.get(rule_id) if people.is_id(rule_id) else None
    if rule is None:
        raise NotFound("rule not found", code="raci_rule_not_found")
    _check_version(rule, expected_version)
    at = now_iso()
    write = RaciWrite()
    write.delete(rule)
    group = partition.groups.get(rule.group_id)
    if group is not None:
        write.move_rule_count(group, -1, at)
    write.count(workspace_id, "rules", -1, MAX_RULES)
    removed = {name: {"from": value, "to": None} for name, value in _rule_fields(rule).items()}
    write.save(
        audit_record(workspace_id, actor_id, "raci_rule.deleted", "raci_rule", rule_id, removed, correlation_id, at)
    )
    write.commit(_lost_race(expected_version))


# --- shapes -----------------------------------------------------------------------------------------


def group_to_public(group: RaciGroupItem) -> dict:
    return {
        "id": group.id,
        "name": group.name,
        "team": group.team,
        "members": {role: list(getattr(group, role) or []) for role in RACI_ROLES},
        "rule_count": int(group.rule_count or 0),
        "version": int(group.version),
        **people.stamps_of(group),
    }


def rule_to_public(rule: RaciRuleItem) -> dict:
    return {
        "id": rule.id,
        "name": rule.name,
        "enabled": bool(rule.enabled),
        "position": int(rule.position),
        "ticket_class": rule.ticket_class,
        "category": rule.category,
        "priority": rule.priority,
        "keywords": list(rule.keywords or []),
        "group_id": rule.group_id,
        "auto_assign": bool(rule.auto_assign),
        "auto_assign_agent": rule.auto_assign_agent,
        "auto_agent_model": rule.auto_agent_model,
        "auto_agent_prompt": rule.auto_agent_prompt,
        "version": int(rule.version),
        **people.stamps_of(rule),
    }


# --- internals --------------------------------------------------------------------------------------


def _group_order(group: RaciGroupItem) -> str:
    return f"{group.created_at}#{group.id}"


def _rule_order(rule: RaciRuleItem) -> str:
    return f"{int(rule.position):010d}#{rule.created_at}#{rule.id}"


def _page(ordered: list, order_key, limit: int, start_key: dict | None):
    """A page of an ordered list held in memory; the position is the order key of the last item given."""
    after = (start_key or {}).get("after")
    if isinstance(after, str):
        ordered = [item for item in ordered if order_key(item) > after]
    items = ordered[:limit]
    next_key = {"after": order_key(items[-1])} if len(ordered) > limit else None
    return items, next_key


def _group(workspace_id: str, group_id: str) -> RaciGroupItem:
    group = store.get_group(workspace_id, group_id) if people.is_id(group_id) else None
    if group is None:
        raise NotFound("group not found", code="raci_group_not_found")
    return group


def _rule(workspace_id: str, rule_id: str) -> RaciRuleItem:
    rule = store.get_rule(workspace_id, rule_id) if people.is_id(rule_id) else None
    if rule is None:
        raise NotFound("rule not found", code="raci_rule_not_found")
    return rule


def _named_group(partition: RaciPartition, group_id: str) -> RaciGroupItem:
    group = partition.groups.get(group_id)
    if group is None:
        raise ValidationError(
            "group_id is not a RACI group of this workspace",
            details={"group_id": "is not a RACI group of this workspace"},
            code="raci_group_invalid",
        )
    return group


def _require_room(workspace_id: str, kind: str, limit: int) -> None:
    held = store.held(workspace_id, kind)
    if held >= limit:
        raise ValidationError(
            f"a workspace holds at most {limit} RACI {kind}",
            details={"body": f"the workspace has {held} {kind}; delete one first"},
            code="raci_limit_reached",
        )


def _check_version(item, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != int(item.version):
        raise PreconditionFailed(
            "it has changed since you read it", details={"If-Match": f'current version is "v{item.version}"'}
        )


def _lost_race(expected_version: int | None) -> DeskflowError:
    if expected_version is not None:
        return PreconditionFailed("it has changed since you read it")
    return Conflict("a concurrent change touched the same RACI records; reload and retry", code="concurrent_update")


def _group_values(workspace_id: str, data: dict, current: RaciGroupItem | None = None) -> dict:
    values = {}
    if "name" in data or current is None:
        values["name"] = people.text(data.get("name"), "name")
    if "team" in data or current is None:
        team = data.get("team")
        ticket_references.check(workspace_id, {"team": team})
        values["team"] = team
    if "members" in data or current is None:
        members = data.get("members") or {}
        for role in RACI_ROLES:
            if role in members or current is None:
                values[role] = _members(workspace_id, role, members.get(role) or [])
    return values


def _members(workspace_id: str, role: str, user_ids: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(user_ids))
    if len(chosen) > MEMBERS_PER_ROLE:
        raise ValidationError(
            f"at most {MEMBERS_PER_ROLE} {role} members", details={f"members.{role}": "too many members"}
        )
    allowed, refused = ROLE_HOLDERS[role], []
    for user_id in chosen:
        roles = directory.member_roles(workspace_id, user_id)
        if not roles or (allowed is not None and not roles & allowed):
            refused.append(user_id)
    if refused:
        who = "users of this workspace" if allowed is None else f"{', '.join(sorted(allowed))} of this workspace"
        raise ValidationError(
            f"{role} members must be {who}",
            details={f"members.{role}": f"cannot be {role}: {', '.join(refused[:5])}"},
            code="raci_member_invalid",
        )
    return chosen


def _rule_values(data: dict, partial: bool = False) -> dict:
    values = {}
    if "name" in data or not partial:
        values["name"] = people.text(data.get("name"), "name")
    for name in ("enabled", "auto_assign", "group_id", "position"):
        if name in data or not partial:
            values[name] = data.get(name)
    if "ticket_class" in data or not partial:
        values["ticket_class"] = data["ticket_class"].lower() if data.get("ticket_class") else None
    if "category" in data or not partial:
        category = (data.get("category") or "").strip()
        values["category"] = category or None
    if "priority" in data or not partial:
        priority = data.get("priority")
        values["priority"] = rules_of_tickets.normalize_priority(priority) if priority is not None else None
    if "keywords" in data or not partial:
        keywords = _keywords(data.get("keywords") or [])
        values["keywords"] = keywords or None
    for name in RULE_AGENT_FIELDS:
        if name in data or not partial:
            values[name] = data.get(name) or None
    return values


def _keywords(keywords: list[str]) -> list[str]:
    cleaned: dict[str, str] = {}
    for keyword in keywords:
        text = " ".join(keyword.split())
        if text:
            cleaned.setdefault(text.casefold(), text)
    if len(cleaned) > KEYWORDS_MAX:
        raise ValidationError(f"at most {KEYWORDS_MAX} keywords", details={"keywords": "too many keywords"})
    return list(cleaned.values())


def _group_fields(group: RaciGroupItem) -> dict:
    return {
        "name": group.name,
        "team": group.team,
        **{role: list(getattr(group, role) or []) for role in RACI_ROLES},
    }


def _rule_fields(rule: RaciRuleItem) -> dict:
    """What a rule says (its public shape without id, version and stamps), for audit rows and diffs."""
    return {
        "name": rule.name,
        "enabled": bool(rule.enabled),
        "position": int(rule.position),
        "ticket_class": rule.ticket_class,
        "category": rule.category,
        "priority": rule.priority,
        "keywords": list(rule.keywords or []),
        "group_id": rule.group_id,
        "auto_assign": bool(rule.auto_assign),
        **{name: getattr(rule, name) for name in RULE_AGENT_FIELDS},
    }
