"""Teams: named groups of agents that tickets are routed to (a ticket's ``team`` is a team id).

A team's name is unique in its workspace (ignoring case and spacing): a name claim is written,
and on rename moved, in the same transaction as the team and its audit row.
"""

from __future__ import annotations

from chalicelib.auth.roles import STAFF
from chalicelib.clock import now_iso
from chalicelib.domain import directory, people
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from chalicelib.models import people as store
from chalicelib.models.people import TeamNameClaim, TeamRecord

MEMBERS_MAX = 50
DESCRIPTION_MAX = people.TEXT_MAX
_NAME_TAKEN = ("a team of this workspace already has this name", "team_name_taken")


def _view(team: TeamRecord) -> dict:
    return {
        "id": team.team_id,
        "name": team.name,
        "description": team.description or "",
        "members": list(team.members or []),
        "workspace_id": team.workspace_id,
        "version": int(team.version),
        **people.stamps_of(team),
    }


def _members(workspace_id: str, members) -> list[str]:
    """Member ids, each an active agent or admin of the workspace (ValidationError otherwise)."""
    if not isinstance(members, list) or len(members) > MEMBERS_MAX:
        raise ValidationError("members is invalid", details={"members": f"must be a list of at most {MEMBERS_MAX}"})
    chosen = list(dict.fromkeys(members))
    strangers = [user_id for user_id in chosen if not directory.member_roles(workspace_id, user_id) & STAFF]
    if strangers:
        raise ValidationError(
            "team members must be agents or admins of this workspace",
            details={"members": f"not an agent or admin here: {', '.join(strangers[:5])}"},
            code="team_member_invalid",
        )
    return chosen


def _name_claim(workspace_id: str, name: str, team_id: str) -> TeamNameClaim:
    return TeamNameClaim(pk=store.team_name_pk(workspace_id, people.name_key(name)), team_id=team_id)


def create_team(
    workspace_id: str,
    name: str,
    *,
    team_id: str | None = None,
    description: str = "",
    members=(),
    actor_id: str,
    correlation_id=None,
) -> dict:
    """A new team (``team_id`` chosen by the caller, or generated); Conflict ``team_name_taken``
    when the workspace has a team of that name, ``team_exists`` when the id is taken."""
    team_id = people.checked_id(team_id) if team_id is not None else people.new_id("team")
    name = people.text(name, "name")
    description = people.text(description, "description", DESCRIPTION_MAX, required=False)
    chosen = _members(workspace_id, list(members))
    at = now_iso()
    team = TeamRecord(
        pk=store.teams_pk(workspace_id),
        sk=f"{store.TEAM_PREFIX}{team_id}",
        workspace_id=workspace_id,
        team_id=team_id,
        name=name,
        description=description,
        members=chosen,
        member_key=store.teams_pk(workspace_id),
        email_key=people.name_key(name),
        **people.stamp(actor_id, at),
    )
    changes = store.Changes()
    changes.put_new(_name_claim(workspace_id, name, team_id), Conflict(_NAME_TAKEN[0], code=_NAME_TAKEN[1]))
    changes.put_new(team, Conflict("a team with this id already exists", code="team_exists"))
    created = {"name": name, "description": description, "members": chosen}
    changes.put_audit(
        audit_record(workspace_id, actor_id, "team.created", "team", team_id, created, correlation_id, at)
    )
    store.commit(changes)
    return _view(team)


def _team(workspace_id: str, team_id: str, consistent: bool = False) -> TeamRecord:
    team = store.get(TeamRecord, store.teams_pk(workspace_id), f"{store.TEAM_PREFIX}{team_id}", consistent)
    if team is None:
        raise NotFound("team not found", code="team_not_found")
    return team


def get_team(workspace_id: str, team_id: str) -> dict:
    """One team; NotFound ``team_not_found`` (also for another workspace's team)."""
    return _view(_team(workspace_id, team_id))


def team_exists(workspace_id: str, team_id: str) -> bool:
    return people.is_id(team_id) and (
        store.get(TeamRecord, store.teams_pk(workspace_id), f"{store.TEAM_PREFIX}{team_id}") is not None
    )


def list_teams(workspace_id: str, limit: int, start_key: dict | None = None) -> tuple[list[dict], dict | None]:
    """A page of the workspace's teams in name order (one Query on the by-workspace index)."""
    records, next_key = store.query_page(
        TeamRecord.by_name, store.teams_pk(workspace_id), limit, start_key, ("pk", "sk", "member_key", "email_key")
    )
    return [_view(record) for record in records], next_key


def update_team(
    workspace_id: str, team_id: str, values: dict, *, expected_version=None, actor_id: str, correlation_id=None
) -> dict:
    """Change a team's name, description and/or members. A lost race or a stale If-Match → 412."""
    team = _team(workspace_id, team_id, consistent=True)
    people.check_version(team, expected_version)
    wanted = {}
    if "name" in values:
        wanted["name"] = people.text(values["name"], "name")
    if "description" in values:
        wanted["description"] = people.text(values["description"], "description", DESCRIPTION_MAX, required=False)
    if "members" in values:
        wanted["members"] = _members(workspace_id, values["members"])
    old_name = team.name
    changed = people.apply(team, wanted)
    if not changed:
        return _view(team)
    at = now_iso()
    team.updated_at, team.updated_by = at, actor_id
    changes = store.Changes()
    if "name" in changed and people.name_key(old_name) != people.name_key(team.name):
        team.email_key = people.name_key(team.name)
        changes.delete(
            _name_claim(workspace_id, old_name, team_id),
            Conflict("the team's name changed meanwhile; retry", code="write_conflict"),
            condition=TeamNameClaim.team_id == team_id,
        )
        changes.put_new(_name_claim(workspace_id, team.name, team_id), Conflict(_NAME_TAKEN[0], code=_NAME_TAKEN[1]))
    changes.put(team, PreconditionFailed("the team has changed since you read it"))
    changes.put_audit(
        audit_record(workspace_id, actor_id, "team.updated", "team", team_id, changed, correlation_id, at)
    )
    store.commit(changes)
    return _view(team)
