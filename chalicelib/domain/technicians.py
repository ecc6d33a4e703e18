"""Technician profiles: the skills, categories and availability of an agent (or admin) member.

``PUT`` writes a whole profile (creating it the first time), ``PATCH`` changes some fields. An
admin edits any profile; an agent may only switch their own ``available`` flag. Who is available
for a category is answered by one Query on small availability entries
(``chalicelib.models.people``) that are put and deleted in the same transaction as the profile.
"""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import ADMIN, STAFF
from chalicelib.clock import now_iso
from chalicelib.domain import directory, people
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationError
from chalicelib.models import people as store
from chalicelib.models.people import AvailabilityEntry, TechnicianRecord

SKILLS_MAX = 50
CATEGORIES_MAX = 20  # keeps a profile's transaction (profile, audit, entries) far below 100 items
PROFILE_FIELDS = ("skills", "categories", "available")
SELF_SERVICE_FIELDS = frozenset({"available"})


def _view(technician: TechnicianRecord) -> dict:
    return {
        "id": technician.user_id,
        "display_name": technician.display_name or "",
        "email": technician.email,
        "skills": list(technician.skills or []),
        "categories": list(technician.categories or []),
        "available": bool(technician.available),
        "workspace_id": technician.workspace_id,
        "version": int(technician.version),
        **people.stamps_of(technician),
    }


def _key(workspace_id: str, user_id: str) -> tuple[str, str]:
    return store.technicians_pk(workspace_id), f"{store.TECH_PREFIX}{user_id}"


def _profile(workspace_id: str, user_id: str, consistent: bool = False) -> TechnicianRecord | None:
    return store.get(TechnicianRecord, *_key(workspace_id, user_id), consistent) if user_id else None


def get_technician(workspace_id: str, user_id: str) -> dict:
    """One technician profile; NotFound ``technician_not_found``."""
    technician = _profile(workspace_id, user_id)
    if technician is None:
        raise NotFound("technician not found", code="technician_not_found")
    return _view(technician)


def _checked(values: dict) -> dict:
    wanted = {}
    if "skills" in values:
        wanted["skills"] = people.distinct_names(values["skills"], "skills", SKILLS_MAX)
    if "categories" in values:
        wanted["categories"] = people.distinct_names(values["categories"], "categories", CATEGORIES_MAX)
    if "available" in values:
        if not isinstance(values["available"], bool):
            raise ValidationError("available is invalid", details={"available": "must be true or false"})
        wanted["available"] = values["available"]
    return wanted


def _allowed(actor: Principal, user_id: str, fields) -> None:
    if actor.has_any_role({ADMIN}):
        return
    if user_id != actor.user_id or not set(fields) <= SELF_SERVICE_FIELDS:
        raise Forbidden(
            "agents may only switch their own availability; admins edit technician profiles",
            details={name: "not editable" for name in fields if name not in SELF_SERVICE_FIELDS} or None,
            code="role_forbidden",
        )


def _staff_membership(workspace_id: str, user_id: str):
    membership = directory.get_member(workspace_id, user_id)  # NotFound member_not_found
    if not set(membership["roles"]) & STAFF or membership["status"] != "active":
        raise ValidationError(
            "a technician must be an active agent or admin of this workspace",
            details={"id": "is not an active agent or admin of this workspace"},
            code="technician_not_staff",
        )
    return membership


def _filter_key(kind: str, value: str) -> str:
    return f"{kind}:{people.name_key(value)}"


def _entry_keys(workspace_id: str, technician: TechnicianRecord) -> set[str]:
    """The availability lists this profile belongs in: none unless available."""
    if not technician.available:
        return set()
    categories = {people.name_key(category) for category in technician.categories or []}
    return {store.available_pk(workspace_id)} | {store.available_pk(workspace_id, key) for key in categories}


def put_technician(
    workspace_id: str,
    actor: Principal,
    user_id: str,
    values: dict,
    *,
    expected_version=None,
    correlation_id=None,
) -> dict:
    """Write the whole profile of ``user_id`` (fields left out take their defaults: no skills, no
    categories, not available), creating it the first time; returns it."""
    full = {"skills": [], "categories": [], "available": False, **values}
    return _write(workspace_id, actor, user_id, full, expected_version, correlation_id, create=True)


def patch_technician(
    workspace_id: str, actor: Principal, user_id: str, values: dict, *, expected_version=None, correlation_id=None
) -> dict:
    """Change some fields of an existing profile; NotFound ``technician_not_found`` when there is none."""
    if not values:
        raise ValidationError("nothing to change", details={"body": f"give one of: {', '.join(PROFILE_FIELDS)}"})
    return _write(workspace_id, actor, user_id, values, expected_version, correlation_id, create=False)


def _write(workspace_id, actor, user_id, values, expected_version, correlation_id, *, create: bool):
    _allowed(actor, user_id, values)
    wanted = _checked(values)
    technician = _profile(workspace_id, user_id, consistent=True)
    if technician is None and not create:
        raise NotFound("technician not found", code="technician_not_found")
    if technician is None and expected_version is not None:
        raise PreconditionFailed("there is no profile at the version If-Match names")
    if technician is not None:
        people.check_version(technician, expected_version)
    membership = _staff_membership(workspace_id, user_id)
    at = now_iso()
    created = technician is None
    if created:
        technician = TechnicianRecord(
            pk=_key(workspace_id, user_id)[0],
            sk=_key(workspace_id, user_id)[1],
            workspace_id=workspace_id,
            user_id=user_id,
            **people.stamp(actor.user_id, at),
        )
        before_entries: set[str] = set()
    else:
        before_entries = _entry_keys(workspace_id, technician)
    wanted |= {"display_name": membership["display_name"], "email": membership["email"]}
    changed = people.apply(technician, wanted)
    if not created and not (changed.keys() & set(PROFILE_FIELDS)):
        return _view(technician)
    technician.updated_at, technician.updated_by = at, actor.user_id
    technician.filter_keys = [_filter_key("category", name) for name in technician.categories or []] + [
        _filter_key("skill", name) for name in technician.skills or []
    ]
    after_entries = _entry_keys(workspace_id, technician)
    changes = store.Changes()
    for key in sorted(before_entries - after_entries):
        changes.delete(
            AvailabilityEntry(pk=key, sk=user_id, workspace_id=workspace_id),
            Conflict("a concurrent change touched the same records; retry", code="write_conflict"),
        )
    for key in sorted(after_entries - before_entries):
        changes.put(
            AvailabilityEntry(pk=key, sk=user_id, workspace_id=workspace_id),
            Conflict("a concurrent change touched the same records; retry", code="write_conflict"),
        )
    lost_race = (
        Conflict("this technician already has a profile", code="technician_exists")
        if created
        else PreconditionFailed("the technician profile has changed since you read it")
    )
    changes.put(technician, lost_race)
    verb = "created" if created else "updated"
    audited = {name: change for name, change in changed.items() if name in PROFILE_FIELDS}
    changes.put_audit(
        audit_record(
            workspace_id, actor.user_id, f"technician.{verb}", "technician", user_id, audited, correlation_id, at
        )
    )
    store.commit(changes)
    return _view(technician)


def list_technicians(
    workspace_id: str, filters: dict, limit: int, start_key: dict | None = None
) -> tuple[list[dict], dict | None]:
    """A page of the workspace's technicians in id order: one Query on their partition, narrowed
    by ``available``, ``category`` and ``skill`` (matched ignoring case) within it. The hot
    question, who is available for a category, has its own keyed list: ``available_technicians``."""
    condition = None
    if "available" in filters:
        condition = TechnicianRecord.available == filters["available"]
    for name in ("category", "skill"):
        if name in filters:
            clause = TechnicianRecord.filter_keys.contains(_filter_key(name, filters[name]))
            condition = clause if condition is None else condition & clause
    records, next_key = store.query_page(
        TechnicianRecord,
        store.technicians_pk(workspace_id),
        limit,
        start_key,
        ("pk", "sk"),
        range_key_condition=TechnicianRecord.sk.startswith(store.TECH_PREFIX),
        filter_condition=condition,
    )
    return [_view(record) for record in records], next_key


def available_technicians(
    workspace_id: str, category: str | None, limit: int, start_key: dict | None = None
) -> tuple[list[dict], dict | None]:
    """A page of the technicians available now (for ``category``, ignoring case and spacing), in
    id order: one Query on the availability entries, then one BatchGetItem for their profiles."""
    key = store.available_pk(workspace_id, people.name_key(category) if category else None)
    entries, next_key = store.query_page(AvailabilityEntry, key, limit, start_key, ("pk", "sk"))
    profiles = store.technicians_by_id(workspace_id, [entry.sk for entry in entries])
    return [_view(profile) for profile in profiles], next_key
