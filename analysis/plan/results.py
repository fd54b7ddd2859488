"""What planning returns: selections, schedules, schedule risk, assessments, comparisons.

Plain frozen records with no solver behind them, so that formats, frames and
figures can read a plan without importing OR-Tools. :func:`measures` gives
the figures two assessments are compared on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analysis.assess.audit import Audit
from analysis.assess.graph import GraphFacts
from analysis.assess.outcomes import OutcomeCoverage
from analysis.inputs.gate_rules import Gate
from analysis.inputs.graph_rules import GraphRules
from analysis.model import Catalog, Effort, Finding, Phase, Scenario, Task
from analysis.vocabulary import level_rank

__all__ = [
    "TIE_BREAKS",
    "TIE_BREAKS_PARALLEL",
    "Unit",
    "LeftOut",
    "Totals",
    "Baseline",
    "Selection",
    "objective_of",
    "Slot",
    "Timeline",
    "ScheduleRisk",
    "Assessment",
    "Comparison",
    "MEASURES",
    "measures",
]

#: How equally good selections are told apart, in order.
TIE_BREAKS = (
    "highest objective (value, or task count)",
    "then fewest hours",
    "then the smallest sum of catalog positions (earlier tasks first)",
)
#: Tie-breaks when lanes run in parallel and the budget is wall-clock time.
TIE_BREAKS_PARALLEL = (
    "highest objective (value, or task count)",
    "then the first optimum the solver proves (fixed seed, one worker: the same every run)",
    "then, for the work chosen, the earliest finish and design first (the schedule)",
)


@dataclass(frozen=True)
class Unit:
    """One piece of work: a task, or duplicates done once (closing every copy).

    A merged unit takes the largest effort of its copies, the sum of their
    values (each copy it closes delivers its own) and the riskiest level.
    """

    id: str
    tasks: tuple[str, ...]
    hours: float
    value: float
    level: str
    position: int


@dataclass(frozen=True)
class LeftOut:
    """A task not selected, and why: ``kind`` for scripts, ``reason`` for people."""

    task: str
    kind: str
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Totals:
    """Hours, counts, value and risk mix of a selection."""

    hours: float
    tasks: int
    units: int
    value: float
    risk: Mapping[str, int]


@dataclass(frozen=True)
class Baseline:
    """The greedy selection (best value per hour first), for comparison."""

    selected: tuple[str, ...]
    totals: Totals


@dataclass(frozen=True)
class Selection:
    """The result of a scenario: what is chosen, why the rest is not, and how sure we are.

    ``status`` is ``optimal`` (proven), ``feasible`` (a bound remains),
    ``infeasible`` (the scenario cannot be met: see ``violations``),
    ``unknown`` (stopped before finding any selection) or ``fixed`` (a
    hand-made plan, checked rather than optimised). ``as_done`` holds the tasks
    a hand-made plan does otherwise than the catalog says, and ``levels`` the
    level of that work where it is not the catalog's.
    """

    scenario: str
    status: str
    selected: tuple[str, ...]
    units: tuple[Unit, ...]
    left_out: tuple[LeftOut, ...]
    totals: Totals
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_seconds: float = 0.0
    solver: Mapping[str, Any] = field(default_factory=dict)
    baseline: Baseline | None = None
    violations: tuple[Finding, ...] = ()
    tie_breaks: tuple[str, ...] = TIE_BREAKS
    as_done: Mapping[str, Task] = field(default_factory=dict)
    levels: Mapping[str, str] = field(default_factory=dict)

    @property
    def gain_over_greedy(self) -> float | None:
        """Objective gained over the greedy baseline (None when there is none)."""
        if self.baseline is None or self.objective is None:
            return None
        return self.objective - objective_of(self.baseline.totals, self.solver.get("objective"))

    def reason_for(self, task: str) -> LeftOut | None:
        return next((item for item in self.left_out if item.task == task), None)


def objective_of(totals: Totals, objective: str | None) -> float:
    return float(totals.tasks) if objective == "count" else totals.value


@dataclass(frozen=True)
class Slot:
    """One piece of work in the schedule (a unit of work, or a plan item)."""

    job: str
    tasks: tuple[str, ...]
    label: str
    phase: str | None
    lane: int | None
    start_hours: float
    end_hours: float
    estimate: Effort
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timeline:
    """A schedule of a selection, or the reasons there is none."""

    status: str
    slots: tuple[Slot, ...]
    makespan_hours: float | None
    grid_minutes: float
    lanes: int
    phases: tuple[Phase, ...]
    phase_windows: tuple[tuple[str, float, float], ...]
    budget_hours: float | None
    explanations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    settings: Mapping[str, object] = field(default_factory=dict)
    predecessors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")


@dataclass(frozen=True)
class ScheduleRisk:
    """Finish-time distribution of a schedule under uncertain efforts (hours)."""

    samples: int
    seed: int
    p50: float
    p80: float
    p95: float
    mean: float
    planned: float
    within_budget: float | None
    phase_overflow: Mapping[str, float]
    point_range: tuple[float, float]
    three_point_jobs: int


@dataclass(frozen=True)
class Assessment:
    """A scenario run on a catalog: scores and findings, graph facts, the selection."""

    catalog: Catalog
    scenario: Scenario
    audit: Audit
    graph: GraphFacts
    selection: Selection
    timeline: Timeline | None = None
    risk: ScheduleRisk | None = None
    gates: tuple[Gate, ...] = ()
    outcomes: tuple[OutcomeCoverage, ...] = ()
    graph_rules: GraphRules | None = None

    def level_of(self, task: str) -> str:
        """The level of the work planned on ``task`` (the plan's, else the catalog's).

        A design task a hand-made plan does as implementation is at the
        implementation's level; every other task at its catalog level (the
        worst case when not computable).
        """
        return self.selection.levels.get(task, self.audit.scores[task].level)

    def level_texts(self, tasks: Sequence[str]) -> tuple[str, str]:
        """The level of the work planned on ``tasks`` as shown, and the catalog's where it differs.

        The work's level is its riskiest task's as planned (:meth:`level_of`),
        with the catalog's level (``level_text``) beside it where that is
        another level. Planned as the catalog says, it is shown as the catalog
        shows it (``not computable (LOW–MEDIUM)`` when it rests on unknown
        facts), with nothing beside it.
        """
        if not tasks:
            return "", ""
        scores = self.audit.scores
        level = max((self.level_of(t) for t in tasks), key=level_rank)
        catalog = max((scores[t].level for t in tasks), key=level_rank)
        if level == catalog:
            same = [t for t in tasks if self.level_of(t) == scores[t].level == level]
            shown = next((t for t in same if not scores[t].computed), same[0] if same else None)
            return (scores[shown].level_text if shown else level), ""
        worst = next(t for t in tasks if scores[t].level == catalog)
        return level, scores[worst].level_text

    def enforcing(self, gate: Gate) -> tuple[str, ...]:
        """Resources of capacity 1 that enforce a serialising gate in this scenario."""
        if "resource" not in gate.requires:
            return ()
        return tuple(r.name for r in self.scenario.resources if r.capacity == 1)


@dataclass(frozen=True)
class Comparison:
    """Two assessments of one catalog side by side."""

    a: Assessment
    b: Assessment
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    both: tuple[str, ...]
    better: Mapping[str, str]  # measure -> "a", "b" or "tie"


#: Measures compared, and whether more is better.
MEASURES = {
    "value": True,
    "tasks": True,
    "hours": False,
    "finish": False,
    "HIGH tasks": False,
    "MEDIUM tasks": False,
    "violations": False,
}


def measures(assessment: Assessment) -> dict[str, float | None]:
    """The figures two selections are compared on.

    ``hours`` is the work; ``finish`` the wall-clock end of the schedule (the
    work itself when nothing is scheduled; None when no schedule fits).
    """
    selection = assessment.selection
    totals = selection.totals
    timeline = assessment.timeline
    finish: float | None = None
    if timeline is None:
        finish = round(totals.hours, 6)
    elif timeline.ok:
        assert timeline.makespan_hours is not None  # a schedule that fits has a finish
        finish = round(timeline.makespan_hours, 6)
    return {
        "value": totals.value,
        "tasks": totals.tasks,
        "hours": round(totals.hours, 6),
        "finish": finish,
        "HIGH tasks": totals.risk.get("HIGH", 0),
        "MEDIUM tasks": totals.risk.get("MEDIUM", 0),
        "violations": len(selection.violations),
    }
