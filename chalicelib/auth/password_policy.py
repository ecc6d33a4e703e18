"""What a new password must be: 8-256 characters, not the account's email, and hard to guess by
zxcvbn's estimate (score ``MIN_SCORE`` of 4 or better).

zxcvbn loads its frequency lists on import (about 0.15 s), so it is imported on the first password
set, never on a cold start that only checks tokens. It rates at most the first ``RATED_LENGTH``
characters (its own limit): a password whose first 72 characters are strong is strong.
"""

from __future__ import annotations

from chalicelib.errors import ValidationError

PASSWORD_MIN = 8
PASSWORD_MAX = 256
MIN_SCORE = 3
RATED_LENGTH = 72


def check_new_password(password: object, field: str, *, email: str | None = None, hints=()) -> str:
    """``password`` when it may be set; ValidationError naming ``field`` otherwise, with zxcvbn's
    warning and suggestions in the detail. ``email`` and ``hints`` (display name, ...) count as
    things an attacker knows about the account."""
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationError(
            "password is invalid", details={field: f"must be {PASSWORD_MIN}-{PASSWORD_MAX} characters"}
        )
    if email and password.strip().lower() == email.strip().lower():
        raise ValidationError(
            "password must not be the email address", details={field: "must not be the account's email address"}
        )
    from zxcvbn import zxcvbn

    known = [value for value in (email, *(email or "").split("@"), *hints) if value]
    rating = zxcvbn(password[:RATED_LENGTH], user_inputs=known, max_length=RATED_LENGTH)
    if rating["score"] < MIN_SCORE:
        feedback = " ".join(
            part for part in [rating["feedback"]["warning"], *rating["feedback"]["suggestions"]] if part
        )
        detail = f"is too easy to guess (strength {rating['score']} of 4, needs {MIN_SCORE})"
        raise ValidationError(
            "password is too easy to guess",
            details={field: f"{detail}: {feedback}" if feedback else detail},
            code="password_too_weak",
        )
    return password
