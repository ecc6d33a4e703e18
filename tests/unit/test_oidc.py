"""OIDC bearer tokens: RS256/ES256 verified against a JWKS served over loopback HTTP, claim
mapping, key-set caching and first-sight provisioning."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest

from chalicelib.auth import oidc
from chalicelib.errors import Unauthorized
from chalicelib.settings import load_settings
from tests.oidc_provider import FakeIdentityProvider, oidc_settings, private_key, unsigned_token


@pytest.fixture
def provider():
    oidc.reset_oidc_caches()
    identity_provider = FakeIdentityProvider()
    yield identity_provider
    identity_provider.close()
    oidc.reset_oidc_caches()


@pytest.fixture
def settings(provider):
    """OIDC settings for ``verify_oidc_token``: checking a token needs neither storage nor the environment."""
    return load_settings(oidc_settings(provider))


@pytest.fixture
def oidc_mode(aws, env, provider):
    """AUTH_MODE=oidc for ``principal_from_oidc_token``, over an in-process DynamoDB (the directory
    decides every request; provisioning is tested on its own below)."""
    env.set(**oidc_settings(provider))
    return provider


@pytest.fixture
def provisioning(aws, env, provider):
    """AUTH_MODE=oidc over an in-process DynamoDB, so first-sight provisioning really writes."""
    env.set(**oidc_settings(provider))
    return provider


def _refused(token: str, settings) -> Unauthorized:
    with pytest.raises(Unauthorized) as refused:
        oidc.verify_oidc_token(token, settings)
    return refused.value


# --- accepted tokens ----------------------------------------------------------------------------


def test_rs256_token_from_the_provider_yields_its_principal(oidc_mode):
    principal = oidc.principal_from_oidc_token(oidc_mode.token())

    assert principal.email == "Dana@Example.test"
    assert principal.display_name == "Dana Scully"
    assert principal.roles == frozenset({"agent"})
    assert principal.workspaces == ("ws-alpha",)
    assert principal.claims["sub"] == "subject-1"


def test_es256_token_from_the_provider_is_accepted(oidc_mode):
    principal = oidc.principal_from_oidc_token(oidc_mode.token("ES256", sub="subject-ec"))

    assert principal.claims["sub"] == "subject-ec"


def test_user_id_is_stable_per_issuer_and_subject_and_differs_between_subjects(oidc_mode):
    first = oidc.principal_from_oidc_token(oidc_mode.token(sub="subject-1"))
    again = oidc.principal_from_oidc_token(oidc_mode.token("ES256", sub="subject-1"))
    other = oidc.principal_from_oidc_token(oidc_mode.token(sub="subject-2"))

    assert first.user_id == again.user_id
    assert first.user_id != other.user_id
    assert first.user_id.startswith("usr_")


def test_roles_and_workspaces_are_read_from_the_configured_claim_names(env, oidc_mode):
    env.set(
        **oidc_settings(
            oidc_mode, OIDC_ROLES_CLAIM="realm_access.roles", OIDC_WORKSPACES_CLAIM="https://deskflow.example/tenants"
        )
    )
    token = oidc_mode.token(
        roles=["admin"],
        workspaces=["ignored"],
        realm_access={"roles": ["msp_admin", "offline_access"]},
        **{"https://deskflow.example/tenants": "ws-one ws-two"},
    )

    principal = oidc.principal_from_oidc_token(token)

    assert principal.roles == frozenset({"admin"})  # msp_admin maps to admin; unknown roles dropped
    assert principal.workspaces == ("ws-one", "ws-two")


# --- refused tokens -----------------------------------------------------------------------------


def test_alg_none_token_is_refused(provider, settings):
    refused = _refused(unsigned_token(provider.claims()), settings)

    assert refused.status == 401


def test_hs256_token_is_refused_whatever_it_is_signed_with(provider, settings):
    secret = "a-shared-secret-of-at-least-32-bytes!!"
    token = jwt.encode(provider.claims(), secret, algorithm="HS256", headers={"kid": "rsa-1"})

    assert _refused(token, settings).status == 401
    assert provider.fetches == 0  # refused on its header, before any key lookup


def test_token_signed_by_a_foreign_key_under_a_known_kid_is_refused(provider, settings):
    forged = provider.token(kid="rsa-1", signing_kid="attacker-rsa")

    assert _refused(forged, settings).code == "token_invalid"


def test_rs256_header_pointing_at_the_ec_key_is_refused(provider, settings):
    token = jwt.encode(provider.claims(), private_key("ec-1", "ES256"), algorithm="ES256", headers={"kid": "ec-1"})
    _header, payload, signature = token.split(".")
    confused_header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": "ec-1"}).encode()).rstrip(b"=")

    assert _refused(f"{confused_header.decode()}.{payload}.{signature}", settings).status == 401


def test_expired_token_is_refused_as_expired(provider, settings):
    long_ago = int(time.time()) - 3600

    refused = _refused(provider.token(iat=long_ago - 300, exp=long_ago), settings)

    assert refused.code == "token_expired"


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example.test/"},
        {"aud": "another-api"},
        {"aud": None},
        {"iss": None},
        {"exp": None},
        {"sub": None},
    ],
    ids=["wrong-issuer", "wrong-audience", "no-audience", "no-issuer", "no-expiry", "no-subject"],
)
def test_token_with_wrong_or_missing_registered_claims_is_refused(provider, settings, claims):
    assert _refused(provider.token(**claims), settings).status == 401


def test_token_naming_an_unknown_kid_is_refused(provider, settings):
    token = provider.token(kid="never-published", signing_kid="never-published")

    assert _refused(token, settings).status == 401


def test_token_without_a_kid_is_refused(provider, settings):
    token = jwt.encode(provider.claims(), private_key("rsa-1", "RS256"), algorithm="RS256")

    assert _refused(token, settings).status == 401


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x", "e30.e30.e30"])
def test_garbage_is_refused_not_crashed_on(settings, garbage):
    assert _refused(garbage, settings).status == 401


def test_malformed_workspaces_claim_is_refused(oidc_mode):
    with pytest.raises(Unauthorized):
        oidc.principal_from_oidc_token(oidc_mode.token(workspaces={"not": "a list"}))


def test_unreachable_key_set_is_a_service_outage_not_a_bad_token(provider, settings):
    provider.close()

    with pytest.raises(oidc.IdentityProviderUnavailable) as outage:
        oidc.verify_oidc_token(provider.token(), settings)

    assert outage.value.status == 503


# --- key-set caching ----------------------------------------------------------------------------


def test_key_set_is_fetched_once_for_many_tokens(provider, settings):
    oidc.verify_oidc_token(provider.token(), settings)
    oidc.verify_oidc_token(provider.token("ES256", sub="subject-2"), settings)

    assert provider.fetches == 1


def test_made_up_kids_do_not_trigger_a_fetch_each_within_the_cooldown(provider, settings):
    oidc.verify_oidc_token(provider.token(), settings)

    for attempt in range(3):
        _refused(provider.token(kid=f"made-up-{attempt}", signing_kid=f"made-up-{attempt}"), settings)

    assert provider.fetches == 1


def test_a_rotated_in_key_is_found_by_one_refresh(provider, settings, monkeypatch):
    monkeypatch.setattr(oidc, "JWKS_REFRESH_COOLDOWN_SECONDS", 0)
    oidc.verify_oidc_token(provider.token(), settings)
    provider.publish("rsa-2", "RS256")

    claims = oidc.verify_oidc_token(provider.token(kid="rsa-2", sub="subject-rotated"), settings)

    assert claims["sub"] == "subject-rotated"
    assert provider.fetches == 2


# --- provisioning -------------------------------------------------------------------------------


def test_first_sight_provisions_the_subject_into_every_workspace_it_presents(provisioning):
    from chalicelib.domain import directory

    principal = oidc.principal_from_oidc_token(provisioning.token(workspaces=["ws-alpha", "ws-beta"]))

    profile = directory.get_user(principal.user_id)
    alpha, _ = directory.list_users("ws-alpha", 10)
    beta, _ = directory.list_users("ws-beta", 10)
    assert profile["auth_source"] == "oidc"
    assert profile["external_id"] == "subject-1"
    assert profile["email"] == "Dana@Example.test"
    assert profile["workspace_id"] == "ws-alpha"
    assert [user["id"] for user in alpha] == [principal.user_id]
    assert [user["id"] for user in beta] == [principal.user_id]


def _count_writes(monkeypatch) -> list:
    """Every directory write made from now on: (kind, first record's sort key)."""
    from chalicelib.models import directory as store

    writes = []
    for name in ("put_if_absent", "commit_new_items", "change_membership"):
        real = getattr(store, name)

        def recording(first, *rest, _real=real, _name=name):
            record = first[0][0] if isinstance(first, list) else first
            writes.append((_name, record.sk))
            return _real(first, *rest)

        monkeypatch.setattr(store, name, recording)
    return writes


def test_provisioning_writes_on_first_sight_only_and_later_requests_only_read(provisioning, monkeypatch):
    writes = _count_writes(monkeypatch)

    oidc.principal_from_oidc_token(provisioning.token())
    first = len(writes)
    oidc.principal_from_oidc_token(provisioning.token())
    oidc.principal_from_oidc_token(provisioning.token())

    assert first == 2  # the profile, and one membership (with its audit row)
    assert len(writes) == first


def test_a_newly_granted_workspace_adds_only_its_membership(provisioning, monkeypatch):
    oidc.principal_from_oidc_token(provisioning.token(workspaces=["ws-alpha"]))
    writes = _count_writes(monkeypatch)

    oidc.principal_from_oidc_token(provisioning.token(workspaces=["ws-alpha", "ws-gamma"]))

    assert [sort_key for _kind, sort_key in writes] == ["MEMBER#ws-gamma"]


def test_an_existing_profile_is_not_overwritten_by_provisioning(provisioning):
    from chalicelib.domain import directory

    principal = oidc.principal_from_oidc_token(provisioning.token())
    directory.update_profile(principal.user_id, display_name="Agent Scully")
    oidc.reset_oidc_caches()  # a cold start: the process has forgotten it provisioned this subject

    oidc.principal_from_oidc_token(provisioning.token(name="Someone Else"))

    assert directory.get_user(principal.user_id)["display_name"] == "Agent Scully"


def test_a_storage_failure_during_provisioning_does_not_refuse_a_valid_token(provisioning, monkeypatch):
    from pynamodb.exceptions import PutError

    from chalicelib.models import directory as store

    def failing_put(_record):
        raise PutError("DynamoDB is unavailable")

    monkeypatch.setattr(store, "put_if_absent", failing_put)

    principal = oidc.principal_from_oidc_token(provisioning.token(sub=f"subject-{uuid.uuid4().hex}"))

    assert principal.roles == frozenset({"agent"})
