"""Overlap clusters: tasks about the same thing, and the duplicates among them.

Overlap clusters group tasks that are about the same thing: the same
``topic``, or titles whose normalised keywords are the same set (Japanese and
English alike). Tasks are bucketed by those keys, never compared pair by
pair, so detection is linear in the number of tasks. Inside a cluster, tasks
with the same activity and environment are *duplicates* (the same work filed
twice); the others are related work at other stages. A cluster whose tasks
differ in level or environment is *mixed-risk*.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from analysis.assess.scoring import Score
from analysis.inputs.graph_rules import GraphRules, title_keywords
from analysis.model import Catalog, Task
from analysis.vocabulary import UNKNOWN, level_rank

__all__ = [
    "DuplicateSet",
    "Cluster",
    "find_overlaps",
]


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
    joined = nx.utils.UnionFind(order)
    evidence_by_root: dict[str, list[tuple[str, str, tuple[str, ...]]]] = defaultdict(list)
    for members in buckets.values():
        joined.union(*members)
    for (kind, value), members in buckets.items():
        if len(members) >= 2:
            evidence_by_root[joined[members[0]]].append((kind, value, tuple(members)))
    members_by_root: dict[str, list[str]] = defaultdict(list)
    for task in catalog.tasks:
        members_by_root[joined[task.id]].append(task.id)
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
