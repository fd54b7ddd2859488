"""Scheduling: jobs on a discrete time grid under phases, lanes and resources.

The engine is an OR-Tools CP-SAT model over generic
:class:`~analysis.plan.jobs.Job` records, used alike for plans (minutes;
phases as time boxes; lanes as parallel workers; shared resources such as
"one change at a time on the dev cluster") and for the PSPLIB benchmark (its
own periods; renewable resources only):

- every job runs once, without interruption, after all its predecessors end;
- at most ``lanes`` jobs run at a time, and each resource's capacity holds;
- with phases, the phases run one after another, each no longer than its
  time box, and every job lies inside the phase it is given (or chosen);
- optional jobs (with a value) are chosen together with when they run, so
  that parallel lanes let more work into the same wall-clock budget.

The objective is the finish time (makespan), then design and documentation in
earlier phases; with optional jobs, the value first. When nothing fits, the
result says why (:func:`~analysis.plan.schedule_bounds.explain_infeasible`).

No OR-Tools object leaves this module.

Examples
--------
>>> from analysis.plan.jobs import Job, ScheduleProblem
>>> jobs = (Job("A", 2), Job("B", 3, ("A",)), Job("C", 2))
>>> result = solve_schedule(ScheduleProblem(jobs, lanes=1))
>>> result.status, result.makespan
('optimal', 7)
>>> solve_schedule(ScheduleProblem(jobs, lanes=2)).makespan
5
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import replace

from ortools.sat.python import cp_model

from analysis.model import SolverSettings
from analysis.plan.jobs import Job, ScheduleProblem, ScheduleResult
from analysis.plan.schedule_bounds import (
    assign_lanes,
    explain_infeasible,
    heads_and_tails,
    lower_bound,
    serial_sgs,
)

__all__ = [
    "solve_schedule",
]


def _solver(settings: SolverSettings, linearization: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = settings.seed
    solver.parameters.num_workers = settings.workers
    solver.parameters.interleave_search = settings.workers > 1
    solver.parameters.max_deterministic_time = settings.deterministic_time
    solver.parameters.max_time_in_seconds = settings.time_limit
    solver.parameters.linearization_level = linearization
    return solver


def solve_schedule(
    problem: ScheduleProblem, settings: SolverSettings | None = None, stages: str = "all"
) -> ScheduleResult:
    """Solve ``problem`` with CP-SAT, in stages: value, finish, phase preference.

    With optional jobs, the value is maximised first; then, keeping it, the
    finish (makespan) is minimised; then, keeping both, design and
    documentation are moved to earlier phases. ``stages="value"`` stops after
    the first (enough to know what fits). ``status`` is ``optimal`` when the
    value and the finish are proven; the phase preference is best effort and
    reported in ``settings["phase_preference"]``.

    With every job mandatory and no phases (PSPLIB), the serial SGS gives the
    horizon and a first solution, and each job's start is bounded by the
    critical path before it and after it.
    """
    settings = settings or SolverSettings()
    started = time.perf_counter()
    jobs = problem.jobs
    if not jobs:
        return ScheduleResult("optimal", makespan=0, settings=_settings(settings, 0))
    head, tail, order = heads_and_tails(problem)
    plain = not problem.phases and all(not j.optional for j in jobs)
    hint = serial_sgs(problem) if plain else None
    horizon = sum(job.duration for job in jobs)
    if problem.horizon is not None:
        horizon = min(horizon, problem.horizon)
    if problem.phases:
        horizon = min(horizon, sum(problem.phases))
    if hint is not None:
        assert hint.makespan is not None  # the serial SGS always gives a finish
        horizon = min(horizon, hint.makespan)
    reasons = explain_infeasible(problem)
    if reasons:
        return ScheduleResult(
            "infeasible",
            solve_seconds=time.perf_counter() - started,
            settings=_settings(settings, 0),
            explanations=tuple(reasons),
        )
    if (
        stages == "value"
        and problem.phases
        and horizon <= max(problem.phases)
        and all(job.phase is None for job in jobs)
    ):
        # Everything fits in the longest box (the others empty): the boxes cannot limit
        # what fits, and leaving them out spares the search their symmetric choices.
        problem = replace(problem, phases=())
    floor = lower_bound(problem)
    relaxed = None
    if (
        stages != "value"
        and problem.phases
        and not any(job.optional for job in jobs)
        and all(job.phase is None for job in jobs)
    ):
        # Without the boxes the finish is a plain scheduling problem the solver proves
        # fast; its bound holds with them too, and when that finish fits in the longest
        # box it is reached with every job in that box: the hint below.
        relaxed = solve_schedule(replace(problem, phases=()), settings)
        if relaxed.status == "infeasible":
            return relaxed
        if relaxed.bound is not None:
            floor = max(floor, math.ceil(relaxed.bound - 1e-9))
    model = cp_model.CpModel()
    present: dict[str, cp_model.IntVar | int] = {}
    starts, ends, intervals = {}, {}, {}
    for job in jobs:
        low, high = head[job.id], horizon - tail[job.id]
        if job.optional:
            low, high = 0, horizon - job.duration
        if high < low:
            if job.optional and not job.forced:
                present[job.id] = 0
                continue
            return ScheduleResult(
                "infeasible",
                solve_seconds=time.perf_counter() - started,
                settings=_settings(settings, 0),
                explanations=(
                    f"{job.id} cannot finish within the {horizon} units available "
                    "after its predecessors",
                ),
            )
        s = model.new_int_var(low, high, f"start_{job.id}")
        e = model.new_int_var(low + job.duration, high + job.duration, f"end_{job.id}")
        if job.optional and not job.forced:
            literal = model.new_bool_var(f"in_{job.id}")
            present[job.id] = literal
            intervals[job.id] = model.new_optional_interval_var(s, job.duration, e, literal, job.id)
        else:
            present[job.id] = 1
            intervals[job.id] = model.new_interval_var(s, job.duration, e, job.id)
        starts[job.id], ends[job.id] = s, e
    for job in jobs:
        if job.id not in starts:
            continue
        for pred in job.predecessors:
            if pred not in starts:  # a predecessor that cannot be in: neither can this job
                _require(model, present[job.id], 0)
                continue
            condition = present[job.id]
            if isinstance(condition, int):
                model.add(ends[pred] <= starts[job.id])
                _require(model, present[pred], 1)
            else:
                model.add(ends[pred] <= starts[job.id]).only_enforce_if(condition)
                if not isinstance(present[pred], int):
                    model.add_implication(condition, present[pred])
    active = [j for j in jobs if j.id in intervals]
    if problem.lanes:
        busy = [j for j in active if j.duration > 0]
        if busy:
            model.add_cumulative([intervals[j.id] for j in busy], [1] * len(busy), problem.lanes)
    for resource, capacity in problem.capacities.items():
        users = [j for j in active if j.demands.get(resource, 0) > 0 and j.duration > 0]
        if users:
            model.add_cumulative(
                [intervals[j.id] for j in users], [j.demands[resource] for j in users], capacity
            )
            heavy = [j for j in users if 2 * j.demands[resource] > capacity]
            if len(heavy) > 1:
                model.add_no_overlap([intervals[j.id] for j in heavy])
    for _, members, minimum in problem.minimums:
        literals = [present[j] for j in members if j in present]
        fixed = sum(v for v in literals if isinstance(v, int))
        free = [v for v in literals if not isinstance(v, int)]
        if fixed + len(free) < minimum:
            model.add_bool_or([])  # cannot be met: infeasible
        elif free and fixed < minimum:
            model.add(sum(free) >= minimum - fixed)
    _break_symmetry(model, problem, starts, present)
    if problem.cap is not None:
        chosen_count = [present[j.id] for j in jobs if j.optional]
        fixed = sum(v for v in chosen_count if isinstance(v, int))
        free = [v for v in chosen_count if not isinstance(v, int)]
        if free:
            model.add(sum(free) <= problem.cap - fixed)
    phase_of, bounds = _phases(model, problem, active, starts, ends, present, horizon)
    # The domain starts at a proven lower bound: a schedule that reaches it is optimal at once.
    makespan = model.new_int_var(min(floor, horizon), horizon, "makespan")
    for job in active:
        model.add(makespan >= ends[job.id])
    _redundant_energy(model, problem, active, present, makespan)
    early = [
        phase_of[j.id][k] * k
        for j in active
        if j.early and j.id in phase_of
        for k in range(len(problem.phases))
    ]
    valued = [j for j in active if j.optional]
    if hint is not None:
        for job in active:
            model.add_hint(starts[job.id], hint.start[job.id])
    longest = None  # the box that holds the whole relaxed schedule, if one does
    if relaxed is not None and relaxed.makespan is not None:
        box = max(range(len(problem.phases)), key=lambda k: (problem.phases[k], -k))
        if relaxed.makespan <= problem.phases[box]:
            longest = box
            for job in active:
                model.add_hint(starts[job.id], relaxed.start[job.id])
                for k, literal in enumerate(phase_of[job.id]):
                    model.add_hint(literal, int(k == longest))
            for k, var in enumerate(bounds):
                model.add_hint(var, 0 if k <= longest else relaxed.makespan)
    linearization = 2 if valued else 0
    spent = float(relaxed.settings.get("deterministic_time_used", 0.0)) if relaxed else 0.0
    value_bound = None
    finish_bound = None
    proven = True
    solution = None

    def run(objective, maximise: bool, share: float = 1.0):
        nonlocal spent, solution
        if maximise:
            model.maximize(objective)
        else:
            model.minimize(objective)
        solver = _solver(settings, linearization)
        solver.parameters.max_deterministic_time = settings.deterministic_time * share
        status = solver.solve(model)
        spent += solver.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = solver
            model.clear_hints()
            for job in active:
                model.add_hint(starts[job.id], solver.value(starts[job.id]))
                chosen_var = present[job.id]
                if not isinstance(chosen_var, int):
                    model.add_hint(chosen_var, solver.value(chosen_var))
        return solver, status

    # Stage 1: the most value from optional jobs.
    if valued:
        value = sum(j.value * present[j.id] for j in valued)
        solver, status = run(value, maximise=True)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _failed(status, problem, started, settings, linearization)
        best = sum(j.value for j in valued if _value(solver, present[j.id]))
        proven = status == cp_model.OPTIMAL
        value_bound = solver.best_objective_bound
        model.add(value >= best)
    finish_proven = None
    preference = "none asked"
    if stages != "value" and longest is not None:
        # Stage 2 is the relaxed problem's: its finish, with every job in the longest box.
        assert relaxed is not None and relaxed.makespan is not None  # what set `longest`
        best_finish, finish_bound = relaxed.makespan, relaxed.bound
        finish_proven = relaxed.status == "optimal" or best_finish <= floor
        model.add(makespan <= best_finish)
    elif stages != "value":
        # Stage 2: the earliest finish.
        solver, status = run(makespan, maximise=False)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if solution is None:
                return _failed(status, problem, started, settings, linearization)
        else:
            assert solution is not None  # run() keeps the solver that found a solution
            best_finish = solution.value(makespan)
            finish_bound = max(solver.best_objective_bound, floor)
            finish_proven = status == cp_model.OPTIMAL or best_finish <= floor
            model.add(makespan <= best_finish)
    if stages != "value" and early:
        # Stage 3: design and documentation in earlier phases.
        # A preference, not a limit: a tenth of the work budget is enough.
        solver, status = run(sum(early), maximise=False, share=0.1)
        if status == cp_model.OPTIMAL:
            preference = "applied"
        elif solution is not None:
            preference = "as far as the limit allowed"
    if solution is None and relaxed is None:
        # No stage ran: nothing optional, and only the value stage was asked for.
        solver, status = run(makespan, maximise=False)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _failed(status, problem, started, settings, linearization)
        proven = status == cp_model.OPTIMAL
    if solution is None:  # only when the preference stage found nothing in its share
        # Stage 2 then took the relaxed schedule: every other way has a solution or returned.
        assert relaxed is not None and longest is not None
        start = dict(relaxed.start)
        end = dict(relaxed.end)
        phases = dict.fromkeys(start, longest)
        preference = "not applied"
    else:
        chosen = [j.id for j in active if _value(solution, present[j.id])]
        start = {j: solution.value(starts[j]) for j in chosen}
        end = {j: solution.value(ends[j]) for j in chosen}
        phases = {
            j: next(k for k, var in enumerate(phase_of[j]) if solution.value(var))
            for j in chosen
            if j in phase_of
        }
    if finish_proven is not None:
        proven = proven and finish_proven
    return ScheduleResult(
        status="optimal" if proven else "feasible",
        makespan=max(end.values(), default=0),
        start=start,
        end=end,
        phase=phases,
        lane=assign_lanes(start, end, order) if problem.lanes else {},
        chosen=tuple(j for j in order if j in start),
        value=sum(j.value for j in valued if j.id in start),
        value_bound=value_bound,
        bound=finish_bound,
        solve_seconds=time.perf_counter() - started,
        settings={
            **_settings(settings, linearization),
            "deterministic_time_used": round(spent, 6),
            "phase_preference": preference,
        },
    )


def _break_symmetry(model, problem: ScheduleProblem, starts, present) -> None:
    """Interchangeable jobs (same duration, demands, neighbours, value, phase) go in order.

    Swapping two such jobs changes nothing, so the first listed is chosen
    first and starts first: the search need not try both orders.
    """
    successors: dict[str, set[str]] = {job.id: set() for job in problem.jobs}
    for job in problem.jobs:
        for pred in job.predecessors:
            successors[pred].add(job.id)
    groups: dict[tuple, list[Job]] = {}
    for job in problem.jobs:
        if job.id not in starts:
            continue
        key = (
            job.duration,
            tuple(sorted(job.demands.items())),
            frozenset(job.predecessors),
            frozenset(successors[job.id]),
            job.phase,
            job.early,
            job.optional,
            job.value,
            job.forced,
            tuple(label for label, members, _ in problem.minimums if job.id in members),
        )
        groups.setdefault(key, []).append(job)
    for group in groups.values():
        for first, second in itertools.pairwise(group):
            a, b = present[first.id], present[second.id]
            if not isinstance(a, int) and not isinstance(b, int):
                model.add_implication(b, a)
                model.add(starts[first.id] <= starts[second.id]).only_enforce_if(b)
            else:
                model.add(starts[first.id] <= starts[second.id])


def _redundant_energy(model, problem: ScheduleProblem, active, present, makespan) -> None:
    """Work of the chosen jobs fits the lanes and each resource until the finish.

    Implied by the cumulative constraints, but stated linearly it gives the
    solver a far better bound on how much optional work can fit (the finish is
    at most the horizon) and, once the work is chosen, on how early it can end.
    """
    if not any(job.optional for job in active):
        return
    if problem.lanes:
        model.add(sum(j.duration * present[j.id] for j in active) <= problem.lanes * makespan)
    for resource, capacity in problem.capacities.items():
        users = [j for j in active if j.demands.get(resource, 0)]
        if users:
            model.add(
                sum(j.duration * j.demands[resource] * present[j.id] for j in users)
                <= capacity * makespan
            )


def _require(model: cp_model.CpModel, literal, value: int) -> None:
    """``literal == value`` for a Boolean variable, or a contradiction for a constant."""
    if isinstance(literal, int):
        if literal != value:
            model.add_bool_or([])  # an empty clause: the model is infeasible
        return
    model.add(literal == value)


def _value(solver: cp_model.CpSolver, literal) -> int:
    return literal if isinstance(literal, int) else solver.value(literal)


def _phases(
    model, problem, active, starts, ends, present, horizon
) -> tuple[dict[str, list[cp_model.IntVar]], list[cp_model.IntVar]]:
    """Phase boundaries and each job's phase: the phase literals of every job, the boundaries."""
    if not problem.phases:
        return {}, []
    count = len(problem.phases)
    bounds = [model.new_int_var(0, horizon, f"phase_start_{k}") for k in range(count + 1)]
    model.add(bounds[0] == 0)
    for k, box in enumerate(problem.phases):
        model.add(bounds[k + 1] >= bounds[k])
        model.add(bounds[k + 1] - bounds[k] <= box)
    phase_of = {}
    for job in active:
        literals = [model.new_bool_var(f"{job.id}_in_{k}") for k in range(count)]
        if job.phase is not None:
            for k, literal in enumerate(literals):
                model.add(literal == (1 if k == job.phase else 0))
        model.add_exactly_one(literals)
        for k, literal in enumerate(literals):
            model.add(starts[job.id] >= bounds[k]).only_enforce_if(literal)
            model.add(ends[job.id] <= bounds[k + 1]).only_enforce_if(literal)
        phase_of[job.id] = literals
    return phase_of, bounds


def _settings(settings: SolverSettings, linearization: int) -> dict[str, str | float]:
    return {
        "engine": "OR-Tools CP-SAT",
        "seed": settings.seed,
        "workers": settings.workers,
        "deterministic_time": settings.deterministic_time,
        "time_limit": settings.time_limit,
        "linearization_level": linearization,
    }


def _failed(status, problem, started, settings, linearization) -> ScheduleResult:
    if status == cp_model.INFEASIBLE:
        return ScheduleResult(
            "infeasible",
            solve_seconds=time.perf_counter() - started,
            settings=_settings(settings, linearization),
            explanations=(
                "no schedule fits the phases, lanes, resources and horizon together "
                "(each alone is satisfiable)",
            ),
        )
    return ScheduleResult(
        "unknown",
        solve_seconds=time.perf_counter() - started,
        settings=_settings(settings, linearization),
        explanations=("the solver stopped at its limit before finding a schedule",),
    )
