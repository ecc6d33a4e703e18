"""The directory domain over an in-process DynamoDB: workspaces, users, login, profiles, lists."""

from __future__ import annotations

import uuid

import jwt
import pytest

from chalicelib.auth import passwords
from chalicelib.domain import directory, login_throttle
from chalicelib.errors import Conflict, NotFound, PreconditionFailed, TooManyRequests, Unauthorized, ValidationError
from chalicelib.models.directory import UserRecord, user_pk
from chalicelib.settings import get_settings

PASSWORD = "correct-horse-battery"


pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def _email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@example.test"


def _claims(token: str) -> dict:
    settings = get_settings()
    return jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], audience=settings.jwt_audience)


@pytest.fixture
def workspace(aws, workspace_id):
    return directory.create_workspace(workspace_id, "Acme Facilities", _email("admin"), PASSWORD, "Ada Admin")


# --- workspaces ---------------------------------------------------------------------------------


def test_creating_a_workspace_creates_its_first_admin_who_can_sign_in(aws, workspace_id):
    email = _email("admin")

    created = directory.create_workspace(workspace_id, "Acme", email, PASSWORD, "Ada")
    session = directory.login(email, PASSWORD)

    assert created["id"] == workspace_id
    assert created["admin"]["roles"] == ["admin"]
    assert created["admin"]["workspace_id"] == workspace_id
    assert session["user"]["id"] == created["admin"]["id"]
    assert _claims(session["token"])["workspaces"] == [workspace_id]


def test_workspace_and_admin_record_who_created_them_and_when(aws, workspace_id):
    created = directory.create_workspace(workspace_id, "Acme", _email(), PASSWORD, created_by="usr_platform")

    assert created["created_by"] == created["updated_by"] == "usr_platform"
    assert created["admin"]["created_by"] == "usr_platform"
    assert created["created_at"].endswith("Z")


def test_an_existing_workspace_id_is_a_conflict_and_writes_nothing(workspace):
    email = _email("second-admin")

    with pytest.raises(Conflict) as conflict:
        directory.create_workspace(workspace["id"], "Again", email, PASSWORD)

    assert conflict.value.code == "workspace_exists"
    assert directory.find_user_by_email(email) is None


def test_a_taken_admin_email_is_a_conflict_and_the_workspace_is_not_created(workspace):
    taken = workspace["admin"]["email"].upper()

    with pytest.raises(Conflict) as conflict:
        directory.create_workspace("another-workspace", "Other", taken, PASSWORD)

    assert conflict.value.code == "email_taken"
    with pytest.raises(NotFound):
        directory.get_workspace("another-workspace")


@pytest.mark.parametrize("bad_id", ["Acme", "-acme", "acme_1", "", "a" * 64, "acme/1", "acme#1"])
def test_malformed_workspace_ids_are_refused(aws, bad_id):
    with pytest.raises(ValidationError):
        directory.create_workspace(bad_id, "Acme", _email(), PASSWORD)


def test_workspaces_are_listed_in_id_order_one_page_at_a_time(aws):
    for workspace_id in ("ws-c", "ws-a", "ws-b"):
        directory.create_workspace(workspace_id, workspace_id.upper(), _email(), PASSWORD)

    first, position = directory.list_workspaces(2)
    rest, end = directory.list_workspaces(2, position)

    assert [w["id"] for w in first + rest] == ["ws-a", "ws-b", "ws-c"]
    assert end is None


# --- users --------------------------------------------------------------------------------------


def test_created_user_has_an_id_and_no_password_material(workspace):
    user = directory.create_user(workspace["id"], _email(), PASSWORD, ["agent", "viewer"], "Bo Agent")

    assert user["id"].startswith("usr_")
    assert user["roles"] == ["agent", "viewer"]
    assert user["display_name"] == "Bo Agent"
    assert not any("password" in key for key in user)


def test_password_is_stored_only_as_a_scrypt_hash(workspace):
    user = directory.create_user(workspace["id"], _email(), PASSWORD, ["agent"])

    stored = UserRecord.get(user_pk(user["id"]), "PROFILE")

    assert stored.password_hash.startswith("scrypt$")
    assert PASSWORD not in stored.password_hash


def test_an_email_of_another_workspace_joins_here_as_the_same_account_whatever_its_case(workspace, aws):
    email = _email()
    original = directory.create_user(workspace["id"], email, PASSWORD, ["agent"])

    joined = directory.create_user("some-other-workspace", email.upper(), "another-Secret-42x", ["viewer"])

    assert joined["id"] == original["id"]
    assert (joined["workspace_id"], joined["roles"]) == ("some-other-workspace", ["viewer"])
    assert directory.login(email, PASSWORD)["user"]["id"] == original["id"]  # its password is unchanged


def test_an_email_already_a_member_of_this_workspace_is_a_conflict(workspace):
    email = _email()
    directory.create_user(workspace["id"], email, PASSWORD, ["agent"])

    with pytest.raises(Conflict) as conflict:
        directory.create_user(workspace["id"], email.upper(), PASSWORD, ["viewer"])

    assert conflict.value.code == "email_taken"


@pytest.mark.parametrize("roles", [[], ["platform_admin"], ["agent", "superuser"]])
def test_users_get_only_workspace_roles(workspace, roles):
    with pytest.raises(ValidationError):
        directory.create_user(workspace["id"], _email(), PASSWORD, roles)


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_passwords_outside_the_length_bounds_are_refused(workspace, password):
    with pytest.raises(ValidationError):
        directory.create_user(workspace["id"], _email(), password, ["agent"])


def test_find_user_by_email_ignores_case_and_returns_none_for_strangers(workspace):
    email = _email("Mixed.Case")
    user = directory.create_user(workspace["id"], email, PASSWORD, ["requester"])

    assert directory.find_user_by_email(email.upper())["id"] == user["id"]
    assert directory.find_user_by_email(_email("stranger")) is None
    assert directory.find_user_by_email("not an email") is None


def test_platform_admin_has_no_workspace_and_a_token_granting_none(aws):
    email = _email("platform")

    admin = directory.create_platform_admin(email, PASSWORD, "Pat Platform")
    session = directory.login(email, PASSWORD)

    assert admin["roles"] == ["platform_admin"]
    assert admin["workspace_id"] is None
    assert _claims(session["token"])["workspaces"] == []
    assert _claims(session["token"])["roles"] == ["platform_admin"]


def test_users_are_listed_per_workspace_in_email_order(workspace, aws):
    for label in ("carol", "alice", "bob"):
        directory.create_user(workspace["id"], f"{label}@example.test", PASSWORD, ["agent"])
    directory.create_user("elsewhere", "zed@example.test", PASSWORD, ["agent"])

    first, position = directory.list_users(workspace["id"], 2)
    rest, end = directory.list_users(workspace["id"], 10, position)

    emails = [u["email"] for u in first + rest]
    admin_email = workspace["admin"]["email"]
    assert emails == sorted([admin_email, "alice@example.test", "bob@example.test", "carol@example.test"])
    assert end is None
    assert not any("password" in key for user in first + rest for key in user)


# --- login --------------------------------------------------------------------------------------


def test_login_token_carries_the_user_claims(workspace):
    email = _email()
    user = directory.create_user(workspace["id"], email, PASSWORD, ["agent"], "Bo")

    claims = _claims(directory.login(email.upper(), PASSWORD)["token"])

    assert claims["sub"] == user["id"]
    assert claims["email"] == email
    assert claims["name"] == "Bo"
    assert claims["roles"] == ["agent"]
    assert claims["workspaces"] == [workspace["id"]]


def test_wrong_password_and_unknown_email_fail_alike(workspace):
    with pytest.raises(Unauthorized) as wrong_password:
        directory.login(workspace["admin"]["email"], "not-the-password")
    with pytest.raises(Unauthorized) as unknown_email:
        directory.login(_email("nobody"), PASSWORD)

    assert (wrong_password.value.message, wrong_password.value.code) == (
        unknown_email.value.message,
        unknown_email.value.code,
    )


@pytest.mark.parametrize("email", ["nobody@example.test", "not-an-email"])
def test_login_for_an_unknown_email_still_spends_one_password_hash(aws, monkeypatch, email):
    passwords.burn_one_hash("warm the decoy hash")
    derivations = []
    real_scrypt = passwords.hashlib.scrypt
    monkeypatch.setattr(passwords.hashlib, "scrypt", lambda *a, **k: derivations.append(1) or real_scrypt(*a, **k))

    with pytest.raises(Unauthorized):
        directory.verify_credentials(email, PASSWORD)

    assert len(derivations) == 1


def test_login_is_unavailable_when_the_deployment_uses_oidc(workspace, env):
    env.set(
        AUTH_MODE="oidc",
        OIDC_JWKS_URL="https://idp.example.test/jwks",
        OIDC_ISSUER="https://idp.example.test/",
        OIDC_AUDIENCE="deskflow",
        CURSOR_SECRET="cursor-secret-for-tests-at-least-32-bytes",
    )

    with pytest.raises(NotFound) as unavailable:
        directory.login(workspace["admin"]["email"], PASSWORD)

    assert unavailable.value.code == "local_login_disabled"


# --- profile ------------------------------------------------------------------------------------


def test_display_name_change_reaches_the_workspace_user_list(workspace):
    admin_id = workspace["admin"]["id"]

    updated = directory.update_profile(admin_id, display_name="Ada Lovelace", updated_by=admin_id)
    listed, _ = directory.list_users(workspace["id"], 10)

    assert updated["display_name"] == "Ada Lovelace"
    assert updated["version"] == 2
    assert updated["updated_by"] == admin_id
    assert [u["display_name"] for u in listed if u["id"] == admin_id] == ["Ada Lovelace"]


def test_password_change_with_the_current_password_replaces_the_old_one(workspace):
    admin = workspace["admin"]

    directory.update_profile(admin["id"], current_password=PASSWORD, new_password="a-brand-new-secret")

    assert directory.login(admin["email"], "a-brand-new-secret")["user"]["id"] == admin["id"]
    with pytest.raises(Unauthorized):
        directory.login(admin["email"], PASSWORD)


@pytest.mark.parametrize("current", [None, "not-the-password"])
def test_password_change_without_the_right_current_password_is_refused(workspace, current):
    with pytest.raises(ValidationError) as refused:
        directory.update_profile(workspace["admin"]["id"], current_password=current, new_password="a-brand-new-secret")

    assert refused.value.code == "current_password_invalid"
    assert directory.login(workspace["admin"]["email"], PASSWORD)


def test_profile_update_against_a_stale_version_is_refused(workspace):
    admin_id = workspace["admin"]["id"]
    directory.update_profile(admin_id, display_name="First")

    with pytest.raises(PreconditionFailed):
        directory.update_profile(admin_id, display_name="Second", expected_version=1)

    assert directory.get_user(admin_id)["display_name"] == "First"


def test_profile_of_an_unknown_user_is_not_found(aws):
    with pytest.raises(NotFound):
        directory.get_user("usr_nobody")


# --- password policy ------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["12345678", "password", "iloveyou1", "aaaaaaaaaa"])
def test_guessable_passwords_are_refused_with_zxcvbn_feedback(workspace, weak):
    with pytest.raises(ValidationError) as refused:
        directory.create_user(workspace["id"], _email(), weak, ["agent"])

    assert refused.value.code == "password_too_weak"
    assert refused.value.details["password"].startswith("is too easy to guess (strength")


def test_a_password_equal_to_the_email_is_refused_whatever_its_case(workspace):
    email = _email("Long.Name.Person")

    with pytest.raises(ValidationError) as refused:
        directory.create_user(workspace["id"], email, email.upper(), ["agent"])

    assert "email" in refused.value.details["password"]


# --- the login throttle: per account and address; the account slowed, not shut ---------------------

LOCAL = "192.0.2.10"
FAR = "203.0.113.99"


@pytest.fixture
def owner(workspace):
    return directory.create_user(workspace["id"], _email("owner"), PASSWORD, ["admin"])


def _attempt(email: str, password: str, address: str) -> str:
    try:
        directory.login(email, password, address)
    except Unauthorized:
        return "wrong"
    except TooManyRequests as refused:
        return refused.code
    return "in"


def test_one_address_guessing_is_locked_while_the_owner_from_their_own_address_gets_in(owner, clock):
    directory.login(owner["email"], PASSWORD, LOCAL)  # the owner's usual address
    guesses = [_attempt(owner["email"], f"guess-{n}", FAR) for n in range(login_throttle.MAX_FAILURES + 1)]

    assert guesses[-1] == "login_locked"
    assert _attempt(owner["email"], PASSWORD, FAR) == "login_locked"
    assert _attempt(owner["email"], PASSWORD, LOCAL) == "in"


def test_a_locked_address_may_try_again_when_its_window_ends(owner, clock):
    for n in range(login_throttle.MAX_FAILURES):
        _attempt(owner["email"], f"guess-{n}", FAR)

    clock.advance(seconds=login_throttle.WINDOW_SECONDS + 1)

    assert _attempt(owner["email"], PASSWORD, FAR) == "in"


def test_guesses_from_many_addresses_slow_the_account_for_strangers_but_never_shut_it(owner, clock):
    directory.login(owner["email"], PASSWORD, LOCAL)
    for n in range(login_throttle.ACCOUNT_FREE_FAILURES + 3):  # a botnet: one guess per address
        _attempt(owner["email"], "guess", f"198.51.100.{n}")

    stranger_now = _attempt(owner["email"], PASSWORD, "198.51.100.250")
    owner_now = _attempt(owner["email"], PASSWORD, LOCAL)
    clock.advance(seconds=login_throttle.MAX_DELAY_SECONDS)
    stranger_later = _attempt(owner["email"], PASSWORD, "198.51.100.251")

    assert stranger_now == "login_slowed"
    assert owner_now == "in"
    assert stranger_later == "in"


def test_the_account_delay_doubles_with_each_failure_up_to_a_ceiling():
    free = login_throttle.ACCOUNT_FREE_FAILURES

    delays = [login_throttle._delay(free + n) for n in range(0, 10)]

    assert delays[:4] == [0, 1, 2, 4]
    assert max(delays) == login_throttle.MAX_DELAY_SECONDS


# --- members: audited changes ----------------------------------------------------------------------


def test_a_deactivated_member_cannot_be_assigned_work(workspace):
    agent = directory.create_user(workspace["id"], _email(), PASSWORD, ["agent"])
    admin_id = workspace["admin"]["id"]

    directory.change_member(workspace["id"], agent["id"], status="deactivated", changed_by=admin_id)

    assert directory.member_roles(workspace["id"], agent["id"]) == frozenset()


def test_a_home_workspace_role_change_reaches_the_login_answer(workspace):
    email = _email()
    agent = directory.create_user(workspace["id"], email, PASSWORD, ["agent"])

    directory.change_member(workspace["id"], agent["id"], roles=["admin"], changed_by=workspace["admin"]["id"])

    assert directory.login(email, PASSWORD)["user"]["roles"] == ["admin"]


def test_an_identity_provider_members_roles_are_not_an_admins_to_change(workspace):
    user_id = directory.external_user_id("https://idp.example.test/", "subject-9")
    directory.sync_identity_provider_member(None, user_id, workspace["id"], "ext@example.test", "Ext", ["agent"])

    with pytest.raises(Conflict) as refused:
        directory.change_member(workspace["id"], user_id, roles=["viewer"], changed_by=workspace["admin"]["id"])

    assert refused.value.code == "roles_managed_by_identity_provider"
