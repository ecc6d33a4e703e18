"""The local runtime's own settings (ports, state folder, seeding), read from the environment in one place.

The application's settings stay in ``chalicelib.settings``; these only exist on a laptop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from infra.seed import DEFAULT_PASSWORD as DEFAULT_DEMO_PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_API_PORT = 8000
DEFAULT_EMULATOR_PORT = 5000
DEFAULT_SNAPSHOT_SECONDS = 60.0


class LocalConfigError(RuntimeError):
    """A local runtime setting is malformed; the message names it."""


@dataclass(frozen=True)
class LocalConfig:
    api_port: int
    emulator_port: int | None  # None: 5000 if free, else any free port
    external_endpoint_url: str | None  # AWS_ENDPOINT_URL given by the user: start no emulator
    state_dir: Path
    seed: bool
    demo_password: str
    snapshot_seconds: float

    @property
    def state_file(self) -> Path:
        return self.state_dir / "state.json"


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
        state_dir=Path(state_dir) if state_dir else REPO_ROOT / ".deskflow",
        seed=env.get("DESKFLOW_SEED", "1").strip().lower() not in {"0", "false", "no", "off"},
        demo_password=env.get("DESKFLOW_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD,
        snapshot_seconds=_seconds(env, "DESKFLOW_SNAPSHOT_SECONDS", DEFAULT_SNAPSHOT_SECONDS),
    )
