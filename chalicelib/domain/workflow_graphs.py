"""Workflow graphs (seed 003): nodes with temporary ids and the edges between them, checked before they
are stored. Pure: no storage, no clock.

A graph is valid when it has exactly one start node, at least one end node, no edge naming an unknown
node, every node reachable from the start, and every node able to reach an end. Each problem names the
offending nodes, so a client can point at them.
"""

from __future__ import annotations

from collections import defaultdict, deque

from chalicelib.errors import ValidationError


def graph_problems(nodes: list[dict], edges: list[dict]) -> dict[str, str]:
    """``{where: what}`` for every rule the graph breaks (empty when valid)."""
    problems: dict[str, str] = {}
    ids = [node["temp_id"] for node in nodes]
    repeated = sorted({node_id for node_id in ids if ids.count(node_id) > 1})
    if repeated:
        problems["graph.nodes"] = f"temp_id repeated: {', '.join(repeated)}"
    known = set(ids)
    starts = [node["temp_id"] for node in nodes if node.get("is_start")]
    ends = {node["temp_id"] for node in nodes if node.get("is_end")}
    if len(starts) != 1:
        problems["graph.start"] = (
            "exactly one node needs is_start" if not starts else f"exactly one start allowed, got {', '.join(starts)}"
        )
    if not ends:
        problems["graph.end"] = "at least one node needs is_end"
    unknown = sorted(
        {edge[side] for edge in edges for side in ("from_temp_id", "to_temp_id") if edge[side] not in known}
    )
    if unknown:
        problems["graph.edges"] = f"edges name unknown nodes: {', '.join(unknown)}"
    if problems:
        return problems
    forward, backward = defaultdict(set), defaultdict(set)
    for edge in edges:
        forward[edge["from_temp_id"]].add(edge["to_temp_id"])
        backward[edge["to_temp_id"]].add(edge["from_temp_id"])
    unreachable = sorted(known - _reachable(starts, forward))
    if unreachable:
        problems["graph.unreachable"] = f"not reachable from the start: {', '.join(unreachable)}"
    dead_ends = sorted(known - _reachable(ends, backward))
    if dead_ends:
        problems["graph.dead_ends"] = f"cannot reach an end: {', '.join(dead_ends)}"
    return problems


def _reachable(sources, links) -> set[str]:
    seen, queue = set(sources), deque(sources)
    while queue:
        for following in links[queue.popleft()]:
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen


def check_graph(nodes: list[dict], edges: list[dict]) -> None:
    """Raise ValidationError naming the offending nodes when the graph is not valid."""
    problems = graph_problems(nodes, edges)
    if problems:
        raise ValidationError("the workflow graph is not valid", details=problems, code="invalid_graph")
