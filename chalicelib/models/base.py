"""PynamoDB plumbing: models find their table name, region and endpoint in settings when first
used (never at import), and transactions go through one connection factory."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
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
        if cls.Meta.table_name != table_name or cls.Meta.host != settings.endpoint_url:
            cls.Meta.table_name = table_name
            cls.Meta.host = settings.endpoint_url
            cls.Meta.region = settings.region
            cls._connection = None
        return super()._get_connection()


def connection() -> Connection:
    settings = get_settings()
    return Connection(region=settings.region, host=settings.endpoint_url)


def transaction() -> TransactWrite:
    """A TransactWrite on the configured endpoint. Use as a context manager; wrap its exit in
    ``committed`` to turn a cancelled transaction into a domain error."""
    return TransactWrite(connection=connection())


def cancellation_codes(error: TransactWriteError) -> list[str]:
    return [reason.code if reason else "None" for reason in (error.cancellation_reasons or [])]


def raise_conflict(error: TransactWriteError, message: str) -> None:
    """Translate a cancelled transaction: a failed condition is a Conflict; anything else re-raises."""
    if "ConditionalCheckFailed" in cancellation_codes(error) or "TransactionConflict" in cancellation_codes(error):
        raise Conflict(message) from error
    raise error
