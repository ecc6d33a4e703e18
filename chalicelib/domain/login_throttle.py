"""Password guessing is throttled per account AND per client address, so nobody can keep an
account's owner out from afar.

- **One address guessing one account is locked**: after ``MAX_FAILURES`` failures from that
  address within ``WINDOW_SECONDS``, its attempts at that account are refused (429
  ``login_locked`` with ``Retry-After``) until the window ends.
- **The account is slowed, never shut**: failures from all addresses together count per account.
  Beyond ``ACCOUNT_FREE_FAILURES`` (within ``ACCOUNT_WINDOW_SECONDS`` of the last one), an attempt
  from an address the account has not signed in from must wait an exponentially growing delay
  after the last failure (``BASE_DELAY_SECONDS`` doubling, at most ``MAX_DELAY_SECONDS``: 429
  ``login_slowed``). A botnet spread over many addresses gets about one guess a minute; an
  address the owner signed in from in the last ``KNOWN_ADDRESS_DAYS`` days is not slowed at all,
  so the owner at their usual desk still gets in, whatever strangers are doing.

Counts are per email as typed, known or not, so the throttle says nothing about which accounts
exist. A success clears its address's count and remembers the address as known. Every record
expires by TTL. Password checks elsewhere (the current password on ``PATCH /auth/me``) use the
same throttle under the account's email, so guesses there and at login add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.clock import epoch_seconds
from chalicelib.errors import TooManyRequests
from chalicelib.models.base import DeskflowModel

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
ACCOUNT_FREE_FAILURES = 10
ACCOUNT_WINDOW_SECONDS = 60 * 60
BASE_DELAY_SECONDS = 1
MAX_DELAY_SECONDS = 60
KNOWN_ADDRESS_DAYS = 30
UNKNOWN_ADDRESS = "unknown"
_ACCOUNT_SK = "ACCOUNT"


class LoginThrottleRecord(DeskflowModel):
    """pk = LOGIN#<account>; sk = FROM#<address> (failures from one address), ACCOUNT (failures
    from anywhere) or KNOWN#<address> (the account signed in from there)."""

    class Meta:
        short_table = "directory"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    failures = NumberAttribute(default=0)
    last_failure = NumberAttribute(null=True)
    window_ends = NumberAttribute(null=True)
    expires_at = TTLAttribute()


@dataclass(frozen=True)
class Standing:
    """What the throttle read before an attempt: the address's failures and whether it is known."""

    address_failures: int
    known_address: bool


def _pk(account: str) -> str:
    return f"LOGIN#{(account or '').strip().lower()[:320]}"


def _address(address: str | None) -> str:
    return (address or UNKNOWN_ADDRESS)[:64]


def _keys(account: str, address: str | None) -> dict[str, tuple[str, str]]:
    pk, where = _pk(account), _address(address)
    return {"pair": (pk, f"FROM#{where}"), "account": (pk, _ACCOUNT_SK), "known": (pk, f"KNOWN#{where}")}


def _delay(account_failures: int) -> int:
    over = account_failures - ACCOUNT_FREE_FAILURES
    return 0 if over <= 0 else min(BASE_DELAY_SECONDS * 2 ** (over - 1), MAX_DELAY_SECONDS)


def check_allowed(account: str, address: str | None) -> Standing:
    """May ``address`` try a password for ``account`` now? TooManyRequests (with ``Retry-After``)
    when that address is locked out of it or the account is being slowed for unknown addresses."""
    keys = _keys(account, address)
    found = {(r.pk, r.sk): r for r in LoginThrottleRecord.batch_get(list(keys.values()), consistent_read=True)}
    now = epoch_seconds()
    pair, tally, known = (found.get(keys[name]) for name in ("pair", "account", "known"))
    address_failures = int(pair.failures) if pair and pair.window_ends and pair.window_ends > now else 0
    if address_failures >= MAX_FAILURES:
        raise TooManyRequests(
            "too many failed attempts for this account from your address; try again later",
            code="login_locked",
            headers={"Retry-After": str(int(pair.window_ends) - now)},
        )
    is_known = known is not None and (known.expires_at is None or known.expires_at.timestamp() > now)
    if tally and not is_known and tally.window_ends and tally.window_ends > now:
        wait_until = int(tally.last_failure or 0) + _delay(int(tally.failures))
        if wait_until > now:
            raise TooManyRequests(
                "this account is receiving many failed attempts; try again shortly",
                code="login_slowed",
                headers={"Retry-After": str(wait_until - now)},
            )
    return Standing(address_failures=address_failures, known_address=is_known)


def _count(pk: str, sk: str, now: int, window: int, sliding: bool) -> None:
    """One more failure in the record's current window (moved on by it when ``sliding``), or the
    first failure of a new window."""
    window_ends = now + window
    actions = [LoginThrottleRecord.failures.add(1), LoginThrottleRecord.last_failure.set(now)]
    if sliding:
        actions += [
            LoginThrottleRecord.window_ends.set(window_ends),
            LoginThrottleRecord.expires_at.set(datetime.fromtimestamp(window_ends, UTC)),
        ]
    try:
        LoginThrottleRecord(pk=pk, sk=sk).update(actions=actions, condition=LoginThrottleRecord.window_ends > now)
    except UpdateError:
        LoginThrottleRecord(
            pk=pk,
            sk=sk,
            failures=1,
            last_failure=now,
            window_ends=window_ends,
            expires_at=datetime.fromtimestamp(window_ends, UTC),
        ).save()


def record_failure(account: str, address: str | None) -> None:
    """Count a wrong password for ``account`` from ``address`` (and for the account as a whole,
    whose window slides with each failure)."""
    keys, now = _keys(account, address), epoch_seconds()
    _count(*keys["pair"], now, WINDOW_SECONDS, sliding=False)
    _count(*keys["account"], now, ACCOUNT_WINDOW_SECONDS, sliding=True)


def record_success(account: str, address: str | None, standing: Standing) -> None:
    """The right password from ``address``: forget its failures and remember it as known."""
    keys, now = _keys(account, address), epoch_seconds()
    if standing.address_failures:
        LoginThrottleRecord(pk=keys["pair"][0], sk=keys["pair"][1]).delete()
    if not standing.known_address:
        expires = now + KNOWN_ADDRESS_DAYS * 86400
        pk, sk = keys["known"]
        LoginThrottleRecord(pk=pk, sk=sk, expires_at=datetime.fromtimestamp(expires, UTC)).save()
