"""The plan's timeline: when each selected piece of work runs.

:func:`schedule_selection` turns a selection (optimal, or a hand-made plan
with its items' phases fixed) into a schedule on a minute grid with the
scenario's phases, lanes and resources, using the CP-SAT engine of
:mod:`analysis.plan.scheduling`; when nothing fits it says why, in hours and
plan items.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from dataclasses import replace

from analysis.assess.graph import GraphFacts
from analysis.assess.scoring import Score
from analysis.inputs.catalog_records import EFFORT_KEYS
from analysis.model import Catalog, Effort, Scenario
from analysis.plan.budget import Budget
from analysis.plan.jobs import Job, ScheduleProblem, ScheduleResult, to_grid, units_in_hours
from analysis.plan.lanes import JOINT_MAX_UNITS
from analysis.plan.plan_check import item_estimate
from analysis.plan.results import Selection, Slot, Timeline
from analysis.plan.schedule_bounds import list_schedule
from analysis.plan.scheduling import solve_schedule
from analysis.plan.units import scenario_grid, unit_jobs
from analysis.vocabulary import DEFAULT_VOCABULARY, UNKNOWN

__all__ = [
    "schedule_selection",
]


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
                early=all(a in DEFAULT_VOCABULARY.early for a in item.activities),
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
    budget: Budget | None = None,
    cache: MutableMapping[tuple, ScheduleResult] | None = None,
) -> Timeline:
    """Schedule what ``selection`` chose under the scenario's phases, lanes and resources.

    An optimal selection's units go in whichever phase suits; a hand-made plan's
    items stay in the phases the plan gives them. With one lane the budget was
    already spent by the selection (a sum of hours); the schedule checks that
    the phases and resources can hold it. The solves draw on the command's
    ``budget`` (its schedule part); on several lanes, when the solver finds no
    schedule within it, the list schedule that the selection was checked with
    is the timeline (``feasible``). ``cache`` keeps schedules by everything
    that decides them (the jobs, lanes, phases, resources, horizon and solver
    settings): a sweep's what-ifs that choose the same work under the same
    limits share one (the same schedule a new solve would give).
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
    key = (_problem_key(problem), scenario.solver, scenario.is_plan, budget is None)
    found = None if cache is None else cache.get(key)
    if found is not None:
        result = found
    else:
        listed = not scenario.is_plan and scenario.lanes > 1
        sketch = _sketch(problem, selection) if listed and len(jobs) > JOINT_MAX_UNITS else None
        given = None
        allowance = None if budget is None else budget.allowance("schedule")
        if sketch is not None:
            # Large: the list schedule is the start, and the solver refines it with a quarter
            # of the schedule's part (on hundreds of jobs a work unit of this model is 10 to
            # 15 s of wall clock, and each one gains little on the list schedule's finish).
            given = {j: (sketch.start[j], sketch.phase.get(j)) for j in sketch.chosen}
            if allowance is not None:
                allowance = allowance.share(0.25)
        result = solve_schedule(
            problem, scenario.solver, budget=allowance, given=given, relax=given is None
        )
        if result.status == "unknown" and listed:
            sketch = sketch or _sketch(problem, selection)
            result = sketch or result
        if cache is not None and budget is not None and not budget.wall_clock_hit:
            cache[key] = result
    notes = tuple(
        f"{r.name}: capacity {r.capacity}"
        + (f" ({r.note})" if r.note else "")
        + f"; used by {sum(1 for j in jobs if r.name in j.demands)} of {len(jobs)} pieces of work"
        for r in scenario.resources
    )
    return _timeline(result, problem, scenario, grid, tasks_of, labels, estimates, notes)


def _sketch(problem: ScheduleProblem, selection: Selection) -> ScheduleResult | None:
    """A list schedule of every chosen unit (best value per hour first, then in catalog
    order), as the decomposition checked the selection with; None if neither holds them all."""
    rate = {u.id: (-u.value / max(u.hours, 1e-9), u.position) for u in selection.units}
    orders = [sorted(rate, key=rate.__getitem__), [job.id for job in problem.jobs]]
    for order in orders:
        sketch = list_schedule(problem, order)
        if len(sketch.chosen) == len(problem.jobs):
            return sketch
    return None


def _problem_key(problem: ScheduleProblem) -> tuple:
    """Everything of a schedule problem that decides its solution, as a hashable key."""
    return (
        tuple(
            (
                j.id,
                j.duration,
                j.predecessors,
                tuple(sorted(j.demands.items())),
                j.phase,
                j.early,
                j.optional,
                j.value,
                j.forced,
            )
            for j in problem.jobs
        ),
        tuple(sorted(problem.capacities.items())),
        problem.lanes,
        problem.phases,
        problem.horizon,
        problem.cap,
        problem.phase_names,
        problem.minimums,
    )


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
    assert result.makespan is not None  # a schedule that fits has a finish
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
