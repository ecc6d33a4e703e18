"""Workflow graph validation: every invalid shape is refused with its offending nodes named."""

from __future__ import annotations

import pytest

from chalicelib.domain.workflow_graphs import graph_problems


def node(temp_id, start=False, end=False):
    return {"temp_id": temp_id, "name": temp_id, "role": "agent", "is_start": start, "is_end": end}


def edge(source, target):
    return {"from_temp_id": source, "to_temp_id": target}


def test_a_straight_line_from_start_to_end_is_valid():
    assert (
        graph_problems([node("a", start=True), node("b"), node("c", end=True)], [edge("a", "b"), edge("b", "c")]) == {}
    )


def test_branches_and_loops_that_all_reach_an_end_are_valid():
    nodes = [node("triage", start=True), node("fix"), node("review"), node("done", end=True), node("closed", end=True)]
    edges = [
        edge("triage", "fix"),
        edge("fix", "review"),
        edge("review", "fix"),
        edge("review", "done"),
        edge("triage", "closed"),
    ]

    assert graph_problems(nodes, edges) == {}


@pytest.mark.parametrize(
    ("nodes", "edges", "where", "named"),
    [
        ([node("a"), node("b", end=True)], [edge("a", "b")], "graph.start", "is_start"),
        (
            [node("a", start=True), node("b", start=True), node("c", end=True)],
            [edge("a", "c"), edge("b", "c")],
            "graph.start",
            "a, b",
        ),
        ([node("a", start=True), node("b")], [edge("a", "b")], "graph.end", "is_end"),
        ([node("a", start=True), node("b", end=True)], [edge("a", "ghost")], "graph.edges", "ghost"),
        ([node("a", start=True), node("b", end=True), node("island")], [edge("a", "b")], "graph.unreachable", "island"),
        (
            [node("a", start=True), node("trap"), node("b", end=True)],
            [edge("a", "b"), edge("a", "trap")],
            "graph.dead_ends",
            "trap",
        ),
        ([node("a", start=True), node("a", end=True)], [], "graph.nodes", "a"),
    ],
    ids=["no-start", "two-starts", "no-end", "unknown-node", "unreachable", "dead-end", "repeated-id"],
)
def test_an_invalid_graph_is_refused_naming_its_offending_nodes(nodes, edges, where, named):
    problems = graph_problems(nodes, edges)

    assert where in problems
    assert named in problems[where]
