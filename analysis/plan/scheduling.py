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
from collections.abc import Callable, Mapping
from dataclasses import replace

from ortools.sat.python import cp_model

from analysis.model import SolverSettings
from analysis.plan.budget import Allowance
from analysis.plan.jobs import (
    Job,
    ScheduleProblem,
    ScheduleResult,
    symmetric_hint,
    symmetry_groups,
)
from analysis.plan.schedule_bounds import (
    assign_lanes,
    explain_infeasible,
    heads_and_tails,
    lower_bound,
)
from analysis.plan.schedule_heuristics import heuristic_start, justified

__all__ = [
    "solve_schedule",
    "solve_within",
]

#: At most this many duration thresholds get a lane-packing cut (see :func:`_packing_cuts`).
_MAX_CUTS = 24


class _Watch(cp_model.CpSolverSolutionCallback):
    """Hands each new solution's objective and bound to the progress lines."""

    def __init__(self, allowance: Allowance, describe: Callable[[float], str]) -> None:
        super().__init__()
        self.progress = allowance.budget.progress
        self.describe = describe

    def on_solution_callback(self) -> None:
        if self.progress is not None:
            self.progress.update(
                self.describe(self.objective_value), self.describe(self.best_objective_bound)
            )


def solve_within(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    allowance: Allowance | None,
    label: str = "solve",
    describe: Callable[[float], str] = "{:g}".format,
) -> cp_model.CpSolverStatus:
    """Solve ``model``, spending from ``allowance`` (its limits already set on ``solver``).

    The wall-clock limit is cut to what the command's safety net has left;
    the work used is spent from the allowance; a solve that stops on a limit
    before proving its answer is noted with why (deterministic limit or the
    wall-clock safety net). With a progress printer, the solver's callbacks
    feed it the best objective and bound, through ``describe``.
    """
    if allowance is None:
        return solver.solve(model)
    budget = allowance.budget
    wall = budget.wall_left()
    solver.parameters.max_time_in_seconds = min(solver.parameters.max_time_in_seconds, wall)
    watch = None
    progress = budget.progress
    if progress is not None:
        watch = _Watch(allowance, describe)
        solver.best_bound_callback = lambda bound: progress.update(bound=describe(bound))
        progress.begin(label)
    try:
        status = solver.solve(model, watch)
    finally:
        if budget.progress is not None:
            budget.progress.end()
    allowance.spend(solver.deterministic_time, solver.wall_time)
    if status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        if solver.wall_time >= solver.parameters.max_time_in_seconds * 0.98:
            budget.wall_clock_hit = True
            why = f"the wall-clock safety net ({budget.settings.time_limit:g} s) was reached"
        else:
            why = (
                f"its share of the deterministic budget was spent (its limit "
                f"{solver.parameters.max_deterministic_time:.3g} work units, of {budget.total:g})"
            )
        budget.stopped(allowance.part, f"{label}: {why}")
    return status


def _solver(settings: SolverSettings, linearization: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = settings.seed
    solver.parameters.num_workers = settings.workers
    solver.parameters.interleave_search = settings.workers > 1
    solver.parameters.max_deterministic_time = settings.deterministic_time
    solver.parameters.max_time_in_seconds = settings.time_limit
    solver.parameters.linearization_level = linearization
    return solver


def _finish_search(solver: cp_model.CpSolver) -> None:
    """The finish stage searches around its best schedule so far (solution-guided search).

    On six hard PSPLIB j120 instances (j120{11,16,31,36,51,56}_1, one worker,
    limit 2.2) it ends 8.9 % above the best known on average instead of 11.7 %.
    """
    solver.parameters.exploit_best_solution = True


def solve_schedule(
    problem: ScheduleProblem,
    settings: SolverSettings | None = None,
    stages: str = "all",
    *,
    budget: Allowance | None = None,
    given: Mapping[str, tuple[int, int | None]] | None = None,
    value_bound: int | None = None,
    label: str = "schedule",
    describe_value: Callable[[float], str] = "value {:g}".format,
    tie_weights: Mapping[str, int] | None = None,
    tie_budget: Allowance | None = None,
    relax: bool = True,
) -> ScheduleResult:
    """Solve ``problem`` with CP-SAT, in stages: value, finish, phase preference.

    With optional jobs, the value is maximised first; then, keeping it, the
    finish (makespan) is minimised; then, keeping both, design and
    documentation are moved to earlier phases. ``stages="value"`` stops after
    the first (enough to know what fits). ``status`` is ``optimal`` when the
    value and the finish are proven; the phase preference is best effort and
    reported in ``settings["phase_preference"]``.

    With every job mandatory and no phases (PSPLIB), a heuristic start
    (:mod:`~analysis.plan.schedule_heuristics`) gives the horizon and a first
    solution, each job's start is bounded by the critical path before it and after it,
    and a schedule not proven optimal is justified at the end (never longer).

    With a ``budget`` (a command's allowance), every stage draws on it instead
    of getting ``settings.deterministic_time`` each. ``given`` is a schedule
    to start from (job -> start and phase; a job not in it is hinted out);
    ``value_bound`` a proven upper bound on the value (such as the relaxed
    selection's), which lets the solver stop as soon as it reaches it. With
    ``tie_weights``, a proven best value is kept while the chosen jobs'
    weights are minimised (from ``tie_budget``): the selection's tie-breaks.
    ``relax=False`` skips the solve without phases that otherwise gives a
    bound and a start (when ``given`` already is a start).
    """
    settings = settings or SolverSettings()
    started = time.perf_counter()
    jobs = problem.jobs
    if not jobs:
        return ScheduleResult("optimal", makespan=0, settings=_settings(settings, 0))
    head, tail, order = heads_and_tails(problem)
    plain = not problem.phases and all(not j.optional for j in jobs)
    hint = heuristic_start(problem) if plain else None
    horizon = sum(job.duration for job in jobs)
    if problem.horizon is not None:
        horizon = min(horizon, problem.horizon)
    if problem.phases:
        horizon = min(horizon, sum(problem.phases))
    if hint is not None:
        assert hint.makespan is not None  # a heuristic schedule always has a finish
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
        relax
        and stages != "value"
        and problem.phases
        and not any(job.optional for job in jobs)
        and all(job.phase is None for job in jobs)
    ):
        # Without the boxes the finish is a plain scheduling problem the solver proves
        # fast; its bound holds with them too, and when that finish fits in the longest
        # box it is reached with every job in that box: the hint below.
        # At most half of what is left: the phases' model needs the rest.
        relaxed = solve_schedule(
            replace(problem, phases=()),
            settings,
            budget=None if budget is None else budget.share(0.5),
            label=label,
        )
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
    if valued:
        _packing_cuts(model, problem, active, present, min(horizon, sum(problem.phases) or horizon))
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
    if hint is None and longest is None and given is not None:
        given = symmetric_hint(problem, starts, given)
        _add_given_hint(model, given, active, starts, present, phase_of, bounds)
    linearization = 2 if valued else 0
    spent = float(relaxed.settings.get("deterministic_time_used", 0.0)) if relaxed else 0.0
    value_bound = None
    finish_bound = None
    proven = True
    solution = None
    tie_breaks = "not applied"

    def run(
        objective, maximise: bool, share: float = 1.0, describe=None, stage: str = "", draw=None
    ):
        nonlocal spent, solution
        if maximise:
            model.maximize(objective)
        else:
            model.minimize(objective)
        solver = _solver(settings, linearization)
        if objective is makespan:
            _finish_search(solver)
        draw = draw or budget
        limit = settings.deterministic_time * share
        if draw is not None:
            limit = max(1e-3, min(draw.left(), draw.budget.total * share))
        solver.parameters.max_deterministic_time = limit
        status = solve_within(solver, model, draw, f"{label}{stage}", describe or "{:g}".format)
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
        if value_bound is not None:
            model.add(value <= value_bound)
        solver, status = run(value, maximise=True, stage="", describe=describe_value)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _failed(status, problem, started, settings, linearization)
        best = sum(j.value for j in valued if _value(solver, present[j.id]))
        proven = status == cp_model.OPTIMAL
        value_bound = solver.best_objective_bound
        model.add(value >= best)
        if tie_weights is not None and proven:
            ties = sum(tie_weights[j.id] * present[j.id] for j in valued)
            _, second = run(ties, maximise=False, stage=" (tie-breaks)", draw=tie_budget)
            tie_breaks = (
                "applied" if second == cp_model.OPTIMAL else "applied as far as the limit allowed"
            )
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
        solver, status = run(makespan, maximise=False, stage=" (finish)", describe=_steps)
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
        solver, status = run(
            sum(early), maximise=False, share=0.1, stage=" (phase preference)", describe=_steps
        )
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
    if hint is not None and not proven:  # a plain problem: justification may shorten it
        start = justified(problem, start)
        end = {job.id: start[job.id] + job.duration for job in jobs}
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
            **({"tie_breaks": tie_breaks} if tie_weights is not None else {}),
        },
    )


def _steps(value: float) -> str:
    return f"{value:g} grid steps"


def _packing_cuts(model, problem: ScheduleProblem, active, present, limit: int) -> None:
    """Lane by lane, at most ``⌊limit/d⌋`` chosen jobs of duration ``d`` or more fit.

    Work alone says two lanes of 33 steps hold 13 jobs of 5 steps (65 <= 66);
    but each lane runs its jobs one after another, so it holds at most
    ``⌊33/5⌋ = 6`` of them: 12 in all. Jobs never overlap more than the lanes
    (or a resource's capacity over its users' least demand), so they can be
    laid out on that many tracks. Implied by the cumulative constraints, but
    stated as counts they give the solver the bound it otherwise cannot prove
    (the seed's sweep: two what-ifs stopped after 20 work units with a 7 %
    gap; with these they are proven at once).
    """
    optional = sorted({j.duration for j in active if j.optional and j.duration > 0})
    if not optional or limit <= 0:
        return
    if len(optional) > _MAX_CUTS:  # evenly spread thresholds: the cuts stay few
        optional = [optional[i * len(optional) // _MAX_CUTS] for i in range(_MAX_CUTS)]
    groups: list[tuple[list[Job], int]] = []
    if problem.lanes:
        groups.append(([j for j in active if j.duration > 0], problem.lanes))
    for resource, capacity in problem.capacities.items():
        users = [j for j in active if j.demands.get(resource, 0) > 0 and j.duration > 0]
        if users:
            tracks = capacity // min(j.demands[resource] for j in users)
            groups.append((users, tracks))
    for members, tracks in groups:
        for d in optional:
            long = [present[j.id] for j in members if j.duration >= d]
            most = tracks * (limit // d)
            if len(long) > most:
                model.add(sum(long) <= most)


def _add_given_hint(model, given, active, starts, present, phase_of, bounds) -> None:
    """A schedule to start from: which jobs are in, when they start, in which phase."""
    ends: dict[int, int] = {}
    for job in active:
        literal = present[job.id]
        if not isinstance(literal, int):
            model.add_hint(literal, int(job.id in given))
        if job.id not in given:
            continue
        start, phase = given[job.id]
        model.add_hint(starts[job.id], start)
        if job.id in phase_of and phase is not None:
            for k, var in enumerate(phase_of[job.id]):
                model.add_hint(var, int(k == phase))
            ends[phase] = max(ends.get(phase, 0), start + job.duration)
    if bounds and ends:
        boundary = 0
        for k, var in enumerate(bounds):
            model.add_hint(var, boundary)
            boundary = max(boundary, ends.get(k, boundary))


def _break_symmetry(model, problem: ScheduleProblem, starts, present) -> None:
    """Interchangeable jobs (same duration, demands, neighbours, value, phase) go in order.

    Swapping two such jobs changes nothing, so the first listed is chosen
    first and starts first: the search need not try both orders.
    """
    for group in symmetry_groups(problem, starts):
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
