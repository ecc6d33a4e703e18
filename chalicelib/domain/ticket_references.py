"""The directory ids a ticket names, checked before the ticket is written.

- ``team`` (alias ``team_id``, seed 002's name) must be a team of the workspace: the by-team ticket
  list is keyed on that id, so a typo cannot open a list no team reads.
- ``building_id`` must be a building of the workspace, and ``apartment_id`` an apartment of the
  ticket's building (the one given, or the one the ticket already has).

An unknown id is a 400 naming the field. Each check is one GetItem.
"""

from __future__ import annotations

from chalicelib.domain import buildings, teams
from chalicelib.errors import ValidationError


def with_team_alias(data: dict) -> dict:
    """``team_id`` read as ``team`` (giving both, with different values, is a 400)."""
    if "team_id" not in data:
        return data
    data = dict(data)
    team_id = data.pop("team_id")
    if "team" in data and data["team"] != team_id:
        raise ValidationError("give team or team_id, not both", details={"team_id": "conflicts with team"})
    data["team"] = team_id
    return data


def check(workspace_id: str, data: dict, current=None) -> None:
    """ValidationError naming the field when ``data`` (a new ticket's fields, or the changes to
    ``current``, the stored ticket) names a team, building or apartment the workspace lacks."""
    if data.get("team") is not None and not teams.team_exists(workspace_id, data["team"]):
        raise _unknown("team", "is not a team of this workspace", "team_invalid")
    if "building_id" not in data and "apartment_id" not in data:
        return
    building_id = data["building_id"] if "building_id" in data else getattr(current, "building_id", None)
    apartment_id = data["apartment_id"] if "apartment_id" in data else getattr(current, "apartment_id", None)
    if "building_id" in data and building_id is not None and not buildings.building_exists(workspace_id, building_id):
        raise _unknown("building_id", "is not a building of this workspace", "building_invalid")
    if apartment_id is None:
        return
    if building_id is None:
        raise _unknown("apartment_id", "needs the building_id it belongs to", "apartment_invalid")
    if not buildings.apartment_exists(workspace_id, building_id, apartment_id):
        raise _unknown("apartment_id", f"is not an apartment of building {building_id}", "apartment_invalid")


def _unknown(field: str, message: str, code: str) -> ValidationError:
    return ValidationError(f"{field} {message}", details={field: message}, code=code)
