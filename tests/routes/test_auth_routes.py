"""Auth routes: password login and its session cookie, logout, /auth/me, and how every route
refuses a missing, malformed or untrustworthy token (local HS256 and OIDC modes)."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from chalicelib.auth import oidc
from chalicelib.domain import directory
from chalicelib.settings import get_settings
from tests.conftest import make_token
from tests.oidc_provider import FakeIdentityProvider, oidc_settings
from tests.routes.http_helpers import call

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"
USERS = "/api/v1/users"
PASSWORD = "correct-horse-battery"


pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def cookie_attributes(set_cookie: str) -> tuple[str, str, dict]:
    first, *rest = [part.strip() for part in set_cookie.split(";")]
    name, _, value = first.partition("=")
    attributes = {}
    for part in rest:
        key, _, attribute_value = part.partition("=")
        attributes[key.lower()] = attribute_value
    return name, value, attributes


def local_claims(**overrides) -> dict:
    settings = get_settings()
    now = int(time.time())
    claims = {
        "sub": "usr_someone",
        "email": "someone@example.test",
        "roles": ["admin"],
        "workspaces": ["ws-claims"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


def signed(claims: dict, secret: str | None = None) -> str:
    return jwt.encode(claims, secret or get_settings().jwt_secret, algorithm="HS256")


@pytest.fixture
def member(client, workspace_id):
    """An agent of the test workspace who signs in with a password."""
    directory.create_workspace(workspace_id, "Acme", f"admin-{uuid.uuid4().hex[:6]}@example.test", PASSWORD)
    email = f"Agent.{uuid.uuid4().hex[:6]}@Example.test"
    user = directory.create_user(workspace_id, email, PASSWORD, ["agent"], "Agnes Agent")
    return {**user, "password": PASSWORD}


def login(client, email: str, password: str = PASSWORD):
    return call(client, "POST", LOGIN, body={"email": email, "password": password})


# --- login --------------------------------------------------------------------------------------


def test_login_returns_a_token_and_the_user(client, member):
    response = login(client, member["email"])

    assert response.status_code == 200
    assert response.json["user"] == {
        "id": member["id"],
        "email": member["email"],
        "display_name": "Agnes Agent",
        "roles": ["agent"],
        "workspace_id": member["workspace_id"],
    }
    claims = jwt.decode(response.json["token"], get_settings().jwt_secret, algorithms=["HS256"], audience="deskflow")
    assert (claims["sub"], claims["workspaces"]) == (member["id"], [member["workspace_id"]])


def test_login_sets_an_http_only_lax_session_cookie_that_lives_as_long_as_the_token(client, member):
    response = login(client, member["email"])

    name, value, attributes = cookie_attributes(response.headers["Set-Cookie"])
    assert (name, value) == ("deskflow_session", response.json["token"])
    assert "httponly" in attributes
    assert attributes["path"] == "/"
    assert attributes["samesite"] == "Lax"
    assert attributes["max-age"] == str(get_settings().token_ttl_seconds)
    assert "secure" not in attributes  # the test stage serves plain HTTP


def test_session_cookie_is_secure_outside_local_and_test_stages(client, member, env):
    env.set(DESKFLOW_STAGE="prod")

    response = login(client, member["email"])

    assert "secure" in cookie_attributes(response.headers["Set-Cookie"])[2]


def test_email_is_matched_without_regard_to_case(client, member):
    assert login(client, member["email"].swapcase()).status_code == 200


def test_username_is_accepted_as_an_alias_of_email(client, member):
    response = call(client, "POST", LOGIN, body={"username": member["email"], "password": PASSWORD})

    assert response.status_code == 200
    assert response.json["user"]["id"] == member["id"]


def test_wrong_password_and_unknown_email_get_the_same_401(client, member):
    wrong_password = login(client, member["email"], "not-the-password")
    unknown_email = login(client, "nobody@example.test")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json == unknown_email.json
    assert wrong_password.json["code"] == "invalid_credentials"
    assert "Set-Cookie" not in wrong_password.headers


@pytest.mark.parametrize(
    "body",
    [
        {"password": PASSWORD},
        {"email": "a@example.test"},
        {"email": "a@example.test", "username": "b@example.test", "password": PASSWORD},
        {"email": "a@example.test", "password": PASSWORD, "remember_me": True},
        {"email": 42, "password": PASSWORD},
    ],
    ids=["no-email", "no-password", "email-and-different-username", "unknown-field", "email-not-a-string"],
)
def test_malformed_login_bodies_are_400(client, body):
    response = call(client, "POST", LOGIN, body=body)

    assert response.status_code == 400
    assert response.json["code"] == "validation_error"


def test_login_is_404_with_a_clear_code_when_the_deployment_uses_oidc(client, env):
    provider = FakeIdentityProvider()
    try:
        env.set(**oidc_settings(provider))

        response = call(client, "POST", LOGIN, body={"email": "a@example.test", "password": PASSWORD})
    finally:
        provider.close()

    assert response.status_code == 404
    assert response.json["code"] == "local_login_disabled"


# --- the session cookie and logout --------------------------------------------------------------


def test_session_cookie_is_accepted_instead_of_the_bearer_header(client, member):
    token = login(client, member["email"]).json["token"]

    response = call(client, "GET", ME, headers={"Cookie": f"theme=dark; deskflow_session={token}"})

    assert response.status_code == 200
    assert response.json["id"] == member["id"]


def test_session_cookie_is_found_beside_cookies_that_strict_parsers_reject(client, member):
    token = login(client, member["email"]).json["token"]
    cookie_header = f'prefs={{"theme": "dark"}}; tracking=a b; deskflow_session={token}'

    response = call(client, "GET", ME, headers={"Cookie": cookie_header})

    assert response.status_code == 200


def test_an_emptied_session_cookie_is_no_session(client):
    response = call(client, "GET", ME, headers={"Cookie": "deskflow_session="})

    assert response.status_code == 401
    assert response.json["code"] == "unauthenticated"


def test_logout_expires_the_session_cookie(client):
    response = call(client, "POST", LOGOUT)

    name, value, attributes = cookie_attributes(response.headers["Set-Cookie"])
    assert response.status_code == 200
    assert response.json == {"ok": True}
    assert (name, value) == ("deskflow_session", "")
    assert attributes["max-age"] == "0"
    assert "httponly" in attributes
    assert attributes["path"] == "/"


def test_logout_needs_no_valid_session(client):
    response = call(client, "POST", LOGOUT, headers={"Cookie": "deskflow_session=expired-or-garbage"})

    assert response.status_code == 200


# --- refusing tokens ----------------------------------------------------------------------------


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "unauthenticated"),
        ("Token abc", "token_malformed"),
        ("Bearer", "token_malformed"),
        ("Basic dXNlcjpwYXNz", "token_malformed"),
        ("Bearer not-a-jwt", "token_invalid"),
    ],
    ids=["missing", "wrong-scheme", "bearer-without-token", "basic-auth", "not-a-jwt"],
)
def test_missing_or_malformed_authorization_is_401(client, authorization, code):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = call(client, "GET", ME, headers=headers)

    assert response.status_code == 401
    assert response.json["code"] == code


@pytest.mark.parametrize(
    "make",
    [
        lambda: signed(local_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
        lambda: _unsigned(local_claims()),
        lambda: signed(local_claims(), secret="some-other-secret-that-is-32-bytes-long!"),
        lambda: signed(local_claims(iss="someone-else")),
        lambda: signed(local_claims(aud="another-service")),
    ],
    ids=["expired", "alg-none", "wrong-signature", "wrong-issuer", "wrong-audience"],
)
def test_untrustworthy_tokens_are_401(client, make):
    response = call(client, "GET", USERS, headers={"Authorization": f"Bearer {make()}", "x-workspace-id": "ws-claims"})

    assert response.status_code == 401
    assert response.json["code"] in {"token_invalid", "token_expired"}


def test_a_local_token_expires_by_the_deskflow_clock(client, as_role, clock):
    agent = as_role("agent")
    assert call(client, "GET", "/api/v1/tickets", agent).status_code == 200

    clock.advance(seconds=get_settings().token_ttl_seconds + 1)
    response = call(client, "GET", "/api/v1/tickets", agent)

    assert (response.status_code, response.json["code"]) == (401, "token_expired")


def test_a_token_whose_role_is_not_allowed_is_403(client, as_role):
    response = call(client, "GET", USERS, headers=as_role("requester"))

    assert response.status_code == 403
    assert response.json["code"] == "role_forbidden"


def test_tenant_route_without_x_workspace_id_is_400(client, as_role):
    headers = as_role("admin")
    del headers["x-workspace-id"]

    response = call(client, "GET", USERS, headers=headers)

    assert response.status_code == 400
    assert response.json["code"] == "workspace_required"


def test_tenant_route_for_a_workspace_the_token_does_not_grant_is_403(client, as_role):
    headers = as_role("admin")
    headers["x-workspace-id"] = "someone-elses-workspace"

    response = call(client, "GET", USERS, headers=headers)

    assert response.status_code == 403
    assert response.json["code"] == "workspace_forbidden"


# --- /auth/me -----------------------------------------------------------------------------------


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_me_returns_the_profile_with_an_etag_and_no_password_material(client, member):
    token = login(client, member["email"]).json["token"]

    response = call(client, "GET", ME, headers=bearer(token))

    assert response.status_code == 200
    assert response.headers["ETag"] == '"v1"'
    assert response.json["email"] == member["email"]
    assert response.json["roles"] == ["agent"]
    assert response.json["workspaces"] == [member["workspace_id"]]
    assert not any("password" in key for key in response.json)


def test_me_needs_no_workspace_header(client, member):
    token = login(client, member["email"]).json["token"]

    assert call(client, "GET", ME, headers=bearer(token)).status_code == 200


def test_a_token_for_a_user_the_directory_does_not_hold_is_401_on_every_route(client):
    token = make_token("usr_ghost", ["ws-ghost"], ["agent"])

    me = call(client, "GET", ME, headers=bearer(token))
    created = call(client, "POST", "/api/v1/tickets", {**bearer(token), "x-workspace-id": "ws-ghost"}, {"title": "x"})

    assert (me.status_code, me.json["code"]) == (401, "unknown_user")
    assert (created.status_code, created.json["code"]) == (401, "unknown_user")


def test_patching_me_changes_the_display_name(client, member):
    token = login(client, member["email"]).json["token"]

    response = call(client, "PATCH", ME, headers=bearer(token), body={"display_name": "Agnes A."})

    assert response.status_code == 200
    assert response.json["display_name"] == "Agnes A."
    assert response.json["updated_by"] == member["id"]
    assert response.headers["ETag"] == '"v2"'
    assert call(client, "GET", ME, headers=bearer(token)).json["display_name"] == "Agnes A."


def test_patching_me_changes_the_password_when_the_current_one_is_given(client, member):
    token = login(client, member["email"]).json["token"]
    body = {"current_password": PASSWORD, "new_password": "an-even-better-secret"}

    response = call(client, "PATCH", ME, headers=bearer(token), body=body)

    assert response.status_code == 200
    assert login(client, member["email"], "an-even-better-secret").status_code == 200
    assert login(client, member["email"], PASSWORD).status_code == 401


@pytest.mark.parametrize(
    "body",
    [{"new_password": "an-even-better-secret"}, {"current_password": "wrong-one", "new_password": "an-even-better"}],
    ids=["current-missing", "current-wrong"],
)
def test_patching_the_password_without_the_right_current_password_is_400(client, member, body):
    token = login(client, member["email"]).json["token"]

    response = call(client, "PATCH", ME, headers=bearer(token), body=body)

    assert response.status_code == 400
    assert response.json["code"] == "current_password_invalid"
    assert login(client, member["email"], PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"display_name": ""}, {"new_password": "short", "current_password": PASSWORD}, {"roles": ["admin"]}],
    ids=["empty-name", "short-password", "roles-not-editable"],
)
def test_patching_me_with_invalid_fields_is_400(client, member, body):
    token = login(client, member["email"]).json["token"]

    response = call(client, "PATCH", ME, headers=bearer(token), body=body)

    assert response.status_code == 400


def test_patching_me_with_a_stale_if_match_is_412(client, member):
    token = login(client, member["email"]).json["token"]
    call(client, "PATCH", ME, headers=bearer(token), body={"display_name": "First"})

    response = call(client, "PATCH", ME, headers={**bearer(token), "If-Match": '"v1"'}, body={"display_name": "Late"})

    assert response.status_code == 412
    assert call(client, "GET", ME, headers=bearer(token)).json["display_name"] == "First"


# --- OIDC mode through the routes ---------------------------------------------------------------


@pytest.fixture
def identity_provider(client, env):
    oidc.reset_oidc_caches()
    provider = FakeIdentityProvider()
    env.set(**oidc_settings(provider))
    yield provider
    provider.close()
    oidc.reset_oidc_caches()


def test_oidc_subject_is_provisioned_on_first_request_and_sees_its_profile(client, identity_provider):
    token = identity_provider.token(sub=f"subject-{uuid.uuid4().hex}", roles=["admin"], workspaces=["ws-oidc"])

    me = call(client, "GET", ME, headers=bearer(token))
    users = call(client, "GET", USERS, headers={**bearer(token), "x-workspace-id": "ws-oidc"})

    assert me.status_code == 200
    assert me.json["auth_source"] == "oidc"
    assert me.json["workspaces"] == ["ws-oidc"]
    assert [user["id"] for user in users.json["data"]] == [me.json["id"]]


def test_oidc_mode_fetches_the_key_set_once_for_two_requests(client, identity_provider):
    token = identity_provider.token(sub=f"subject-{uuid.uuid4().hex}", roles=["agent"], workspaces=["ws-oidc"])

    first = call(client, "GET", ME, headers=bearer(token))
    second = call(client, "GET", ME, headers=bearer(token))

    assert first.status_code == second.status_code == 200
    assert identity_provider.fetches == 1


def test_oidc_mode_refuses_locally_issued_hs256_tokens(client, identity_provider):
    response = call(client, "GET", ME, headers=bearer(signed(local_claims())))

    assert response.status_code == 401


def test_oidc_mode_refuses_a_token_for_another_audience(client, identity_provider):
    token = identity_provider.token(aud="some-other-api")

    assert call(client, "GET", ME, headers=bearer(token)).status_code == 401


def test_repeated_failed_logins_lock_the_account_for_a_while_known_or_not(client, monkeypatch):
    from chalicelib.domain import directory, login_throttle

    monkeypatch.setattr(login_throttle, "MAX_FAILURES", 3)
    email = f"lockme-{uuid.uuid4().hex[:6]}@example.com"
    directory.create_user("lock-ws", email, "right-password", ["agent"])
    for _ in range(3):
        assert call(client, "POST", LOGIN, body={"email": email, "password": "wrong"}).status_code == 401

    locked = call(client, "POST", LOGIN, body={"email": email, "password": "right-password"})
    unknown = [call(client, "POST", LOGIN, body={"email": "ghost@example.com", "password": "x"}) for _ in range(4)]

    assert (locked.status_code, locked.json["code"]) == (429, "login_locked")
    assert 0 < int(locked.headers["Retry-After"]) <= login_throttle.WINDOW_SECONDS
    assert [response.status_code for response in unknown] == [401, 401, 401, 429]


def test_a_successful_login_clears_earlier_failures(client, monkeypatch):
    from chalicelib.domain import directory, login_throttle

    monkeypatch.setattr(login_throttle, "MAX_FAILURES", 3)
    email = f"forgetful-{uuid.uuid4().hex[:6]}@example.com"
    directory.create_user("lock-ws", email, "right-password", ["agent"])
    for _ in range(2):
        call(client, "POST", LOGIN, body={"email": email, "password": "wrong"})
    call(client, "POST", LOGIN, body={"email": email, "password": "right-password"})

    after = [call(client, "POST", LOGIN, body={"email": email, "password": "wrong"}) for _ in range(2)]

    assert [response.status_code for response in after] == [401, 401]


# --- sessions that end ----------------------------------------------------------------------------


def tenant(token: str, workspace_id: str) -> dict:
    return {**bearer(token), "x-workspace-id": workspace_id}


def test_logout_with_a_bearer_token_refuses_that_token_from_then_on(client, member):
    token = login(client, member["email"]).json["token"]
    other_session = login(client, member["email"]).json["token"]

    call(client, "POST", LOGOUT, headers=bearer(token))
    after = call(client, "GET", ME, headers=bearer(token))

    assert (after.status_code, after.json["code"]) == (401, "token_revoked")
    assert call(client, "GET", ME, headers=bearer(other_session)).status_code == 200


def test_logout_with_the_session_cookie_refuses_that_cookie_from_then_on(client, member):
    token = login(client, member["email"]).json["token"]
    cookie = {"Cookie": f"deskflow_session={token}"}

    call(client, "POST", LOGOUT, headers=cookie)

    assert call(client, "GET", ME, headers=cookie).status_code == 401
    assert call(client, "GET", ME, headers=bearer(token)).status_code == 401


def test_a_password_change_refuses_every_token_issued_before_it(client, member, clock):
    old_token = login(client, member["email"]).json["token"]
    clock.advance(seconds=1)
    body = {"current_password": PASSWORD, "new_password": "an-even-better-secret"}
    assert call(client, "PATCH", ME, headers=bearer(old_token), body=body).status_code == 200

    refused = call(client, "GET", ME, headers=bearer(old_token))
    new_token = login(client, member["email"], "an-even-better-secret").json["token"]

    assert (refused.status_code, refused.json["code"]) == (401, "token_revoked")
    assert call(client, "GET", ME, headers=bearer(new_token)).status_code == 200


def test_a_deactivated_member_is_refused_at_once_and_let_in_again_on_reactivation(client, member, as_role):
    token = login(client, member["email"]).json["token"]
    admin = as_role("admin", workspace=member["workspace_id"])
    member_path = f"{USERS}/{member['id']}"

    call(client, "PATCH", member_path, admin, {"status": "deactivated"})
    refused = call(client, "GET", "/api/v1/tickets", tenant(token, member["workspace_id"]))
    me = call(client, "GET", ME, headers=bearer(token))
    signing_in = login(client, member["email"])
    call(client, "PATCH", member_path, admin, {"status": "active"})
    back = call(client, "GET", "/api/v1/tickets", tenant(token, member["workspace_id"]))

    assert (refused.status_code, refused.json["code"]) == (401, "user_deactivated")
    assert me.status_code == 401
    assert (signing_in.status_code, signing_in.json["code"]) == (401, "user_deactivated")
    assert back.status_code == 200


def test_a_role_change_takes_effect_on_the_next_request_whatever_the_token_says(client, member, as_role):
    token = login(client, member["email"]).json["token"]
    admin = as_role("admin", workspace=member["workspace_id"])
    assert (
        call(client, "POST", "/api/v1/tickets", tenant(token, member["workspace_id"]), {"title": "x"}).status_code
        == 201
    )

    call(client, "PATCH", f"{USERS}/{member['id']}", admin, {"roles": ["viewer"]})
    response = call(client, "POST", "/api/v1/tickets", tenant(token, member["workspace_id"]), {"title": "y"})

    assert (response.status_code, response.json["code"]) == (403, "role_forbidden")
    assert call(client, "GET", ME, headers=bearer(token)).json["roles"] == ["viewer"]


def test_a_token_claiming_admin_gets_only_the_roles_of_its_membership(client, as_role, workspace_id):
    viewer_id = "usr_just_a_viewer"
    as_role("viewer", user_id=viewer_id)
    boasting = make_token(viewer_id, [workspace_id], ["admin"])

    response = call(client, "GET", USERS, tenant(boasting, workspace_id))

    assert (response.status_code, response.json["code"]) == (403, "role_forbidden")


def test_a_local_token_cannot_reach_a_workspace_its_user_is_not_a_member_of(client, as_role, workspace_id):
    as_role("admin", user_id="usr_home_admin")
    forged_claim = make_token("usr_home_admin", [workspace_id, "ws-not-mine"], ["admin"])

    response = call(client, "GET", USERS, tenant(forged_claim, "ws-not-mine"))

    assert (response.status_code, response.json["code"]) == (403, "workspace_forbidden")


# --- passwords ------------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["12345678", "password", "qwertyuiop"])
def test_a_guessable_new_password_is_400_with_zxcvbn_feedback(client, member, weak):
    token = login(client, member["email"]).json["token"]

    response = call(
        client, "PATCH", ME, headers=bearer(token), body={"current_password": PASSWORD, "new_password": weak}
    )

    assert response.status_code == 400
    assert response.json["code"] == "password_too_weak"
    assert "too easy to guess" in response.json["details"]["new_password"]
    assert login(client, member["email"], PASSWORD).status_code == 200


def test_the_email_is_not_accepted_as_a_password(client, as_role):
    body = {"email": "Mallory.Long.Name@example.test", "password": "mallory.long.name@EXAMPLE.test", "roles": ["agent"]}

    response = call(client, "POST", USERS, as_role("admin"), body)

    assert response.status_code == 400
    assert "password" in response.json["details"]


def test_guessing_the_current_password_on_me_is_throttled_like_login(client, member, monkeypatch):
    from chalicelib.domain import login_throttle

    monkeypatch.setattr(login_throttle, "MAX_FAILURES", 3)
    token = login(client, member["email"]).json["token"]
    guess = {"current_password": "not-it-at-all", "new_password": "an-even-better-secret"}
    answers = [call(client, "PATCH", ME, headers=bearer(token), body=guess).status_code for _ in range(4)]

    right = call(client, "PATCH", ME, headers=bearer(token), body={**guess, "current_password": PASSWORD})
    at_login = login(client, member["email"])

    assert answers == [400, 400, 400, 429]
    assert (right.status_code, right.json["code"]) == (429, "login_locked")
    assert at_login.status_code == 429  # the guesses count against the account wherever they were made


def test_the_lockout_is_per_client_address(client, member, monkeypatch):
    from chalice.local import LambdaEventConverter

    from chalicelib.domain import login_throttle

    monkeypatch.setattr(login_throttle, "MAX_FAILURES", 3)
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.66")
    for _ in range(3):
        login(client, member["email"], "wrong-guess")
    locked = login(client, member["email"])

    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.7")
    owner = login(client, member["email"])

    assert locked.status_code == 429
    assert owner.status_code == 200


# --- an OIDC user promoted at their identity provider -----------------------------------------------


def test_an_agent_promoted_at_the_identity_provider_can_be_assigned_on_their_next_request(client, identity_provider):
    workspace = f"ws-{uuid.uuid4().hex[:8]}"
    admin = identity_provider.token(sub=f"admin-{uuid.uuid4().hex}", roles=["admin"], workspaces=[workspace])
    subject = f"dana-{uuid.uuid4().hex}"
    as_requester = identity_provider.token(sub=subject, roles=["requester"], workspaces=[workspace])
    dana_id = call(client, "GET", ME, headers=bearer(as_requester)).json["id"]
    ticket = call(client, "POST", "/api/v1/tickets", tenant(admin, workspace), {"title": "Printer"}).json
    assign = f"/api/v1/tickets/{ticket['id']}/assignment"
    assert call(client, "POST", assign, tenant(admin, workspace), {"assignee_id": dana_id}).status_code == 400

    as_agent = identity_provider.token(sub=subject, roles=["agent"], workspaces=[workspace])
    assert call(client, "GET", ME, headers=bearer(as_agent)).json["roles"] == ["agent"]
    assigned = call(client, "POST", assign, tenant(admin, workspace), {"assignee_id": dana_id})
    history = call(client, "GET", f"{USERS}/{dana_id}/history", tenant(admin, workspace)).json["data"]

    assert assigned.status_code == 200
    assert assigned.json["assignee_id"] == dana_id
    assert [(row["action"], row["from"], row["to"], row["source"]) for row in history] == [
        ("provisioned", None, ["requester", "active"], "identity_provider"),
        ("roles_changed", ["requester"], ["agent"], "identity_provider"),
    ]
