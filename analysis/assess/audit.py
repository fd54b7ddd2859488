"""Audit: score every task and report where a catalog disagrees with itself.

Findings are results, not errors. Each has a ``kind``, a one-sentence
``message``, the ``tasks`` it concerns and machine-readable ``details``:

``count-mismatch``
    A count the document declares (in total, per level, per issue, per level
    within an issue) differs from the tasks it lists.
``declared-counts-disagree``
    Declared counts contradict each other (the issues' totals do not add up
    to the declared total).
``level-mismatch``
    A task's declared level differs from the level computed from its facts; or,
    when the level is not computable, lies outside its range (best case to
    worst case).
``level-not-computable``
    Levels that rest on unknown facts: each is scored at its worst case for
    decisions, but is not a computed level; with the range and the declared level.
``facts-to-add``
    One per unknown fact behind such levels, most useful first: how many levels
    stating it would settle (computed whatever its value) and how many it would
    only narrow, with the tasks.
``claim-mismatch``, ``declared-scale``
    A claim of the document ("N of M safe", a total effort) that its lists
    contradict, and the other scales its levels were read on (see
    :mod:`analysis.assess.claims`).
``gate``
    A safety gate that tasks break, with what is missing (see :mod:`analysis.assess.gates`).

Examples
--------
>>> from analysis.inputs.catalog_records import parse_catalog
>>> from analysis.inputs.rubric import read_rubric
>>> catalog = parse_catalog({
...     "catalog": {"declared": {"total": 2}},
...     "defaults": {"effort_hours": {"design": 1}},
...     "tasks": [{"id": "T1", "issue": 1, "title": "x", "activity": "design",
...                "environment": "none", "declared_risk": "MEDIUM"}]})
>>> [f.kind for f in audit_catalog(catalog, read_rubric()).findings]
['count-mismatch', 'level-mismatch']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from analysis.assess.claims import CLAIM_KINDS, claim_findings
from analysis.assess.gates import check_gates, gate_findings
from analysis.assess.graph import build_graph
from analysis.assess.scoring import Score, score_catalog, unsettled_by
from analysis.inputs.bundle import read_inputs
from analysis.inputs.gate_rules import Gate
from analysis.inputs.graph_rules import GraphRules
from analysis.inputs.rubric import Rubric
from analysis.model import Catalog, DeclaredCounts, Finding, Task
from analysis.vocabulary import FACTS, LEVELS, level_rank

__all__ = [
    "FINDING_KINDS",
    "NOT_COMPUTABLE",
    "CountRow",
    "FactToAdd",
    "Audit",
    "count_rows",
    "within_range",
    "facts_to_add",
    "audit_catalog",
    "audit_files",
]

FINDING_KINDS = (
    "count-mismatch",
    "declared-counts-disagree",
    "level-mismatch",
    "level-not-computable",
    "facts-to-add",
    *CLAIM_KINDS,
    "gate",
)

#: The category of a level that rests on unknown facts, beside the levels in counts and charts.
NOT_COMPUTABLE = "not computable"
#: A facts-to-add finding names at most this many values of a fact that leave levels open.
_VALUES_SHOWN = 3


@dataclass(frozen=True)
class CountRow:
    """Declared, listed and computed counts of one scope and measure.

    ``scope`` is ``all`` or ``issue #N``; ``measure`` is ``total`` or a level.
    ``listed`` counts tasks (for a level: tasks *declared* at it); ``computed``
    counts the tasks whose level is computed (for a level: computed at it), and
    ``not_computable`` those whose level rests on unknown facts (for a level:
    at it in the worst case), so the two add up to the tasks scored.
    """

    scope: str
    measure: str
    declared: int | None
    listed: int
    computed: int
    not_computable: int = 0

    @property
    def agrees(self) -> bool:
        return self.declared is None or self.declared == self.listed


@dataclass(frozen=True)
class FactToAdd:
    """An unknown fact behind levels that are not computable, and what stating it would do.

    ``settles``: tasks whose level stating the fact makes computed, whatever its
    value. ``narrows``: the other tasks whose level rests on it; ``unsettled``
    gives, for each of them, the values that would leave another unknown fact
    behind the level.
    """

    fact: str
    settles: tuple[str, ...]
    narrows: tuple[str, ...]
    unsettled: Mapping[str, tuple[str, ...]]

    @property
    def tasks(self) -> tuple[str, ...]:
        return self.settles + self.narrows


@dataclass(frozen=True)
class Audit:
    """Scores of every task, count tables, findings, and the facts to add, most useful first."""

    catalog: Catalog
    rubric: Rubric
    scores: Mapping[str, Score]
    counts: tuple[CountRow, ...]
    findings: tuple[Finding, ...]
    facts_to_add: tuple[FactToAdd, ...] = ()

    def level_counts(self) -> dict[str, int]:
        """How many tasks the rubric puts at each level, in the worst case (used for decisions)."""
        return {level: sum(s.level == level for s in self.scores.values()) for level in LEVELS}

    def computed_counts(self) -> dict[str, int]:
        """Tasks computed at each level, then ``not computable``: every task counted once."""
        counts = {
            level: sum(s.computed and s.level == level for s in self.scores.values())
            for level in LEVELS
        }
        counts[NOT_COMPUTABLE] = sum(not s.computed for s in self.scores.values())
        return counts

    def mix_text(self) -> str:
        """``24 LOW, 3 MEDIUM, 1 HIGH computed; 15 not computable: 3 MEDIUM, 12 HIGH at worst``."""
        counts = self.computed_counts()
        text = ", ".join(f"{counts[level]} {level}" for level in LEVELS) + " computed"
        if counts[NOT_COMPUTABLE]:
            worst = [
                f"{n} {level}"
                for level in LEVELS
                if (n := sum(not s.computed and s.level == level for s in self.scores.values()))
            ]
            text += f"; {counts[NOT_COMPUTABLE]} {NOT_COMPUTABLE}: {', '.join(worst)} at worst"
        return text


def _rows(scope: str, declared: DeclaredCounts, tasks: tuple[Task, ...], scores) -> list[CountRow]:
    open_ = [task for task in tasks if not scores[task.id].computed]
    rows = [
        CountRow(scope, "total", declared.total, len(tasks), len(tasks) - len(open_), len(open_))
    ]
    for level in LEVELS:
        rows.append(
            CountRow(
                scope,
                level,
                declared.by_level.get(level),
                sum(task.declared_risk == level for task in tasks),
                sum(scores[t.id].computed and scores[t.id].level == level for t in tasks),
                sum(scores[task.id].level == level for task in open_),
            )
        )
    return rows


def count_rows(catalog: Catalog, scores: Mapping[str, Score]) -> tuple[CountRow, ...]:
    """Counts for the whole catalog, then for each issue in catalog order."""
    rows = _rows("all", catalog.declared, catalog.tasks, scores)
    for number, issue in catalog.issue_by_number.items():
        rows += _rows(issue.label, issue.declared, catalog.tasks_of(number), scores)
    return tuple(rows)


def _count_findings(catalog: Catalog, counts: tuple[CountRow, ...]) -> list[Finding]:
    findings = []
    for row in counts:
        if row.agrees:
            continue
        assert row.declared is not None  # a row that disagrees declares a count
        where = "the catalog" if row.scope == "all" else row.scope
        if row.scope == "all":
            scoped = catalog.tasks
        else:
            scoped = catalog.tasks_of(int(row.scope.removeprefix("issue #")))
        if row.measure == "total":
            what, tasks = "tasks", scoped
        else:
            what = f"{row.measure} tasks"
            tasks = tuple(t for t in scoped if t.declared_risk == row.measure)
        diff = row.listed - row.declared
        findings.append(
            Finding(
                "count-mismatch",
                f"{where} declares {row.declared} {what} but lists {row.listed} "
                f"({'+' if diff > 0 else ''}{diff})",
                tuple(t.id for t in tasks),
                {
                    "scope": row.scope,
                    "measure": row.measure,
                    "declared": row.declared,
                    "listed": row.listed,
                },
            )
        )
    return findings


def _declared_sum_findings(catalog: Catalog) -> list[Finding]:
    """Issues' declared counts that do not add up to the catalog's declared counts."""
    issues = list(catalog.issue_by_number.values())
    findings = []
    for measure in ("total", *LEVELS):
        if measure == "total":
            whole = catalog.declared.total
            parts = [issue.declared.total for issue in issues]
        else:
            whole = catalog.declared.by_level.get(measure)
            parts = [issue.declared.by_level.get(measure) for issue in issues]
        if whole is None or any(part is None for part in parts):
            continue
        counts = [part for part in parts if part is not None]  # all of them, as checked
        if sum(counts) == whole:
            continue
        label = "tasks" if measure == "total" else f"{measure} tasks"
        findings.append(
            Finding(
                "declared-counts-disagree",
                f"the catalog declares {whole} {label} but its issues declare "
                f"{' + '.join(map(str, counts))} = {sum(counts)}",
                (),
                {"measure": measure, "declared": whole, "issues": sum(counts)},
            )
        )
    return findings


def within_range(score: Score, declared: str) -> bool:
    """Whether a declared level lies between a level's best and worst case (both included)."""
    low, high = score.level_range
    return level_rank(low) <= level_rank(declared) <= level_rank(high)


def _level_findings(catalog: Catalog, scores: Mapping[str, Score]) -> list[Finding]:
    """Declared levels that differ from the computed level, or lie outside a level's range.

    A declared level within the range of a level that is not computable is no
    mismatch: the level-not-computable finding lists it.
    """
    findings = []
    for task in catalog.tasks:
        score = scores[task.id]
        declared = task.declared_risk
        if declared is None or (
            declared == score.level if score.computed else within_range(score, declared)
        ):
            continue
        direction = "higher" if level_rank(score.best_level) > level_rank(declared) else "lower"
        if score.computed:
            what = f"computed {score.level} ({direction})"
        else:
            bound = "best" if direction == "higher" else "worst"
            what = f"{score.status} ({score.range_text}, {direction} even at {bound})"
        findings.append(
            Finding(
                "level-mismatch",
                f"{task.id} {task.title}: declared {declared}, {what}: {score.main_reason}",
                (task.id,),
                {
                    "declared": declared,
                    "computed": score.level if score.computed else None,
                    "level_range": list(score.level_range),
                    "rests_on_unknown": list(score.rests_on_unknown),
                },
            )
        )
    return findings


def _not_computable_findings(catalog: Catalog, scores: Mapping[str, Score]) -> list[Finding]:
    """One finding that lists every level that is not computable, with its range."""
    tasks = [task for task in catalog.tasks if not scores[task.id].computed]
    if not tasks:
        return []
    listed = []
    for task in tasks:
        score = scores[task.id]
        declared = f", declared {task.declared_risk}" if task.declared_risk else ""
        listed.append(
            f"{task.id} {score.range_text} ({', '.join(score.rests_on_unknown)} unknown{declared})"
        )
    within = sum(
        t.declared_risk is not None and within_range(scores[t.id], t.declared_risk) for t in tasks
    )
    declared_count = sum(t.declared_risk is not None for t in tasks)
    agree = (
        f"; {within} of {declared_count} declared level(s) lie within their range"
        if declared_count
        else ""
    )
    return [
        Finding(
            "level-not-computable",
            f"{len(tasks)} level(s) are not computable: they rest on unknown facts and are "
            f"scored at their worst case until the facts are stated{agree}: {', '.join(listed)}",
            tuple(t.id for t in tasks),
            {
                "tasks": [
                    {
                        "id": t.id,
                        "risk": scores[t.id].level,
                        "lowest_level": scores[t.id].best_level,
                        "declared_risk": t.declared_risk,
                        "not_computable_because": list(scores[t.id].rests_on_unknown),
                    }
                    for t in tasks
                ],
                "within_range": within,
            },
        )
    ]


def facts_to_add(catalog: Catalog, scores: Mapping[str, Score], rubric: Rubric) -> list[FactToAdd]:
    """Each unknown fact behind levels that are not computable, the most useful first.

    Ranked by how many levels stating it settles, then how many it narrows,
    then the order of ``FACTS``.
    """
    ranked = []
    for fact in FACTS:
        behind = [t for t in catalog.tasks if fact in scores[t.id].rests_on_unknown]
        if not behind:
            continue
        unsettled = {t.id: unsettled_by(t, rubric, fact) for t in behind}
        ranked.append(
            FactToAdd(
                fact,
                tuple(t.id for t in behind if not unsettled[t.id]),
                tuple(t.id for t in behind if unsettled[t.id]),
                {task: values for task, values in unsettled.items() if values},
            )
        )
    ranked.sort(key=lambda row: (-len(row.settles), -len(row.narrows), FACTS.index(row.fact)))
    return ranked


def _values_text(values: tuple[str, ...]) -> str:
    if len(values) > _VALUES_SHOWN:
        return f"one of {len(values)} values"
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _facts_findings(ranked: list[FactToAdd]) -> list[Finding]:
    """One finding per fact to add, most useful first.

    >>> row = FactToAdd("environment", ("A",), ("B", "C"), {"B": ("staging",), "C": ("staging",)})
    >>> head, tail = _facts_findings([row])[0].message.split(": ", 1)
    >>> head
    'state environment for 3 task(s)'
    >>> tail
    'settles 1 level(s) whatever it is (A), narrows 2 (B, C: settled too unless it is staging)'
    """
    findings = []
    for rank, row in enumerate(ranked, 1):
        unless: dict[tuple[str, ...], list[str]] = {}
        for task, values in row.unsettled.items():
            unless.setdefault(values, []).append(task)
        narrowed = "; ".join(
            f"{', '.join(tasks)}: {'settled too ' if i == 0 else ''}unless it is "
            f"{_values_text(values)}"
            for i, (values, tasks) in enumerate(unless.items())
        )
        settled = f" ({', '.join(row.settles)})" if row.settles else ""
        findings.append(
            Finding(
                "facts-to-add",
                f"state {row.fact} for {len(row.tasks)} task(s): settles {len(row.settles)} "
                f"level(s) whatever it is{settled}, narrows {len(row.narrows)}"
                + (f" ({narrowed})" if narrowed else ""),
                row.tasks,
                {
                    "fact": row.fact,
                    "rank": rank,
                    "settles": list(row.settles),
                    "narrows": list(row.narrows),
                    "unsettled_by": {task: list(v) for task, v in row.unsettled.items()},
                },
            )
        )
    return findings


def audit_catalog(
    catalog: Catalog,
    rubric: Rubric,
    gates: tuple[Gate, ...] = (),
    graph_rules: GraphRules | None = None,
) -> Audit:
    """Score every task and list every finding, in a stable order.

    With ``gates``, every gate a task breaks is a finding too (``gate``). Gates
    that need the dependency graph are checked when ``graph_rules`` are given;
    gates that need a scenario (a serialising resource) are checked by plans.

    Raises
    ------
    DependencyCycleError
        When the graph is built and its declared and inferred links form a cycle.
    """
    scores = score_catalog(catalog, rubric)
    counts = count_rows(catalog, scores)
    facts = facts_to_add(catalog, scores, rubric)
    findings = (
        _count_findings(catalog, counts)
        + _declared_sum_findings(catalog)
        + _level_findings(catalog, scores)
        + _not_computable_findings(catalog, scores)
        + _facts_findings(facts)
        + claim_findings(catalog)
    )
    if gates:
        graph = None if graph_rules is None else build_graph(catalog, scores, graph_rules)
        levels = {task: score.level for task, score in scores.items()}
        findings += gate_findings(check_gates(catalog, gates, levels=levels, graph=graph))
    return Audit(catalog, rubric, scores, counts, tuple(findings), tuple(facts))


def audit_files(
    catalog: str | os.PathLike | None = None,
    *,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
) -> Audit:
    """Read the inputs (the bundled ones by default) and audit the catalog, gates included.

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first
        problem, including a dependency cycle made by an inference rule.
    """
    inputs = read_inputs(catalog, rubric=rubric, rules=rules, gates=gates)
    with inputs.naming_the_catalog():
        return audit_catalog(inputs.catalog, inputs.rubric, inputs.gates, inputs.graph_rules)
