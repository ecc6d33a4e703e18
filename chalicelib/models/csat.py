"""CSAT survey tokens, on the tickets table:

    pk = CSAT#<sha256 of the token>   sk = CSAT

The token itself is never a key: a submission finds its survey by hashing the token it was given,
so the lookup is a GetItem and there is nothing to list or enumerate. The item outlives its use:
once answered it holds the score (the ticket's history and the event carry it too).
"""

from __future__ import annotations

import hashlib

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.models.base import DeskflowModel

CSAT_SK = "CSAT"


def csat_token_pk(token: str) -> str:
    return f"CSAT#{hashlib.sha256(token.encode()).hexdigest()}"


class CsatTokenItem(DeskflowModel):
    """A survey: issued when its ticket was resolved, answerable once until ``expires_at``.
    ``revoked`` is set when a later resolution issues the ticket a new survey."""

    class Meta:
        short_table = "tickets"
        table_name = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=CSAT_SK)
    workspace_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()  # RFC 3339; compared as text (fixed width, UTC)
    revoked = BooleanAttribute(default=False)
    answered_at = UnicodeAttribute(null=True)
    score = UnicodeAttribute(null=True)
    comment = UnicodeAttribute(null=True)
