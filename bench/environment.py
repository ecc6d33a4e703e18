"""The environment every benchmark runs in: the same shape as the unit tests' (dummy credentials,
one region, a JWT secret of at least 32 bytes), with its own table prefix."""

from __future__ import annotations

import os

BENCH_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AUTH_MODE": "local",
    "JWT_SECRET": "bench-secret-that-is-at-least-32-bytes-long",
    "DESKFLOW_TABLE_PREFIX": "deskflow-bench",
    "DESKFLOW_STAGE": "bench",
    "ALLOWED_ORIGINS": "https://helpdesk.example.com",
    "POWERTOOLS_SERVICE_NAME": "deskflow",
    "POWERTOOLS_METRICS_NAMESPACE": "Deskflow",
    "LOG_LEVEL": "ERROR",
}
_MUST_BE_UNSET = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "REQUIRE_IDEMPOTENCY_KEY", "OIDC_JWKS_URL")


def bench_environ() -> dict[str, str]:
    """The current environment with the benchmark settings applied (for subprocesses)."""
    environ = {name: value for name, value in os.environ.items() if name not in _MUST_BE_UNSET}
    environ.update(BENCH_ENV)
    return environ


def apply_bench_env() -> None:
    """Put the benchmark settings into this process's environment and forget cached settings/clients."""
    for name in _MUST_BE_UNSET:
        os.environ.pop(name, None)
    os.environ.update(BENCH_ENV)
    from chalicelib.aws import reset_clients
    from chalicelib.settings import reset_settings

    reset_settings()
    reset_clients()
