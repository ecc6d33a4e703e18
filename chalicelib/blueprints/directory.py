"""Auth & directory routes (workspaces, login, logout, me, users): parse, call the domain, shape."""

from __future__ import annotations

from chalicelib.auth.authenticate import SESSION_COOKIE, revoke_presented_tokens
from chalicelib.auth.roles import ADMIN, AGENT, PLATFORM_ADMIN
from chalicelib.domain import directory
from chalicelib.errors import ValidationError
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.request import etag_for
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import list_of, string_enum
from chalicelib.settings import get_settings

routes = RouteFamily("directory")

INSECURE_COOKIE_STAGES = frozenset({"local", "test"})

# --- schemas (a "title" publishes the schema under that name: chalicelib.http.schemas) ---------

_EMAIL = {"type": "string", "format": "email", "minLength": 3, "maxLength": directory.EMAIL_MAX}
_NEW_PASSWORD = {
    "type": "string",
    "minLength": directory.PASSWORD_MIN,
    "maxLength": directory.PASSWORD_MAX,
    "description": "not the email, and hard to guess (zxcvbn score 3 or more); a weak one is a 400 "
    "password_too_weak whose detail carries zxcvbn's feedback",
}
_DISPLAY_NAME = {"type": "string", "maxLength": directory.DISPLAY_NAME_MAX}
_WORKSPACE_ROLE = string_enum("WorkspaceRole", directory.WORKSPACE_ROLES)
_TIME = {"type": "string", "format": "date-time"}
_MEMBER_STATUS = string_enum("MemberStatus", directory.MEMBER_STATUSES)
_AUDIT = {"created_at": _TIME, "created_by": {"type": "string"}, "updated_at": _TIME, "updated_by": {"type": "string"}}

LOGIN_BODY = {
    "title": "LoginRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["password"],
    "x-required-any-of": ["email", "username"],
    "description": "email (or its alias username) is required",
    "properties": {
        "email": {"type": "string", "minLength": 1, "maxLength": directory.EMAIL_MAX},
        "username": {
            "type": "string",
            "minLength": 1,
            "maxLength": directory.EMAIL_MAX,
            "description": "alias of email",
        },
        "password": {"type": "string", "minLength": 1, "maxLength": directory.PASSWORD_MAX},
    },
}
SESSION_USER = {
    "title": "SessionUser",
    "type": "object",
    "required": ["id", "email", "display_name", "roles", "workspace_id"],
    "properties": {
        "id": {"type": "string"},
        "email": {"type": "string"},
        "display_name": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "workspace_id": {"type": ["string", "null"]},
    },
}
LOGIN_RESPONSE = {
    "title": "LoginResponse",
    "type": "object",
    "required": ["token", "expires_in", "user"],
    "properties": {"token": {"type": "string"}, "expires_in": {"type": "integer"}, "user": SESSION_USER},
}
OK_RESPONSE = {"title": "Ok", "type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
USER = {
    "title": "User",
    "type": "object",
    "required": ["id", "email", "display_name", "roles", "workspace_id", "auth_source", *_AUDIT],
    "properties": {
        "id": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "display_name": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "workspace_id": {"type": ["string", "null"]},
        "auth_source": string_enum("AuthSource", ["local", "oidc"]),
        "external_id": {"type": ["string", "null"]},
        "version": {"type": "integer"},
        **_AUDIT,
    },
}
MEMBER = {
    **USER,
    "title": "Member",
    "required": [*USER["required"], "status", "version"],
    "properties": {**USER["properties"], "status": _MEMBER_STATUS},
}
CHANGE_MEMBER_BODY = {
    "title": "MemberChange",
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "roles": {"type": "array", "items": _WORKSPACE_ROLE, "minItems": 1, "maxItems": 4, "uniqueItems": True},
        "status": _MEMBER_STATUS,
    },
}
_AUDIT_VALUE = {"type": ["array", "null"], "items": {"type": "string"}}
MEMBER_AUDIT_ROW = {
    "title": "MemberAuditRow",
    "type": "object",
    "required": ["user_id", "workspace_id", "action", "field", "from", "to", "source", "at", "by"],
    "properties": {
        "user_id": {"type": "string"},
        "workspace_id": {"type": "string"},
        "action": {"type": "string", "enum": ["added", "provisioned", "roles_changed", "deactivated", "reactivated"]},
        "field": {"type": "string", "enum": ["membership", "roles", "status"]},
        "from": _AUDIT_VALUE,
        "to": _AUDIT_VALUE,
        "source": {"type": "string", "enum": ["admin", "identity_provider", "system"]},
        "at": _TIME,
        "by": {"type": "string"},
    },
}
ME = {
    **USER,
    "title": "Me",
    "required": [*USER["required"], "workspaces", "version"],
    "properties": {**USER["properties"], "workspaces": {"type": "array", "items": {"type": "string"}}},
}
UPDATE_ME_BODY = {
    "title": "MeUpdate",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "display_name": {**_DISPLAY_NAME, "minLength": 1},
        "current_password": {"type": "string", "minLength": 1, "maxLength": directory.PASSWORD_MAX},
        "new_password": _NEW_PASSWORD,
    },
}
WORKSPACE = {
    "title": "Workspace",
    "type": "object",
    "required": ["id", "name", "version", *_AUDIT],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "version": {"type": "integer"}, **_AUDIT},
}
CREATED_WORKSPACE = {
    **WORKSPACE,
    "title": "CreatedWorkspace",
    "required": [*WORKSPACE["required"], "admin"],
    "properties": {**WORKSPACE["properties"], "admin": USER},
}
CREATE_WORKSPACE_BODY = {
    "title": "WorkspaceCreate",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "admin"],
    "properties": {
        "id": {"type": "string", "pattern": directory.WORKSPACE_ID_PATTERN, "minLength": 1, "maxLength": 63},
        "name": {"type": "string", "minLength": 1, "maxLength": directory.NAME_MAX},
        "admin": {
            "type": "object",
            "additionalProperties": False,
            "required": ["email", "password"],
            "properties": {"email": _EMAIL, "password": _NEW_PASSWORD, "display_name": _DISPLAY_NAME},
        },
    },
}
CREATE_USER_BODY = {
    "title": "UserCreate",
    "type": "object",
    "additionalProperties": False,
    "required": ["email", "password", "roles"],
    "properties": {
        "email": _EMAIL,
        "password": _NEW_PASSWORD,
        "roles": {"type": "array", "items": _WORKSPACE_ROLE, "minItems": 1, "maxItems": 4, "uniqueItems": True},
        "display_name": _DISPLAY_NAME,
    },
}
WORKSPACE_LIST = list_of("WorkspaceList", WORKSPACE)
USER_LIST = list_of("UserList", MEMBER)
MEMBER_HISTORY = list_of("MemberHistory", MEMBER_AUDIT_ROW)

# --- helpers ----------------------------------------------------------------------------------


def _session_cookie(value: str, max_age: int) -> str:
    attributes = [f"{SESSION_COOKIE}={value}", "HttpOnly", "Path=/", "SameSite=Lax", f"Max-Age={max_age}"]
    if max_age == 0:
        attributes.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    if get_settings().stage not in INSECURE_COOKIE_STAGES:
        attributes.append("Secure")
    return "; ".join(attributes)


def _login_email(body: dict) -> str:
    email, username = body.get("email"), body.get("username")
    if email is None and username is None:
        raise ValidationError("email is required", details={"email": "is required"})
    if email is not None and username is not None and email != username:
        raise ValidationError("give email or username, not both", details={"username": "conflicts with email"})
    return email if email is not None else username


def _me_reply(profile: dict, principal) -> Reply:
    # Roles and workspaces as the directory grants them to this request: what every route enforces.
    body = {**profile, "roles": sorted(principal.roles), "workspaces": list(principal.workspaces)}
    return Reply(body, etag=etag_for(profile["version"]))


# --- auth -------------------------------------------------------------------------------------


@routes.route(
    "/api/v1/auth/login",
    "POST",
    operation_id="login",
    summary="Sign in with email (or username) and password; returns a token and sets the session cookie "
    "(AUTH_MODE=local only: 404 local_login_disabled under OIDC)",
    auth=False,
    tenant=False,
    idempotent=False,
    body=LOGIN_BODY,
    response=LOGIN_RESPONSE,
    errors=frozenset({401, 404, 429}),
    response_headers=("Set-Cookie", "Cache-Control"),
)
def login(request):
    session = directory.login(_login_email(request.body), request.body["password"], request.source_ip)
    cookie = _session_cookie(session["token"], session["expires_in"])
    return Reply(session, headers={"Set-Cookie": cookie, "Cache-Control": "no-store"})


@routes.route(
    "/api/v1/auth/logout",
    "POST",
    operation_id="logout",
    summary="Sign out: the presented token (bearer header and/or session cookie) is refused from now on, "
    "and the cookie is cleared; answers 200 {ok: true} even without a valid session",
    auth=False,
    tenant=False,
    idempotent=False,
    response=OK_RESPONSE,
    response_headers=("Set-Cookie", "Cache-Control"),
)
def logout(request):
    revoke_presented_tokens(request.headers)
    return Reply({"ok": True}, headers={"Set-Cookie": _session_cookie("", 0), "Cache-Control": "no-store"})


@routes.route(
    "/api/v1/auth/me",
    "GET",
    operation_id="getMe",
    summary="The caller's profile (roles and workspaces as the token grants them)",
    tenant=False,
    response=ME,
    errors=frozenset({404}),
    response_headers=("ETag",),
)
def get_me(request):
    return _me_reply(directory.get_user(request.principal.user_id), request.principal)


@routes.route(
    "/api/v1/auth/me",
    "PATCH",
    operation_id="updateMe",
    summary="Change the caller's display name and/or password (new_password needs current_password; wrong "
    "guesses are throttled like logins; a password change signs out every earlier token)",
    tenant=False,
    body=UPDATE_ME_BODY,
    response=ME,
    if_match=True,
    errors=frozenset({404, 429}),
    response_headers=("ETag",),
)
def update_me(request):
    profile = directory.update_profile(
        request.principal.user_id,
        display_name=request.body.get("display_name"),
        current_password=request.body.get("current_password"),
        new_password=request.body.get("new_password"),
        expected_version=request.expected_version(),
        updated_by=request.principal.user_id,
        client_address=request.source_ip,
    )
    return _me_reply(profile, request.principal)


# --- workspaces -------------------------------------------------------------------------------

WORKSPACES_SCOPE = "directory.workspaces"


@routes.route(
    "/api/v1/workspaces",
    "POST",
    operation_id="createWorkspace",
    summary="Create a workspace and its first admin (platform admin)",
    tenant=False,
    roles=frozenset({PLATFORM_ADMIN}),
    body=CREATE_WORKSPACE_BODY,
    response=CREATED_WORKSPACE,
    status=201,
    response_headers=("ETag",),
)
def create_workspace(request):
    body = request.body
    admin = body["admin"]
    workspace = directory.create_workspace(
        body["id"],
        body["name"],
        admin["email"],
        admin["password"],
        admin.get("display_name", ""),
        created_by=request.principal.user_id,
    )
    return Reply(workspace, status=201, etag=etag_for(workspace["version"]))


@routes.route(
    "/api/v1/workspaces",
    "GET",
    operation_id="listWorkspaces",
    summary="List workspaces in id order (platform admin)",
    tenant=False,
    roles=frozenset({PLATFORM_ADMIN}),
    query=PAGE_QUERY,
    response=WORKSPACE_LIST,
)
def list_workspaces(request):
    items, next_key = directory.list_workspaces(request.query["limit"], start_key(request, WORKSPACES_SCOPE))
    return page(request, items, next_key, WORKSPACES_SCOPE, "id", "asc", {})


# --- users ------------------------------------------------------------------------------------


def _users_scope(workspace_id: str) -> str:
    return f"directory.users:{workspace_id}"


@routes.route(
    "/api/v1/users",
    "GET",
    operation_id="listUsers",
    summary="List the workspace's users in email order",
    roles=frozenset({ADMIN, AGENT}),
    query=PAGE_QUERY,
    response=USER_LIST,
)
def list_users(request):
    scope = _users_scope(request.workspace_id)
    items, next_key = directory.list_users(request.workspace_id, request.query["limit"], start_key(request, scope))
    return page(request, items, next_key, scope, "email", "asc", {})


@routes.route(
    "/api/v1/users",
    "POST",
    operation_id="createUser",
    summary="Add a member to the workspace (admin): a new password account, or an existing account of that "
    "email, answered alike (the password only sets a new account's); 409 only if already a member here",
    roles=frozenset({ADMIN}),
    body=CREATE_USER_BODY,
    response=MEMBER,
    status=201,
    response_headers=("ETag",),
)
def create_user(request):
    body = request.body
    user = directory.create_user(
        request.workspace_id,
        body["email"],
        body["password"],
        body["roles"],
        body.get("display_name", ""),
        created_by=request.principal.user_id,
    )
    return Reply(user, status=201, etag=etag_for(user["version"]))


MEMBER_PATH = "/api/v1/users/{user_id}"


@routes.route(
    MEMBER_PATH,
    "GET",
    operation_id="getMember",
    summary="One member of the workspace: roles and status (admin)",
    roles=frozenset({ADMIN}),
    response=MEMBER,
    response_headers=("ETag",),
)
def get_member(request):
    member = directory.get_member(request.workspace_id, request.path_params["user_id"])
    return Reply(member, etag=etag_for(member["version"]))


@routes.route(
    MEMBER_PATH,
    "PATCH",
    operation_id="changeMember",
    if_match=True,
    response_headers=("ETag",),
    summary="Change a member's roles and/or status (active | deactivated) (admin); audited, effective from "
    "the member's next request; not one's own membership, not an identity-provider member's roles",
    roles=frozenset({ADMIN}),
    body=CHANGE_MEMBER_BODY,
    response=MEMBER,
)
def change_member(request):
    member = directory.change_member(
        request.workspace_id,
        request.path_params["user_id"],
        roles=request.body.get("roles"),
        status=request.body.get("status"),
        expected_version=request.expected_version(),
        changed_by=request.principal.user_id,
    )
    return Reply(member, etag=etag_for(member["version"]))


def _history_scope(workspace_id: str, user_id: str) -> str:
    return f"directory.member-history:{workspace_id}:{user_id}"


@routes.route(
    f"{MEMBER_PATH}/history",
    "GET",
    operation_id="listMemberHistory",
    summary="A member's audit trail in this workspace, oldest first: who changed roles or status, when, "
    "from what, to what, on whose authority (admin)",
    roles=frozenset({ADMIN}),
    query=PAGE_QUERY,
    response=MEMBER_HISTORY,
)
def member_history(request):
    user_id = request.path_params["user_id"]
    scope = _history_scope(request.workspace_id, user_id)
    items, next_key = directory.member_history(
        request.workspace_id, user_id, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "at", "asc", {})
