"""What a text says about urgency and kind of request, whoever classified its category: a few words
people use when something is dangerous or stopped, and when they ask for something new."""

from __future__ import annotations

from chalicelib.ai.features import words

URGENT_WORDS = frozenset({"fire", "smoke", "gas", "flood", "flooding", "sparking", "sparks", "emergency", "burst"})
HIGH_WORDS = frozenset({"urgent", "asap", "outage", "down", "leak", "leaking", "broken", "immediately", "cannot"})
REQUEST_WORDS = frozenset({"request", "need", "install", "order", "new", "setup", "access", "replace", "add"})


def suggested_priority(text: str) -> tuple[str, list[str]]:
    """``(priority, reasons)``: urgent or high when such words occur, else medium."""
    found = set(words(text))
    for priority, cues in (("urgent", URGENT_WORDS), ("high", HIGH_WORDS)):
        hits = sorted(found & cues)
        if hits:
            return priority, [f"'{hit}' suggests {priority} priority" for hit in hits[:2]]
    return "medium", []


def ticket_class(text: str, is_work_order: bool) -> str:
    """``incident`` when a work order reports a fault; ``service_request`` when it asks for something,
    and for what is no work order at all (a question is a request for information)."""
    if is_work_order and not set(words(text)) & REQUEST_WORDS:
        return "incident"
    return "service_request"
