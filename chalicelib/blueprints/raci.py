"""RACI groups and rules (seed 001) and the system metrics (seed 000)."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT
from chalicelib.blueprints.ticket_schemas import PRIORITY, PRIORITY_INPUT, TICKET_CLASS
from chalicelib.domain import raci
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.request import etag_for
from chalicelib.http.responses import Reply, no_content
from chalicelib.http.schemas import NULLABLE_STRING, TIME, list_of, named

routes = RouteFamily("ai")

READERS = frozenset({ADMIN, AGENT})
WRITERS = frozenset({ADMIN})
RACI_PATH = "/api/v1/intake/raci"
GROUPS_PATH = f"{RACI_PATH}/groups"
GROUP_PATH = f"{GROUPS_PATH}/{{group_id}}"
RULES_PATH = f"{RACI_PATH}/rules"
RULE_PATH = f"{RULES_PATH}/{{rule_id}}"

_ID = {"type": "string", "minLength": 1, "maxLength": 128}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"}
_USER_IDS = {"type": "array", "items": _ID, "maxItems": raci.MEMBERS_PER_ROLE}
_MEMBERS = named(
    "RaciMembers",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {role: _USER_IDS for role in ("responsible", "accountable", "consulted", "informed")},
    },
)
_STAMPS = {"created_at": TIME, "created_by": {"type": "string"}, "updated_at": TIME, "updated_by": {"type": "string"}}

GROUP = named(
    "RaciGroup",
    {
        "type": "object",
        "required": ["id", "name", "team", "members", "rule_count", "version"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "team": NULLABLE_STRING,
            "members": {**_MEMBERS, "title": "RaciGroupMembers", "required": list(_MEMBERS["properties"])},
            "rule_count": {"type": "integer", "description": "How many rules send tickets to the group"},
            "version": {"type": "integer"},
            **_STAMPS,
        },
    },
)
_GROUP_FIELDS = {
    "name": _NAME,
    "team": {**NULLABLE_STRING, "maxLength": 128, "description": "a team id (GET /api/v1/teams)"},
    "members": _MEMBERS,
}
GROUP_INPUT = named(
    "RaciGroupInput",
    {"type": "object", "additionalProperties": False, "required": ["name", "members"], "properties": _GROUP_FIELDS},
)
GROUP_PATCH = named("RaciGroupPatch", {"type": "object", "additionalProperties": False, "properties": _GROUP_FIELDS})

_NULLABLE_TEXT = {"type": ["string", "null"], "maxLength": 200}
RULE = named(
    "RaciRule",
    {
        "type": "object",
        "required": ["id", "name", "enabled", "position", "group_id", "auto_assign", "keywords", "version"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "enabled": {"type": "boolean"},
            "position": {"type": "integer"},
            "ticket_class": {"anyOf": [TICKET_CLASS, {"type": "null"}]},
            "category": NULLABLE_STRING,
            "priority": {"anyOf": [PRIORITY, {"type": "null"}]},
            "keywords": {"type": "array", "items": {"type": "string"}},
            "group_id": {"type": "string"},
            "auto_assign": {"type": "boolean"},
            "auto_assign_agent": NULLABLE_STRING,
            "auto_agent_model": NULLABLE_STRING,
            "auto_agent_prompt": NULLABLE_STRING,
            "version": {"type": "integer"},
            **_STAMPS,
        },
    },
)
_RULE_FIELDS = {
    "name": _NAME,
    "enabled": {"type": "boolean"},
    "position": {
        "type": "integer",
        "minimum": 0,
        "maximum": 1_000_000,
        "description": "Rules apply in ascending position (ties: the older first); omitted: after every rule",
    },
    "ticket_class": {"anyOf": [TICKET_CLASS, {"type": "null"}]},
    "category": {"type": ["string", "null"], "maxLength": 100},
    "priority": {"anyOf": [PRIORITY_INPUT, {"type": "null"}]},
    "keywords": {
        "type": ["array", "null"],
        "items": {"type": "string", "minLength": 1, "maxLength": 60},
        "maxItems": raci.KEYWORDS_MAX,
        "description": "The rule matches when any of them occurs as a word in the title or description",
    },
    "group_id": _ID,
    "auto_assign": {"type": "boolean"},
    "auto_assign_agent": _NULLABLE_TEXT,
    "auto_agent_model": _NULLABLE_TEXT,
    "auto_agent_prompt": {"type": ["string", "null"], "maxLength": 4000},
}
RULE_INPUT = named(
    "RaciRuleInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "enabled", "group_id", "auto_assign"],
        "properties": _RULE_FIELDS,
    },
)
RULE_PATCH = named("RaciRulePatch", {"type": "object", "additionalProperties": False, "properties": _RULE_FIELDS})
OVERVIEW = named(
    "RaciOverview",
    {
        "type": "object",
        "required": ["groups", "rules"],
        "properties": {
            "groups": {"type": "array", "items": GROUP},
            "rules": {"type": "array", "items": RULE, "description": "In the order they apply"},
        },
    },
)


def _reply(body: dict, status: int = 200, location: str | None = None) -> Reply:
    headers = {"Location": location} if location else {}
    return Reply(body, status=status, etag=etag_for(body["version"]), headers=headers)


@routes.route(
    RACI_PATH,
    "GET",
    operation_id="getRaci",
    summary="Every RACI group and every rule, rules in the order they apply",
    roles=READERS,
    response=OVERVIEW,
)
def get_raci(request):
    return raci.overview(request.workspace_id)


# --- groups -----------------------------------------------------------------------------------------


@routes.route(
    GROUPS_PATH,
    "GET",
    operation_id="listRaciGroups",
    summary="RACI groups, oldest first",
    roles=READERS,
    query=PAGE_QUERY,
    response=list_of("RaciGroupList", GROUP),
)
def list_groups(request):
    scope = f"raci-groups|{request.workspace_id}"
    items, next_key = raci.list_groups(request.workspace_id, request.query["limit"], start_key(request, scope))
    return page(request, items, next_key, scope, "created_at", "asc", {})


@routes.route(
    GROUPS_PATH,
    "POST",
    operation_id="createRaciGroup",
    summary="Create a RACI group: a team and its members by role (responsible, accountable, consulted, informed)",
    roles=WRITERS,
    body=GROUP_INPUT,
    response=GROUP,
    status=201,
    errors=frozenset({409}),
    response_headers=("ETag", "Location"),
)
def create_group(request):
    group = raci.create_group(request.workspace_id, request.principal.user_id, request.body, request.correlation_id)
    return _reply(group, 201, f"{GROUPS_PATH}/{group['id']}")


@routes.route(
    GROUP_PATH,
    "GET",
    operation_id="getRaciGroup",
    summary="A RACI group",
    roles=READERS,
    response=GROUP,
    response_headers=("ETag",),
)
def get_group(request):
    return _reply(raci.get_group(request.workspace_id, request.path_params["group_id"]))


@routes.route(
    GROUP_PATH,
    "PATCH",
    operation_id="updateRaciGroup",
    summary="Change a RACI group's name, team or members (a role's list given replaces it)",
    roles=WRITERS,
    body=GROUP_PATCH,
    response=GROUP,
    if_match=True,
    errors=frozenset({409}),
    response_headers=("ETag",),
)
def update_group(request):
    group = raci.update_group(
        request.workspace_id,
        request.principal.user_id,
        request.path_params["group_id"],
        request.body,
        request.correlation_id,
        request.expected_version(),
    )
    return _reply(group)


@routes.route(
    GROUP_PATH,
    "DELETE",
    operation_id="deleteRaciGroup",
    summary="Delete a RACI group no rule uses (409 while one does)",
    roles=WRITERS,
    status=204,
    if_match=True,
    errors=frozenset({409}),
)
def delete_group(request):
    raci.delete_group(
        request.workspace_id,
        request.principal.user_id,
        request.path_params["group_id"],
        request.correlation_id,
        request.expected_version(),
    )
    return no_content()


# --- rules ------------------------------------------------------------------------------------------


@routes.route(
    RULES_PATH,
    "GET",
    operation_id="listRaciRules",
    summary="RACI rules in the order they apply (position, then the older first)",
    roles=READERS,
    query=PAGE_QUERY,
    response=list_of("RaciRuleList", RULE),
)
def list_rules(request):
    scope = f"raci-rules|{request.workspace_id}"
    items, next_key = raci.list_rules(request.workspace_id, request.query["limit"], start_key(request, scope))
    return page(request, items, next_key, scope, "position", "asc", {})


@routes.route(
    RULES_PATH,
    "POST",
    operation_id="createRaciRule",
    summary="Create a RACI rule: what a new ticket must match (class, category, priority, keywords) and its group",
    roles=WRITERS,
    body=RULE_INPUT,
    response=RULE,
    status=201,
    errors=frozenset({409}),
    response_headers=("ETag", "Location"),
)
def create_rule(request):
    rule = raci.create_rule(request.workspace_id, request.principal.user_id, request.body, request.correlation_id)
    return _reply(rule, 201, f"{RULES_PATH}/{rule['id']}")


@routes.route(
    RULE_PATH,
    "GET",
    operation_id="getRaciRule",
    summary="A RACI rule",
    roles=READERS,
    response=RULE,
    response_headers=("ETag",),
)
def get_rule(request):
    return _reply(raci.get_rule(request.workspace_id, request.path_params["rule_id"]))


@routes.route(
    RULE_PATH,
    "PATCH",
    operation_id="updateRaciRule",
    summary="Change a RACI rule (null clears an optional field)",
    roles=WRITERS,
    body=RULE_PATCH,
    response=RULE,
    if_match=True,
    errors=frozenset({409}),
    response_headers=("ETag",),
)
def update_rule(request):
    rule = raci.update_rule(
        request.workspace_id,
        request.principal.user_id,
        request.path_params["rule_id"],
        request.body,
        request.correlation_id,
        request.expected_version(),
    )
    return _reply(rule)


@routes.route(
    RULE_PATH,
    "DELETE",
    operation_id="deleteRaciRule",
    summary="Delete a RACI rule",
    roles=WRITERS,
    status=204,
    if_match=True,
    errors=frozenset({409}),
)
def delete_rule(request):
    raci.delete_rule(
        request.workspace_id,
        request.principal.user_id,
        request.path_params["rule_id"],
        request.correlation_id,
        request.expected_version(),
    )
    return no_content()
