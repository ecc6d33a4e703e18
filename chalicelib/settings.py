"""Every setting Deskflow reads, in one place.

Nothing else reads ``os.environ``. ``get_settings()`` is cached; tests that change the
environment call ``get_settings.cache_clear()`` (the ``reset_settings`` helper does that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed; raised at start, naming the setting."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _log_format(value: str | None) -> str:
    text = (value or "json").strip().lower()
    if text not in {"json", "console"}:
        raise ConfigurationError("LOG_FORMAT must be 'json' or 'console'")
    return text


# Stages that run on a laptop or in tests: switches meant for local work default on there only.
LOCAL_STAGES = frozenset({"local", "test"})


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


# boto3 names a service's endpoint variable after its service id, which differs from the client name for some.
_ENDPOINT_SUFFIXES = {"stepfunctions": "sfn", "events": "eventbridge", "bedrock-runtime": "bedrock_runtime"}
_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"


def _service_endpoints(env) -> tuple[tuple[str, str], ...]:
    return tuple(
        sorted(
            (name[len(_ENDPOINT_PREFIX) :].upper(), value.strip())
            for name, value in env.items()
            if name.startswith(_ENDPOINT_PREFIX) and value.strip()
        )
    )


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    region: str = "us-east-1"
    endpoint_url: str | None = None  # AWS_ENDPOINT_URL: every service, unless overridden below
    service_endpoint_urls: tuple[tuple[str, str], ...] = ()  # (env suffix, url) from AWS_ENDPOINT_URL_<SERVICE>
    table_prefix: str = "deskflow-local"
    auth_mode: str = "local"
    jwt_secret: str | None = None
    jwt_issuer: str = "deskflow"
    jwt_audience: str = "deskflow"
    token_ttl_seconds: int = 12 * 3600
    oidc_jwks_url: str | None = None
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_roles_claim: str = "roles"
    oidc_workspaces_claim: str = "workspaces"
    allowed_origins: tuple[str, ...] = ()
    github_webhook_enabled: bool = False
    webhook_signing_secret: str | None = None
    webhook_allow_private_targets: bool = False  # outgoing webhooks may call loopback/private addresses
    require_idempotency_key: bool = False
    alert_ticket_min_severity: str = "high"  # an ingested alert.triggered this severe opens an incident
    idempotency_ttl_seconds: int = 24 * 3600
    cursor_secret: str | None = None
    max_body_bytes: int = 1024 * 1024
    bucket_name: str | None = None
    # make run only: a folder where confirmed uploads are also written, because moto keeps S3 in memory
    local_files_dir: str | None = None
    log_level: str = "INFO"
    log_format: str = "json"  # json | console (readable lines for make run)

    def endpoint_for(self, service: str) -> str | None:
        """Where the client of ``service`` (a boto3 name: ``dynamodb``, ``stepfunctions``…) should send its
        calls: ``AWS_ENDPOINT_URL_<SERVICE>`` wins over ``AWS_ENDPOINT_URL``; None means AWS itself."""
        suffix = _ENDPOINT_SUFFIXES.get(service, service).upper()
        return dict(self.service_endpoint_urls).get(suffix, self.endpoint_url)

    def table_name(self, short_name: str) -> str:
        return f"{self.table_prefix}-{short_name}"

    def queue_name(self, short_name: str) -> str:
        return f"{self.table_prefix}-{short_name}"

    @property
    def files_bucket(self) -> str:
        return self.bucket_name or f"{self.table_prefix}-files"

    @property
    def cursor_signing_key(self) -> bytes:
        return (self.cursor_secret or self.jwt_secret or "").encode()


ALERT_SEVERITIES = ("info", "low", "warning", "high", "critical")  # least to most severe


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping; raise ConfigurationError naming what is missing."""
    env = os.environ if environ is None else environ
    stage = env.get("DESKFLOW_STAGE", "local")
    auth_mode = env.get("AUTH_MODE", "local").strip().lower()
    if auth_mode not in {"local", "oidc"}:
        raise ConfigurationError("AUTH_MODE must be 'local' or 'oidc'")
    settings = Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        service_endpoint_urls=_service_endpoints(env),
        table_prefix=env.get("DESKFLOW_TABLE_PREFIX", "deskflow-local"),
        auth_mode=auth_mode,
        jwt_secret=env.get("JWT_SECRET") or None,
        oidc_jwks_url=env.get("OIDC_JWKS_URL") or None,
        oidc_issuer=env.get("OIDC_ISSUER") or None,
        oidc_audience=env.get("OIDC_AUDIENCE") or None,
        oidc_roles_claim=env.get("OIDC_ROLES_CLAIM", "roles"),
        oidc_workspaces_claim=env.get("OIDC_WORKSPACES_CLAIM", "workspaces"),
        allowed_origins=_csv(env.get("ALLOWED_ORIGINS")),
        github_webhook_enabled=_flag(env.get("GITHUB_WEBHOOK_ENABLED"), stage in LOCAL_STAGES),
        webhook_signing_secret=env.get("WEBHOOK_SIGNING_SECRET") or None,
        webhook_allow_private_targets=_flag(env.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"), stage in LOCAL_STAGES),
        require_idempotency_key=_flag(env.get("REQUIRE_IDEMPOTENCY_KEY"), False),
        alert_ticket_min_severity=env.get("ALERT_TICKET_MIN_SEVERITY", "high").strip().lower(),
        cursor_secret=env.get("CURSOR_SECRET") or None,
        bucket_name=env.get("DESKFLOW_BUCKET") or None,
        local_files_dir=env.get("DESKFLOW_LOCAL_FILES_DIR") or None,
        log_level=env.get("LOG_LEVEL", "INFO"),
        log_format=_log_format(env.get("LOG_FORMAT")),
    )
    _check_required(settings)
    return settings


def _check_required(settings: Settings) -> None:
    if settings.auth_mode == "local" and not settings.jwt_secret:
        raise ConfigurationError("JWT_SECRET is required when AUTH_MODE=local")
    if settings.jwt_secret and len(settings.jwt_secret.encode()) < 32:
        raise ConfigurationError("JWT_SECRET must be at least 32 bytes")
    if settings.auth_mode == "oidc":
        for name, value in (
            ("OIDC_JWKS_URL", settings.oidc_jwks_url),
            ("OIDC_ISSUER", settings.oidc_issuer),
            ("OIDC_AUDIENCE", settings.oidc_audience),
        ):
            if not value:
                raise ConfigurationError(f"{name} is required when AUTH_MODE=oidc")
        if not settings.cursor_secret:
            raise ConfigurationError("CURSOR_SECRET is required when AUTH_MODE=oidc")
    if settings.alert_ticket_min_severity not in ALERT_SEVERITIES:
        raise ConfigurationError(f"ALERT_TICKET_MIN_SEVERITY must be one of {', '.join(ALERT_SEVERITIES)}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests that change the environment call this)."""
    get_settings.cache_clear()
