"""Domain records: tasks, issues and catalogs; scenarios and their settings.

The words they use (levels, facts, statuses, the vocabulary) are in
:mod:`analysis.vocabulary`.

Records are frozen dataclasses. Reading and validating a file is the job of
:mod:`analysis.inputs.catalog_records`; a :class:`Catalog` built in code still checks its own
cross-references (duplicate ids, unknown issues and dependencies, cycles).

Examples
--------
>>> Effort.point(0.5).hours
0.5
>>> Effort(0.25, 0.5, 1.5).is_point
False
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from analysis.errors import CatalogError, DependencyCycleError
from analysis.vocabulary import FACTS, LEVELS, OBJECTIVES, STATUSES, UNKNOWN, facts_match, require

__all__ = [
    "NOT_IN_ID",
    "hours_text",
    "Effort",
    "Task",
    "DeclaredCounts",
    "Issue",
    "Target",
    "Defaults",
    "Catalog",
    "Finding",
    "Phase",
    "Resource",
    "PlanItem",
    "SolverSettings",
    "RiskSettings",
    "Scenario",
]

#: Characters a task id may not hold: spaces, commas, semicolons, and invisible ones (controls,
#: zero-width and bidirectional formatting: two ids that look alike must be the same id).
NOT_IN_ID = re.compile(
    r"[\s,;\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    r"\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def hours_text(hours: float) -> str:
    """A duration for people: minutes under an hour, hours above.

    >>> hours_text(0.825), hours_text(4.7), hours_text(0.125), hours_text(2)
    ('49.5 min', '4.7 h', '7.5 min', '2 h')
    """
    if abs(hours) < 1:
        return f"{round(hours * 60, 1):g} min"
    return f"{round(hours, 2):g} h"


def _finite(value: float, minimum: float = 0.0) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= minimum
    )


@dataclass(frozen=True)
class Effort:
    """An effort estimate in hours: three points, equal when only one is known.

    The planning figure is the most likely value.

    >>> Effort(-1, -1, -1)
    Traceback (most recent call last):
    ...
    ValueError: effort: hours must be finite numbers, not negative: Effort(optimistic=-1, ...)
    """

    optimistic: float
    likely: float
    pessimistic: float

    def __post_init__(self) -> None:
        require(
            all(_finite(v) for v in (self.optimistic, self.likely, self.pessimistic)),
            f"effort: hours must be finite numbers, not negative: {self}",
        )
        require(
            self.optimistic <= self.likely <= self.pessimistic,
            f"effort: expected optimistic <= likely <= pessimistic: {self}",
        )

    @classmethod
    def point(cls, hours: float) -> Effort:
        """A single estimate: optimistic = likely = pessimistic."""
        return cls(hours, hours, hours)

    @property
    def hours(self) -> float:
        """The planning figure (the most likely value)."""
        return self.likely

    @property
    def is_point(self) -> bool:
        return self.optimistic == self.likely == self.pessimistic


@dataclass(frozen=True)
class Task:
    """One unit of pending work and the facts known about it.

    ``effort`` and ``value`` are always resolved numbers; ``effort_source``
    and ``value_source`` say where each came from (``task``: written on the
    task; ``default``: the catalog's default for its activity;
    ``priority``: the catalog's value for its priority).
    """

    id: str
    issue: int
    title: str
    activity: str
    environment: str
    touches: tuple[str, ...]
    reversibility: str
    effort: Effort
    effort_source: str
    value: float
    value_source: str
    priority: str | None = None
    depends_on: tuple[str, ...] = ()
    topic: str | None = None
    outcomes: tuple[str, ...] = ()
    status: str = "todo"
    declared_risk: str | None = None
    declared_note: str | None = None
    declared_label: str | None = None  # the level as the document wrote it (CRITICAL, 高, 🔴)
    rollback: str | None = None
    approval: str | None = None
    verification: str | None = None
    monitoring: str | None = None
    documentation: str | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require(
            isinstance(self.id, str) and bool(self.id) and not NOT_IN_ID.search(self.id),
            f"task id {self.id!r}: expected text without spaces, commas, semicolons or "
            "invisible characters",
        )
        where = f"task {self.id}"
        require(
            isinstance(self.issue, int) and not isinstance(self.issue, bool),
            f"{where}: issue must be a whole number, got {self.issue!r}",
        )
        require(
            isinstance(self.title, str) and bool(self.title.strip()),
            f"{where}: title must be non-empty text",
        )
        require(isinstance(self.effort, Effort), f"{where}: effort must be an Effort")
        require(_finite(self.value), f"{where}: value must be a finite number >= 0")
        require(bool(self.touches), f"{where}: touches must name an area, or be ('unknown',)")
        require(
            self.status in STATUSES, f"{where}: status {self.status!r} is not one of {STATUSES}"
        )
        require(
            self.declared_risk is None or self.declared_risk in LEVELS,
            f"{where}: declared_risk {self.declared_risk!r} is not one of {LEVELS}",
        )

    def fact(self, name: str) -> str | tuple[str, ...]:
        """The value of one scored fact (see :data:`FACTS`)."""
        return getattr(self, name)

    def unknown_facts(self) -> tuple[str, ...]:
        """Names of the scored facts that are (at least partly) unknown."""
        out = []
        for name in FACTS:
            value = self.fact(name)
            if value == UNKNOWN or (isinstance(value, tuple) and UNKNOWN in value):
                out.append(name)
        return tuple(out)


@dataclass(frozen=True)
class DeclaredCounts:
    """Task counts that a document states, kept exactly as stated.

    ``None`` (or a level missing from ``by_level``) means the document states
    no such count.
    """

    total: int | None = None
    by_level: Mapping[str, int] = field(default_factory=dict)
    safe: int | None = None  # "30 of 42 tasks are safe": 30 ...
    safe_of: int | None = None  # ... of 42
    effort_hours: float | None = None  # "Total effort: 6h"
    as_stated: Mapping[str, str] = field(default_factory=dict)  # the sentence behind each

    def __post_init__(self) -> None:
        require(
            self.effort_hours is None or (_finite(self.effort_hours) and self.effort_hours >= 0),
            f"declared effort must be a finite number of hours >= 0: {self}",
        )
        counts = [self.total, *self.by_level.values(), self.safe, self.safe_of]
        require(
            all(c is None or (isinstance(c, int) and c >= 0) for c in counts),
            f"declared counts must be whole numbers >= 0: {self}",
        )
        require(set(self.by_level) <= set(LEVELS), f"declared counts of unknown levels: {self}")

    def __bool__(self) -> bool:
        return (
            self.total is not None
            or bool(self.by_level)
            or self.safe is not None
            or self.effort_hours is not None
        )


@dataclass(frozen=True)
class Issue:
    """A GitHub issue that holds tasks."""

    number: int
    title: str | None = None
    declared: DeclaredCounts = field(default_factory=DeclaredCounts)
    note: str | None = None

    @property
    def label(self) -> str:
        return f"issue #{self.number}"


@dataclass(frozen=True)
class Target:
    """An expected outcome a document states, kept in its own words.

    ``area`` is one of :data:`OUTCOME_AREAS`, or ``overall``; ``start`` and
    ``goal`` hold a measured figure's before and after, when one is given.
    """

    area: str
    target: str
    start: str | None = None
    goal: str | None = None


@dataclass(frozen=True)
class Defaults:
    """Catalog-wide defaults for facts a task may leave out."""

    effort_hours: Mapping[str, float] = field(default_factory=dict)
    value: float = 1.0
    value_by_priority: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    """Issues and tasks, as one document states them.

    Construction checks cross-references: duplicate task ids and issue
    numbers, tasks of undeclared issues (when any issue is declared),
    dependencies on unknown ids, and dependency cycles.

    Raises
    ------
    CatalogError
        On a duplicate id, an unknown issue or an unknown dependency.
    DependencyCycleError
        When ``depends_on`` links form a cycle.
    """

    name: str
    tasks: tuple[Task, ...]
    issues: tuple[Issue, ...] = ()
    title: str | None = None
    source: str | None = None
    declared: DeclaredCounts = field(default_factory=DeclaredCounts)
    defaults: Defaults = field(default_factory=Defaults)
    targets: tuple[Target, ...] = ()
    #: Scenario files the catalog names, as written (relative to the catalog file's
    #: folder): the first is the limits to optimise under when no scenario is given.
    scenarios: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for task in self.tasks:
            if task.id in seen:
                raise CatalogError("duplicate id", task=task.id, field="id")
            seen.add(task.id)
        numbers: set[int] = set()
        for issue in self.issues:
            if issue.number in numbers:
                raise CatalogError("duplicate issue number", record=issue.label, field="number")
            numbers.add(issue.number)
        for task in self.tasks:
            if numbers and task.issue not in numbers:
                raise CatalogError(
                    f"issue #{task.issue} is not declared under 'issues'",
                    task=task.id,
                    field="issue",
                )
            for dep in task.depends_on:
                if dep not in seen:
                    raise CatalogError(f"unknown task id '{dep}'", task=task.id, field="depends_on")
                if dep == task.id:
                    raise DependencyCycleError([task.id, task.id])
        cycle = _find_cycle(self.tasks)
        if cycle:
            raise DependencyCycleError(cycle)
        for path in self.scenarios:
            if not isinstance(path, str) or not path.strip():
                raise CatalogError(
                    f"expected a scenario file's path, got {path!r}", field="scenarios"
                )

    @cached_property
    def task_by_id(self) -> dict[str, Task]:
        return {task.id: task for task in self.tasks}

    @cached_property
    def issue_by_number(self) -> dict[int, Issue]:
        """Declared issues, plus an untitled one for every number only tasks name."""
        out = {issue.number: issue for issue in self.issues}
        for task in self.tasks:
            out.setdefault(task.issue, Issue(task.issue))
        return out

    def tasks_of(self, issue: int) -> tuple[Task, ...]:
        """Tasks of one issue, in catalog order."""
        return self._tasks_by_issue.get(issue, ())

    @cached_property
    def _tasks_by_issue(self) -> dict[int, tuple[Task, ...]]:
        """Every issue's tasks, found in one pass (one scan per issue grows with their product)."""
        grouped: dict[int, list[Task]] = {}
        for task in self.tasks:
            grouped.setdefault(task.issue, []).append(task)
        return {number: tuple(tasks) for number, tasks in grouped.items()}

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


@dataclass(frozen=True)
class Finding:
    """A result worth a person's attention: where a catalog or a plan disagrees with itself.

    ``kind`` names the check, ``message`` says it in one sentence, ``tasks``
    lists the tasks concerned and ``details`` holds the figures for scripts.
    """

    kind: str
    message: str
    tasks: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Phase:
    """An ordered time box of a plan."""

    name: str
    hours: float
    title: str | None = None

    def __post_init__(self) -> None:
        require(bool(self.name), "a phase needs a name")
        require(_finite(self.hours) and self.hours > 0, f"phase {self.name}: hours must be > 0")


@dataclass(frozen=True)
class Resource:
    """Something tasks share, with an integer capacity (e.g. one change at a time on dev).

    ``used_by`` selects the tasks that use it, by fact: ``activity``,
    ``environment`` (values) or ``touches_any`` (areas); each selected task
    takes ``units`` of the capacity while it runs.
    """

    name: str
    capacity: int
    used_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    units: int = 1
    note: str | None = None

    def __post_init__(self) -> None:
        require(
            self.capacity >= 1 and self.units >= 1,
            f"resource {self.name}: capacity and units must be at least 1",
        )

    def uses(self, task: Task) -> bool:
        """Whether ``task`` takes this resource while it runs."""
        return self.uses_facts(task.activity, task.environment, task.touches)

    def uses_facts(self, activity: str, environment: str, touches: tuple[str, ...]) -> bool:
        """Whether work with these facts takes this resource (an unknown fact: it does)."""
        facts = {"activity": activity, "environment": environment, "touches": touches}
        return facts_match(self.used_by, facts, unknown_matches=True)


@dataclass(frozen=True)
class PlanItem:
    """One line of a hand-made plan: what it says it does, to which catalog tasks, when."""

    name: str
    tasks: tuple[str, ...]
    activities: tuple[str, ...]
    phase: str | None = None
    environment: str | None = None


@dataclass(frozen=True)
class SolverSettings:
    """Solver settings that shape answers; recorded with every result.

    The deterministic time limit (the solver's own work units) decides when the
    search stops; the wall-clock limit is only a safety net. One worker is
    deterministic by itself; with more, CP-SAT is deterministic only with
    interleaved search, which on selection models measured ten times slower.
    """

    seed: int = 0
    workers: int = 1
    deterministic_time: float = 20.0
    time_limit: float = 120.0

    def __post_init__(self) -> None:
        require(self.seed >= 0 and self.workers >= 1, f"solver: seed >= 0, workers >= 1: {self}")
        require(
            _finite(self.deterministic_time) and self.deterministic_time > 0,
            f"solver: deterministic_time must be > 0: {self}",
        )
        require(_finite(self.time_limit) and self.time_limit > 0, f"solver: time_limit > 0: {self}")


@dataclass(frozen=True)
class RiskSettings:
    """How schedule risk is simulated: samples, seed, and the range of a point estimate.

    A task with one effort figure is given ``point_range`` (optimistic and
    pessimistic multipliers of it, a common PERT rule of thumb); three-point
    estimates are used as they are.
    """

    samples: int = 10_000
    seed: int = 0
    point_range: tuple[float, float] = (0.75, 1.5)

    def __post_init__(self) -> None:
        low, high = self.point_range
        require(self.samples >= 1 and self.seed >= 0, f"risk: samples >= 1, seed >= 0: {self}")
        require(0 < low <= 1 <= high and math.isfinite(high), f"risk: 0 < low <= 1 <= high: {self}")


@dataclass(frozen=True)
class Scenario:
    """What may be chosen, under which limits, and how the work is laid out.

    ``budget_hours`` and ``task_cap`` of None mean no limit. A scenario with
    ``plan`` items is a hand-made selection: it is checked, not optimised.
    """

    name: str
    appetite: str
    budget_hours: float | None = None
    task_cap: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    objective: str = "value"
    merge_duplicates: bool = True
    rules_off: tuple[str, ...] = ()
    phases: tuple[Phase, ...] = ()
    lanes: int = 1
    resources: tuple[Resource, ...] = ()
    plan: tuple[PlanItem, ...] | None = None
    solver: SolverSettings = field(default_factory=SolverSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    gate_modes: Mapping[str, str] = field(default_factory=dict)
    coverage: Mapping[str, int] = field(default_factory=dict)
    description: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        where = f"scenario {self.name}"
        require(self.appetite in LEVELS, f"{where}: appetite {self.appetite!r} is not a level")
        require(
            self.budget_hours is None or _finite(self.budget_hours),
            f"{where}: budget_hours must be a finite number >= 0",
        )
        require(self.task_cap is None or self.task_cap >= 0, f"{where}: task_cap must be >= 0")
        require(self.lanes >= 1, f"{where}: lanes must be at least 1")
        require(self.objective in OBJECTIVES, f"{where}: objective must be one of {OBJECTIVES}")
        require(
            not set(self.include) & set(self.exclude),
            f"{where}: a task is both included and excluded",
        )
        names = [phase.name for phase in self.phases]
        require(len(set(names)) == len(names), f"{where}: phase names repeat")

    @property
    def schedules(self) -> bool:
        """Whether a schedule is asked for (phases, parallel lanes or shared resources)."""
        return bool(self.phases) or self.lanes > 1 or bool(self.resources)

    @property
    def is_plan(self) -> bool:
        return self.plan is not None


def _find_cycle(tasks: tuple[Task, ...]) -> list[str] | None:
    """One dependency cycle as ``[a, b, ..., a]`` (a depends on b ...), or None.

    Linear in tasks and links; which cycle is named depends only on task order.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(task.id for task in tasks)
    graph.add_edges_from((task.id, dep) for task in tasks for dep in task.depends_on)
    if nx.is_directed_acyclic_graph(graph):
        return None
    edges = nx.find_cycle(graph)
    return [edges[0][0]] + [v for _, v in edges]
