"""Time in one format (RFC 3339, UTC, fixed-width microseconds so strings sort as times do) and
one clock that all of Deskflow reads.

Domain code asks ``utcnow()`` / ``now_iso()`` / ``epoch_seconds()``; tests replace the clock with a
``ManualClock`` (``use_clock``) and move it instead of sleeping.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; starts at the real time unless given a start."""

    def __init__(self, start: datetime | None = None):
        self._now = (start or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta`` keyword parts (``seconds=90``)."""
        self._now += (delta or timedelta()) + timedelta(**parts)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


_clock: Clock = SystemClock()


def current_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Make ``clock`` the one everyone reads; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextmanager
def use_clock(clock: Clock):
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def utcnow() -> datetime:
    return _clock.now()


def epoch_seconds() -> int:
    return int(utcnow().timestamp())


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
