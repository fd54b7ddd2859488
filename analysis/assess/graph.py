"""The dependency graph: declared and inferred edges, blocked-by, critical path.

Edges point from prerequisite to dependent (``A -> B``: A comes before B). A
declared ``depends_on`` gives an edge with provenance ``declared``; rules kept
in data (:mod:`analysis.inputs.graph_rules`) infer more edges between tasks of
the same overlap cluster (:mod:`analysis.assess.overlaps`), each carrying the
id of the rule that inferred it. :func:`analyse_graph` gathers what the audit,
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

import os
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from analysis.assess.gates import blocking_breaks
from analysis.assess.overlaps import Cluster, find_overlaps
from analysis.assess.scoring import Score, score_catalog
from analysis.errors import DependencyCycleError
from analysis.inputs.bundle import read_inputs
from analysis.inputs.gate_rules import Gate
from analysis.inputs.graph_rules import GraphRules, InferenceRule
from analysis.inputs.rubric import Rubric
from analysis.model import Catalog, Finding
from analysis.vocabulary import level_rank

__all__ = [
    "infer_edges",
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
    rules that infer it, if any).

    Raises
    ------
    DependencyCycleError
        When declared and inferred edges together form a cycle; the error
        names the cycle and which of its links were inferred.
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
    for (before, after), rule_ids in infer_edges(catalog, clusters, rules).items():
        if graph.has_edge(before, after):
            graph.edges[before, after]["rules"] = rule_ids
        else:
            graph.add_edge(before, after, provenance="inferred", rules=rule_ids)
    if not nx.is_directed_acyclic_graph(graph):
        cycle_edges = nx.find_cycle(graph)
        # Name it as depends_on reads: "A -> B" means A depends on B.
        cycle = [cycle_edges[0][0]] + [v for _, v in cycle_edges]
        cycle.reverse()
        inferred = {
            (v, u): graph.edges[u, v]["rules"]
            for u, v in cycle_edges
            if graph.edges[u, v]["provenance"] == "inferred"
        }
        raise DependencyCycleError(cycle, inferred=inferred)
    graph.graph["rules"] = tuple(rule.id for rule in rules.enabled)
    return graph


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
        """Overlaps worth attention: the same work filed twice, and clusters of mixed risk."""
        graph = self.graph
        out = []
        for cluster in self.clusters:
            about = _evidence_text(cluster)
            for dup in cluster.duplicates:
                issues = ", ".join(dict.fromkeys(f"#{graph.nodes[t]['issue']}" for t in dup.tasks))
                if dup.mergeable:
                    verdict = "the same work, which can be done once"
                else:
                    verdict = (
                        f"the same work at different levels ({', '.join(dup.levels)}): never merged"
                    )
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
                            "mergeable": dup.mergeable,
                        },
                    )
                )
            if cluster.mixed:
                parts = ", ".join(
                    f"{t} {graph.nodes[t]['level']} in {graph.nodes[t]['environment']}"
                    for t in cluster.tasks
                )
                out.append(
                    Finding(
                        "overlap-mixed-risk",
                        f"{cluster.id} ({about}) spans "
                        f"{', '.join(f'#{i}' for i in cluster.issues)} at different levels or "
                        f"environments: {parts}; the same thing is safe in one place and riskier "
                        "in another, and these tasks are never merged",
                        cluster.tasks,
                        {
                            "cluster": cluster.id,
                            "levels": list(cluster.levels),
                            "environments": list(cluster.environments),
                        },
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
    excluded = tuple(task.id for task in catalog.tasks if task.id in set(excluded))
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

    Raises
    ------
    DependencyCycleError
        When declared and inferred dependencies form a cycle.
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
        problem, including a dependency cycle made by an inference rule.
    """
    inputs = read_inputs(catalog, rubric=rubric, rules=rules, gates=gates)
    with inputs.naming_the_catalog():
        facts = graph_for_appetite(
            inputs.catalog, inputs.rubric, inputs.graph_rules, appetite, inputs.gates
        )
    return inputs.catalog, facts
