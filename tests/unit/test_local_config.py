"""The local runtime's own settings and the defaults ``make run`` fills in."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.config import REPO_ROOT, LocalConfigError, load_local_config
from infra.local.run import LOCAL_JWT_SECRET, apply_local_defaults


def test_defaults_serve_on_8000_keep_state_in_the_repo_and_seed():
    config = load_local_config({})

    assert config.api_port == 8000
    assert config.emulator_port is None
    assert config.external_endpoint_url is None
    assert config.state_file == REPO_ROOT / ".deskflow" / "state.json"
    assert config.seed is True
    assert config.demo_password == "deskflow-demo"
    assert config.snapshot_seconds == 60


def test_environment_overrides_every_local_setting():
    config = load_local_config(
        {
            "PORT": "9001",
            "DESKFLOW_EMULATOR_PORT": "5055",
            "AWS_ENDPOINT_URL": "http://localhost:4566",
            "DESKFLOW_STATE_DIR": "/tmp/deskflow-state",
            "DESKFLOW_SEED": "0",
            "DESKFLOW_DEMO_PASSWORD": "another-password",
            "DESKFLOW_SNAPSHOT_SECONDS": "5",
        }
    )

    assert (config.api_port, config.emulator_port) == (9001, 5055)
    assert config.external_endpoint_url == "http://localhost:4566"
    assert config.state_file == Path("/tmp/deskflow-state/state.json")
    assert config.seed is False
    assert config.demo_password == "another-password"
    assert config.snapshot_seconds == 5


@pytest.mark.parametrize(
    "environ, named",
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DESKFLOW_EMULATOR_PORT": "0"}, "DESKFLOW_EMULATOR_PORT"),
        ({"DESKFLOW_SNAPSHOT_SECONDS": "soon"}, "DESKFLOW_SNAPSHOT_SECONDS"),
        ({"DESKFLOW_SNAPSHOT_SECONDS": "-1"}, "DESKFLOW_SNAPSHOT_SECONDS"),
    ],
)
def test_malformed_settings_are_refused_by_name(environ, named):
    with pytest.raises(LocalConfigError, match=named):
        load_local_config(environ)


def test_local_defaults_fill_a_development_jwt_secret_with_a_warning():
    environ = {}

    warnings = apply_local_defaults(environ)

    assert environ["AUTH_MODE"] == "local"
    assert environ["JWT_SECRET"] == LOCAL_JWT_SECRET and len(LOCAL_JWT_SECRET.encode()) >= 32
    assert environ["POWERTOOLS_SERVICE_NAME"] == "deskflow"
    assert any("JWT_SECRET" in warning for warning in warnings)


def test_local_defaults_never_override_what_is_set():
    environ = {
        "AUTH_MODE": "local",
        "JWT_SECRET": "mine-and-long-enough-to-be-accepted",
        "POWERTOOLS_SERVICE_NAME": "x",
    }

    warnings = apply_local_defaults(environ)

    assert environ["JWT_SECRET"] == "mine-and-long-enough-to-be-accepted"
    assert environ["POWERTOOLS_SERVICE_NAME"] == "x"
    assert warnings == []


def test_oidc_mode_gets_no_local_jwt_secret():
    environ = {"AUTH_MODE": "oidc"}

    apply_local_defaults(environ)

    assert "JWT_SECRET" not in environ
