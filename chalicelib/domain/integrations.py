"""Per-workspace integration settings (GitHub, agent callbacks) and what incoming webhooks share:
the system actor their changes are made by and the delivery records that make them idempotent.

A secret is stored in its own item (``chalicelib.models.integrations``) and never answered; changing
it leaves an audit row that says it changed, never what it is.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError

from chalicelib.auth.principal import Principal
from chalicelib.auth.roles import AGENT
from chalicelib.clock import now_iso, utcnow
from chalicelib.domain.audit import audit_record
from chalicelib.errors import Conflict, ValidationError
from chalicelib.models.base import cancellation_codes, transaction
from chalicelib.models.integrations import AGENTS, GITHUB, IntegrationConfig, get_config, integration_pk
from chalicelib.models.webhooks import IncomingDelivery, incoming_delivery_sk, workspace_pk

DELIVERY_RETENTION_DAYS = 30  # how long a redelivered webhook is still recognised as one
REDACTED = "[redacted]"


def system_actor(source: str, workspace_id: str) -> Principal:
    """The principal an integration acts as: staff of this one workspace, never a member of the
    directory (``system:github`` opens and resolves tickets the way an agent would)."""
    return Principal(
        user_id=f"system:{source}",
        email=f"{source}@integrations.deskflow.invalid",
        roles=frozenset({AGENT}),
        workspaces=(workspace_id,),
        display_name=source,
    )


def configure_github(workspace_id: str, actor: Principal, enabled: bool, secret: str | None, correlation_id) -> bool:
    """Switch the workspace's GitHub webhook on or off and (re)set its secret; returns ``enabled``.
    ValidationError when the first configuration gives no secret."""
    return _save(workspace_id, GITHUB, actor, enabled, secret, correlation_id).enabled


def configure_agents(workspace_id: str, actor: Principal, callback_secret: str, correlation_id) -> None:
    """Set the secret agent workflow callbacks are signed with."""
    _save(workspace_id, AGENTS, actor, True, callback_secret, correlation_id)


def active_secret(workspace_id: str | None, kind: str) -> str | None:
    """The secret of the workspace's ``kind`` integration when it is configured and enabled, else None."""
    if not workspace_id:
        return None
    config = get_config(workspace_id, kind)
    return config.secret if config is not None and config.enabled else None


def _save(workspace_id: str, kind: str, actor: Principal, enabled: bool, secret: str | None, correlation_id):
    existing = get_config(workspace_id, kind)
    if existing is None and not secret:
        raise ValidationError("a secret is required the first time", details={"secret": "is required"})
    config = existing or IntegrationConfig(pk=integration_pk(workspace_id), sk=kind, workspace_id=workspace_id)
    changes = {}
    if existing is None or bool(existing.enabled) != enabled:
        changes["enabled"] = {"from": None if existing is None else bool(existing.enabled), "to": enabled}
    if secret and (existing is None or not hmac.compare_digest(existing.secret.encode(), secret.encode())):
        changes["secret"] = {"from": None if existing is None else REDACTED, "to": REDACTED}
    if not changes:
        return config
    at = now_iso()
    config.enabled = enabled
    config.secret = secret or config.secret
    config.updated_at = at
    config.updated_by = actor.user_id
    audit = audit_record(
        workspace_id, actor.user_id, "integration.updated", "integration", kind, changes, correlation_id, at
    )
    try:
        with transaction() as write:
            write.save(config)
            write.save(audit)
    except TransactWriteError as error:
        codes = cancellation_codes(error)
        if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
            raise Conflict("the integration was changed meanwhile; retry", code="concurrent_update") from error
        raise
    return config


# --- incoming deliveries ---------------------------------------------------------------------------


def delivery_record(workspace_id: str, source: str, delivery_id: str, event: str, outcome: str) -> IncomingDelivery:
    """The record of one verified delivery, not yet saved."""
    return IncomingDelivery(
        pk=workspace_pk(workspace_id),
        sk=incoming_delivery_sk(source, delivery_id),
        source=source,
        delivery_id=delivery_id,
        event=event,
        outcome=outcome,
        received_at=now_iso(),
        expires_at=utcnow() + timedelta(days=DELIVERY_RETENTION_DAYS),
    )


def once(record: IncomingDelivery) -> tuple[IncomingDelivery, object]:
    """``record`` as an ``extra_puts`` entry: written only if no delivery with its id was recorded."""
    return record, IncomingDelivery.pk.does_not_exist()


def seen(workspace_id: str, source: str, delivery_id: str) -> bool:
    try:
        IncomingDelivery.get(
            workspace_pk(workspace_id), incoming_delivery_sk(source, delivery_id), consistent_read=True
        )
    except IncomingDelivery.DoesNotExist:
        return False
    return True


def record_once(delivery: IncomingDelivery, *others: tuple) -> bool:
    """Write the delivery record (and ``others``, ``(item, condition)`` pairs) in one transaction;
    False when the delivery had already been recorded (a redelivery: nothing is written)."""
    try:
        with transaction() as write:
            for item, condition in (once(delivery), *others):
                write.save(item, condition=condition)
    except TransactWriteError as error:
        if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
            return False
        raise
    return True
