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
    A task's declared level differs from the level computed from its facts.
``level-rests-on-unknown``
    Levels that hold only because a fact is unknown and scored as its riskiest
    value; stating the fact may lower them.
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

from analysis.assess.gates import check_gates, gate_findings
from analysis.assess.graph import build_graph
from analysis.assess.scoring import Score, score_catalog
from analysis.inputs.bundle import read_inputs
from analysis.inputs.gate_rules import Gate
from analysis.inputs.graph_rules import GraphRules
from analysis.inputs.rubric import Rubric
from analysis.model import Catalog, DeclaredCounts, Finding, Task
from analysis.vocabulary import FACTS, LEVELS, level_rank

__all__ = [
    "FINDING_KINDS",
    "CountRow",
    "Audit",
    "count_rows",
    "audit_catalog",
    "audit_files",
]

FINDING_KINDS = (
    "count-mismatch",
    "declared-counts-disagree",
    "level-mismatch",
    "level-rests-on-unknown",
    "gate",
)


@dataclass(frozen=True)
class CountRow:
    """Declared, listed and computed counts of one scope and measure.

    ``scope`` is ``all`` or ``issue #N``; ``measure`` is ``total`` or a level.
    ``listed`` counts tasks (for a level: tasks *declared* at it); ``computed``
    counts tasks at that level by the rubric.
    """

    scope: str
    measure: str
    declared: int | None
    listed: int
    computed: int

    @property
    def agrees(self) -> bool:
        return self.declared is None or self.declared == self.listed


@dataclass(frozen=True)
class Audit:
    """Scores of every task, count tables and findings."""

    catalog: Catalog
    rubric: Rubric
    scores: Mapping[str, Score]
    counts: tuple[CountRow, ...]
    findings: tuple[Finding, ...]

    def level_counts(self) -> dict[str, int]:
        """How many tasks the rubric puts at each level."""
        return {level: sum(s.level == level for s in self.scores.values()) for level in LEVELS}


def _rows(scope: str, declared: DeclaredCounts, tasks: tuple[Task, ...], scores) -> list[CountRow]:
    rows = [CountRow(scope, "total", declared.total, len(tasks), len(tasks))]
    for level in LEVELS:
        rows.append(
            CountRow(
                scope,
                level,
                declared.by_level.get(level),
                sum(task.declared_risk == level for task in tasks),
                sum(scores[task.id].level == level for task in tasks),
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


def _level_findings(catalog: Catalog, scores: Mapping[str, Score]) -> list[Finding]:
    findings = []
    for task in catalog.tasks:
        score = scores[task.id]
        if task.declared_risk is None or task.declared_risk == score.level:
            continue
        direction = (
            "higher" if level_rank(score.level) > level_rank(task.declared_risk) else "lower"
        )
        because = score.main_reason
        if score.rests_on_unknown:
            because += (
                f"; rests on unknown {', '.join(score.rests_on_unknown)}"
                f" (as low as {score.lowest_level} once stated)"
            )
        findings.append(
            Finding(
                "level-mismatch",
                f"{task.id} {task.title}: declared {task.declared_risk}, computed "
                f"{score.level} ({direction}): {because}",
                (task.id,),
                {
                    "declared": task.declared_risk,
                    "computed": score.level,
                    "rests_on_unknown": list(score.rests_on_unknown),
                },
            )
        )
    return findings


def _unknown_findings(catalog: Catalog, scores: Mapping[str, Score]) -> list[Finding]:
    findings = []
    for fact in FACTS:
        tasks = tuple(t.id for t in catalog.tasks if fact in scores[t.id].rests_on_unknown)
        if not tasks:
            continue
        findings.append(
            Finding(
                "level-rests-on-unknown",
                f"{len(tasks)} task(s) are scored as the riskiest {fact} because it is unknown; "
                f"stating it may lower their level: {', '.join(tasks)}",
                tasks,
                {"fact": fact},
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
    findings = (
        _count_findings(catalog, counts)
        + _declared_sum_findings(catalog)
        + _level_findings(catalog, scores)
        + _unknown_findings(catalog, scores)
    )
    if gates:
        graph = None if graph_rules is None else build_graph(catalog, scores, graph_rules)
        levels = {task: score.level for task, score in scores.items()}
        findings += gate_findings(check_gates(catalog, gates, levels=levels, graph=graph))
    return Audit(catalog, rubric, scores, counts, tuple(findings))


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
