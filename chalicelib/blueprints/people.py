"""Requesters, technicians, teams, buildings and apartments: parse, call the domain, shape the reply."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, STAFF
from chalicelib.domain import buildings, requesters, teams, technicians
from chalicelib.domain import people as rules
from chalicelib.domain.directory import DISPLAY_NAME_MAX, EMAIL_MAX
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.request import etag_for
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import TIME, list_of

routes = RouteFamily("people")

ADMINS = frozenset({ADMIN})

# --- schemas ------------------------------------------------------------------------------------

_STAMPS = {"created_at": TIME, "created_by": {"type": "string"}, "updated_at": TIME, "updated_by": {"type": "string"}}
_RECORD = ["id", "version", *_STAMPS]
_EMAIL = {"type": "string", "format": "email", "minLength": 3, "maxLength": EMAIL_MAX}
_NAME = {"type": "string", "minLength": 1, "maxLength": rules.NAME_MAX}
_ID = {"type": "string", "pattern": rules.ID_PATTERN, "minLength": 1, "maxLength": 64}
_NAMES = {"type": "array", "items": _NAME}

REQUESTER = {
    "title": "Requester",
    "type": "object",
    "required": [*_RECORD, "email", "display_name", "status"],
    "properties": {
        "id": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "display_name": {"type": "string"},
        "workspace_id": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "deactivated"]},
        "version": {"type": "integer"},
        **_STAMPS,
    },
}
CREATE_REQUESTER_BODY = {
    "title": "RequesterCreate",
    "type": "object",
    "additionalProperties": False,
    "required": ["email"],
    "properties": {"email": _EMAIL, "display_name": {"type": "string", "maxLength": DISPLAY_NAME_MAX}},
}
UPDATE_REQUESTER_BODY = {
    "title": "RequesterPatch",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {"email": _EMAIL, "display_name": {"type": "string", "minLength": 1, "maxLength": DISPLAY_NAME_MAX}},
}

TEAM = {
    "title": "Team",
    "type": "object",
    "required": [*_RECORD, "name", "description", "members"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "members": {"type": "array", "items": {"type": "string"}},
        "workspace_id": {"type": "string"},
        "version": {"type": "integer"},
        **_STAMPS,
    },
}
_TEAM_FIELDS = {
    "name": _NAME,
    "description": {"type": "string", "maxLength": teams.DESCRIPTION_MAX},
    "members": {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 128},
        "maxItems": teams.MEMBERS_MAX,
        "description": "user ids of agents or admins of the workspace",
    },
}
CREATE_TEAM_BODY = {
    "title": "TeamCreate",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"id": {**_ID, "description": "chosen by the client (plumbing), or generated"}, **_TEAM_FIELDS},
}
UPDATE_TEAM_BODY = {
    "title": "TeamPatch",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": _TEAM_FIELDS,
}

TECHNICIAN = {
    "title": "Technician",
    "type": "object",
    "required": [*_RECORD, "display_name", "skills", "categories", "available"],
    "properties": {
        "id": {"type": "string", "description": "the member's user id"},
        "display_name": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "skills": {"type": "array", "items": {"type": "string"}},
        "categories": {"type": "array", "items": {"type": "string"}},
        "available": {"type": "boolean"},
        "workspace_id": {"type": "string"},
        "version": {"type": "integer"},
        **_STAMPS,
    },
}
_TECHNICIAN_FIELDS = {
    "skills": {**_NAMES, "maxItems": technicians.SKILLS_MAX},
    "categories": {**_NAMES, "maxItems": technicians.CATEGORIES_MAX, "description": "ticket categories they take"},
    "available": {"type": "boolean"},
}
PUT_TECHNICIAN_BODY = {
    "title": "TechnicianProfile",
    "type": "object",
    "additionalProperties": False,
    "description": "the whole profile: fields left out take their defaults (none, none, not available)",
    "properties": _TECHNICIAN_FIELDS,
}
PATCH_TECHNICIAN_BODY = {
    "title": "TechnicianPatch",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": _TECHNICIAN_FIELDS,
}
_FILTER = {"type": "string", "minLength": 1, "maxLength": rules.NAME_MAX}
TECHNICIAN_QUERY = {"available": {"type": "boolean"}, "category": _FILTER, "skill": _FILTER, **PAGE_QUERY}
AVAILABLE_QUERY = {"category": _FILTER, **PAGE_QUERY}

BUILDING = {
    "title": "Building",
    "type": "object",
    "required": [*_RECORD, "name", "address"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "address": {"type": "string"},
        "workspace_id": {"type": "string"},
        "version": {"type": "integer"},
        **_STAMPS,
    },
}
CREATE_BUILDING_BODY = {
    "title": "BuildingCreate",
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "id": {**_ID, "description": "chosen by the client (building-1), or generated"},
        "name": _NAME,
        "address": {"type": "string", "maxLength": buildings.ADDRESS_MAX},
    },
}
APARTMENT = {
    "title": "Apartment",
    "type": "object",
    "required": [*_RECORD, "building_id", "label", "floor"],
    "properties": {
        "id": {"type": "string"},
        "building_id": {"type": "string"},
        "label": {"type": "string"},
        "floor": {"type": ["integer", "null"]},
        "version": {"type": "integer"},
        **_STAMPS,
    },
}
CREATE_APARTMENT_BODY = {
    "title": "ApartmentCreate",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {**_ID, "description": "unique within the building (apartment-12), or generated"},
        "label": {"type": "string", "maxLength": rules.NAME_MAX},
        "floor": {
            "type": ["integer", "null"],
            "minimum": buildings.FLOOR_RANGE[0],
            "maximum": buildings.FLOOR_RANGE[1],
        },
    },
}


def _reply(record: dict, status: int = 200) -> Reply:
    return Reply(record, status=status, etag=etag_for(record["version"]))


def _scope(kind: str, request, **filters) -> str:
    """A cursor's scope: the list, the workspace and the filters it was issued for."""
    narrowed = ",".join(f"{name}={value}" for name, value in sorted(filters.items()))
    return f"directory.{kind}:{request.workspace_id}:{narrowed}"


# --- requesters ----------------------------------------------------------------------------------

REQUESTER_PATH = "/api/v1/requesters/{requester_id}"


@routes.route(
    "/api/v1/requesters",
    "POST",
    operation_id="createRequester",
    summary="Register a requester (staff): a workspace member with the requester role and no password; "
    "409 email_taken when the email is already a member of this workspace",
    roles=STAFF,
    body=CREATE_REQUESTER_BODY,
    response=REQUESTER,
    status=201,
    response_headers=("ETag",),
)
def create_requester(request):
    requester = requesters.create_requester(
        request.workspace_id,
        request.body["email"],
        request.body.get("display_name", ""),
        actor_id=request.principal.user_id,
        correlation_id=request.correlation_id,
    )
    return _reply(requester, status=201)


@routes.route(
    "/api/v1/requesters",
    "GET",
    operation_id="listRequesters",
    summary="List the workspace's requesters in email order (staff)",
    roles=STAFF,
    query=PAGE_QUERY,
    response=list_of("RequesterList", REQUESTER),
)
def list_requesters(request):
    scope = _scope("requesters", request)
    items, next_key = requesters.list_requesters(
        request.workspace_id, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "email", "asc", {})


@routes.route(
    REQUESTER_PATH,
    "GET",
    operation_id="getRequester",
    summary="One requester (staff)",
    roles=STAFF,
    response=REQUESTER,
    response_headers=("ETag",),
)
def get_requester(request):
    return _reply(requesters.get_requester(request.workspace_id, request.path_params["requester_id"]))


@routes.route(
    REQUESTER_PATH,
    "PATCH",
    operation_id="updateRequester",
    summary="Change a requester's email and/or display name (staff); 409 email_taken, or "
    "email_managed_elsewhere for an account shared with another workspace",
    roles=STAFF,
    body=UPDATE_REQUESTER_BODY,
    response=REQUESTER,
    if_match=True,
    response_headers=("ETag",),
)
def update_requester(request):
    requester = requesters.update_requester(
        request.workspace_id,
        request.path_params["requester_id"],
        request.body,
        expected_version=request.expected_version(),
        actor_id=request.principal.user_id,
        correlation_id=request.correlation_id,
    )
    return _reply(requester)


# --- teams ---------------------------------------------------------------------------------------

TEAM_PATH = "/api/v1/teams/{team_id}"


@routes.route(
    "/api/v1/teams",
    "POST",
    operation_id="createTeam",
    summary="Create a team (admin); its id and name are unique in the workspace (409 team_exists, team_name_taken)",
    roles=ADMINS,
    body=CREATE_TEAM_BODY,
    response=TEAM,
    status=201,
    response_headers=("ETag",),
)
def create_team(request):
    team = teams.create_team(
        request.workspace_id,
        request.body["name"],
        team_id=request.body.get("id"),
        description=request.body.get("description", ""),
        members=request.body.get("members", []),
        actor_id=request.principal.user_id,
        correlation_id=request.correlation_id,
    )
    return _reply(team, status=201)


@routes.route(
    "/api/v1/teams",
    "GET",
    operation_id="listTeams",
    summary="List the workspace's teams in name order (staff)",
    roles=STAFF,
    query=PAGE_QUERY,
    response=list_of("TeamList", TEAM),
)
def list_teams(request):
    scope = _scope("teams", request)
    items, next_key = teams.list_teams(request.workspace_id, request.query["limit"], start_key(request, scope))
    return page(request, items, next_key, scope, "name", "asc", {})


@routes.route(
    TEAM_PATH,
    "GET",
    operation_id="getTeam",
    summary="One team (staff)",
    roles=STAFF,
    response=TEAM,
    response_headers=("ETag",),
)
def get_team(request):
    return _reply(teams.get_team(request.workspace_id, request.path_params["team_id"]))


@routes.route(
    TEAM_PATH,
    "PATCH",
    operation_id="updateTeam",
    summary="Rename a team, change its description or members (admin)",
    roles=ADMINS,
    body=UPDATE_TEAM_BODY,
    response=TEAM,
    if_match=True,
    response_headers=("ETag",),
)
def update_team(request):
    team = teams.update_team(
        request.workspace_id,
        request.path_params["team_id"],
        request.body,
        expected_version=request.expected_version(),
        actor_id=request.principal.user_id,
        correlation_id=request.correlation_id,
    )
    return _reply(team)


# --- technicians ---------------------------------------------------------------------------------

TECHNICIAN_PATH = "/api/v1/technicians/{user_id}"


@routes.route(
    "/api/v1/technicians",
    "GET",
    operation_id="listTechnicians",
    summary="List technician profiles in id order, filtered by availability, category and skill (staff)",
    roles=STAFF,
    query=TECHNICIAN_QUERY,
    response=list_of("TechnicianList", TECHNICIAN),
)
def list_technicians(request):
    filters = {name: request.query[name] for name in ("available", "category", "skill") if name in request.query}
    scope = _scope("technicians", request, **filters)
    items, next_key = technicians.list_technicians(
        request.workspace_id, filters, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "id", "asc", filters)


@routes.route(
    "/api/v1/technicians/available",
    "GET",
    operation_id="listAvailableTechnicians",
    summary="The technicians available now, optionally for one ticket category (staff)",
    roles=STAFF,
    query=AVAILABLE_QUERY,
    response=list_of("AvailableTechnicianList", TECHNICIAN),
)
def list_available_technicians(request):
    category = request.query.get("category")
    filters = {"category": category} if category else {}
    scope = _scope("technicians.available", request, **filters)
    items, next_key = technicians.available_technicians(
        request.workspace_id, category, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "id", "asc", filters)


@routes.route(
    TECHNICIAN_PATH,
    "GET",
    operation_id="getTechnician",
    summary="One technician profile (staff)",
    roles=STAFF,
    response=TECHNICIAN,
    response_headers=("ETag",),
)
def get_technician(request):
    return _reply(technicians.get_technician(request.workspace_id, request.path_params["user_id"]))


@routes.route(
    TECHNICIAN_PATH,
    "PUT",
    operation_id="putTechnician",
    summary="Create or replace the technician profile of an active agent or admin member (admin)",
    roles=ADMINS,
    body=PUT_TECHNICIAN_BODY,
    response=TECHNICIAN,
    if_match=True,
    response_headers=("ETag",),
)
def put_technician(request):
    technician = technicians.put_technician(
        request.workspace_id,
        request.principal,
        request.path_params["user_id"],
        request.body,
        expected_version=request.expected_version(),
        correlation_id=request.correlation_id,
    )
    return _reply(technician)


@routes.route(
    TECHNICIAN_PATH,
    "PATCH",
    operation_id="updateTechnician",
    summary="Change some fields of a technician profile (admin; an agent may switch their own availability)",
    roles=STAFF,
    body=PATCH_TECHNICIAN_BODY,
    response=TECHNICIAN,
    if_match=True,
    response_headers=("ETag",),
)
def update_technician(request):
    technician = technicians.patch_technician(
        request.workspace_id,
        request.principal,
        request.path_params["user_id"],
        request.body,
        expected_version=request.expected_version(),
        correlation_id=request.correlation_id,
    )
    return _reply(technician)


# --- buildings and apartments --------------------------------------------------------------------

BUILDING_PATH = "/api/v1/buildings/{building_id}"
APARTMENTS_PATH = "/api/v1/buildings/{building_id}/apartments"


@routes.route(
    "/api/v1/buildings",
    "POST",
    operation_id="createBuilding",
    summary="Add a building (admin); 409 building_exists for a taken id",
    roles=ADMINS,
    body=CREATE_BUILDING_BODY,
    response=BUILDING,
    status=201,
    response_headers=("ETag",),
)
def create_building(request):
    building = buildings.create_building(
        request.workspace_id,
        request.body["name"],
        building_id=request.body.get("id"),
        address=request.body.get("address", ""),
        actor_id=request.principal.user_id,
        correlation_id=request.correlation_id,
    )
    return _reply(building, status=201)


@routes.route(
    "/api/v1/buildings",
    "GET",
    operation_id="listBuildings",
    summary="List the workspace's buildings in id order (staff)",
    roles=STAFF,
    query=PAGE_QUERY,
    response=list_of("BuildingList", BUILDING),
)
def list_buildings(request):
    scope = _scope("buildings", request)
    items, next_key = buildings.list_buildings(request.workspace_id, request.query["limit"], start_key(request, scope))
    return page(request, items, next_key, scope, "id", "asc", {})


@routes.route(
    BUILDING_PATH,
    "GET",
    operation_id="getBuilding",
    summary="One building (staff)",
    roles=STAFF,
    response=BUILDING,
    response_headers=("ETag",),
)
def get_building(request):
    return _reply(buildings.get_building(request.workspace_id, request.path_params["building_id"]))


@routes.route(
    APARTMENTS_PATH,
    "POST",
    operation_id="createApartment",
    summary="Add an apartment to a building (admin); 409 apartment_exists for an id the building has",
    roles=ADMINS,
    body=CREATE_APARTMENT_BODY,
    response=APARTMENT,
    status=201,
    response_headers=("ETag",),
)
def create_apartment(request):
    apartment = buildings.create_apartment(
        request.workspace_id,
        request.path_params["building_id"],
        apartment_id=request.body.get("id"),
        label=request.body.get("label", ""),
        floor=request.body.get("floor"),
        actor_id=request.principal.user_id,
        correlation_id=request.correlation_id,
    )
    return _reply(apartment, status=201)


@routes.route(
    APARTMENTS_PATH,
    "GET",
    operation_id="listApartments",
    summary="List a building's apartments in id order (staff)",
    roles=STAFF,
    query=PAGE_QUERY,
    response=list_of("ApartmentList", APARTMENT),
)
def list_apartments(request):
    building_id = request.path_params["building_id"]
    scope = _scope("apartments", request, building=building_id)
    items, next_key = buildings.list_apartments(
        request.workspace_id, building_id, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "id", "asc", {})
