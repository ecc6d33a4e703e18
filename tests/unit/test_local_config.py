"""The local runtime's own settings and the defaults ``make run`` fills in."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.settings import load_settings
from infra.local.config import REPO_ROOT, LocalConfigError, load_local_config, signing_secret
from infra.local.run import apply_local_defaults


def test_defaults_serve_on_8000_keep_state_in_the_repo_and_seed():
    config = load_local_config({})

    assert config.api_port == 8000
    assert config.emulator_port is None
    assert config.external_endpoint_url is None
    assert config.state_file == REPO_ROOT / ".deskflow" / "state.json"
    assert config.dynamodb_dir == REPO_ROOT / ".deskflow" / "dynamodb"
    assert config.dynamodb_port is None and config.external_dynamodb_endpoint_url is None
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
            "DESKFLOW_DYNAMODB_PORT": "8123",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:8000",
        }
    )

    assert (config.api_port, config.emulator_port) == (9001, 5055)
    assert config.external_endpoint_url == "http://localhost:4566"
    assert config.state_file == Path("/tmp/deskflow-state/state.json")
    assert config.seed is False
    assert config.demo_password == "another-password"
    assert config.snapshot_seconds == 5
    assert config.dynamodb_port == 8123
    assert config.external_dynamodb_endpoint_url == "http://localhost:8000"


@pytest.mark.parametrize(
    "environ, named",
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DESKFLOW_EMULATOR_PORT": "0"}, "DESKFLOW_EMULATOR_PORT"),
        ({"DESKFLOW_DYNAMODB_PORT": "x"}, "DESKFLOW_DYNAMODB_PORT"),
        ({"DESKFLOW_SNAPSHOT_SECONDS": "soon"}, "DESKFLOW_SNAPSHOT_SECONDS"),
        ({"DESKFLOW_SNAPSHOT_SECONDS": "-1"}, "DESKFLOW_SNAPSHOT_SECONDS"),
    ],
)
def test_malformed_settings_are_refused_by_name(environ, named):
    with pytest.raises(LocalConfigError, match=named):
        load_local_config(environ)


def test_first_start_makes_a_random_secret_readable_by_its_owner_only(tmp_path):
    environ = {}

    apply_local_defaults(tmp_path / "jwt-secret", environ)

    secret_file = tmp_path / "jwt-secret"
    assert environ["AUTH_MODE"] == "local"
    assert environ["JWT_SECRET"] == secret_file.read_text().strip()
    assert len(environ["JWT_SECRET"].encode()) >= 48
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert environ["POWERTOOLS_SERVICE_NAME"] == "deskflow"


def test_later_starts_reuse_the_state_folders_secret_and_other_folders_get_their_own(tmp_path):
    first = signing_secret(tmp_path / "a" / "jwt-secret")

    assert signing_secret(tmp_path / "a" / "jwt-secret") == first
    assert signing_secret(tmp_path / "b" / "jwt-secret") != first


def test_a_secret_file_too_short_to_sign_with_is_refused_by_name(tmp_path):
    secret_file = tmp_path / "jwt-secret"
    secret_file.write_text("short\n")

    with pytest.raises(LocalConfigError, match="jwt-secret"):
        signing_secret(secret_file)


def test_local_defaults_never_override_what_is_set(tmp_path):
    environ = {
        "AUTH_MODE": "local",
        "JWT_SECRET": "mine-and-long-enough-to-be-accepted",
        "POWERTOOLS_SERVICE_NAME": "x",
    }

    apply_local_defaults(tmp_path / "jwt-secret", environ)

    assert environ["JWT_SECRET"] == "mine-and-long-enough-to-be-accepted"
    assert environ["POWERTOOLS_SERVICE_NAME"] == "x"
    assert not (tmp_path / "jwt-secret").exists()


def test_oidc_mode_gets_no_local_jwt_secret(tmp_path):
    environ = {"AUTH_MODE": "oidc"}

    apply_local_defaults(tmp_path / "jwt-secret", environ)

    assert "JWT_SECRET" not in environ


def test_a_service_endpoint_wins_over_the_general_one_for_that_service_only():
    settings = load_settings(
        {
            "JWT_SECRET": "x" * 32,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8123",
            "AWS_ENDPOINT_URL_SFN": "http://127.0.0.1:8083",
        }
    )

    assert settings.endpoint_for("dynamodb") == "http://127.0.0.1:8123"
    assert settings.endpoint_for("stepfunctions") == "http://127.0.0.1:8083"
    assert settings.endpoint_for("sqs") == settings.endpoint_for("events") == "http://127.0.0.1:5000"


def test_without_any_endpoint_clients_go_to_aws():
    settings = load_settings({"JWT_SECRET": "x" * 32})

    assert settings.endpoint_for("dynamodb") is None
