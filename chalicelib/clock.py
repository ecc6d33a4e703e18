"""Time in one format: RFC 3339, UTC, fixed-width microseconds so strings sort as times do."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return format_time(utcnow())


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp; raise ValueError when it is not one or has no offset."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("timestamp needs a UTC offset")
    return value.astimezone(UTC)
