"""The local runtime's own settings (ports, state folder, seeding), read from the environment in one place.

The application's settings stay in ``chalicelib.settings``; these only exist on a laptop.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from infra.seed import DEFAULT_PASSWORD as DEFAULT_DEMO_PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_API_PORT = 8000
DEFAULT_EMULATOR_PORT = 5000
DEFAULT_SNAPSHOT_SECONDS = 60.0
SIGNING_SECRET_BYTES = 48


class LocalConfigError(RuntimeError):
    """A local runtime setting is malformed; the message names it."""


@dataclass(frozen=True)
class LocalConfig:
    api_port: int
    emulator_port: int | None  # None: 5000 if free, else any free port
    external_endpoint_url: str | None  # AWS_ENDPOINT_URL given by the user: start no emulator
    dynamodb_port: int | None  # DynamoDB Local's port; None: any free port
    external_dynamodb_endpoint_url: str | None  # AWS_ENDPOINT_URL_DYNAMODB given by the user: no DynamoDB Local
    state_dir: Path
    seed: bool
    demo_password: str
    snapshot_seconds: float

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def dynamodb_dir(self) -> Path:
        return self.state_dir / "dynamodb"

    @property
    def files_dir(self) -> Path:
        """Confirmed uploads, one fsynced file each (S3 lives in moto's memory)."""
        return self.state_dir / "files"

    @property
    def jwt_secret_file(self) -> Path:
        return self.state_dir / "jwt-secret"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / ".lock"


def _port(environ, name: str, default: int | None) -> int | None:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise LocalConfigError(f"{name} must be a TCP port number (1-65535), got {text!r}")
    return int(text)


def _seconds(environ, name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise LocalConfigError(f"{name} must be a number of seconds, got {text!r}") from None
    if value <= 0:
        raise LocalConfigError(f"{name} must be positive, got {text!r}")
    return value


def load_local_config(environ=None) -> LocalConfig:
    env = os.environ if environ is None else environ
    state_dir = env.get("DESKFLOW_STATE_DIR", "").strip()
    return LocalConfig(
        api_port=_port(env, "PORT", DEFAULT_API_PORT),
        emulator_port=_port(env, "DESKFLOW_EMULATOR_PORT", None),
        external_endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip() or None,
        dynamodb_port=_port(env, "DESKFLOW_DYNAMODB_PORT", None),
        external_dynamodb_endpoint_url=env.get("AWS_ENDPOINT_URL_DYNAMODB", "").strip() or None,
        state_dir=Path(state_dir) if state_dir else REPO_ROOT / ".deskflow",
        seed=env.get("DESKFLOW_SEED", "1").strip().lower() not in {"0", "false", "no", "off"},
        demo_password=env.get("DESKFLOW_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD,
        snapshot_seconds=_seconds(env, "DESKFLOW_SNAPSHOT_SECONDS", DEFAULT_SNAPSHOT_SECONDS),
    )


def signing_secret(path: Path) -> str:
    """The state folder's own JWT signing secret: made at random on first use (readable by its owner
    only), read back afterwards, so tokens survive a restart and no secret lives in the repository."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another start made it first
        return _read_secret(path)
    with os.fdopen(handle, "w") as file:
        file.write(secrets.token_urlsafe(SIGNING_SECRET_BYTES) + "\n")
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    secret = path.read_text().strip()
    if len(secret.encode()) < 32:
        raise LocalConfigError(f"{path} holds a secret shorter than 32 bytes: delete it to get a new one")
    return secret
