"""Selection: the best safe subset of tasks under a scenario, and why the rest is left out.

The optimal selection is an OR-Tools CP-SAT model: one yes/no per unit of work
(a task, or a set of duplicates merged into one piece of work), maximising the
objective subject to the risk appetite, dependency closure (a chosen task has
every prerequisite chosen or already done), the budget, the task cap, and the
scenario's includes and excludes. Ties are broken, in order, by fewer hours
and then by the smallest sum of catalog positions (earlier tasks first).

Answers are reproducible: the solver's seed and worker count are fixed, it
stops on a deterministic work limit (a wall-clock limit is only a safety net),
and the settings are recorded in the result. A greedy baseline (value per
hour) is computed alongside so every plan shows what optimisation gained.

Every task left out gets a reason a person can act on; a hand-made plan (a
scenario with ``plan`` items) is checked against the same limits instead.

No OR-Tools object leaves this module.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
from ortools.sat.python import cp_model

from analysis.catalog import EFFORT_KEYS
from analysis.gates import Gate, GateBreak, check_gates
from analysis.graph import GraphFacts, blocked_by
from analysis.model import (
    LEVELS,
    UNKNOWN,
    Catalog,
    Effort,
    Finding,
    PlanItem,
    Scenario,
    SolverSettings,
    Task,
    hours_text,
    level_rank,
)
from analysis.scheduling import (
    Job,
    ScheduleProblem,
    choose_grid,
    longest_chain,
    solve_schedule,
    to_grid,
    units_in_hours,
)
from analysis.scoring import Rubric, Score, score_task

__all__ = [
    "TIE_BREAKS",
    "TIE_BREAKS_PARALLEL",
    "unit_jobs",
    "Unit",
    "LeftOut",
    "Totals",
    "Baseline",
    "Selection",
    "build_units",
    "select_tasks",
    "value_scale",
    "greedy_selection",
    "check_plan",
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
_SECONDS = 3600
#: Values are scaled by the smallest power of ten up to this that makes them whole.
_MAX_VALUE_DIGITS = 6
_MAX_WEIGHT = 2**53
_UNAVAILABLE_STATUS = {"cancelled": "cancelled", "blocked": "status-blocked"}


def _seconds(hours: float) -> int:
    return round(hours * _SECONDS)


def value_scale(values: Iterable[float]) -> int:
    """The factor that turns task values into the solver's whole numbers, exactly if it can.

    The smallest power of ten (at most a million) that makes every value a whole
    number; values finer than a millionth are rounded to one. Objective, bound
    and gap are divided back, so they are in the user's units either way.

    >>> value_scale([3, 2, 1]), value_scale([0.5, 2]), value_scale([0.001, 0.0015])
    (1, 10, 10000)
    >>> value_scale([1 / 3])
    1000000
    """
    values = [abs(v) for v in values]
    total = sum(values)
    scale = 1
    for digits in range(_MAX_VALUE_DIGITS + 1):
        if total * 10**digits > _MAX_WEIGHT:
            break  # the sum must stay a number the solver (and a float) holds exactly
        scale = 10**digits
        if all(abs(v * scale - round(v * scale)) <= 1e-9 * max(1.0, v * scale) for v in values):
            break
    return scale


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
    hand-made plan, checked rather than optimised).
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

    @property
    def gain_over_greedy(self) -> float | None:
        """Objective gained over the greedy baseline (None when there is none)."""
        if self.baseline is None or self.objective is None:
            return None
        return self.objective - _objective_of(self.baseline.totals, self.solver.get("objective"))

    def reason_for(self, task: str) -> LeftOut | None:
        return next((item for item in self.left_out if item.task == task), None)


def _objective_of(totals: Totals, objective: str | None) -> float:
    return float(totals.tasks) if objective == "count" else totals.value


def _totals(catalog: Catalog, scores: Mapping[str, Score], units: Iterable[Unit]) -> Totals:
    units = list(units)
    tasks = [task for unit in units for task in unit.tasks]
    return Totals(
        hours=sum(unit.hours for unit in units),
        tasks=len(tasks),
        units=len(units),
        value=sum(catalog.task_by_id[t].value for t in tasks),
        risk={level: sum(scores[t].level == level for t in tasks) for level in LEVELS},
    )


# --------------------------------------------------------------------------- what can be chosen


def _availability(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    scenario: Scenario,
    gates: Iterable[Gate] = (),
) -> tuple[list[str], dict[str, LeftOut]]:
    """Tasks that may be chosen, and a reason for each that may not."""
    limit = level_rank(scenario.appetite)
    excluded = set(scenario.exclude)
    blocking = [gate for gate in gates if gate.blocking]
    broken: dict[str, GateBreak] = {}
    levels = {task: score.level for task, score in scores.items()}
    for item in check_gates(catalog, blocking, levels=levels, graph=facts.graph, scenario=scenario):
        broken.setdefault(item.task, item)
    left: dict[str, LeftOut] = {}
    for task in catalog.tasks:
        score = scores[task.id]
        if task.status == "done":
            left[task.id] = LeftOut(task.id, "done", "already done")
        elif task.status in _UNAVAILABLE_STATUS:
            left[task.id] = LeftOut(
                task.id, _UNAVAILABLE_STATUS[task.status], f"status is {task.status}"
            )
        elif task.id in excluded:
            left[task.id] = LeftOut(task.id, "excluded", "excluded by the scenario")
        elif level_rank(score.level) > limit:
            because = score.main_reason
            if score.rests_on_unknown:
                because += (
                    f"; rests on unknown {', '.join(score.rests_on_unknown)} "
                    f"(as low as {score.lowest_level} once stated)"
                )
            left[task.id] = LeftOut(
                task.id,
                "above-appetite",
                f"{score.level} is above the appetite {scenario.appetite}: {because}",
                {
                    "level": score.level,
                    "appetite": scenario.appetite,
                    "reasons": score.reason_texts(),
                },
            )
        elif too_big := [r for r in scenario.resources if r.uses(task) and r.units > r.capacity]:
            resource = too_big[0]
            left[task.id] = LeftOut(
                task.id,
                "resource",
                f"needs {resource.units} of {resource.name} at once, which has capacity "
                f"{resource.capacity}: no schedule can run it",
                {"resource": resource.name, "units": resource.units, "capacity": resource.capacity},
            )
        elif task.id in broken:
            item = broken[task.id]
            left[task.id] = LeftOut(
                task.id,
                "gate",
                f"breaks the blocking gate {item.gate.id} ({item.gate.wording}): {item.missing}",
                {"gate": item.gate.id, "missing": item.missing},
            )
    roots = [t for t, item in left.items() if item.kind != "done"]
    for task, chain in _blocked(
        facts.graph, roots, done={t for t, i in left.items() if i.kind == "done"}
    ).items():
        if task in left:
            continue
        root = left[chain[0]]
        left[task] = LeftOut(
            task,
            "blocked",
            f"blocked by {chain[0]} ({root.kind}: {root.reason.split(':')[0]}): "
            + " -> ".join(chain),
            {"chain": list(chain), "root": chain[0], "root_kind": root.kind},
        )
    return [t.id for t in catalog.tasks if t.id not in left], left


def _blocked(graph: nx.DiGraph, roots: list[str], done: set[str]) -> dict[str, tuple[str, ...]]:
    """Chains from unavailable tasks; a done task is a satisfied link and stops a chain."""
    if not roots:
        return {}
    open_work = graph.subgraph(node for node in graph if node not in done)
    return blocked_by(open_work, roots)


def build_units(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    candidates: Iterable[str],
    merge: bool,
) -> tuple[list[Unit], dict[str, str]]:
    """Units of work over the candidate tasks, and the unit of each candidate.

    With ``merge``, each mergeable duplicate set whose copies are all candidates
    becomes one unit, unless merging it would make the unit graph cyclic.
    """
    candidates = [t for t in catalog.task_by_id if t in set(candidates)]
    position = {task.id: i for i, task in enumerate(catalog.tasks)}
    groups: list[tuple[str, ...]] = []
    if merge:
        pool = set(candidates)
        groups = [
            dup.tasks
            for cluster in facts.clusters
            for dup in cluster.duplicates
            if dup.mergeable and set(dup.tasks) <= pool
        ]
    while True:
        unit_of = {task: task for task in candidates}
        for group in groups:
            for task in group:
                unit_of[task] = group[0]
        cyclic = _cyclic_units(facts.graph, unit_of)
        if not cyclic:
            break
        groups = [g for g in groups if g[0] not in cyclic]
    members: dict[str, list[str]] = {}
    for task in candidates:
        members.setdefault(unit_of[task], []).append(task)
    units = []
    for unit_id, tasks in members.items():
        records = [catalog.task_by_id[t] for t in tasks]
        units.append(
            Unit(
                id=unit_id,
                tasks=tuple(tasks),
                hours=max(r.effort.hours for r in records),
                value=sum(r.value for r in records),
                level=max((scores[t].level for t in tasks), key=level_rank),
                position=min(position[t] for t in tasks),
            )
        )
    units.sort(key=lambda u: u.position)
    return units, unit_of


def _unit_edges(graph: nx.DiGraph, unit_of: Mapping[str, str]) -> set[tuple[str, str]]:
    """``(unit, prerequisite unit)`` pairs between candidate units."""
    edges = set()
    for before, after in graph.edges:
        if before in unit_of and after in unit_of and unit_of[before] != unit_of[after]:
            edges.add((unit_of[after], unit_of[before]))
    return edges


def _cyclic_units(graph: nx.DiGraph, unit_of: Mapping[str, str]) -> set[str]:
    unit_graph = nx.DiGraph(list(_unit_edges(graph, unit_of)))
    return {
        u for comp in nx.strongly_connected_components(unit_graph) if len(comp) > 1 for u in comp
    }


# --------------------------------------------------------------------------- the model


@dataclass
class _Problem:
    units: list[Unit]
    needs: dict[str, list[str]]  # unit -> prerequisite units
    budget: int | None  # seconds
    cap: int | None
    include: set[str]
    objective: str
    coverage: tuple[tuple[str, int, frozenset[str]], ...] = ()  # (area, minimum, units)
    scale: int = 1  # model weight of one unit of the objective (see value_scale)
    boxes: tuple[int, ...] = ()  # phases' time boxes on the grid (one lane packs into them)
    durations: dict[str, int] = field(default_factory=dict)  # unit -> grid steps
    grid_minutes: float = 1.0
    lanes: int = 1
    horizon: int | None = None  # wall-clock budget on the grid (several lanes)
    capacities: dict[str, int] = field(default_factory=dict)  # resource -> capacity
    demands: dict[str, dict[str, int]] = field(default_factory=dict)  # unit -> resource use

    def grid_hours(self, steps: int) -> float:
        return steps * self.grid_minutes / 60

    def in_order(self, units: Iterable[str]) -> list[str]:
        """``units`` with every prerequisite among them before the units that need it."""
        units = list(units)
        members, out, seen = set(units), [], set()
        for root in units:  # depth first, without recursion: a chain may be thousands long
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, iter(self.needs.get(root, ())))]
            while stack:
                unit, prerequisites = stack[-1]
                for prerequisite in prerequisites:
                    if prerequisite in members and prerequisite not in seen:
                        seen.add(prerequisite)
                        stack.append((prerequisite, iter(self.needs.get(prerequisite, ()))))
                        break
                else:
                    stack.pop()
                    out.append(unit)
        return out

    def weight(self, unit: Unit) -> int:
        """The unit's share of the objective, in whole model units.

        With ``objective: count`` a unit counts the tasks it closes (merged
        duplicates close every copy), as the value objective sums their values.
        """
        if self.objective == "count":
            return len(unit.tasks)
        return round(unit.value * self.scale)


@dataclass(frozen=True)
class _Solved:
    status: str
    chosen: frozenset[str]
    bound: float | None
    seconds: float
    deterministic: float
    ties: str = "not applied"
    explanations: tuple[str, ...] = ()  # why no schedule fits (several lanes), in hours


def _solve(problem: _Problem, settings: SolverSettings, force: str | None = None) -> _Solved:
    """Stage 1: maximise the objective; stage 2 (if proven): apply the tie-breaks."""
    model = cp_model.CpModel()
    x = {u.id: model.NewBoolVar(u.id) for u in problem.units}
    for unit, prerequisites in problem.needs.items():
        for prerequisite in prerequisites:
            model.AddImplication(x[unit], x[prerequisite])
    seconds = {u.id: _seconds(u.hours) for u in problem.units}
    if problem.budget is not None:
        model.Add(sum(seconds[u] * x[u] for u in x) <= problem.budget)
    if problem.cap is not None:
        model.Add(sum(x.values()) <= problem.cap)
    for unit in problem.include | ({force} if force else set()):
        model.Add(x[unit] == 1)
    for _, minimum, members in problem.coverage:
        model.Add(sum(x[u] for u in members) >= minimum)
    if problem.boxes:
        _pack_into_boxes(model, problem, x)
    weights = {u.id: problem.weight(u) for u in problem.units}
    objective = sum(weights[u] * x[u] for u in x)
    model.Maximize(objective)
    started = time.perf_counter()
    solver = _solver(settings)
    status = solver.Solve(model)
    spent = solver.deterministic_time
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
        return _Solved(name, frozenset(), None, time.perf_counter() - started, spent)
    chosen = {u for u in x if solver.Value(x[u])}
    bound = solver.BestObjectiveBound()
    proven = status == cp_model.OPTIMAL
    ties = "not applied (objective not proven)"
    if proven:
        # Stage 2: keep the proven objective, then fewest hours, then earliest tasks.
        best = sum(weights[u] for u in chosen)
        model.Add(objective >= best)
        positions = {u.id: u.position for u in problem.units}
        scale = sum(positions.values()) + 1
        model.Minimize(sum((seconds[u] * scale + positions[u]) * x[u] for u in x))
        for u in x:
            model.AddHint(x[u], u in chosen)
        solver = _solver(settings)
        second = solver.Solve(model)
        spent += solver.deterministic_time
        if second in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {u for u in x if solver.Value(x[u])}
        ties = "applied" if second == cp_model.OPTIMAL else "applied as far as the limit allowed"
        bound = float(best)
    return _Solved(
        "optimal" if proven else "feasible",
        frozenset(chosen),
        bound,
        time.perf_counter() - started,
        spent,
        ties,
    )


def _pack_into_boxes(model: cp_model.CpModel, problem: _Problem, x: Mapping[str, Any]) -> None:
    """One lane through phases: the chosen work must fit the time boxes, as the schedule's.

    On one lane the work runs one piece at a time, so a selection has a
    schedule exactly when its units can be put in phases (each in one) with
    no phase holding more than its box and none before a prerequisite's phase
    (phases run in order). Durations and boxes are on the schedule's grid.
    """
    count = len(problem.boxes)
    steps = problem.durations
    phase = {u: [model.NewBoolVar(f"{u}_in_{k}") for k in range(count)] for u in x}
    for unit, literals in phase.items():
        model.Add(sum(literals) == x[unit])
    for k, box in enumerate(problem.boxes):
        model.Add(sum(steps[u] * phase[u][k] for u in x) <= box)
    model.Add(sum(steps[u] * x[u] for u in x) <= sum(problem.boxes))  # implied; a tighter LP
    for unit, prerequisites in problem.needs.items():
        for prerequisite in prerequisites:
            for k in range(count):
                model.Add(sum(phase[prerequisite][: k + 1]) >= 1).OnlyEnforceIf(phase[unit][k])


def _solver(settings: SolverSettings) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = settings.seed
    solver.parameters.num_workers = settings.workers
    # With several workers, interleaved search keeps the answer deterministic.
    solver.parameters.interleave_search = settings.workers > 1
    solver.parameters.max_deterministic_time = settings.deterministic_time
    # A stronger LP relaxation: proves knapsack-like selections far sooner.
    solver.parameters.linearization_level = 2
    solver.parameters.max_time_in_seconds = settings.time_limit
    return solver


def _closure(unit: str, needs: Mapping[str, list[str]], chosen: set[str]) -> list[str]:
    """``unit`` and its prerequisite units not yet chosen, in discovery order."""
    out, stack, seen = [], [unit], {unit}
    while stack:
        current = stack.pop()
        if current in chosen:
            continue
        out.append(current)
        for prerequisite in needs.get(current, ()):
            if prerequisite not in seen:
                seen.add(prerequisite)
                stack.append(prerequisite)
    return out


_PAPER_FIRST = ("design", "document")


def unit_jobs(
    catalog: Catalog,
    units: Iterable[Unit],
    needs: Mapping[str, Iterable[str]],
    scenario: Scenario,
    grid_minutes: float,
    *,
    optional: bool = False,
    weights: Mapping[str, int] | None = None,
    forced: Iterable[str] = (),
) -> tuple[Job, ...]:
    """Scheduler jobs for units of work: durations on the grid, resource use, order.

    A unit uses a resource when its (first) task does; design and documentation
    ask for early phases.
    """
    forced = set(forced)
    jobs = []
    for unit in units:
        task = catalog.task_by_id[unit.tasks[0]]
        jobs.append(
            Job(
                id=unit.id,
                duration=to_grid(unit.hours, grid_minutes),
                predecessors=tuple(needs.get(unit.id, ())),
                demands={r.name: r.units for r in scenario.resources if r.uses(task)},
                early=task.activity in _PAPER_FIRST,
                optional=optional,
                value=(weights or {}).get(unit.id, 0),
                forced=unit.id in forced,
            )
        )
    return tuple(jobs)


def scenario_grid(scenario: Scenario, hours: Iterable[float]) -> float:
    """The grid step (minutes) for these durations; boxes and budget are rounded down onto it."""
    return choose_grid([h * 60 for h in hours])


def _solve_parallel(
    problem: _Problem, scenario: Scenario, catalog: Catalog, force: str | None = None
) -> _Solved:
    """Selection and schedule together: the budget is wall-clock time on the lanes.

    The grid, boxes, horizon and capacities are the ones :func:`select_tasks`
    put on ``problem``.
    """
    grid = problem.grid_minutes
    jobs = unit_jobs(
        catalog,
        problem.units,
        problem.needs,
        scenario,
        grid,
        optional=True,
        weights={u.id: problem.weight(u) for u in problem.units},
        forced=problem.include | ({force} if force else set()),
    )
    result = solve_schedule(
        ScheduleProblem(
            jobs=jobs,
            capacities=problem.capacities,
            lanes=problem.lanes,
            phases=problem.boxes,
            horizon=problem.horizon,
            cap=problem.cap,
            phase_names=tuple(p.name for p in scenario.phases),
            minimums=tuple(
                (f"coverage of {area}", tuple(sorted(members)), minimum)
                for area, minimum, members in problem.coverage
            ),
        ),
        scenario.solver,
        stages="value",  # when the chosen work runs is the timeline's job
    )
    if not result.ok:
        return _Solved(
            result.status,
            frozenset(),
            None,
            result.solve_seconds,
            0.0,
            explanations=tuple(units_in_hours(text, grid) for text in result.explanations),
        )
    # No bound: nothing was there to choose (no units), and the empty choice is the best.
    value_proven = result.value_bound is None or result.value >= result.value_bound - 1e-9
    return _Solved(
        "optimal" if value_proven else "feasible",
        frozenset(result.chosen),
        result.value_bound,
        result.solve_seconds,
        float(result.settings.get("deterministic_time_used", 0.0)),
        "the solver's first proven optimum" if value_proven else "not applied",
    )


def greedy_selection(problem: _Problem) -> list[Unit]:
    """Best value per hour first, among units whose prerequisites are chosen.

    The scenario's includes (with their prerequisites) are taken first. With
    phases, each unit goes in the first phase with room that is not before a
    prerequisite's, so the baseline is a selection its schedule can hold.
    """
    by_id = {u.id: u for u in problem.units}
    waiting = {u.id: len(problem.needs.get(u.id, ())) for u in problem.units}
    dependents: dict[str, list[str]] = {}
    for unit, prerequisites in problem.needs.items():
        for prerequisite in prerequisites:
            dependents.setdefault(prerequisite, []).append(unit)

    def key(unit: Unit) -> tuple[float, int]:
        ratio = problem.weight(unit) / max(unit.hours, 1e-9)
        return (-ratio, unit.position)

    chosen: list[Unit] = []
    taken: set[str] = set()
    used = 0
    room = list(problem.boxes)
    phase_of: dict[str, int] = {}

    def place(bundle: list[str], force: bool = False) -> dict[str, int] | None:
        """Phases for ``bundle`` (prerequisites first) in the room left; None if it does not fit."""
        left, placed = list(room), {}
        for unit in bundle:
            earliest = max(
                (
                    placed.get(p, phase_of.get(p, 0))
                    for p in problem.needs.get(unit, ())
                    if p in placed or p in phase_of
                ),
                default=0,
            )
            steps = problem.durations[unit]
            fits = [k for k in range(earliest, len(left)) if left[k] >= steps]
            if not fits and not force:
                return None
            # An include goes in even when no phase has room (the optimum is then infeasible).
            placed[unit] = fits[0] if fits else earliest
            left[placed[unit]] -= steps
        return placed

    def take(unit_id: str, phase: int | None = None) -> None:
        nonlocal used
        chosen.append(by_id[unit_id])
        taken.add(unit_id)
        used += _seconds(by_id[unit_id].hours)
        if phase is not None:
            phase_of[unit_id] = phase
            room[phase] -= problem.durations[unit_id]
        for dependent in dependents.get(unit_id, ()):
            waiting[dependent] -= 1
            if waiting[dependent] == 0 and dependent not in taken:
                heapq.heappush(heap, (key(by_id[dependent]), dependent))

    def take_all(bundle: list[str], force: bool = False) -> None:
        placed: dict[str, int] | None = {}
        if problem.boxes:
            bundle = problem.in_order(bundle)
            placed = place(bundle, force)
        if placed is None:
            return
        for unit in bundle:
            take(unit, placed.get(unit))

    heap: list[tuple[tuple[float, int], str]] = []
    forced = {u for unit in problem.include for u in _closure(unit, problem.needs, set())}
    take_all(sorted(forced, key=lambda u: by_id[u].position), force=True)
    # Coverage minimums next: the best value per hour of each area, with prerequisites.
    for _, minimum, members in problem.coverage:
        for unit in sorted(members, key=lambda u: key(by_id[u])):
            if sum(1 for u in members if u in taken) >= minimum:
                break
            bundle = _closure(unit, problem.needs, taken)
            cost = sum(_seconds(by_id[u].hours) for u in bundle)
            if problem.budget is not None and used + cost > problem.budget:
                continue
            if problem.cap is not None and len(chosen) + len(bundle) > problem.cap:
                continue
            take_all(list(reversed(bundle)))
    heap = [(key(by_id[u]), u) for u, n in waiting.items() if n == 0 and u not in taken]
    heapq.heapify(heap)
    while heap:
        _, unit_id = heapq.heappop(heap)
        if unit_id in taken:
            continue
        if problem.cap is not None and len(chosen) >= problem.cap:
            break
        if problem.budget is not None and used + _seconds(by_id[unit_id].hours) > problem.budget:
            continue
        take_all([unit_id])
    return chosen


def select_tasks(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    scenario: Scenario,
    explain_limit: int = 200,
    gates: Iterable[Gate] = (),
) -> Selection:
    """The optimal selection under ``scenario``, with a reason for every task left out.

    ``explain_limit`` caps how many left-out tasks get the exact cost of
    forcing them in (one more solve each); the rest get the cheaper reason.
    """
    candidates, left = _availability(catalog, scores, facts, scenario, gates)
    units, unit_of = build_units(catalog, scores, facts, candidates, scenario.merge_duplicates)
    needs: dict[str, list[str]] = {}
    for unit, prerequisite in sorted(_unit_edges(facts.graph, unit_of)):
        needs.setdefault(unit, []).append(prerequisite)
    problem = _Problem(
        units=units,
        needs=needs,
        budget=None if scenario.budget_hours is None else _seconds(scenario.budget_hours),
        cap=scenario.task_cap,
        include={unit_of[t] for t in scenario.include if t in unit_of},
        objective=scenario.objective,
        coverage=tuple(
            (area, minimum, _advancing(catalog, units, area))
            for area, minimum in scenario.coverage.items()
            if minimum > 0
        ),
        scale=1 if scenario.objective == "count" else value_scale(u.value for u in units),
    )
    if scenario.schedules:
        # The schedule's grid: what the selection fits is what the schedule holds.
        problem.grid_minutes = scenario_grid(scenario, (u.hours for u in units))
        problem.durations = {u.id: to_grid(u.hours, problem.grid_minutes) for u in units}
        problem.boxes = tuple(
            to_grid(p.hours, problem.grid_minutes, up=False) for p in scenario.phases
        )
        problem.lanes = scenario.lanes
        if scenario.budget_hours is not None and scenario.lanes > 1:
            problem.horizon = to_grid(scenario.budget_hours, problem.grid_minutes, up=False)
        problem.capacities = {r.name: r.capacity for r in scenario.resources}
        problem.demands = {
            u.id: {
                r.name: r.units
                for r in scenario.resources
                if r.uses(catalog.task_by_id[u.tasks[0]])
            }
            for u in units
        }
    settings = {
        "engine": "OR-Tools CP-SAT",
        "seed": scenario.solver.seed,
        "workers": scenario.solver.workers,
        "deterministic_time": scenario.solver.deterministic_time,
        "time_limit": scenario.solver.time_limit,
        "linearization_level": 2,
        "objective": scenario.objective,
    }
    baseline_units = greedy_selection(problem)
    baseline = Baseline(
        selected=tuple(t for u in baseline_units for t in u.tasks),
        totals=_totals(catalog, scores, baseline_units),
    )
    violations = _include_violations(scenario, left)
    if violations:
        _no_selection(candidates, left, scenario, "infeasible", violations)
        return Selection(
            scenario=scenario.name,
            status="infeasible",
            selected=(),
            units=(),
            left_out=tuple(_left_in_order(catalog, left)),
            totals=_totals(catalog, scores, []),
            solver=settings,
            violations=tuple(violations),
        )
    if scenario.lanes > 1:

        def solve(force: str | None = None) -> _Solved:
            return _solve_parallel(problem, scenario, catalog, force)

        settings["budget"] = f"wall-clock time on {scenario.lanes} lanes"
    else:

        def solve(force: str | None = None) -> _Solved:
            return _solve(problem, scenario.solver, force)

        settings["budget"] = "sum of effort hours" + (
            ", packed into the phases' time boxes" if scenario.phases else ""
        )
    solved = solve()
    settings["deterministic_time_used"] = round(solved.deterministic, 6)
    settings["tie_breaks"] = solved.ties
    if solved.status in ("infeasible", "unknown"):
        if solved.status == "infeasible":
            violations = _infeasible_explanation(problem, scenario, solved.explanations)
        else:
            violations = [
                Finding(
                    "unsolved",
                    "the solver stopped at its deterministic limit "
                    f"({scenario.solver.deterministic_time:g}) before finding any selection; "
                    "a higher solver.deterministic_time may find one",
                    (),
                    {"deterministic_time": scenario.solver.deterministic_time},
                )
            ]
        _no_selection(candidates, left, scenario, solved.status, violations)
        return Selection(
            scenario=scenario.name,
            status=solved.status,
            selected=(),
            units=(),
            left_out=tuple(_left_in_order(catalog, left)),
            totals=_totals(catalog, scores, []),
            solve_seconds=solved.seconds,
            solver=settings,
            # No baseline either: no selection, greedy or not, meets these limits.
            baseline=None if solved.status == "infeasible" else baseline,
            violations=tuple(violations),
        )
    chosen_units = [u for u in units if u.id in solved.chosen]
    totals = _totals(catalog, scores, chosen_units)
    objective = _objective_of(totals, scenario.objective)
    bound = gap = None
    if solved.status == "optimal":
        bound, gap = objective, 0.0
    elif solved.bound is not None:
        # In the model's whole numbers, then in the user's units (value or tasks).
        reached = sum(problem.weight(u) for u in chosen_units)
        best_possible = max(solved.bound, reached)
        bound = best_possible / problem.scale
        gap = 0.0 if best_possible <= 0 else (best_possible - reached) / best_possible
    _explain(problem, scenario, solved, unit_of, left, explain_limit, solve)
    return Selection(
        scenario=scenario.name,
        status=solved.status,
        selected=tuple(t.id for t in catalog.tasks if unit_of.get(t.id) in solved.chosen),
        units=tuple(chosen_units),
        left_out=tuple(_left_in_order(catalog, left)),
        totals=totals,
        objective=objective,
        bound=bound,
        gap=gap,
        solve_seconds=solved.seconds,
        solver=settings,
        baseline=baseline,
        tie_breaks=TIE_BREAKS_PARALLEL if scenario.lanes > 1 else TIE_BREAKS,
    )


def _advancing(catalog: Catalog, units: Iterable[Unit], area: str) -> frozenset[str]:
    """Units with a task that advances the outcome ``area``."""
    return frozenset(
        u.id for u in units if any(area in catalog.task_by_id[t].outcomes for t in u.tasks)
    )


def _left_in_order(catalog: Catalog, left: Mapping[str, LeftOut]) -> list[LeftOut]:
    return [left[t.id] for t in catalog.tasks if t.id in left]


def _no_selection(
    candidates: Iterable[str],
    left: dict[str, LeftOut],
    scenario: Scenario,
    status: str,
    violations: list[Finding],
) -> None:
    """A reason for every task that could be chosen when there is no selection at all.

    ``infeasible``: no selection meets the scenario, and the first violation
    says why; ``unsolved``: the solver stopped before finding one.
    """
    why = violations[0].message if violations else "no selection meets every limit"
    if len(violations) > 1:
        why += f" (and {len(violations) - 1} more: see the violations)"
    for task in candidates:
        if task in left:
            continue
        included = "included, but " if task in scenario.include else ""
        if status == "infeasible":
            kind, reason = "infeasible", f"{included}no selection meets the scenario: {why}"
        else:
            kind, reason = "unsolved", f"{included}no selection was found: {why}"
        left[task] = LeftOut(
            task, kind, reason, {"status": status, "violations": [v.kind for v in violations]}
        )


def _include_violations(scenario: Scenario, left: Mapping[str, LeftOut]) -> list[Finding]:
    out = []
    for task in scenario.include:
        if task in left:
            out.append(
                Finding(
                    "include-unavailable",
                    f"the scenario includes {task}, which cannot be chosen: {left[task].reason}",
                    (task,),
                    {"kind": left[task].kind},
                )
            )
    return out


def _infeasible_explanation(
    problem: _Problem, scenario: Scenario, explanations: Iterable[str] = ()
) -> list[Finding]:
    """Why no selection meets the scenario: what the includes break, or the schedule's words."""
    forced = set()
    for unit in problem.include:
        forced.update(_closure(unit, problem.needs, set()))
    by_id = {u.id: u for u in problem.units}
    hours = sum(by_id[u].hours for u in forced)
    tasks = tuple(
        t for u in sorted(forced, key=lambda u: by_id[u].position) for t in by_id[u].tasks
    )
    out = []
    if (
        scenario.lanes == 1
        and scenario.budget_hours is not None
        and _seconds(hours) > problem.budget
    ):
        out.append(
            Finding(
                "over-budget",
                f"the included tasks and their prerequisites need {hours_text(hours)}, over the "
                f"budget of {hours_text(scenario.budget_hours)} by "
                f"{hours_text(hours - scenario.budget_hours)}",
                tasks,
                {"hours": hours, "budget": scenario.budget_hours},
            )
        )
    if scenario.task_cap is not None and len(forced) > scenario.task_cap:
        out.append(
            Finding(
                "over-cap",
                f"the included tasks and their prerequisites are {len(forced)} units of work, "
                f"over the cap of {scenario.task_cap}",
                tasks,
                {"units": len(forced), "cap": scenario.task_cap},
            )
        )
    boxes = sum(phase.hours for phase in scenario.phases)
    if scenario.lanes == 1 and scenario.phases and _seconds(hours) > _seconds(boxes):
        out.append(
            Finding(
                "over-phases",
                f"the included tasks and their prerequisites need {hours_text(hours)}, more "
                f"than the phases' time boxes hold ({hours_text(boxes)} in all)",
                tasks,
                {"hours": hours, "phases_hours": boxes},
            )
        )
    kind, words, limit, limit_hours = _time_limit(problem, scenario)
    wall = -(-sum(problem.durations.get(u, 0) for u in forced) // problem.lanes)
    chain, length = longest_chain(
        Job(unit, problem.durations.get(unit, 0), tuple(problem.needs.get(unit, ())))
        for unit in problem.in_order(sorted(forced))
    )
    if problem.lanes > 1 and limit is not None and length > limit and length >= wall:
        out.append(
            Finding(
                "over-phases" if kind == "phases" else "over-budget",
                f"the included tasks need the chain {' -> '.join(chain)}, "
                f"{hours_text(problem.grid_hours(length))} one after another, more than {words}",
                tasks,
                {"chain": list(chain), "limit_hours": limit_hours, "lanes": problem.lanes},
            )
        )
    elif problem.lanes > 1 and limit is not None and wall > limit:
        out.append(
            Finding(
                "over-phases" if kind == "phases" else "over-budget",
                f"the included tasks and their prerequisites are {hours_text(hours)} of work, "
                f"at least {hours_text(problem.grid_hours(wall))} on {problem.lanes} lanes, "
                f"more than {words}",
                tasks,
                {"hours": hours, "limit_hours": limit_hours, "lanes": problem.lanes},
            )
        )
    for area, minimum, members in problem.coverage:
        if len(members) < minimum:
            out.append(
                Finding(
                    "coverage",
                    f"coverage of {area} asks for at least {minimum} selected task(s), but only "
                    f"{len(members)} unit(s) that advance it can be chosen",
                    (),
                    {"area": area, "minimum": minimum, "available": len(members)},
                )
            )
    if not out:
        out = [Finding("infeasible", text) for text in explanations]
    if not out and problem.boxes:
        out = [
            Finding(
                "infeasible",
                "no selection meets every limit of the scenario: the budget, cap and coverage "
                "each leave room, but not with the work in the phases' time boxes in order",
            )
        ]
    return out or [Finding("infeasible", "no selection meets every limit of the scenario")]


def _explain(
    problem: _Problem,
    scenario: Scenario,
    solved: _Solved,
    unit_of: Mapping[str, str],
    left: dict[str, LeftOut],
    explain_limit: int,
    solve: Callable[[str | None], _Solved],
) -> None:
    """A reason for every candidate the optimum leaves out."""
    by_id = {u.id: u for u in problem.units}
    chosen = set(solved.chosen)
    best = sum(problem.weight(by_id[u]) for u in chosen)
    scale = problem.scale
    explained = 0
    for unit in problem.units:
        if unit.id in chosen:
            continue
        bundle = _closure(unit.id, problem.needs, chosen)
        need_hours = sum(by_id[u].hours for u in bundle)
        others = [t for u in bundle if u != unit.id for t in by_id[u].tasks]
        with_prereqs = f" with its prerequisites ({', '.join(others)})" if others else ""
        details: dict[str, Any] = {"needs_hours": need_hours, "needs_units": len(bundle)}
        if problem.cap is not None and len(chosen) + len(bundle) > problem.cap:
            kind = "cap"
            text = (
                f"did not fit the task cap: needs {len(bundle)} unit(s){with_prereqs}, "
                f"{problem.cap - len(chosen)} of {problem.cap} left"
            )
        elif time := _time_reason(problem, scenario, chosen, bundle, need_hours, with_prereqs):
            kind, text, more = time
            details.update(more)
        else:
            kind = "lower-value"
            text = "lower value than what was chosen"
        if explained < explain_limit:
            explained += 1
            forced = solve(unit.id)
            if forced.status in ("optimal", "feasible"):
                loss = (best - sum(problem.weight(by_id[u]) for u in forced.chosen)) / scale
                pushed = [
                    t
                    for u in sorted(chosen - forced.chosen, key=lambda u: by_id[u].position)
                    for t in by_id[u].tasks
                ]
                if loss <= 0 and kind == "lower-value":
                    kind = "tie-break"
                    text = (
                        "as good as what was chosen; left out by the tie-breaks (fewer hours first)"
                    )
                costs = [f"lose {_amount(loss, problem.objective)}"] if loss > 0 else []
                if pushed:
                    costs.append(f"push out {', '.join(pushed)}")
                if costs:
                    text += "; forcing it in would " + " and ".join(costs)
                details.update({"forced_loss": loss, "pushed_out": pushed})
            elif forced.status == "infeasible":
                if kind == "lower-value" and (problem.boxes or problem.lanes > 1):
                    # Every total fits, yet no schedule does: the time boxes (or, on
                    # several lanes, phases, dependencies and resources together) bind.
                    kind, text = _no_room(problem, scenario, chosen, need_hours, with_prereqs)
                text += "; forcing it in makes the scenario infeasible"
                details["forced_loss"] = None
        else:
            ratio = problem.weight(unit) / scale / max(unit.hours, 1e-9)
            text += (
                f"; {ratio:.3g} per hour (cost of forcing it in not computed past {explain_limit})"
            )
        for task in unit.tasks:
            left[task] = LeftOut(task, kind, text, details)
    for task, unit in unit_of.items():
        if unit not in chosen and task not in left:
            left[task] = left[unit]


def _time_limit(problem: _Problem, scenario: Scenario) -> tuple[str, str, int | None, float]:
    """What limits time, the tighter of budget and boxes: (kind, words, grid steps, hours).

    On several lanes the budget is wall-clock time; on one lane it is a sum of
    hours, and its steps (None without phases) only say which limit is tighter.
    Grid steps decide what fits; hours, as the scenario states them, are for words.
    """
    boxes = sum(problem.boxes)
    boxes_hours = sum(phase.hours for phase in scenario.phases)
    budget = scenario.budget_hours
    if problem.lanes > 1:
        budget_steps = problem.horizon
    elif budget is None or not problem.boxes:
        budget_steps = None
    else:
        budget_steps = to_grid(budget, problem.grid_minutes, up=False)
    if problem.boxes and (budget is None or boxes < budget_steps):
        tighter = "" if budget is None else f", less than the {hours_text(budget)} budget"
        words = f"the phases' time boxes ({hours_text(boxes_hours)} in all{tighter})"
        return "phases", words, boxes, boxes_hours
    if budget is None:
        return "budget", "", None, 0.0
    return "budget", f"the {hours_text(budget)} of wall-clock time", budget_steps, budget


def _time_reason(
    problem: _Problem,
    scenario: Scenario,
    chosen: set[str],
    bundle: list[str],
    need_hours: float,
    with_prereqs: str,
) -> tuple[str, str, dict[str, Any]] | None:
    """Why a bundle of work does not fit in time, when a total shows it; None when none does.

    One lane: the work is a sum of hours against the budget or the phases'
    time boxes, whichever is tighter. Several lanes: the budget is wall-clock
    time, and the work is measured against the lanes and each resource it uses.
    """
    by_id = {u.id: u for u in problem.units}
    kind, words, limit, limit_hours = _time_limit(problem, scenario)
    if problem.lanes == 1:
        used = sum(_seconds(by_id[u].hours) for u in chosen)
        # The tighter limit first: a bundle over both is over the one that binds.
        for limit_kind in ("phases", "budget") if kind == "phases" else ("budget", "phases"):
            if limit_kind == "budget" and problem.budget is not None:
                room, what, total = problem.budget, "the budget", ""
            elif limit_kind == "phases" and problem.boxes:
                room = sum(_seconds(phase.hours) for phase in scenario.phases)
                what, total = "the phases' time boxes", f" of their {hours_text(room / _SECONDS)}"
            else:
                continue
            if used + _seconds(need_hours) > room:
                left_hours = (room - used) / _SECONDS
                return (
                    limit_kind,
                    f"did not fit {what}: needs {hours_text(need_hours)}{with_prereqs}, "
                    f"{hours_text(left_hours)}{total} left (short by "
                    f"{hours_text(need_hours - left_hours)})",
                    {"left_hours": left_hours},
                )
        return None
    if limit is None:
        return None
    binding = []
    used = sum(problem.durations[u] for u in chosen)
    need = sum(problem.durations[u] for u in bundle)
    if -(-(used + need) // problem.lanes) > limit:
        binding.append(
            f"the {problem.lanes} lanes already hold {hours_text(problem.grid_hours(used))} of work"
        )
    for resource, capacity in problem.capacities.items():
        load = sum(problem.durations[u] * problem.demands[u].get(resource, 0) for u in chosen)
        more = sum(problem.durations[u] * problem.demands[u].get(resource, 0) for u in bundle)
        if more and -(-(load + more) // capacity) > limit:
            binding.append(
                f"{resource} (capacity {capacity}) is busy "
                f"{hours_text(problem.grid_hours(load) / capacity)} of those "
                f"{hours_text(limit_hours)}"
            )
    if not binding:
        return None
    return (
        kind,
        f"did not fit {words} on {problem.lanes} lanes: needs {hours_text(need_hours)} of "
        f"work{with_prereqs}; " + "; ".join(binding),
        {"limit_hours": limit_hours, "binding": binding},
    )


def _no_room(
    problem: _Problem, scenario: Scenario, chosen: set[str], need_hours: float, with_prereqs: str
) -> tuple[str, str]:
    """The reason when every total fits but no schedule does."""
    kind, words, _, _ = _time_limit(problem, scenario)
    if problem.lanes == 1:
        by_id = {u.id: u for u in problem.units}
        boxes = sum(phase.hours for phase in scenario.phases)
        left = boxes - sum(by_id[u].hours for u in chosen)
        return (
            "phases",
            f"did not fit the phases' time boxes: needs {hours_text(need_hours)}{with_prereqs}; "
            f"{hours_text(left)} is left in them, but no phase it may go in (not before its "
            "prerequisites') has that much room",
        )
    where = f" {words}" if words else ""
    return (
        kind,
        f"did not fit{where} on {problem.lanes} lanes: needs {hours_text(need_hours)} of "
        f"work{with_prereqs}; no schedule has room for it (dependencies, phases and "
        "resources together)",
    )


def _amount(loss: float, objective: str) -> str:
    """An objective lost, in its own unit: ``1 task``, ``3 tasks`` or ``2.5 value``."""
    if objective == "count":
        return f"{loss:g} task" + ("" if loss == 1 else "s")
    return f"{loss:g} value"


# --------------------------------------------------------------------------- hand-made plans


def item_estimate(catalog: Catalog, tasks: tuple[str, ...], activities: tuple[str, ...]) -> Effort:
    """Three-point effort of a plan item: its tasks' own estimates where the activity matches.

    Every other activity the item names takes the catalog's default for it.
    """
    defaults = catalog.defaults.effort_hours
    fallback = max(defaults.values(), default=0.0)
    parts = []
    for task_id in tasks or (None,):
        task = catalog.task_by_id[task_id] if task_id else None
        for activity in activities:
            if task is not None and activity == task.activity:
                parts.append(task.effort)
            else:
                parts.append(Effort.point(defaults.get(activity, fallback)))
    return Effort(*(sum(getattr(p, k) for p in parts) for k in EFFORT_KEYS))


def check_plan(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    scenario: Scenario,
    rubric: Rubric,
) -> Selection:
    """Check a hand-made plan (``scenario.plan``) against the scenario's limits.

    Reports every violation: over the budget or the cap, phases longer than
    the budget or overfull, work above the appetite (an item that does riskier
    work than the task it names, or states another environment, is scored as
    it does), a prerequisite left out or planned in a later phase, an item
    naming no task, a task covered twice, and a task within the appetite that
    no item covers. With ``merge_duplicates``, covering one copy of a
    mergeable duplicate closes the others.
    """
    if scenario.plan is None:
        raise ValueError(f"scenario '{scenario.name}' has no plan items")
    items = scenario.plan
    item_hours = [item_estimate(catalog, item.tasks, item.activities).hours for item in items]
    checker = _PlanChecker(catalog, scores, facts, scenario, rubric)
    for index, item in enumerate(items):
        checker.check_item(index, item, item_hours[index])
    checker.check_dependencies()
    checker.check_coverage()
    checker.check_limits(item_hours)
    covered = checker.covered
    selected = tuple(t.id for t in catalog.tasks if t.id in covered or t.id in checker.closed)
    units = tuple(
        Unit(
            id=f"item-{i + 1}",
            tasks=item.tasks,
            hours=item_hours[i],
            value=sum(catalog.task_by_id[t].value for t in item.tasks),
            level=max(
                (checker.item_levels.get((i, t), scores[t].level) for t in item.tasks),
                key=level_rank,
                default=LEVELS[0],
            ),
            position=i,
        )
        for i, item in enumerate(items)
    )
    left = [
        LeftOut(t.id, "not-in-plan", "no plan item covers it")
        for t in catalog.tasks
        if t.id not in selected
    ]
    totals = Totals(
        hours=sum(item_hours),
        tasks=len(selected),
        units=len(items),
        value=sum(catalog.task_by_id[t].value for t in selected),
        # Each task at the level of the riskiest work an item does on it (as the units are).
        risk={
            level: sum(checker.riskiest.get(t, (scores[t].level,))[0] == level for t in selected)
            for level in LEVELS
        },
    )
    return Selection(
        scenario=scenario.name,
        status="fixed",
        selected=selected,
        units=units,
        left_out=tuple(left),
        totals=totals,
        objective=_objective_of(totals, scenario.objective),
        solver={"engine": "hand-made plan", "objective": scenario.objective},
        violations=tuple(checker.violations),
        as_done=checker.as_done,
    )


class _PlanChecker:
    """Collects the violations of one hand-made plan."""

    def __init__(
        self,
        catalog: Catalog,
        scores: Mapping[str, Score],
        facts: GraphFacts,
        scenario: Scenario,
        rubric: Rubric,
    ) -> None:
        self.catalog, self.scores, self.facts = catalog, scores, facts
        self.scenario, self.rubric = scenario, rubric
        self.limit = level_rank(scenario.appetite)
        self.phase_index = {phase.name: i for i, phase in enumerate(scenario.phases)}
        self.covered: dict[str, int] = {}  # task -> the first item covering it
        self.items_of: dict[str, list[int]] = {}  # task -> every item covering it
        self.item_levels: dict[tuple[int, str], str] = {}
        self.riskiest: dict[str, tuple[str, Task | None]] = {}  # task -> (level, as done)
        self.violations: list[Finding] = []
        self.twins: dict[str, tuple[str, ...]] = {}
        if scenario.merge_duplicates:
            for cluster in facts.clusters:
                for dup in cluster.duplicates:
                    if dup.mergeable:
                        for task in dup.tasks:
                            self.twins[task] = dup.tasks

    @property
    def closed(self) -> set[str]:
        """Copies of a covered task's mergeable duplicates: done with it."""
        return {t for c in self.covered for t in self.twins.get(c, ()) if t not in self.covered}

    @property
    def as_done(self) -> dict[str, Task]:
        """Tasks some item does otherwise than the catalog says, in the riskiest item's way."""
        return {t: done for t, (_, done) in self.riskiest.items() if done is not None}

    def add(self, kind: str, message: str, tasks: tuple[str, ...] = (), **details: Any) -> None:
        self.violations.append(Finding(kind, message, tasks, details))

    def label(self, index: int) -> str:
        items = self.scenario.plan or ()
        return f"item {index + 1} '{items[index].name}'"

    def check_item(self, index: int, item: PlanItem, hours: float) -> None:
        """The item's own claims, whatever other items cover the same tasks."""
        label = self.label(index)
        if not item.tasks:
            self.add(
                "item-without-task", f"{label} names no catalog task", item=index + 1, hours=hours
            )
        points = self.rubric.points["activity"]
        for task_id in item.tasks:
            if task_id in self.covered:
                first = self.covered[task_id]
                self.add(
                    "covered-twice",
                    f"{task_id} is covered by {self.label(first)} and {label}",
                    (task_id,),
                    items=[first + 1, index + 1],
                )
            self.covered.setdefault(task_id, index)
            self.items_of.setdefault(task_id, []).append(index)
            task = self.catalog.task_by_id[task_id]
            riskier = [a for a in item.activities if _riskier(a, task.activity, points)]
            if riskier:
                self.add(
                    "riskier-activity",
                    f"{label} does {', '.join(riskier)} on {task_id}, a {task.activity} task "
                    f"({task.title})",
                    (task_id,),
                    item=index + 1,
                    item_activities=list(item.activities),
                    task_activity=task.activity,
                )
            level = self._item_level(task, item, riskier)
            self.item_levels[(index, task_id)] = level
            done = (
                self._as_done(task, item, riskier)
                if riskier or item.environment is not None
                else None
            )
            before = self.riskiest.get(task_id)
            if before is None or level_rank(level) > level_rank(before[0]):
                self.riskiest[task_id] = (level, done)
            if level_rank(level) > self.limit:
                self.add(
                    "above-appetite",
                    f"{label} puts {task_id} at {level}, above the appetite "
                    f"{self.scenario.appetite}: {self._why(task, item, riskier, level)}",
                    (task_id,),
                    item=index + 1,
                    level=level,
                    appetite=self.scenario.appetite,
                )

    def _item_environment(self, task: Task, item: PlanItem, riskier: list[str]) -> str:
        if item.environment is not None:
            return item.environment
        if riskier and task.activity in _PAPER:
            return UNKNOWN  # paper work turned into a change: where is not said
        return task.environment

    def _item_level(self, task: Task, item: PlanItem, riskier: list[str]) -> str:
        """The level of the work the item does to ``task``, as the item states it."""
        if not riskier and item.environment is None:
            return self.scores[task.id].level
        environment = self._item_environment(task, item, riskier)
        return max(
            (
                score_task(replace(task, activity=a, environment=environment), self.rubric).level
                for a in riskier or [task.activity]
            ),
            key=level_rank,
        )

    def _as_done(self, task: Task, item: PlanItem, riskier: list[str]) -> Task:
        """The task as the item does it: its riskiest activity, in the item's environment."""
        points = self.rubric.points["activity"]
        activity = max(riskier, key=lambda a: points[a]) if riskier else task.activity
        return replace(
            task, activity=activity, environment=self._item_environment(task, item, riskier)
        )

    def _why(self, task: Task, item: PlanItem, riskier: list[str], level: str) -> str:
        if riskier or item.environment is not None:
            where = item.environment or "an environment the plan does not state"
            return f"{', '.join(riskier or [task.activity])} in {where}"
        return self.scores[task.id].main_reason

    def check_dependencies(self) -> None:
        graph, items = self.facts.graph, self.scenario.plan or ()
        done = self.covered.keys() | self.closed
        reported: set[tuple[str, str, str, str]] = set()
        for task_id, indexes in self.items_of.items():
            for prerequisite in graph.predecessors(task_id):
                if self.catalog.task_by_id[prerequisite].status == "done":
                    continue
                edge = graph.edges[prerequisite, task_id]
                how = (
                    "declared"
                    if edge["provenance"] == "declared"
                    else f"inferred by {', '.join(edge['rules'])}"
                )
                if prerequisite not in done:
                    self.add(
                        "missing-dependency",
                        f"{task_id} needs {prerequisite} first ({how}), which the plan leaves out",
                        (task_id, prerequisite),
                        rule=how,
                    )
                    continue
                # The prerequisite is done the first time an item in a phase does it.
                phases = [items[i].phase for i in self.items_of.get(prerequisite, ())]
                phases = [phase for phase in phases if phase]
                if not phases:
                    continue
                theirs = min(phases, key=self.phase_index.__getitem__)
                for index in indexes:
                    mine = items[index].phase
                    if not mine or self.phase_index[theirs] <= self.phase_index[mine]:
                        continue
                    if (task_id, prerequisite, mine, theirs) in reported:
                        continue
                    reported.add((task_id, prerequisite, mine, theirs))
                    self.add(
                        "dependency-order",
                        f"{task_id} (phase {mine}) needs {prerequisite} first ({how}), "
                        f"planned later in phase {theirs}",
                        (task_id, prerequisite),
                        rule=how,
                    )

    def check_coverage(self) -> None:
        closed = self.closed
        for task in self.catalog.tasks:
            if task.id in self.covered or task.id in closed:
                continue
            level = self.scores[task.id].level
            if (
                task.status in ("done", "cancelled")
                or task.id in self.scenario.exclude
                or level_rank(level) > self.limit
            ):
                continue
            self.add(
                "uncovered-task",
                f"{task.id} ({task.title}, {level}) is within the appetite but no plan "
                "item covers it",
                (task.id,),
                level=level,
            )

    def check_limits(self, item_hours: list[float]) -> None:
        scenario, items = self.scenario, self.scenario.plan or ()
        hours = sum(item_hours)
        budget = scenario.budget_hours
        if budget is not None and hours > budget + 1e-9:
            self.add(
                "over-budget",
                f"the plan needs {hours_text(hours)}, over the budget of "
                f"{hours_text(budget)} by {hours_text(hours - budget)}",
                hours=hours,
                budget=budget,
            )
        if scenario.task_cap is not None and len(items) > scenario.task_cap:
            self.add(
                "over-cap",
                f"the plan has {len(items)} items, over the cap of {scenario.task_cap}",
                items=len(items),
                cap=scenario.task_cap,
            )
        boxes = sum(phase.hours for phase in scenario.phases)
        if scenario.phases and budget is not None and boxes > budget + 1e-9:
            self.add(
                "phases-over-budget",
                f"the phases' time boxes add up to {hours_text(boxes)}, over the budget "
                f"of {hours_text(budget)}",
                phases_hours=boxes,
                budget=budget,
            )
        for phase in scenario.phases:
            load = sum(
                h for item, h in zip(items, item_hours, strict=True) if item.phase == phase.name
            )
            if load > phase.hours + 1e-9:
                self.add(
                    "phase-overflow",
                    f"phase {phase.name} holds {hours_text(load)} of work in a "
                    f"{hours_text(phase.hours)} box (over by "
                    f"{hours_text(load - phase.hours)})",
                    phase=phase.name,
                    hours=load,
                    box=phase.hours,
                )


_PAPER = ("design", "document", "template")


def _riskier(activity: str, than: str, points: Mapping[str, int]) -> bool:
    """Whether ``activity`` scores more than ``than`` (unknown on either side: no)."""
    if activity not in points or than not in points:
        return False
    return points[activity] > points[than]
