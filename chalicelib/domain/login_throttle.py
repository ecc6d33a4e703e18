"""Password guessing is slowed per account: after ``MAX_FAILURES`` failed logins within
``WINDOW_SECONDS`` the account's logins are refused (429, ``Retry-After``) until the window ends.

It counts per email as typed, known or not, so it says nothing about which accounts exist.
A success clears the count. Records expire by TTL. Spraying one password across many accounts
is for the edge (API Gateway throttling or a WAF rate rule per source address).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.clock import epoch_seconds
from chalicelib.errors import TooManyRequests
from chalicelib.models.base import DeskflowModel

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


class LoginFailures(DeskflowModel):
    """pk = LOGIN#<email as typed, lowercased>, sk = FAILURES."""

    class Meta:
        short_table = "directory"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="FAILURES")
    failures = NumberAttribute(default=0)
    window_ends = NumberAttribute()
    expires_at = TTLAttribute()


def _key(email: str) -> str:
    return f"LOGIN#{email.strip().lower()[:320]}"


def check_allowed(email: str) -> int:
    """How many failures the current window holds; TooManyRequests while the account is locked out."""
    try:
        record = LoginFailures.get(_key(email), "FAILURES", consistent_read=True)
    except DoesNotExist:
        return 0
    retry_after = int(record.window_ends) - epoch_seconds()
    if retry_after <= 0:
        return 0
    if record.failures >= MAX_FAILURES:
        raise TooManyRequests(
            "too many failed logins for this account; try again later",
            code="login_locked",
            headers={"Retry-After": str(retry_after)},
        )
    return int(record.failures)


def record_failure(email: str) -> None:
    now = epoch_seconds()
    window_ends = now + WINDOW_SECONDS
    record = LoginFailures(pk=_key(email), sk="FAILURES")
    try:  # count within the current window...
        record.update(
            actions=[LoginFailures.failures.add(1)],
            condition=LoginFailures.window_ends > now,
        )
    except UpdateError:  # ...or start a new one
        LoginFailures(
            pk=_key(email),
            sk="FAILURES",
            failures=1,
            window_ends=window_ends,
            expires_at=datetime.fromtimestamp(window_ends, UTC),
        ).save()


def clear(email: str) -> None:
    LoginFailures(pk=_key(email), sk="FAILURES").delete()
