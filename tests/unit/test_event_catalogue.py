"""One catalogue names every topic and subscription; code that emits a topic it does not name fails here."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from chalicelib.events.catalogue import SUBSCRIPTIONS, Topic

REPO = Path(__file__).resolve().parents[2]
EMITTERS = {"new_event", "emit"}  # functions whose first argument is an event topic
DESIGN_TOPICS = {
    "ticket.created",
    "ticket.updated",
    "ticket.assigned",
    "ticket.commented",
    "ticket.sla_warning",
    "ticket.sla_breached",
    "ticket.escalated",
    "change.requested",
    "change.approved",
    "change.rejected",
    "alert.triggered",
    "invoice.overdue",
    "pipeline.failed",
    "workflow.completed",
    "asset.state_changed",
}


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _topic_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((keyword.value for keyword in call.keywords if keyword.arg == "event_type"), None)


def emitted_topics(source: str, filename: str) -> list[tuple[str, str]]:
    """(where, problem or topic) for every call of an emitter in ``source``. A topic must be a ``Topic``
    member or a parameter the enclosing function forwards; anything else is reported as a problem."""
    found = []

    def visit(node: ast.AST, parameters: frozenset[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
            parameters = frozenset(argument.arg for argument in every)
        if isinstance(node, ast.Call) and _called_name(node) in EMITTERS:
            where = f"{filename}:{node.lineno}"
            argument = _topic_argument(node)
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append((where, argument.value if argument.value in set(Topic) else f"unknown {argument.value!r}"))
            elif isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name):
                known = argument.value.id == "Topic" and argument.attr in Topic.__members__
                found.append((where, Topic[argument.attr].value if known else f"not a Topic: {ast.unparse(argument)}"))
            elif isinstance(argument, ast.Name) and argument.id in parameters:
                found.append((where, f"forwarded:{argument.id}"))
            else:
                found.append((where, f"cannot tell: {ast.unparse(argument) if argument else 'no topic'}"))
        for child in ast.iter_child_nodes(node):
            visit(child, parameters)

    visit(ast.parse(source, filename), frozenset())
    return found


def emission_sites() -> list[tuple[str, str]]:
    sites = []
    for path in sorted((REPO / "chalicelib").rglob("*.py")) + sorted((REPO / "functions").rglob("*.py")):
        sites += emitted_topics(path.read_text(), str(path.relative_to(REPO)))
    return sites


def test_every_topic_the_code_emits_is_in_the_catalogue():
    sites = emission_sites()

    problems = [(where, what) for where, what in sites if " " in what]
    assert problems == []
    assert {what for _, what in sites} >= {"ticket.created", "ticket.commented"}  # the walk does find emitters


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ('new_event("ticket.exploded", ws, "ticket", i, {}, None)', "unknown 'ticket.exploded'"),
        ("change.emit(Topic.TICKET_EXPLODED, {})", "not a Topic: Topic.TICKET_EXPLODED"),
        ("change.emit(topics_by_name['x'], {})", "cannot tell: topics_by_name['x']"),
    ],
)
def test_the_walk_reports_a_topic_it_cannot_find_in_the_catalogue(snippet, problem):
    assert emitted_topics(snippet, "snippet.py") == [("snippet.py:1", problem)]


def test_the_catalogue_names_every_topic_of_the_design():
    assert {str(topic) for topic in Topic} >= DESIGN_TOPICS


@pytest.mark.parametrize("name", sorted(SUBSCRIPTIONS))
def test_each_subscription_has_an_importable_batch_handler_and_known_topics(name):
    subscription = SUBSCRIPTIONS[name]

    module = importlib.import_module(subscription.handler)

    assert callable(module.handler)
    assert subscription.topics and all(isinstance(topic, Topic) for topic in subscription.topics)
    assert subscription.event_pattern()["detail-type"] == sorted(str(topic) for topic in subscription.topics)
