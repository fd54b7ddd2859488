"""Overlap clusters: tasks about the same thing, and the duplicates among them.

Overlap clusters group tasks that are about the same thing: the same
``topic``, titles about the same subject (:func:`title_subject`: normalised
keywords less activity, environment and generic words, Japanese and English
alike), or titles whose subjects are *similar*: they share at least
``min_shared`` words and their Dice coefficient, computed by RapidFuzz, is at
least ``threshold`` (both in the rules file's ``overlaps.similarity``). Every
join records its evidence: ``("topic", topic, tasks)``, ``("keywords",
subject, tasks)`` or ``("similar", "0.67: trust, zero", tasks)`` (the score and
the shared words).

Tasks are bucketed by topic and subject; only different subjects that share a
word are compared, and a word in too many tasks proposes no pair (an inverted
index with a document-frequency cap), so detection stays close to linear.

Inside a cluster, *duplicates* are the same work filed twice: tasks with the
same known activity and environment, or with the same subject whose activity
and environment agree wherever both are known (an unknown fact does not stop
two identical titles from being one piece of work). The others are related
work at other stages. A cluster whose tasks differ in computed level, declared
level or environment is *mixed*; copies at different levels (computed or
declared) are never merged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from rapidfuzz.distance import Indel
from rapidfuzz.process import cdist

from analysis.assess.scoring import Score
from analysis.inputs.graph_rules import GraphRules, OverlapSettings, title_subject
from analysis.model import Catalog, Task
from analysis.vocabulary import UNKNOWN, level_rank

__all__ = [
    "DuplicateSet",
    "Cluster",
    "Similar",
    "LabelAgreement",
    "FOUND_RULE",
    "find_overlaps",
    "similar_subjects",
    "agreement_with_labels",
]

_EVIDENCE_RANK = {"topic": 0, "keywords": 1, "similar": 2}

#: When :func:`agreement_with_labels` counts a labelled group as found.
FOUND_RULE = (
    "a labelled group (a label given to two or more tasks) is found when one detected "
    "cluster holds all of its tasks and no task of another labelled group (a task whose "
    "label no other task has may be in it, and counts against precision)"
)


@dataclass(frozen=True)
class DuplicateSet:
    """Tasks of one cluster that are the same work.

    Either their activity and environment are the same and known, or their
    titles have the same subject (``title``) and their facts agree wherever
    both are known; ``activity`` and ``environment`` are then the known value,
    or ``unknown``. ``levels`` are the computed levels, ``declared`` the
    declared ones. ``mergeable`` is true when both are one level each, so that
    doing the work once closes every copy; copies at different levels are
    never merged.
    """

    tasks: tuple[str, ...]
    activity: str
    environment: str
    levels: tuple[str, ...]
    declared: tuple[str, ...] = ()
    title: str = ""

    @property
    def mergeable(self) -> bool:
        return len(self.levels) == 1 and len(self.declared) <= 1

    @property
    def differs(self) -> tuple[str, ...]:
        """Which levels differ between the copies: ``computed levels``, ``declared levels``."""
        return _differs(self.levels, self.declared, ())


@dataclass(frozen=True)
class Cluster:
    """Tasks about the same thing, with the evidence that joined them.

    ``evidence`` holds ``(kind, value, tasks)``: ``topic`` (the topic),
    ``keywords`` (the subject the tasks share) or ``similar`` (``"score:
    shared words"`` for two subjects found similar).
    """

    id: str
    tasks: tuple[str, ...]
    issues: tuple[int, ...]
    evidence: tuple[tuple[str, str, tuple[str, ...]], ...]  # (kind, value, tasks)
    duplicates: tuple[DuplicateSet, ...]
    levels: tuple[str, ...]
    environments: tuple[str, ...]
    declared_levels: tuple[str, ...] = ()

    @property
    def spans_issues(self) -> bool:
        return len(self.issues) > 1

    @property
    def mixed(self) -> bool:
        """Different levels (computed or declared) or environments: a safe task here may be
        a dangerous one there."""
        return bool(self.differs)

    @property
    def differs(self) -> tuple[str, ...]:
        """What differs between the tasks: ``computed levels``, ``declared levels``,
        ``environments``."""
        return _differs(self.levels, self.declared_levels, self.environments)

    @property
    def related(self) -> tuple[str, ...]:
        """Tasks that duplicate no other task of the cluster."""
        copied = {task for dup in self.duplicates for task in dup.tasks}
        return tuple(task for task in self.tasks if task not in copied)


@dataclass(frozen=True)
class Similar:
    """Two different subjects found similar: the Dice ``score`` and the ``shared`` words."""

    first: frozenset[str]
    second: frozenset[str]
    score: float
    shared: tuple[str, ...]

    @property
    def value(self) -> str:
        """The evidence text: ``"0.67: trust, zero"``."""
        return f"{self.score:.2f}: {', '.join(self.shared)}"


def _differs(
    levels: Sequence[str], declared: Sequence[str], environments: Sequence[str]
) -> tuple[str, ...]:
    names = ("computed levels", "declared levels", "environments")
    return tuple(
        name
        for name, values in zip(names, (levels, declared, environments), strict=True)
        if len(values) > 1
    )


def similar_subjects(
    subjects: Sequence[frozenset[str]], tasks: Sequence[int], settings: OverlapSettings
) -> list[tuple[int, int, Similar]]:
    """Pairs ``(i, j, similar)`` of different ``subjects`` (i < j) that are similar.

    ``tasks[i]`` is how many tasks have subject ``i`` (a word's document
    frequency counts tasks). Candidates come from an inverted index: subjects
    that share a word, skipping words in more than ``settings.common_word_tasks``
    tasks (so at most that many subjects a block, and work linear in the
    words of all titles); each word's block is scored at once with
    RapidFuzz's ``cdist`` (the normalised Indel similarity of the sorted words,
    which for sets of words is their Dice coefficient). A pair is kept when it
    shares at least ``settings.min_shared`` words and scores at least
    ``settings.threshold``.
    """
    frequency: dict[str, int] = defaultdict(int)
    for subject, count in zip(subjects, tasks, strict=True):
        for word in subject:
            frequency[word] += count
    cap = settings.common_word_tasks
    postings: dict[str, list[int]] = defaultdict(list)
    for i, subject in enumerate(subjects):
        if len(subject) >= settings.min_shared:  # fewer words can never share enough
            for word in subject:
                if frequency[word] <= cap:
                    postings[word].append(i)
    words = [tuple(sorted(subject)) for subject in subjects]
    candidates: set[tuple[int, int]] = set()
    for block in postings.values():
        if len(block) < 2:
            continue
        matrix = cdist(
            [words[i] for i in block],
            [words[i] for i in block],
            scorer=Indel.normalized_similarity,
            # Below the threshold: RapidFuzz drops a score equal to its cutoff
            # within about 1e-8 (2 shared of 2 + 3 words at 0.8); Dice values
            # of titles lie much further apart, and the test below is exact.
            score_cutoff=settings.threshold - 1e-6,
            dtype=np.float64,
            workers=1,
        )
        for a, b in zip(*np.nonzero(np.triu(matrix, k=1)), strict=True):
            candidates.add((block[a], block[b]))
    pairs = []
    for i, j in sorted(candidates):
        shared = subjects[i] & subjects[j]
        score = 2 * len(shared) / (len(subjects[i]) + len(subjects[j]))
        if len(shared) >= settings.min_shared and score >= settings.threshold:
            pairs.append((i, j, Similar(subjects[i], subjects[j], score, tuple(sorted(shared)))))
    return pairs


def find_overlaps(
    catalog: Catalog,
    scores: Mapping[str, Score],
    rules: GraphRules,
    *,
    topics: bool = True,
) -> tuple[Cluster, ...]:
    """Clusters of two or more tasks about the same thing, in catalog order.

    Tasks are bucketed by topic (unless ``topics`` is false: then only the
    titles speak) and by their title's subject; each bucket of two or more
    joins its tasks, and so does each pair of similar subjects
    (:func:`similar_subjects`).
    """
    settings = rules.overlaps
    order = {task.id: i for i, task in enumerate(catalog.tasks)}
    subject_of = {task.id: title_subject(task.title, settings) for task in catalog.tasks}
    joined = nx.utils.UnionFind(order)
    evidence: list[tuple[str, str, tuple[str, ...]]] = []

    def join(kind: str, value: str, members: Iterable[str]) -> None:
        ids = tuple(sorted(members, key=order.__getitem__))
        joined.union(*ids)
        evidence.append((kind, value, ids))

    if topics:
        by_topic: dict[str, list[str]] = defaultdict(list)
        for task in catalog.tasks:
            if task.topic:
                by_topic[task.topic].append(task.id)
        for topic, members in by_topic.items():
            if len(members) > 1:
                join("topic", topic, members)
    by_subject: dict[frozenset[str], list[str]] = defaultdict(list)
    for task in catalog.tasks:
        if subject_of[task.id]:
            by_subject[subject_of[task.id]].append(task.id)
    for subject, members in by_subject.items():
        if len(members) > 1:
            join("keywords", " ".join(sorted(subject)), members)
    subjects = list(by_subject)
    counts = [len(by_subject[s]) for s in subjects]
    for i, j, similar in similar_subjects(subjects, counts, settings):
        join("similar", similar.value, by_subject[subjects[i]] + by_subject[subjects[j]])

    evidence_by_root: dict[str, list[tuple[str, str, tuple[str, ...]]]] = defaultdict(list)
    for item in evidence:
        evidence_by_root[joined[item[2][0]]].append(item)
    members_by_root: dict[str, list[str]] = defaultdict(list)
    for task in catalog.tasks:
        members_by_root[joined[task.id]].append(task.id)
    roots = sorted(
        (root for root, members in members_by_root.items() if len(members) > 1),
        key=lambda root: order[members_by_root[root][0]],
    )
    clusters = []
    for number, root in enumerate(roots, start=1):
        ids = members_by_root[root]
        tasks = [catalog.task_by_id[i] for i in ids]
        clusters.append(
            Cluster(
                id=f"C{number:0{len(str(len(roots)))}d}",
                tasks=tuple(ids),
                issues=tuple(dict.fromkeys(t.issue for t in tasks)),
                evidence=tuple(
                    sorted(
                        evidence_by_root[root],
                        key=lambda e: (_EVIDENCE_RANK[e[0]], order[e[2][0]], e[1]),
                    )
                ),
                duplicates=_duplicates(tasks, scores, subject_of),
                levels=_levels(scores[i].level for i in ids),
                environments=tuple(dict.fromkeys(t.environment for t in tasks)),
                declared_levels=_levels(t.declared_risk for t in tasks),
            )
        )
    return tuple(clusters)


def _levels(levels: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({level for level in levels if level}, key=level_rank))


def _agree(known: tuple[str, str], task: Task) -> bool:
    """The task's activity and environment are ``known``'s wherever both are known."""
    return all(
        UNKNOWN in (x, y) or x == y
        for x, y in zip(known, (task.activity, task.environment), strict=True)
    )


def _learn(known: tuple[str, str], task: Task) -> tuple[str, str]:
    """``known`` with the task's known facts filled in."""
    activity, environment = known
    return (
        task.activity if activity == UNKNOWN else activity,
        task.environment if environment == UNKNOWN else environment,
    )


def _duplicates(
    tasks: list[Task], scores: Mapping[str, Score], subject_of: Mapping[str, frozenset[str]]
) -> tuple[DuplicateSet, ...]:
    """Copies of one piece of work, joined through either kind of sameness.

    Each group is consistent: its known activities are one value, and so are
    its known environments (a same-subject group only takes a task that agrees
    with all its members, and it meets a same-facts group only through a task
    whose facts are both known).
    """
    parent: dict[str, str] = {}  # a small union-find: most clusters have no copies at all

    def root(task: str) -> str:
        while parent.get(task, task) != task:
            task = parent[task]
        return task

    def union(members: Iterable[str]) -> None:
        first, *rest = (root(m) for m in members)
        for other in rest:
            if other != first:
                parent[other] = first

    by_facts: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_subject: dict[frozenset[str], list[Task]] = defaultdict(list)
    for task in tasks:
        # One unknown fact is no evidence of sameness by facts alone.
        if UNKNOWN not in (task.activity, task.environment):
            by_facts[(task.activity, task.environment)].append(task.id)
        if subject_of[task.id]:
            by_subject[subject_of[task.id]].append(task)
    for members in by_facts.values():
        if len(members) > 1:
            union(members)
    for group in by_subject.values():
        # A task joins the first copy whose known facts it agrees with; a copy's
        # known facts are one value each, as every member agrees with the others.
        copies: list[tuple[tuple[str, str], list[str]]] = []
        for task in group:
            for number, (known, members) in enumerate(copies):
                if _agree(known, task):
                    members.append(task.id)
                    copies[number] = (_learn(known, task), members)
                    break
            else:
                copies.append(((task.activity, task.environment), [task.id]))
        for _, members in copies:
            if len(members) > 1:
                union(members)
    sets: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        sets[root(task.id)].append(task)
    out = []
    for group in sets.values():
        if len(group) < 2:
            continue
        subjects = {subject_of[t.id] for t in group}
        (subject,) = subjects if len(subjects) == 1 else (frozenset(),)
        out.append(
            DuplicateSet(
                tasks=tuple(t.id for t in group),
                activity=_known(t.activity for t in group),
                environment=_known(t.environment for t in group),
                levels=_levels(scores[t.id].level for t in group),
                declared=_levels(t.declared_risk for t in group),
                title=" ".join(sorted(subject)),
            )
        )
    return tuple(out)


def _known(values: Iterable[str]) -> str:
    known = {value for value in values if value != UNKNOWN}
    return known.pop() if len(known) == 1 else UNKNOWN


@dataclass(frozen=True)
class LabelAgreement:
    """Detected clusters against groups a person labelled (for instance, topics).

    ``expected`` are the labelled groups of two or more tasks; ``missed`` says
    why each group not found was missed. Pairs are pairs of tasks in one
    detected cluster (``joined``), those of them with one label
    (``correct``) and the pairs of tasks with one label (``labelled``);
    ``false_joins`` are the joined pairs that share no label.
    """

    expected: tuple[tuple[str, tuple[str, ...]], ...]
    found: tuple[str, ...]
    missed: tuple[tuple[str, str], ...]
    joined: int
    correct: int
    labelled: int
    false_joins: tuple[tuple[str, str, str], ...]  # (cluster, task, task)

    @property
    def precision(self) -> float:
        """Correct pairs over joined pairs (1.0 when nothing is joined)."""
        return self.correct / self.joined if self.joined else 1.0

    @property
    def recall(self) -> float:
        """Correct pairs over labelled pairs (1.0 when no pair is labelled)."""
        return self.correct / self.labelled if self.labelled else 1.0


def agreement_with_labels(
    clusters: Iterable[Cluster], labels: Mapping[str, str | None]
) -> LabelAgreement:
    """How far ``clusters`` agree with ``labels`` (task id to label; None: unlabelled).

    A group counts as found by :data:`FOUND_RULE`.
    """
    clusters = tuple(clusters)
    groups: dict[str, list[str]] = defaultdict(list)
    for task, label in labels.items():
        if label:
            groups[label].append(task)
    expected = tuple((label, tuple(ts)) for label, ts in groups.items() if len(ts) > 1)
    expected_labels = {label for label, _ in expected}
    cluster_of = {task: c for c in clusters for task in c.tasks}
    found, missed = [], []
    for label, tasks in expected:
        holders: dict[str, list[str]] = defaultdict(list)
        for task in tasks:
            holders[cluster_of[task].id if task in cluster_of else "no cluster"].append(task)
        if len(holders) > 1:
            where = "; ".join(f"{holder}: {', '.join(ts)}" for holder, ts in holders.items())
            missed.append((label, f"split ({where})"))
            continue
        if "no cluster" in holders:
            missed.append((label, "in no cluster"))
            continue
        cluster = cluster_of[tasks[0]]
        others = [
            f"{t} ({labels.get(t)})"
            for t in cluster.tasks
            if labels.get(t) in expected_labels and labels.get(t) != label
        ]
        if others:
            missed.append((label, f"{cluster.id} also holds {', '.join(others)}"))
        else:
            found.append(label)
    joined = correct = 0
    false_joins = []
    for cluster in clusters:
        for i, a in enumerate(cluster.tasks):
            for b in cluster.tasks[i + 1 :]:
                joined += 1
                if labels.get(a) and labels.get(a) == labels.get(b):
                    correct += 1
                else:
                    false_joins.append((cluster.id, a, b))
    labelled = sum(len(ts) * (len(ts) - 1) // 2 for _, ts in expected)
    return LabelAgreement(
        expected=expected,
        found=tuple(found),
        missed=tuple(missed),
        joined=joined,
        correct=correct,
        labelled=labelled,
        false_joins=tuple(false_joins),
    )
