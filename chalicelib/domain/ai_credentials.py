"""The external AI provider's API key: written by admins, read by the provider call, never shown."""

from __future__ import annotations

from chalicelib.clock import now_iso
from chalicelib.domain.audit import audit_record
from chalicelib.models.ai import CredentialsItem, model_pk
from chalicelib.models.base import transaction


def set_api_key(workspace_id: str, actor_id: str, api_key: str | None, correlation_id: str | None) -> dict:
    at = now_iso()
    audit = audit_record(
        workspace_id, actor_id, "ai_credentials.updated", "ai_credentials", workspace_id, None, correlation_id, at
    )
    with transaction() as write:
        if api_key is None:
            write.delete(CredentialsItem(pk=model_pk(workspace_id)))
        else:
            write.save(CredentialsItem(pk=model_pk(workspace_id), api_key=api_key, updated_at=at, updated_by=actor_id))
        write.save(audit)
    return {"api_key_set": api_key is not None}
