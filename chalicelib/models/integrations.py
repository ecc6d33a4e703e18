"""Per-workspace integration settings, kept on the ``directory`` table.

    pk = INTEGRATION#<workspace>   sk = github | agents

An item of its own partition: no other route reads or lists it, and no route ever answers with its
``secret`` (the HMAC key incoming webhooks are verified with). It carries no index keys, so it never
appears in the directory's ``by-workspace`` index either.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models.base import DeskflowModel

TABLE = "directory"
GITHUB = "github"
AGENTS = "agents"


def integration_pk(workspace_id: str) -> str:
    return f"INTEGRATION#{workspace_id}"


class IntegrationConfig(DeskflowModel):
    class Meta:
        short_table = TABLE
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # the integration: github | agents
    workspace_id = UnicodeAttribute()
    enabled = BooleanAttribute(default=True)
    secret = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    version = VersionAttribute()


def get_config(workspace_id: str, kind: str) -> IntegrationConfig | None:
    """The workspace's settings for integration ``kind`` (strongly consistent: a secret rotation
    counts from the next delivery)."""
    try:
        return IntegrationConfig.get(integration_pk(workspace_id), kind, consistent_read=True)
    except IntegrationConfig.DoesNotExist:
        return None
