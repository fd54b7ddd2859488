"""The dependency graph: declared and inferred edges, blocked-by, critical path.

Edges point from prerequisite to dependent (``A -> B``: A comes before B). A
declared ``depends_on`` gives an edge with provenance ``declared``; rules kept
in data (:mod:`analysis.inputs.graph_rules`) infer more edges between tasks of
the same overlap cluster (:mod:`analysis.assess.overlaps`), each carrying the
id of the rule that inferred it. Rules never make a catalog invalid: an
inferred edge that would close a cycle is left out, and said so
(:class:`DroppedEdge`). :func:`analyse_graph` gathers what the audit,
the planner and the reports use: clusters, edges with provenance, the chains
that block tasks, the critical path and the waves of work.

Examples
--------
>>> from analysis.inputs.catalog_records import parse_catalog
>>> from analysis.inputs.graph_rules import read_graph_rules
>>> from analysis.inputs.rubric import read_rubric
>>> from analysis.assess.scoring import score_catalog
>>> catalog = parse_catalog({"defaults": {"effort_hours": {"design": 1, "implement": 2}},
...     "tasks": [{"id": "A", "issue": 1, "title": "Mesh設計", "activity": "design",
...                "environment": "none", "topic": "mesh"},
...               {"id": "B", "issue": 1, "title": "Mesh実装", "activity": "implement",
...                "environment": "dev", "topic": "mesh"}]})
>>> graph = build_graph(catalog, score_catalog(catalog, read_rubric()), read_graph_rules())
>>> [(a, b, graph.edges[a, b]["rules"]) for a, b in graph.edges]
[('A', 'B', ('design-before-change',))]
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from analysis.assess.gates import blocking_breaks
from analysis.assess.overlaps import Cluster, find_overlaps
from analysis.assess.scoring import Score, score_catalog
from analysis.inputs.bundle import read_inputs
from analysis.inputs.gate_rules import Gate
from analysis.inputs.graph_rules import GraphRules, InferenceRule
from analysis.inputs.rubric import Rubric
from analysis.model import Catalog, Finding
from analysis.vocabulary import level_rank

__all__ = [
    "infer_edges",
    "DroppedEdge",
    "dropped_data",
    "build_graph",
    "blocked_by",
    "critical_path",
    "generations",
    "reduce_for_drawing",
    "GraphFacts",
    "analyse_graph",
    "graph_for_appetite",
    "graph_files",
]


def infer_edges(
    catalog: Catalog, clusters: Iterable[Cluster], rules: GraphRules
) -> dict[tuple[str, str], tuple[str, ...]]:
    """Edges ``(before, after)`` the enabled rules infer, with the ids of the rules."""
    inferred: dict[tuple[str, str], list[str]] = defaultdict(list)
    enabled = rules.enabled
    for cluster in clusters:
        tasks = [catalog.task_by_id[i] for i in cluster.tasks]
        for rule in enabled:
            befores = [t for t in tasks if InferenceRule.matches(rule.before, t)]
            afters = [t for t in tasks if InferenceRule.matches(rule.after, t)]
            for before in befores:
                for after in afters:
                    if before.id != after.id:
                        inferred[(before.id, after.id)].append(rule.id)
    return {edge: tuple(ids) for edge, ids in inferred.items()}


@dataclass(frozen=True)
class DroppedEdge:
    """An inferred edge left out of the graph because it would close a cycle.

    ``before -> after`` is the edge its ``rules`` inferred; ``path`` is the
    chain already in the graph from ``after`` back to ``before``, as
    ``(before, after, provenance, rules)`` links, that the edge would close
    into a cycle.
    """

    before: str
    after: str
    rules: tuple[str, ...]
    path: tuple[tuple[str, str, str, tuple[str, ...]], ...]

    def message(self) -> str:
        """One sentence naming both edges' tasks and rules."""
        links = "; ".join(
            f"{u} -> {v} ({'declared' if provenance == 'declared' else ', '.join(rules)})"
            for u, v, provenance, rules in self.path
        )
        return (
            f"inferred {self.before} -> {self.after} ({', '.join(self.rules)}) dropped: "
            f"it would close a cycle with {links}"
        )


def build_graph(
    catalog: Catalog,
    scores: Mapping[str, Score],
    rules: GraphRules,
    clusters: tuple[Cluster, ...] | None = None,
) -> nx.DiGraph:
    """The dependency graph: one node per task, edges from prerequisite to dependent.

    Node attributes: ``title``, ``issue``, ``level``, ``reason`` (the level's
    main reason), ``activity``, ``environment``, ``status``, ``hours`` (planning
    effort) and ``remaining`` (0 once done or cancelled). Edge attributes:
    ``provenance`` (``declared`` or ``inferred``) and ``rules`` (ids of the
    rules that infer it, if any). Graph attributes: ``rules`` (the enabled
    rules' ids) and ``dropped`` (:class:`DroppedEdge` records).

    The graph is always acyclic: the catalog refuses a cycle of declared
    edges, and an inferred edge that would close a cycle is dropped (see
    :func:`_cycle_closing`), so rules can never make a valid catalog invalid.
    """
    if clusters is None:
        clusters = find_overlaps(catalog, scores, rules)
    graph = nx.DiGraph()
    for task in catalog.tasks:
        graph.add_node(
            task.id,
            title=task.title,
            issue=task.issue,
            level=scores[task.id].level,
            declared=task.declared_risk,
            reason=scores[task.id].main_reason,
            activity=task.activity,
            environment=task.environment,
            status=task.status,
            hours=task.effort.hours,
            remaining=0.0 if task.status in ("done", "cancelled") else task.effort.hours,
        )
    for task in catalog.tasks:
        for dep in task.depends_on:
            graph.add_edge(dep, task.id, provenance="declared", rules=())
    added: dict[tuple[str, str], tuple[str, ...]] = {}
    for (before, after), rule_ids in infer_edges(catalog, clusters, rules).items():
        if graph.has_edge(before, after):
            graph.edges[before, after]["rules"] = rule_ids
        else:
            graph.add_edge(before, after, provenance="inferred", rules=rule_ids)
            added[before, after] = rule_ids
    dropped = _cycle_closing(graph, added, rules, catalog)
    graph.remove_edges_from((d.before, d.after) for d in dropped)
    graph.graph["rules"] = tuple(rule.id for rule in rules.enabled)
    graph.graph["dropped"] = dropped
    return graph


def _cycle_closing(
    graph: nx.DiGraph,
    inferred: Mapping[tuple[str, str], tuple[str, ...]],
    rules: GraphRules,
    catalog: Catalog,
) -> tuple[DroppedEdge, ...]:
    """The inferred edges to drop so that the graph (declared + inferred) is acyclic.

    As if the inferred edges were added one by one after the declared ones, in
    the order of their first rule in ``rules.enabled``, then of ``before``'s
    position in the catalog, then of ``after``'s; an edge is dropped when the
    edges kept so far already lead from its ``after`` back to its ``before``.

    That check only ever needs one strongly connected component of the graph
    with every edge in: a path from ``after`` to ``before`` plus the edge is a
    cycle, whose tasks all share a component. So the whole graph is looked at
    once (linear), and edge by edge only the components that hold a cycle,
    which inference confines to overlap clusters and the declared links
    between their tasks. Within a component, a topological order of the edges
    kept so far (:class:`_Order`) answers most checks at once; only an edge it
    cannot clear is looked at further, and only an edge that is dropped gets
    the shortest path it would close (one component can hold most of a
    catalog whose tasks form one long chain).
    """
    components = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    if not components:
        return ()
    rank = {rule.id: i for i, rule in enumerate(rules.enabled)}
    position = {task.id: i for i, task in enumerate(catalog.tasks)}

    def order(edge: tuple[str, str]) -> tuple[int, int, int]:
        return (min(rank[r] for r in inferred[edge]), position[edge[0]], position[edge[1]])

    dropped = []
    for nodes in components:
        kept = nx.DiGraph()  # built in catalog order, so that paths found are stable
        kept.add_nodes_from(sorted(nodes, key=position.__getitem__))
        candidates = []
        for u in kept:
            for v in sorted(graph.successors(u), key=position.__getitem__):
                if v not in nodes:
                    continue
                if (u, v) in inferred:
                    candidates.append((u, v))
                else:
                    kept.add_edge(u, v, **graph.edges[u, v])
        ranks = _Order(kept)
        for before, after in sorted(candidates, key=order):
            if ranks.add(before, after):
                kept.add_edge(before, after, provenance="inferred", rules=inferred[before, after])
                continue
            path = nx.shortest_path(kept, after, before)
            links = tuple(
                (u, v, kept.edges[u, v]["provenance"], kept.edges[u, v]["rules"])
                for u, v in itertools.pairwise(path)
            )
            dropped.append(DroppedEdge(before, after, inferred[before, after], links))
    return tuple(sorted(dropped, key=lambda d: order((d.before, d.after))))


class _Order:
    """A topological order of a growing acyclic graph, kept as edges are added.

    Pearce and Kelly's algorithm ("A dynamic topological sort algorithm for
    directed acyclic graphs", 2006): an edge from earlier to later in the order
    cannot close a cycle; otherwise only the tasks ranked between its ends are
    searched, and reordered when the edge is added.
    """

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self.rank = {node: i for i, node in enumerate(nx.topological_sort(graph))}

    def add(self, before: str, after: str) -> bool:
        """Whether the edge ``before -> after`` keeps the graph acyclic; if so, ranked in.

        The caller adds the edge to the graph when this returns true, and not otherwise.
        """
        rank = self.rank
        low, high = rank[after], rank[before]
        if low > high:
            return True  # already in order
        ahead = self._search(after, self.graph.successors, lambda r: r <= high, before)
        if ahead is None:
            return False  # ``after`` leads to ``before``: the edge would close a cycle
        behind = self._search(before, self.graph.predecessors, lambda r: r >= low, None)
        assert behind is not None  # a backward search has no target to find
        moved = sorted(behind, key=rank.__getitem__) + sorted(ahead, key=rank.__getitem__)
        for node, slot in zip(moved, sorted(rank[n] for n in moved), strict=True):
            rank[node] = slot
        return True

    def _search(self, start, step, within, target) -> list[str] | None:
        """Tasks reached from ``start`` by ``step`` with a rank ``within``; None if ``target``."""
        seen, stack = {start}, [start]
        while stack:
            node = stack.pop()
            for near in step(node):
                if near == target:
                    return None
                if near not in seen and within(self.rank[near]):
                    seen.add(near)
                    stack.append(near)
        return list(seen)


def blocked_by(graph: nx.DiGraph, excluded: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Tasks that depend, directly or through others, on an excluded task.

    Returns each blocked task with the shortest chain that blocks it, from the
    excluded task to the blocked one. Excluded tasks themselves are not listed.
    Breadth-first from every excluded task at once: linear in the graph.

    >>> g = nx.DiGraph([("A", "B"), ("B", "C"), ("X", "C")])
    >>> blocked_by(g, ["A"])
    {'B': ('A', 'B'), 'C': ('A', 'B', 'C')}
    """
    order = {node: i for i, node in enumerate(graph.nodes)}
    roots = sorted(set(excluded), key=order.__getitem__)
    parent: dict[str, str | None] = dict.fromkeys(roots)
    queue = deque(roots)
    while queue:
        node = queue.popleft()
        for child in sorted(graph.successors(node), key=order.__getitem__):
            if child not in parent:
                parent[child] = node
                queue.append(child)
    chains = {}
    for node in sorted(parent, key=order.__getitem__):
        if parent[node] is None:
            continue
        chain = [node]
        while (up := parent[chain[-1]]) is not None:
            chain.append(up)
        chains[node] = tuple(reversed(chain))
    return chains


def critical_path(graph: nx.DiGraph, weight: str = "remaining") -> tuple[tuple[str, ...], float]:
    """The chain of dependent tasks with the most effort, and that effort.

    Ties go to the task that comes first in the catalog.

    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([("A", {"remaining": 1}), ("B", {"remaining": 2})])
    >>> g.add_node("C", remaining=4)
    >>> g.add_edges_from([("A", "B"), ("A", "C")])
    >>> critical_path(g)
    (('A', 'C'), 5.0)
    """
    order = {node: i for i, node in enumerate(graph.nodes)}
    best: dict[str, float] = {}
    previous: dict[str, str | None] = {}
    for node in nx.lexicographical_topological_sort(graph, key=order.__getitem__):
        preds = sorted(graph.predecessors(node), key=order.__getitem__)
        top = max(preds, key=lambda p: (best[p], -order[p]), default=None)
        best[node] = float(graph.nodes[node][weight]) + (best[top] if top is not None else 0.0)
        previous[node] = top
    if not best:
        return (), 0.0
    end = max(best, key=lambda n: (best[n], -order[n]))
    path = [end]
    while (before := previous[path[-1]]) is not None:
        path.append(before)
    return tuple(reversed(path)), best[end]


def generations(graph: nx.DiGraph) -> tuple[tuple[str, ...], ...]:
    """Waves of work that can run together: each wave depends only on earlier ones."""
    order = {node: i for i, node in enumerate(graph.nodes)}
    return tuple(
        tuple(sorted(wave, key=order.__getitem__)) for wave in nx.topological_generations(graph)
    )


def reduce_for_drawing(graph: nx.DiGraph, nodes: Iterable[str] | None = None) -> nx.DiGraph:
    """The transitive reduction of (part of) the graph, attributes kept: for drawing only."""
    sub = graph if nodes is None else graph.subgraph(nodes)
    reduced = nx.transitive_reduction(sub)
    reduced.add_nodes_from(sub.nodes(data=True))
    reduced.add_edges_from((u, v, sub.edges[u, v]) for u, v in reduced.edges)
    return reduced


@dataclass(frozen=True)
class GraphFacts:
    """Everything the graph says about a catalog, for one set of excluded tasks."""

    graph: nx.DiGraph
    clusters: tuple[Cluster, ...]
    excluded: tuple[str, ...]
    blocked: Mapping[str, tuple[str, ...]]
    critical_path: tuple[str, ...]
    critical_hours: float
    generations: tuple[tuple[str, ...], ...]

    def findings(self) -> tuple[Finding, ...]:
        """Overlaps worth attention: the same work filed twice, and clusters of mixed risk.

        Then every inferred edge dropped because it would close a cycle
        (``inferred-edge-dropped``).
        """
        graph = self.graph
        out = []
        for cluster in self.clusters:
            about = _evidence_text(cluster)
            for dup in cluster.duplicates:
                issues = ", ".join(dict.fromkeys(f"#{graph.nodes[t]['issue']}" for t in dup.tasks))
                if dup.mergeable:
                    verdict = "the same work, which can be done once"
                else:
                    levels = f"computed {', '.join(dup.levels)}"
                    if dup.declared:
                        levels += f"; declared {', '.join(dup.declared)}"
                    verdict = f"the same work at different levels ({levels}): never merged"
                out.append(
                    Finding(
                        "duplicate-work",
                        f"{cluster.id} ({about}): {', '.join(dup.tasks)} ({dup.activity}, "
                        f"{dup.environment}; {issues}) are {verdict}",
                        dup.tasks,
                        {
                            "cluster": cluster.id,
                            "activity": dup.activity,
                            "environment": dup.environment,
                            "levels": list(dup.levels),
                            "declared_levels": list(dup.declared),
                            "title": dup.title,
                            "mergeable": dup.mergeable,
                        },
                    )
                )
            if cluster.mixed:
                parts = ", ".join(
                    f"{t} {graph.nodes[t]['level']}"
                    + (f" (declared {d})" if (d := graph.nodes[t].get("declared")) else "")
                    + f" in {graph.nodes[t]['environment']}"
                    for t in cluster.tasks
                )
                out.append(
                    Finding(
                        "overlap-mixed-risk",
                        f"{cluster.id} ({about}) spans "
                        f"{', '.join(f'#{i}' for i in cluster.issues)} with different "
                        f"{', '.join(cluster.differs)}: {parts}; the same thing is safe in one "
                        "place and riskier in another, and copies at different levels are never "
                        "merged",
                        cluster.tasks,
                        {
                            "cluster": cluster.id,
                            "differs": list(cluster.differs),
                            "levels": list(cluster.levels),
                            "declared_levels": list(cluster.declared_levels),
                            "environments": list(cluster.environments),
                        },
                    )
                )
        for edge in graph.graph.get("dropped", ()):
            out.append(
                Finding(
                    "inferred-edge-dropped",
                    edge.message(),
                    (edge.before, edge.after),
                    dropped_data(edge),
                )
            )
        return tuple(out)

    def edges(self) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """``(before, after, provenance, rules)`` for every edge, in a stable order."""
        order = {node: i for i, node in enumerate(self.graph.nodes)}
        return sorted(
            (
                (u, v, data["provenance"], data["rules"])
                for u, v, data in self.graph.edges(data=True)
            ),
            key=lambda e: (order[e[1]], order[e[0]]),
        )


def dropped_data(edge: DroppedEdge) -> dict[str, Any]:
    """A dropped edge as plain data: the edge, its rules, and the path it would close."""
    return {
        "before": edge.before,
        "after": edge.after,
        "rules": list(edge.rules),
        "path": [
            {"before": u, "after": v, "provenance": provenance, "rules": list(rules)}
            for u, v, provenance, rules in edge.path
        ],
    }


def _evidence_text(cluster: Cluster) -> str:
    return "; ".join(f"{kind} {value!r}" for kind, value, _ in cluster.evidence)


def analyse_graph(
    catalog: Catalog,
    scores: Mapping[str, Score],
    rules: GraphRules,
    excluded: Iterable[str] = (),
) -> GraphFacts:
    """Build the graph and compute clusters, blocked chains, critical path and waves."""
    clusters = find_overlaps(catalog, scores, rules)
    graph = build_graph(catalog, scores, rules, clusters)
    left_out = set(excluded)  # once: a set made per task grew with tasks x excluded
    excluded = tuple(task.id for task in catalog.tasks if task.id in left_out)
    path, hours = critical_path(graph)
    return GraphFacts(
        graph=graph,
        clusters=clusters,
        excluded=excluded,
        blocked=blocked_by(graph, excluded),
        critical_path=path,
        critical_hours=hours,
        generations=generations(graph),
    )


def graph_for_appetite(
    catalog: Catalog,
    rubric: Rubric,
    rules: GraphRules,
    appetite: str = "MEDIUM",
    gates: Iterable[Gate] = (),
) -> GraphFacts:
    """The graph facts with the tasks that cannot be chosen excluded, and what they block.

    Excluded: the tasks above ``appetite``, and the tasks that break a gate in
    ``blocking`` mode (as a plan leaves them out).
    """
    scores = score_catalog(catalog, rubric)
    limit = level_rank(appetite)
    excluded = {t.id for t in catalog if level_rank(scores[t.id].level) > limit}
    gates = tuple(gates)
    if any(gate.blocking for gate in gates):  # they may need the graph: build it only then
        levels = {task: score.level for task, score in scores.items()}
        graph = build_graph(catalog, scores, rules)
        excluded |= set(blocking_breaks(catalog, gates, levels=levels, graph=graph))
    return analyse_graph(catalog, scores, rules, excluded)


def graph_files(
    catalog: str | os.PathLike | None = None,
    *,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
    appetite: str = "MEDIUM",
) -> tuple[Catalog, GraphFacts]:
    """Read the inputs (the bundled ones by default) and analyse the catalog's graph.

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first
        problem.
    """
    inputs = read_inputs(catalog, rubric=rubric, rules=rules, gates=gates)
    with inputs.naming_the_catalog():
        facts = graph_for_appetite(
            inputs.catalog, inputs.rubric, inputs.graph_rules, appetite, inputs.gates
        )
    return inputs.catalog, facts
