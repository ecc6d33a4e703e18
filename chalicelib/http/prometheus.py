"""The Prometheus text exposition format (version 0.0.4), written by hand: Deskflow exposes a
handful of samples read from its counters per scrape, and ``prometheus_client`` (a registry of
process-wide collectors) is not a runtime dependency. Tests parse the output with its parser.

Escaping follows the format: in label values backslash, double quote and newline; in HELP text
backslash and newline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Family:
    """One metric family: ``name`` (a counter's samples end in ``_total``), ``kind`` (``counter``,
    ``gauge`` or ``histogram``), its HELP text and its samples as ``(suffix, labels, value)``."""

    name: str
    kind: str
    help: str
    samples: list[tuple[str, dict, float]] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: str) -> Family:
        self.samples.append((suffix, labels, value))
        return self


def render(families: list[Family], common_labels: dict | None = None) -> str:
    """The exposition text of ``families``, every sample also carrying ``common_labels``."""
    lines = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for suffix, labels, value in family.samples:
            lines.append(f"{family.name}{suffix}{_labels({**(common_labels or {}), **labels})} {_number(value)}")
    return "\n".join(lines) + "\n"


def _labels(labels: dict) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{_escape_label(str(value))}"' for name, value in labels.items()) + "}"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))
