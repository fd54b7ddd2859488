"""The dependency graph: declared and inferred edges, overlaps, blocked-by, critical path.

Edges point from prerequisite to dependent (``A -> B``: A comes before B). A
declared ``depends_on`` gives an edge with provenance ``declared``; rules kept
in data (``data/rules/graph.yaml``) infer more edges between tasks of the same
overlap cluster, each carrying the id of the rule that inferred it.

Overlap clusters group tasks that are about the same thing: the same
``topic``, or titles whose normalised keywords are the same set (Japanese and
English alike). Tasks are bucketed by those keys, never compared pair by pair,
so detection is linear in the number of tasks. Inside a cluster, tasks with the
same activity and environment are *duplicates* (the same work filed twice);
the others are related work at other stages, ordered by the inference rules.

Examples
--------
>>> rules = read_graph_rules()
>>> sorted(title_keywords("Helm Charts Development (テンプレート作成)", rules.overlaps))
['chart', 'helm']
>>> sorted(title_keywords("DR Plan文書化", rules.overlaps))
['disaster', 'plan', 'recovery']
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from analysis.errors import DependencyCycleError, InputError
from analysis.model import UNKNOWN, Catalog, Finding, Task, level_rank
from analysis.paths import DATA_DIR
from analysis.records import load_yaml_text, read_text
from analysis.scoring import Score

__all__ = [
    "DEFAULT_GRAPH_RULES",
    "GraphRulesError",
    "InferenceRule",
    "OverlapSettings",
    "GraphRules",
    "parse_graph_rules",
    "read_graph_rules",
    "title_keywords",
    "DuplicateSet",
    "Cluster",
    "find_overlaps",
    "infer_edges",
    "build_graph",
    "blocked_by",
    "critical_path",
    "generations",
    "reduce_for_drawing",
    "GraphFacts",
    "analyse_graph",
]

DEFAULT_GRAPH_RULES = DATA_DIR / "rules" / "graph.yaml"
_CONDITION_FACTS = ("activity", "environment", "status")
_TOKEN = re.compile(r"[a-z0-9]+|[\u30a0-\u30ff]+|[\u4e00-\u9fff]+")
_PARENS = re.compile(r"\([^()]*\)")


class GraphRulesError(InputError):
    """A graph rules file that cannot be used."""

    kind = "graph-rules"


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class InferenceRule:
    """``before`` tasks come before ``after`` tasks of the same overlap cluster."""

    id: str
    reason: str
    before: Mapping[str, tuple[str, ...]]
    after: Mapping[str, tuple[str, ...]]
    enabled: bool = True

    @staticmethod
    def matches(condition: Mapping[str, tuple[str, ...]], task: Task) -> bool:
        return all(getattr(task, fact) in values for fact, values in condition.items())

    def applies(self, before: Task, after: Task) -> bool:
        """Whether this rule puts ``before`` ahead of ``after``."""
        return self.matches(self.before, before) and self.matches(self.after, after)


@dataclass(frozen=True)
class OverlapSettings:
    """How titles become keywords: stop words dropped, synonyms expanded."""

    stop_words: frozenset[str] = frozenset()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class GraphRules:
    """Inference rules and overlap settings, as read from a rules file."""

    inference: tuple[InferenceRule, ...]
    overlaps: OverlapSettings
    source: str | None = None

    @property
    def enabled(self) -> tuple[InferenceRule, ...]:
        return tuple(rule for rule in self.inference if rule.enabled)

    def without(self, rule_ids: Iterable[str]) -> GraphRules:
        """The same rules with ``rule_ids`` switched off.

        Raises
        ------
        GraphRulesError
            When an id names no rule.
        """
        off = set(rule_ids)
        known = {rule.id for rule in self.inference}
        unknown = sorted(off - known)
        if unknown:
            raise GraphRulesError(
                f"no inference rule {', '.join(unknown)} (known: {', '.join(sorted(known))})",
                source=self.source,
            )
        rules = tuple(replace(r, enabled=r.enabled and r.id not in off) for r in self.inference)
        return replace(self, inference=rules)


def parse_graph_rules(data: Any, *, source: str = "<memory>") -> GraphRules:
    """Build :class:`GraphRules` from YAML-shaped data.

    Raises
    ------
    GraphRulesError
        On an unknown key, a rule without id or reason, or a condition on an
        unknown fact.
    """

    def fail(problem: str, record: str | None = None, field: str | None = None):
        return GraphRulesError(problem, source=source, record=record, field=field)

    if not isinstance(data, Mapping):
        raise fail("expected a mapping with 'inference' and 'overlaps'")
    for key in data:
        if key not in ("inference", "overlaps"):
            raise fail("unknown field (known: inference, overlaps)", field=str(key))
    rules = []
    for index, raw in enumerate(data.get("inference") or []):
        record = f"rule #{index + 1}"
        if not isinstance(raw, Mapping):
            raise fail("expected a mapping", record)
        if isinstance(raw.get("id"), str):
            record = f"rule {raw['id']}"
        for key in raw:
            if key not in ("id", "reason", "enabled", "before", "after"):
                raise fail("unknown field (known: id, reason, enabled, before, after)", record, key)
        for key in ("id", "reason"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise fail("missing (required): text", record, key)
        if not isinstance(raw.get("enabled", True), bool):
            raise fail("expected true or false", record, "enabled")
        sides = {}
        for side in ("before", "after"):
            condition = raw.get(side) or {}
            if not isinstance(condition, Mapping) or not condition:
                raise fail("expected a mapping of fact to values", record, side)
            parsed = {}
            for fact, values in condition.items():
                if fact not in _CONDITION_FACTS:
                    known = ", ".join(_CONDITION_FACTS)
                    raise fail(f"unknown fact (known: {known})", record, f"{side}.{fact}")
                values = [values] if isinstance(values, str) else values
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise fail("expected a list of values", record, f"{side}.{fact}")
                parsed[fact] = tuple(values)
            sides[side] = parsed
        rules.append(
            InferenceRule(
                id=raw["id"],
                reason=raw["reason"],
                before=sides["before"],
                after=sides["after"],
                enabled=raw.get("enabled", True),
            )
        )
    ids = [rule.id for rule in rules]
    for rule_id in ids:
        if ids.count(rule_id) > 1:
            raise fail("duplicate rule id", f"rule {rule_id}", "id")
    overlaps = data.get("overlaps") or {}
    if not isinstance(overlaps, Mapping):
        raise fail("expected a mapping", field="overlaps")
    for key in overlaps:
        if key not in ("stop_words", "synonyms"):
            raise fail("unknown field (known: stop_words, synonyms)", field=f"overlaps.{key}")
    stop_words = overlaps.get("stop_words") or []
    synonyms = overlaps.get("synonyms") or {}
    if not isinstance(stop_words, list) or not isinstance(synonyms, Mapping):
        raise fail("expected a list of stop words and a mapping of synonyms", field="overlaps")
    settings = OverlapSettings(
        stop_words=frozenset(_normalise(str(word)) for word in stop_words),
        synonyms={
            _normalise(str(word)): tuple(_normalise(str(v)) for v in values)
            for word, values in synonyms.items()
        },
    )
    return GraphRules(inference=tuple(rules), overlaps=settings, source=source)


def read_graph_rules(path: str | os.PathLike = DEFAULT_GRAPH_RULES) -> GraphRules:
    """Read a graph rules file (YAML).

    Raises
    ------
    GraphRulesError
        When the file is missing, malformed or invalid.
    """
    text = read_text(path, error=GraphRulesError)
    return parse_graph_rules(
        load_yaml_text(text, str(path), error=GraphRulesError), source=str(path)
    )


# --------------------------------------------------------------------------- overlaps


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _stem(word: str) -> str:
    if word.isascii() and len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def title_keywords(title: str, settings: OverlapSettings) -> frozenset[str]:
    """The normalised keywords of a title (empty when nothing specific remains)."""
    text = _PARENS.sub(" ", _normalise(title))
    words: set[str] = set()
    for token in _TOKEN.findall(text):
        if token in settings.stop_words:
            continue
        for word in settings.synonyms.get(token, (token,)):
            word = _stem(word)
            if word not in settings.stop_words:
                words.add(word)
    return frozenset(words)


@dataclass(frozen=True)
class DuplicateSet:
    """Tasks of one cluster with the same activity and environment: the same work.

    ``mergeable`` is true when they also share one level, so that doing the work
    once closes every copy; copies at different levels are never merged.
    """

    tasks: tuple[str, ...]
    activity: str
    environment: str
    levels: tuple[str, ...]

    @property
    def mergeable(self) -> bool:
        return len(self.levels) == 1


@dataclass(frozen=True)
class Cluster:
    """Tasks about the same thing, with the evidence that joined them."""

    id: str
    tasks: tuple[str, ...]
    issues: tuple[int, ...]
    evidence: tuple[tuple[str, str, tuple[str, ...]], ...]  # (kind, value, tasks)
    duplicates: tuple[DuplicateSet, ...]
    levels: tuple[str, ...]
    environments: tuple[str, ...]

    @property
    def spans_issues(self) -> bool:
        return len(self.issues) > 1

    @property
    def mixed(self) -> bool:
        """Different levels or environments: a safe task here may be a dangerous one there."""
        return len(self.levels) > 1 or len(self.environments) > 1

    @property
    def related(self) -> tuple[str, ...]:
        """Tasks that duplicate no other task of the cluster."""
        copied = {task for dup in self.duplicates for task in dup.tasks}
        return tuple(task for task in self.tasks if task not in copied)


class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def find_overlaps(
    catalog: Catalog, scores: Mapping[str, Score], rules: GraphRules
) -> tuple[Cluster, ...]:
    """Clusters of two or more tasks about the same thing, in catalog order.

    Tasks are bucketed by topic and by their title's keyword set; each bucket
    of two or more joins its tasks. Linear in the number of tasks.
    """
    order = {task.id: i for i, task in enumerate(catalog.tasks)}
    buckets: dict[tuple[str, str], list[str]] = defaultdict(list)
    for task in catalog.tasks:
        if task.topic:
            buckets[("topic", task.topic)].append(task.id)
        keywords = title_keywords(task.title, rules.overlaps)
        if keywords:
            buckets[("keywords", " ".join(sorted(keywords)))].append(task.id)
    joined = _UnionFind(order)
    evidence_by_root: dict[str, list[tuple[str, str, tuple[str, ...]]]] = defaultdict(list)
    for members in buckets.values():
        for other in members[1:]:
            joined.union(members[0], other)
    for (kind, value), members in buckets.items():
        if len(members) >= 2:
            evidence_by_root[joined.find(members[0])].append((kind, value, tuple(members)))
    members_by_root: dict[str, list[str]] = defaultdict(list)
    for task in catalog.tasks:
        members_by_root[joined.find(task.id)].append(task.id)
    clusters = []
    roots = sorted(
        (root for root, members in members_by_root.items() if len(members) > 1),
        key=lambda root: order[members_by_root[root][0]],
    )
    for number, root in enumerate(roots, start=1):
        ids = members_by_root[root]
        tasks = [catalog.task_by_id[i] for i in ids]
        clusters.append(
            Cluster(
                id=f"C{number:0{len(str(len(roots)))}d}",
                tasks=tuple(ids),
                issues=tuple(dict.fromkeys(t.issue for t in tasks)),
                evidence=tuple(
                    sorted(evidence_by_root[root], key=lambda e: (e[0] != "topic", e[1]))
                ),
                duplicates=_duplicates(tasks, scores),
                levels=tuple(sorted({scores[i].level for i in ids}, key=level_rank)),
                environments=tuple(dict.fromkeys(t.environment for t in tasks)),
            )
        )
    return tuple(clusters)


def _duplicates(tasks: list[Task], scores: Mapping[str, Score]) -> tuple[DuplicateSet, ...]:
    groups: dict[tuple[str, str], list[Task]] = defaultdict(list)
    for task in tasks:
        # An unknown activity or environment is no evidence of sameness.
        if UNKNOWN not in (task.activity, task.environment):
            groups[(task.activity, task.environment)].append(task)
    return tuple(
        DuplicateSet(
            tasks=tuple(t.id for t in group),
            activity=activity,
            environment=environment,
            levels=tuple(sorted({scores[t.id].level for t in group}, key=level_rank)),
        )
        for (activity, environment), group in groups.items()
        if len(group) > 1
    )


# --------------------------------------------------------------------------- the graph


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
        while parent[chain[-1]] is not None:
            chain.append(parent[chain[-1]])
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
    while previous[path[-1]] is not None:
        path.append(previous[path[-1]])
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


# --------------------------------------------------------------------------- all graph facts


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
