"""What the requester, team, technician and building modules share: input rules for names and ids,
record stamps, version checks and change lists for audit rows.

Knows nothing of HTTP; raises the domain errors of ``chalicelib.errors``.
"""

from __future__ import annotations

import re
import uuid

from chalicelib.errors import PreconditionFailed, ValidationError

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
NAME_MAX = 100
TEXT_MAX = 1000
_ID = re.compile(ID_PATTERN)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def checked_id(value, field: str = "id") -> str:
    """A client-chosen id (``building-1``): 1-64 letters, digits, ``_ . -``, starting with a letter or digit."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationError(
            f"{field} is invalid",
            details={field: "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"},
        )
    return value


def is_id(value) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def text(value, field: str, maximum: int = NAME_MAX, required: bool = True) -> str:
    """``value`` trimmed; ValidationError naming ``field`` when blank (if required) or too long."""
    cleaned = value.strip() if isinstance(value, str) else ""
    if required and not cleaned:
        raise ValidationError(f"{field} is required", details={field: "must not be blank"})
    if len(cleaned) > maximum:
        raise ValidationError(f"{field} is too long", details={field: f"must be at most {maximum} characters"})
    return cleaned


def name_key(value: str) -> str:
    """How names compare: ignoring case and runs of spaces (``Night  Shift`` is ``night shift``)."""
    return " ".join(value.split()).casefold()


def distinct_names(values, field: str, maximum_items: int) -> list[str]:
    """A list of short names, trimmed, first spelling kept for names that compare equal."""
    if not isinstance(values, list) or len(values) > maximum_items:
        raise ValidationError(f"{field} is invalid", details={field: f"must be a list of at most {maximum_items}"})
    kept: dict[str, str] = {}
    for value in values:
        name = text(value, field)
        kept.setdefault(name_key(name), name)
    return list(kept.values())


def stamp(actor_id: str, at: str) -> dict:
    return {"created_at": at, "created_by": actor_id, "updated_at": at, "updated_by": actor_id}


def stamps_of(record) -> dict:
    return {
        "created_at": record.created_at,
        "created_by": record.created_by,
        "updated_at": record.updated_at,
        "updated_by": record.updated_by,
    }


def check_version(record, expected_version: int | None) -> None:
    """PreconditionFailed when the caller's If-Match names another version than the stored one."""
    if expected_version is not None and expected_version != int(record.version or 0):
        raise PreconditionFailed(
            "the record has changed since you read it",
            details={"If-Match": f'current version is "v{int(record.version or 0)}"'},
        )


def apply(record, values: dict) -> dict:
    """Set ``values`` on ``record``; return ``{field: {"from", "to"}}`` for those that changed."""
    changes = {}
    for name, value in values.items():
        before = getattr(record, name)
        before = list(before) if isinstance(before, list) else before
        if before != value:
            setattr(record, name, value)
            changes[name] = {"from": before, "to": value}
    return changes
