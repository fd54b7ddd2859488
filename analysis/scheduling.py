"""Scheduling: jobs on a discrete time grid under phases, lanes and resources.

The engine is an OR-Tools CP-SAT model over generic :class:`Job` records, used
alike for plans (minutes; phases as time boxes; lanes as parallel workers;
shared resources such as "one change at a time on the dev cluster") and for
the PSPLIB benchmark (its own periods; renewable resources only):

- every job runs once, without interruption, after all its predecessors end;
- at most ``lanes`` jobs run at a time, and each resource's capacity holds;
- with phases, the phases run one after another, each no longer than its
  time box, and every job lies inside the phase it is given (or chosen);
- optional jobs (with a value) are chosen together with when they run, so
  that parallel lanes let more work into the same wall-clock budget.

The objective is the finish time (makespan), then design and documentation in
earlier phases; with optional jobs, the value first. When nothing fits,
:func:`explain_infeasible` says why in the problem's own terms. A serial
schedule-generation scheme with latest-finish-time priority (the classic
heuristic of project tools) is here too, for comparison and as a start.

No OR-Tools object leaves this module.

Examples
--------
>>> jobs = (Job("A", 2), Job("B", 3, ("A",)), Job("C", 2))
>>> result = solve_schedule(ScheduleProblem(jobs, lanes=1))
>>> result.status, result.makespan
('optimal', 7)
>>> solve_schedule(ScheduleProblem(jobs, lanes=2)).makespan
5
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import networkx as nx
from ortools.sat.python import cp_model

from analysis.model import SolverSettings, hours_text

__all__ = [
    "Job",
    "ScheduleProblem",
    "ScheduleResult",
    "solve_schedule",
    "serial_sgs",
    "assign_lanes",
    "explain_infeasible",
    "lower_bound",
    "choose_grid",
    "to_grid",
    "units_in_hours",
]


def choose_grid(minutes: Iterable[float]) -> float:
    """The coarsest grid step (minutes) on which every given duration is a whole number.

    The greatest common divisor of the durations in whole seconds (a duration
    that is not a whole number of seconds is rounded up to one). Time boxes and
    budgets need not lie on the grid: rounded down onto it they allow exactly
    the same schedules, since with every duration a multiple of the step some
    best schedule starts every job at a multiple of it. A coarse step makes the
    solver's bounds tight: 23 tasks of 9.75 and 11.7 minutes on two lanes are
    proven optimal at once on a 1.95 minute grid and not at all in seconds.

    >>> choose_grid([7.5, 9])
    1.5
    >>> choose_grid([60, 30])
    30.0
    >>> choose_grid([1 / 7])  # 8.57 s, rounded up to 9 s
    0.15
    """
    seconds = [
        round(m * 60) if abs(m * 60 - round(m * 60)) < 1e-6 else math.ceil(m * 60)
        for m in minutes
        if m > 0
    ]
    return math.gcd(*seconds) / 60 if seconds else 1.0


def to_grid(hours: float, step_minutes: float, *, up: bool = True) -> int:
    """Hours as grid units: rounded up for durations, down for limits.

    >>> to_grid(0.125, 0.5), to_grid(4, 0.5, up=False)
    (15, 480)
    """
    units = hours * 60 / step_minutes
    return math.ceil(units - 1e-9) if up else math.floor(units + 1e-9)


@dataclass(frozen=True)
class Job:
    """One piece of work to place on the grid.

    ``phase`` fixes the job's phase (an index); None lets the solver choose.
    ``early`` asks for an early phase (design and documentation). An
    ``optional`` job may be left out; its ``value`` counts when it is in.
    """

    id: str
    duration: int
    predecessors: tuple[str, ...] = ()
    demands: Mapping[str, int] = field(default_factory=dict)
    phase: int | None = None
    early: bool = False
    optional: bool = False
    value: int = 0
    forced: bool = False


@dataclass(frozen=True)
class ScheduleProblem:
    """Jobs, and the lanes, resources, phases and horizon they share.

    ``lanes`` of None means no limit on parallel work (PSPLIB); ``phases``
    are the time boxes in grid units, in order; ``horizon`` is the latest
    allowed finish (a wall-clock budget), None for none; ``cap`` limits how
    many optional jobs may be chosen.
    """

    jobs: tuple[Job, ...]
    capacities: Mapping[str, int] = field(default_factory=dict)
    lanes: int | None = None
    phases: tuple[int, ...] = ()
    horizon: int | None = None
    cap: int | None = None
    phase_names: tuple[str, ...] = ()
    minimums: tuple[tuple[str, tuple[str, ...], int], ...] = ()  # (label, job ids, at least)

    def phase_name(self, index: int) -> str:
        return self.phase_names[index] if index < len(self.phase_names) else f"#{index + 1}"


@dataclass(frozen=True)
class ScheduleResult:
    """Where and when each job runs, or why no schedule exists.

    ``status``: ``optimal`` (proven), ``feasible`` (a better one may exist),
    ``infeasible`` (see ``explanations``) or ``unknown`` (stopped first).
    """

    status: str
    makespan: int | None = None
    start: Mapping[str, int] = field(default_factory=dict)
    end: Mapping[str, int] = field(default_factory=dict)
    phase: Mapping[str, int] = field(default_factory=dict)
    lane: Mapping[str, int] = field(default_factory=dict)
    chosen: tuple[str, ...] = ()
    value: int = 0
    value_bound: float | None = None
    bound: float | None = None
    solve_seconds: float = 0.0
    settings: Mapping[str, object] = field(default_factory=dict)
    explanations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")


# --------------------------------------------------------------------------- helpers


def _graph(problem: ScheduleProblem) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(job.id for job in problem.jobs)
    for job in problem.jobs:
        graph.add_edges_from((pred, job.id) for pred in job.predecessors)
    return graph


def _heads_and_tails(problem: ScheduleProblem) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """Earliest starts (longest path before) and tails (longest path from, with itself)."""
    by_id = {job.id: job for job in problem.jobs}
    order = list(nx.topological_sort(_graph(problem)))
    head: dict[str, int] = {}
    for job_id in order:
        head[job_id] = max(
            (head[p] + by_id[p].duration for p in by_id[job_id].predecessors), default=0
        )
    tail: dict[str, int] = {}
    successors: dict[str, list[str]] = {job.id: [] for job in problem.jobs}
    for job in problem.jobs:
        for pred in job.predecessors:
            successors[pred].append(job.id)
    for job_id in reversed(order):
        tail[job_id] = by_id[job_id].duration + max(
            (tail[s] for s in successors[job_id]), default=0
        )
    return head, tail, order


def lower_bound(problem: ScheduleProblem) -> int:
    """A makespan no schedule of every job can beat: the critical path, work over capacity."""
    mandatory = [job for job in problem.jobs if not job.optional]
    if not mandatory:
        return 0
    head, _tail, _ = _heads_and_tails(problem)
    bound = max(head[j.id] + j.duration for j in mandatory)
    if problem.lanes:
        bound = max(bound, math.ceil(sum(j.duration for j in mandatory) / problem.lanes))
    for resource, capacity in problem.capacities.items():
        work = sum(j.duration * j.demands.get(resource, 0) for j in mandatory)
        bound = max(bound, math.ceil(work / capacity))
    return bound


def assign_lanes(
    start: Mapping[str, int], end: Mapping[str, int], order: list[str]
) -> dict[str, int]:
    """Lanes (0, 1, ...) for jobs that never overlap more than the lane count.

    Jobs are taken by start time (ties in ``order``) and given the lowest free
    lane, which uses no more lanes than the most jobs running at once.

    >>> assign_lanes({"a": 0, "b": 0, "c": 2}, {"a": 2, "b": 3, "c": 4}, ["a", "b", "c"])
    {'a': 0, 'b': 1, 'c': 0}
    """
    position = {job: i for i, job in enumerate(order)}
    free: list[int] = []
    busy: list[tuple[int, int]] = []  # (end, lane)
    lanes: dict[str, int] = {}
    next_lane = 0
    for job in sorted(start, key=lambda j: (start[j], position.get(j, 0))):
        while busy and busy[0][0] <= start[job]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if end[job] == start[job]:
            lanes[job] = free[0] if free else 0
            continue
        if free:
            lane = heapq.heappop(free)
        else:
            lane, next_lane = next_lane, next_lane + 1
        lanes[job] = lane
        heapq.heappush(busy, (end[job], lane))
    return lanes


# --------------------------------------------------------------------------- infeasibility


def explain_infeasible(problem: ScheduleProblem) -> list[str]:
    """Reasons, in the problem's terms, why no schedule fits (empty if none is obvious).

    Checks: a phase whose fixed jobs need more time than its box (by work
    over lanes and resources, or by a dependency chain inside it); a job
    fixed in a phase before one of its predecessors; a dependency chain, or
    the work over lanes or a resource, longer than the horizon.
    """
    reasons: list[str] = []
    mandatory = [job for job in problem.jobs if not job.optional or job.forced]
    by_id = {job.id: job for job in problem.jobs}
    lanes = problem.lanes or 0
    for index, box in enumerate(problem.phases):
        jobs = [job for job in mandatory if job.phase == index]
        if not jobs:
            continue
        name = problem.phase_name(index)
        work = sum(job.duration for job in jobs)
        if lanes and math.ceil(work / lanes) > box:
            reasons.append(
                f"phase {name} overflows: {_units(work)} of work on {lanes} lane(s) needs "
                f"{_units(math.ceil(work / lanes))}, its box is {_units(box)} "
                f"(over by {_units(math.ceil(work / lanes) - box)})"
            )
        for resource, capacity in problem.capacities.items():
            load = sum(job.duration * job.demands.get(resource, 0) for job in jobs)
            if math.ceil(load / capacity) > box:
                reasons.append(
                    f"phase {name} overflows on {resource}: needs "
                    f"{_units(math.ceil(load / capacity))} of it, its box is {_units(box)}"
                )
        chain, length = longest_chain(jobs)
        if length > box:
            reasons.append(
                f"phase {name}: the chain {' -> '.join(chain)} needs {_units(length)}, "
                f"its box is {_units(box)}"
            )
    for job in mandatory:
        for pred in job.predecessors:
            before = by_id[pred].phase
            if job.phase is not None and before is not None and before > job.phase:
                reasons.append(
                    f"{job.id} is in phase {problem.phase_name(job.phase)} but needs {pred}, "
                    f"which is in the later phase {problem.phase_name(before)}"
                )
    horizon = problem.horizon
    if problem.phases:
        boxes = sum(problem.phases)
        horizon = boxes if horizon is None else min(horizon, boxes)
    if horizon is not None and mandatory:
        chain, length = longest_chain(mandatory)
        if length > horizon:
            reasons.append(
                f"the chain {' -> '.join(chain)} needs {_units(length)}, longer than the "
                f"{_units(horizon)} available"
            )
        work = sum(job.duration for job in mandatory)
        if lanes and math.ceil(work / lanes) > horizon:
            reasons.append(
                f"{_units(work)} of work on {lanes} lane(s) needs "
                f"{_units(math.ceil(work / lanes))}, more than the {_units(horizon)} available"
            )
    for label, members, minimum in problem.minimums:
        if len(members) < minimum:
            reasons.append(f"{label} asks for at least {minimum} of {len(members)} job(s)")
    if problem.cap is not None:
        forced = sum(1 for job in problem.jobs if job.forced)
        if forced > problem.cap:
            reasons.append(f"{forced} jobs must be in, over the cap of {problem.cap}")
    return list(dict.fromkeys(reasons))


def _units(value: int) -> str:
    return f"{value} units"


def units_in_hours(text: str, step_minutes: float) -> str:
    """An explanation that counts grid units, with durations instead.

    >>> units_in_hours("phase P1 overflows: needs 50 units, its box is 40 units", 1.5)
    'phase P1 overflows: needs 1.25 h, its box is 1 h'
    """
    return re.sub(r"(\d+) units", lambda m: hours_text(int(m.group(1)) * step_minutes / 60), text)


def longest_chain(jobs: Iterable[Job]) -> tuple[list[str], int]:
    """The longest dependency chain among ``jobs``, and its length (other predecessors aside).

    >>> longest_chain([Job("A", 2), Job("B", 3, ("A",)), Job("C", 4, ("X",))])
    (['A', 'B'], 5)
    """
    jobs = list(jobs)
    ids = {job.id for job in jobs}
    among = tuple(
        replace(job, predecessors=tuple(p for p in job.predecessors if p in ids)) for job in jobs
    )
    return _longest_chain(ScheduleProblem(among))


def _longest_chain(problem: ScheduleProblem) -> tuple[list[str], int]:
    head, _, order = _heads_and_tails(problem)
    by_id = {job.id: job for job in problem.jobs}
    if not order:
        return [], 0
    end = max(order, key=lambda j: (head[j] + by_id[j].duration, -order.index(j)))
    chain = [end]
    while True:
        job = by_id[chain[-1]]
        preds = [p for p in job.predecessors if head[p] + by_id[p].duration == head[job.id]]
        if not preds or head[job.id] == 0:
            break
        chain.append(min(preds, key=order.index))
    chain.reverse()
    return chain, head[end] + by_id[end].duration


# --------------------------------------------------------------------------- the heuristic


def serial_sgs(problem: ScheduleProblem) -> ScheduleResult:
    """Serial schedule generation with latest-finish-time priority.

    Takes the eligible job (all predecessors scheduled) with the smallest
    latest finish time (ties: listed first) and starts it as early as its
    predecessors, the lanes and the resources allow. Phases, optional jobs
    and the horizon are ignored: this is the classic heuristic for comparison.
    """
    started = time.perf_counter()
    _head, tail, _ = _heads_and_tails(problem)
    jobs = list(problem.jobs)
    position = {job.id: i for i, job in enumerate(jobs)}
    horizon = sum(job.duration for job in jobs)
    latest_finish = {job.id: horizon - tail[job.id] + job.duration for job in jobs}
    profiles: dict[str, list[int]] = {name: [0] * (horizon + 1) for name in problem.capacities}
    limits = dict(problem.capacities)
    if problem.lanes:
        profiles["\0lanes"] = [0] * (horizon + 1)
        limits["\0lanes"] = problem.lanes
    waiting = {job.id: len(job.predecessors) for job in jobs}
    successors: dict[str, list[str]] = {job.id: [] for job in jobs}
    for job in jobs:
        for pred in job.predecessors:
            successors[pred].append(job.id)
    eligible = [(latest_finish[j.id], position[j.id], j.id) for j in jobs if waiting[j.id] == 0]
    heapq.heapify(eligible)
    start: dict[str, int] = {}
    end: dict[str, int] = {}
    by_id = {job.id: job for job in jobs}
    while eligible:
        _, _, job_id = heapq.heappop(eligible)
        job = by_id[job_id]
        demands = dict(job.demands)
        if problem.lanes and job.duration:
            demands["\0lanes"] = 1
        t = max((end[p] for p in job.predecessors), default=0)
        while any(
            profiles[r][u] + amount > limits[r]
            for r, amount in demands.items()
            if amount
            for u in range(t, t + job.duration)
        ):
            t += 1
        start[job_id], end[job_id] = t, t + job.duration
        for r, amount in demands.items():
            for u in range(t, t + job.duration):
                profiles[r][u] += amount
        for succ in successors[job_id]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                heapq.heappush(eligible, (latest_finish[succ], position[succ], succ))
    makespan = max(end.values(), default=0)
    order = [job.id for job in jobs]
    return ScheduleResult(
        status="feasible",
        makespan=makespan,
        start=start,
        end=end,
        lane=assign_lanes(start, end, order) if problem.lanes else {},
        chosen=tuple(order),
        bound=None,
        solve_seconds=time.perf_counter() - started,
        settings={"engine": "serial SGS, latest finish time first"},
    )


# --------------------------------------------------------------------------- the model


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
    head, tail, order = _heads_and_tails(problem)
    plain = not problem.phases and all(not j.optional for j in jobs)
    hint = serial_sgs(problem) if plain else None
    horizon = sum(job.duration for job in jobs)
    if problem.horizon is not None:
        horizon = min(horizon, problem.horizon)
    if problem.phases:
        horizon = min(horizon, sum(problem.phases))
    if hint is not None:
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
        s = model.NewIntVar(low, high, f"start_{job.id}")
        e = model.NewIntVar(low + job.duration, high + job.duration, f"end_{job.id}")
        if job.optional and not job.forced:
            literal = model.NewBoolVar(f"in_{job.id}")
            present[job.id] = literal
            intervals[job.id] = model.NewOptionalIntervalVar(s, job.duration, e, literal, job.id)
        else:
            present[job.id] = 1
            intervals[job.id] = model.NewIntervalVar(s, job.duration, e, job.id)
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
                model.Add(ends[pred] <= starts[job.id])
                _require(model, present[pred], 1)
            else:
                model.Add(ends[pred] <= starts[job.id]).OnlyEnforceIf(condition)
                if not isinstance(present[pred], int):
                    model.AddImplication(condition, present[pred])
    active = [j for j in jobs if j.id in intervals]
    if problem.lanes:
        busy = [j for j in active if j.duration > 0]
        if busy:
            model.AddCumulative([intervals[j.id] for j in busy], [1] * len(busy), problem.lanes)
    for resource, capacity in problem.capacities.items():
        users = [j for j in active if j.demands.get(resource, 0) > 0 and j.duration > 0]
        if users:
            model.AddCumulative(
                [intervals[j.id] for j in users], [j.demands[resource] for j in users], capacity
            )
            heavy = [j for j in users if 2 * j.demands[resource] > capacity]
            if len(heavy) > 1:
                model.AddNoOverlap([intervals[j.id] for j in heavy])
    for _, members, minimum in problem.minimums:
        literals = [present[j] for j in members if j in present]
        fixed = sum(v for v in literals if isinstance(v, int))
        free = [v for v in literals if not isinstance(v, int)]
        if fixed + len(free) < minimum:
            model.AddBoolOr([])  # cannot be met: infeasible
        elif free and fixed < minimum:
            model.Add(sum(free) >= minimum - fixed)
    _break_symmetry(model, problem, starts, present)
    if problem.cap is not None:
        chosen_count = [present[j.id] for j in jobs if j.optional]
        fixed = sum(v for v in chosen_count if isinstance(v, int))
        free = [v for v in chosen_count if not isinstance(v, int)]
        if free:
            model.Add(sum(free) <= problem.cap - fixed)
    phase_of, bounds = _phases(model, problem, active, starts, ends, present, horizon)
    # The domain starts at a proven lower bound: a schedule that reaches it is optimal at once.
    makespan = model.NewIntVar(min(floor, horizon), horizon, "makespan")
    for job in active:
        model.Add(makespan >= ends[job.id])
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
            model.AddHint(starts[job.id], hint.start[job.id])
    longest = None  # the box that holds the whole relaxed schedule, if one does
    if relaxed is not None and relaxed.makespan is not None:
        box = max(range(len(problem.phases)), key=lambda k: (problem.phases[k], -k))
        if relaxed.makespan <= problem.phases[box]:
            longest = box
            for job in active:
                model.AddHint(starts[job.id], relaxed.start[job.id])
                for k, literal in enumerate(phase_of[job.id]):
                    model.AddHint(literal, int(k == longest))
            for k, var in enumerate(bounds):
                model.AddHint(var, 0 if k <= longest else relaxed.makespan)
    linearization = 2 if valued else 0
    spent = float(relaxed.settings.get("deterministic_time_used", 0.0)) if relaxed else 0.0
    value_bound = None
    finish_bound = None
    proven = True
    solution = None

    def run(objective, maximise: bool, share: float = 1.0):
        nonlocal spent, solution
        if maximise:
            model.Maximize(objective)
        else:
            model.Minimize(objective)
        solver = _solver(settings, linearization)
        solver.parameters.max_deterministic_time = settings.deterministic_time * share
        status = solver.Solve(model)
        spent += solver.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = solver
            model.ClearHints()
            for job in active:
                model.AddHint(starts[job.id], solver.Value(starts[job.id]))
                if not isinstance(present[job.id], int):
                    model.AddHint(present[job.id], solver.Value(present[job.id]))
        return solver, status

    # Stage 1: the most value from optional jobs.
    if valued:
        value = sum(j.value * present[j.id] for j in valued)
        solver, status = run(value, maximise=True)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _failed(status, problem, started, settings, linearization)
        best = sum(j.value for j in valued if _value(solver, present[j.id]))
        proven = status == cp_model.OPTIMAL
        value_bound = solver.BestObjectiveBound()
        model.Add(value >= best)
    finish_proven = None
    preference = "none asked"
    if stages != "value" and longest is not None:
        # Stage 2 is the relaxed problem's: its finish, with every job in the longest box.
        best_finish, finish_bound = relaxed.makespan, relaxed.bound
        finish_proven = relaxed.status == "optimal" or best_finish <= floor
        model.Add(makespan <= best_finish)
    elif stages != "value":
        # Stage 2: the earliest finish.
        solver, status = run(makespan, maximise=False)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if solution is None:
                return _failed(status, problem, started, settings, linearization)
        else:
            best_finish = solution.Value(makespan)
            finish_bound = max(solver.BestObjectiveBound(), floor)
            finish_proven = status == cp_model.OPTIMAL or best_finish <= floor
            model.Add(makespan <= best_finish)
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
        start = dict(relaxed.start)
        end = dict(relaxed.end)
        phases = dict.fromkeys(start, longest)
        preference = "not applied"
    else:
        chosen = [j.id for j in active if _value(solution, present[j.id])]
        start = {j: solution.Value(starts[j]) for j in chosen}
        end = {j: solution.Value(ends[j]) for j in chosen}
        phases = {
            j: next(k for k, var in enumerate(phase_of[j]) if solution.Value(var))
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
                model.AddImplication(b, a)
                model.Add(starts[first.id] <= starts[second.id]).OnlyEnforceIf(b)
            else:
                model.Add(starts[first.id] <= starts[second.id])


def _redundant_energy(model, problem: ScheduleProblem, active, present, makespan) -> None:
    """Work of the chosen jobs fits the lanes and each resource until the finish.

    Implied by the cumulative constraints, but stated linearly it gives the
    solver a far better bound on how much optional work can fit (the finish is
    at most the horizon) and, once the work is chosen, on how early it can end.
    """
    if not any(job.optional for job in active):
        return
    if problem.lanes:
        model.Add(sum(j.duration * present[j.id] for j in active) <= problem.lanes * makespan)
    for resource, capacity in problem.capacities.items():
        users = [j for j in active if j.demands.get(resource, 0)]
        if users:
            model.Add(
                sum(j.duration * j.demands[resource] * present[j.id] for j in users)
                <= capacity * makespan
            )


def _require(model: cp_model.CpModel, literal, value: int) -> None:
    """``literal == value`` for a Boolean variable, or a contradiction for a constant."""
    if isinstance(literal, int):
        if literal != value:
            model.AddBoolOr([])  # an empty clause: the model is infeasible
        return
    model.Add(literal == value)


def _value(solver: cp_model.CpSolver, literal) -> int:
    return literal if isinstance(literal, int) else solver.Value(literal)


def _phases(model, problem, active, starts, ends, present, horizon) -> dict[str, list]:
    """Phase boundaries and each job's phase: the phase literals of every job, the boundaries."""
    if not problem.phases:
        return {}, []
    count = len(problem.phases)
    bounds = [model.NewIntVar(0, horizon, f"phase_start_{k}") for k in range(count + 1)]
    model.Add(bounds[0] == 0)
    for k, box in enumerate(problem.phases):
        model.Add(bounds[k + 1] >= bounds[k])
        model.Add(bounds[k + 1] - bounds[k] <= box)
    phase_of = {}
    for job in active:
        literals = [model.NewBoolVar(f"{job.id}_in_{k}") for k in range(count)]
        if job.phase is not None:
            for k, literal in enumerate(literals):
                model.Add(literal == (1 if k == job.phase else 0))
        model.AddExactlyOne(literals)
        for k, literal in enumerate(literals):
            model.Add(starts[job.id] >= bounds[k]).OnlyEnforceIf(literal)
            model.Add(ends[job.id] <= bounds[k + 1]).OnlyEnforceIf(literal)
        phase_of[job.id] = literals
    return phase_of, bounds


def _settings(settings: SolverSettings, linearization: int) -> dict[str, object]:
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
