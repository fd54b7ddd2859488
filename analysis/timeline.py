"""The plan's timeline: when each selected piece of work runs, and how likely it is to fit.

:func:`schedule_selection` turns a selection (optimal, or a hand-made plan with
its items' phases fixed) into a schedule on a minute grid with the scenario's
phases, lanes and resources, using the CP-SAT engine of
:mod:`analysis.scheduling`; when nothing fits it says why. :func:`gantt_rows`
gives one row per task, ready for plotting. :func:`schedule_risk` runs a
seeded Monte Carlo simulation over the schedule's order with three-point
estimates (PERT): P50 / P80 / P95 finish, the chance to finish within the
budget, and each phase's chance to overflow its box.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analysis.catalog import EFFORT_KEYS
from analysis.graph import GraphFacts
from analysis.model import UNKNOWN, Catalog, Effort, Phase, RiskSettings, Scenario
from analysis.scheduling import (
    Job,
    ScheduleProblem,
    ScheduleResult,
    solve_schedule,
    to_grid,
    units_in_hours,
)
from analysis.scoring import Score
from analysis.selection import Selection, item_estimate, scenario_grid, unit_jobs

__all__ = [
    "Slot",
    "Timeline",
    "schedule_selection",
    "gantt_rows",
    "ScheduleRisk",
    "schedule_risk",
]


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


def _plan_jobs(
    catalog: Catalog, facts: GraphFacts, scenario: Scenario, grid: float
) -> tuple[list[Job], dict[str, tuple[str, ...]], dict[str, str], dict[str, Effort]]:
    """Jobs for the items of a hand-made plan, in their fixed phases."""
    items = scenario.plan or ()
    phase_index = {phase.name: i for i, phase in enumerate(scenario.phases)}
    item_of: dict[str, str] = {}
    for index, item in enumerate(items):
        for task in item.tasks:
            item_of.setdefault(task, f"item-{index + 1}")
    jobs, tasks_of, labels, estimates = [], {}, {}, {}
    for index, item in enumerate(items):
        job_id = f"item-{index + 1}"
        estimate = item_estimate(catalog, item.tasks, item.activities)
        predecessors = sorted(
            {
                item_of[pred]
                for task in item.tasks
                for pred in facts.graph.predecessors(task)
                if pred in item_of
                and item_of[pred] != job_id
                and catalog.task_by_id[pred].status != "done"
            }
        )
        records = [catalog.task_by_id[t] for t in item.tasks]
        demands = {}
        for resource in scenario.resources:
            uses = (
                any(
                    resource.uses_facts(a, item.environment or UNKNOWN, ("unknown",))
                    for a in item.activities
                )
                if not records
                else any(
                    resource.uses(
                        replace(t, activity=a, environment=item.environment or t.environment)
                    )
                    for t in records
                    for a in item.activities
                )
            )
            if uses:
                demands[resource.name] = resource.units
        jobs.append(
            Job(
                id=job_id,
                duration=to_grid(estimate.likely, grid),
                predecessors=tuple(predecessors),
                demands=demands,
                phase=phase_index.get(item.phase) if item.phase else None,
                early=all(a in ("design", "document") for a in item.activities),
            )
        )
        tasks_of[job_id] = item.tasks
        labels[job_id] = item.name
        estimates[job_id] = estimate
    return jobs, tasks_of, labels, estimates


def schedule_selection(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    scenario: Scenario,
    selection: Selection,
) -> Timeline:
    """Schedule what ``selection`` chose under the scenario's phases, lanes and resources.

    An optimal selection's units go in whichever phase suits; a hand-made plan's
    items stay in the phases the plan gives them. With one lane the budget was
    already spent by the selection (a sum of hours); the schedule checks that
    the phases and resources can hold it.
    """
    if scenario.is_plan:
        grid = scenario_grid(scenario, [u.hours for u in selection.units])
        jobs, tasks_of, labels, estimates = _plan_jobs(catalog, facts, scenario, grid)
    else:
        grid = scenario_grid(scenario, [u.hours for u in selection.units])
        needs: dict[str, list[str]] = {}
        unit_of = {t: u.id for u in selection.units for t in u.tasks}
        for before, after in facts.graph.edges:
            if before in unit_of and after in unit_of and unit_of[before] != unit_of[after]:
                needs.setdefault(unit_of[after], []).append(unit_of[before])
        jobs = list(
            unit_jobs(
                catalog,
                selection.units,
                {k: sorted(set(v)) for k, v in needs.items()},
                scenario,
                grid,
            )
        )
        tasks_of = {u.id: u.tasks for u in selection.units}
        labels = {u.id: catalog.task_by_id[u.id].title for u in selection.units}
        estimates = {
            u.id: Effort(
                *(
                    max(getattr(catalog.task_by_id[t].effort, k) for t in u.tasks)
                    for k in EFFORT_KEYS
                )
            )
            for u in selection.units
        }
    boxes = tuple(to_grid(p.hours, grid, up=False) for p in scenario.phases)
    horizon = None
    if scenario.budget_hours is not None and (scenario.lanes > 1 or scenario.is_plan):
        horizon = to_grid(scenario.budget_hours, grid, up=False)
    problem = ScheduleProblem(
        jobs=tuple(jobs),
        capacities={r.name: r.capacity for r in scenario.resources},
        lanes=scenario.lanes,
        phases=boxes,
        horizon=horizon,
        phase_names=tuple(p.name for p in scenario.phases),
    )
    result = solve_schedule(problem, scenario.solver)
    notes = tuple(
        f"{r.name}: capacity {r.capacity}"
        + (f" ({r.note})" if r.note else "")
        + f"; used by {sum(1 for j in jobs if r.name in j.demands)} of {len(jobs)} pieces of work"
        for r in scenario.resources
    )
    return _timeline(result, problem, scenario, grid, tasks_of, labels, estimates, notes)


def _timeline(
    result: ScheduleResult,
    problem: ScheduleProblem,
    scenario: Scenario,
    grid: float,
    tasks_of: Mapping[str, tuple[str, ...]],
    labels: Mapping[str, str],
    estimates: Mapping[str, Effort],
    notes: tuple[str, ...],
) -> Timeline:
    hours = grid / 60
    explanations = tuple(_in_words(text, hours, labels) for text in result.explanations)
    predecessors = {job.id: job.predecessors for job in problem.jobs}
    if not result.ok:
        return Timeline(
            status=result.status,
            slots=(),
            makespan_hours=None,
            grid_minutes=grid,
            lanes=scenario.lanes,
            phases=scenario.phases,
            phase_windows=(),
            budget_hours=scenario.budget_hours,
            explanations=explanations,
            notes=notes,
            settings=result.settings,
            predecessors=predecessors,
        )
    by_id = {job.id: job for job in problem.jobs}
    names = [p.name for p in scenario.phases]
    slots = tuple(
        Slot(
            job=job_id,
            tasks=tuple(tasks_of[job_id]),
            label=labels[job_id],
            phase=names[result.phase[job_id]] if job_id in result.phase else None,
            lane=result.lane.get(job_id),
            start_hours=result.start[job_id] * hours,
            end_hours=result.end[job_id] * hours,
            estimate=estimates[job_id],
            uses=tuple(sorted(by_id[job_id].demands)),
        )
        for job_id in sorted(result.chosen, key=lambda j: (result.start[j], result.end[j], j))
    )
    windows = []
    for name in names:
        members = [s for s in slots if s.phase == name]
        if members:
            windows.append(
                (name, min(s.start_hours for s in members), max(s.end_hours for s in members))
            )
    return Timeline(
        status=result.status,
        slots=slots,
        makespan_hours=result.makespan * hours,
        grid_minutes=grid,
        lanes=scenario.lanes,
        phases=scenario.phases,
        phase_windows=tuple(windows),
        budget_hours=scenario.budget_hours,
        notes=notes,
        settings=result.settings,
        predecessors=predecessors,
    )


def _in_words(text: str, hours_per_unit: float, labels: Mapping[str, str]) -> str:
    """Engine messages count grid units and name jobs; say durations and plan items."""
    text = units_in_hours(text, hours_per_unit * 60)
    return re.sub(
        r"\bitem-(\d+)\b", lambda m: f"item {m.group(1)} '{labels.get(m.group(0), '')}'", text
    )


def gantt_rows(timeline: Timeline, catalog: Catalog, scores: Mapping[str, Score]) -> pd.DataFrame:
    """One row per scheduled task: phase, lane, task, title, start, end, level, ...

    Start and end are hours from the plan's start. A piece of work that covers
    several tasks (merged duplicates, a plan item) gives each of them a row
    with the same times; ``job`` names the piece.
    """
    rows = []
    for slot in timeline.slots:
        for task_id in slot.tasks or ("",):
            task = catalog.task_by_id.get(task_id)
            rows.append(
                {
                    "phase": slot.phase,
                    "lane": slot.lane,
                    "task": task_id or None,
                    "title": task.title if task else slot.label,
                    "start": slot.start_hours,
                    "end": slot.end_hours,
                    "hours": slot.end_hours - slot.start_hours,
                    "level": scores[task_id].level if task else None,
                    "issue": task.issue if task else None,
                    "activity": task.activity if task else None,
                    "job": slot.job,
                    "label": slot.label,
                    "uses": ", ".join(slot.uses),
                }
            )
    columns = [
        "phase",
        "lane",
        "task",
        "title",
        "start",
        "end",
        "hours",
        "level",
        "issue",
        "activity",
        "job",
        "label",
        "uses",
    ]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- schedule risk


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


def _pert(
    rng: np.random.Generator, estimate: Effort, low: float, high: float, n: int
) -> np.ndarray:
    o, m, p = estimate.optimistic, estimate.likely, estimate.pessimistic
    if estimate.is_point:
        o, p = m * low, m * high
    if p <= o:
        return np.full(n, m)
    alpha = 1 + 4 * (m - o) / (p - o)
    beta = 1 + 4 * (p - m) / (p - o)
    return o + (p - o) * rng.beta(alpha, beta, size=n)


def schedule_risk(
    timeline: Timeline,
    settings: RiskSettings | None = None,
    capacities: Mapping[str, int] | None = None,
) -> ScheduleRisk:
    """Seeded Monte Carlo over the schedule's order: each piece of work takes a PERT draw.

    A piece starts when its predecessors are done, when the previous piece on
    its lane is done, when a unit of each resource it uses is free (in the
    schedule's order), and when its phase starts (the previous phase is done).
    Point estimates get the range ``point_range`` (optimistic and pessimistic
    multipliers). Returns P50 / P80 / P95 of the finish, the chance to finish
    within the budget and each phase's chance to run longer than its box.

    Raises
    ------
    ValueError
        When the timeline has no schedule.
    """
    settings = settings or RiskSettings()
    if not timeline.ok:
        raise ValueError("no schedule to simulate: " + "; ".join(timeline.explanations))
    n = settings.samples
    rng = np.random.default_rng(settings.seed)
    low, high = settings.point_range
    slots = list(timeline.slots)
    index = {slot.job: i for i, slot in enumerate(slots)}
    durations = np.empty((len(slots), n))
    for i, slot in enumerate(slots):
        durations[i] = _pert(rng, slot.estimate, low, high, n)
    ends = np.zeros((len(slots), n))
    lane_last: dict[int, int] = {}
    resource_users: dict[str, list[int]] = {}
    phase_names = [p.name for p in timeline.phases]
    phase_of = {i: slot.phase for i, slot in enumerate(slots)}
    phase_start = {name: np.zeros(n) for name in phase_names}
    phase_end = {name: np.zeros(n) for name in phase_names}
    done_phase = np.zeros(n)
    current = 0
    capacities = dict(capacities or {})
    for i, slot in enumerate(slots):
        start = np.zeros(n)
        for pred in timeline.predecessors.get(slot.job, ()):
            if pred in index:
                np.maximum(start, ends[index[pred]], out=start)
        if slot.lane is not None and slot.lane in lane_last:
            np.maximum(start, ends[lane_last[slot.lane]], out=start)
        for resource in slot.uses:
            users = resource_users.setdefault(resource, [])
            capacity = capacities.get(resource, 1)
            if len(users) >= capacity:
                np.maximum(start, ends[users[-capacity]], out=start)
            users.append(i)
        if slot.phase is not None:
            position = phase_names.index(slot.phase)
            while current < position:  # the phases before this one are finished
                phase_end[phase_names[current]] = np.maximum(
                    phase_end[phase_names[current]], phase_start[phase_names[current]]
                )
                done_phase = np.maximum(done_phase, phase_end[phase_names[current]])
                current += 1
                phase_start[phase_names[current]] = done_phase.copy()
            np.maximum(start, phase_start[slot.phase], out=start)
        ends[i] = start + durations[i]
        if slot.phase is not None:
            np.maximum(phase_end[slot.phase], ends[i], out=phase_end[slot.phase])
        if slot.lane is not None:
            lane_last[slot.lane] = i
    finish = ends.max(axis=0) if slots else np.zeros(n)
    overflow = {}
    for phase in timeline.phases:
        members = [i for i, name in phase_of.items() if name == phase.name]
        if not members:
            overflow[phase.name] = 0.0
            continue
        length = phase_end[phase.name] - phase_start[phase.name]
        overflow[phase.name] = float(np.mean(length > phase.hours + 1e-9))
    p50, p80, p95 = (float(v) for v in np.percentile(finish, [50, 80, 95]))
    within = None
    if timeline.budget_hours is not None:
        within = float(np.mean(finish <= timeline.budget_hours + 1e-9))
    return ScheduleRisk(
        samples=n,
        seed=settings.seed,
        p50=p50,
        p80=p80,
        p95=p95,
        mean=float(finish.mean()),
        planned=timeline.makespan_hours or 0.0,
        within_budget=within,
        phase_overflow=overflow,
        point_range=(low, high),
        three_point_jobs=sum(not s.estimate.is_point for s in slots),
    )
