"""PynamoDB plumbing: models find their table name, region and endpoint in settings when first
used (never at import; the endpoint is DynamoDB's own: ``AWS_ENDPOINT_URL_DYNAMODB`` first), and
every model and transaction talks through the one DynamoDB client of ``chalicelib.aws`` (PynamoDB
would otherwise build a botocore session per model class)."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.settings import get_settings


class DeskflowModel(Model):
    """Base for every model. Subclasses set ``Meta.short_table`` to a name from ``infra.tables``."""

    class Meta:
        abstract = True
        table_name = None

    @classmethod
    def _get_connection(cls):
        settings = get_settings()
        table_name = settings.table_name(cls.Meta.short_table)
        host = settings.endpoint_for("dynamodb")
        if cls.Meta.table_name != table_name or cls.Meta.host != host:
            cls.Meta.table_name = table_name
            cls.Meta.host = host
            cls.Meta.region = settings.region
            cls._connection = None
        table_connection = super()._get_connection()
        _share_client(table_connection.connection)
        return table_connection


def _share_client(pynamodb_connection: Connection) -> Connection:
    shared = aws.dynamodb()
    if pynamodb_connection._client is not shared:
        pynamodb_connection._client = shared
    return pynamodb_connection


def connection() -> Connection:
    settings = get_settings()
    return _share_client(Connection(region=settings.region, host=settings.endpoint_for("dynamodb")))


def transaction() -> TransactWrite:
    """A TransactWrite on the configured endpoint. Use as a context manager; wrap its exit in
    ``committed`` to turn a cancelled transaction into a domain error."""
    return TransactWrite(connection=connection())


def cancellation_codes(error: TransactWriteError) -> list[str]:
    return [reason.code if reason else "None" for reason in (error.cancellation_reasons or [])]
