"""Placeholder for the SLA sweep's timers (sla-sweep writes the real module): the two calls the clock
makes, returning no writes yet. Each real write has ``add_to(transaction)``."""

from __future__ import annotations


def schedule(ticket, target: str, due_at: str, warn_at: str | None = None) -> list:
    return []


def clear(ticket, target: str) -> list:
    return []
