"""The CP-SAT selection models: one yes/no per unit of work.

On one lane (:func:`solve_one_lane`) the model maximises the objective under
the budget (a sum of hours), the cap, coverage minimums, includes and
dependency closure; with phases it also packs the chosen units into the time
boxes, which is exact on one lane. A proven optimum is then tie-broken: fewest
hours, then the smallest sum of catalog positions. On several lanes
(:func:`solve_on_lanes`) selection and schedule are solved together by the
scheduling engine, since the budget is then wall-clock time.

No OR-Tools object leaves this module.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from ortools.sat.python import cp_model

from analysis.model import Catalog, Scenario, SolverSettings
from analysis.plan.jobs import ScheduleProblem, units_in_hours
from analysis.plan.results import Unit
from analysis.plan.scheduling import solve_schedule
from analysis.plan.units import to_seconds, unit_jobs

__all__ = [
    "SelectionProblem",
    "Solved",
    "solve_one_lane",
    "solve_on_lanes",
]


@dataclass
class SelectionProblem:
    """What the selection models choose among: units, their prerequisites, and the limits.

    Times are whole seconds (``budget``) or steps of the schedule's grid
    (``boxes``, ``durations``, ``horizon``); ``weight`` turns a unit's value
    into the model's whole numbers.
    """

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

    @functools.cached_property
    def graph(self) -> nx.DiGraph:
        """Each unit pointing at its prerequisite units, in the order ``needs`` lists them."""
        graph = nx.DiGraph()
        graph.add_nodes_from(unit.id for unit in self.units)
        graph.add_edges_from((unit, p) for unit, ps in self.needs.items() for p in ps)
        return graph

    def in_order(self, units: Iterable[str]) -> list[str]:
        """``units`` with every prerequisite among them before the units that need it.

        A depth-first postorder from each unit in the order given (networkx
        walks without recursion: a chain may be thousands long).
        """
        among = nx.DiGraph()
        among.add_nodes_from(units)
        among.add_edges_from(self.graph.subgraph(among).edges)
        return list(nx.dfs_postorder_nodes(among))

    def closure(self, unit: str, chosen: Collection[str] = ()) -> list[str]:
        """``unit`` and the prerequisite units it needs that are not in ``chosen``.

        Prerequisites come first; a chosen unit is a satisfied link and stops
        the walk. Empty when ``unit`` itself is chosen.
        """
        if unit in chosen:
            return []
        open_work = nx.subgraph_view(self.graph, filter_node=lambda u: u == unit or u not in chosen)
        needed = nx.descendants(open_work, unit) | {unit}
        return self.in_order(sorted(needed, key=self.position.__getitem__))

    @functools.cached_property
    def position(self) -> dict[str, int]:
        """Each unit's catalog position (its earliest task's)."""
        return {unit.id: unit.position for unit in self.units}

    def weight(self, unit: Unit) -> int:
        """The unit's share of the objective, in whole model units.

        With ``objective: count`` a unit counts the tasks it closes (merged
        duplicates close every copy), as the value objective sums their values.
        """
        if self.objective == "count":
            return len(unit.tasks)
        return round(unit.value * self.scale)


@dataclass(frozen=True)
class Solved:
    status: str
    chosen: frozenset[str]
    bound: float | None
    seconds: float
    deterministic: float
    ties: str = "not applied"
    explanations: tuple[str, ...] = ()  # why no schedule fits (several lanes), in hours


def solve_one_lane(
    problem: SelectionProblem, settings: SolverSettings, force: str | None = None
) -> Solved:
    """Stage 1: maximise the objective; stage 2 (if proven): apply the tie-breaks."""
    model = cp_model.CpModel()
    x = {u.id: model.new_bool_var(u.id) for u in problem.units}
    for unit, prerequisites in problem.needs.items():
        for prerequisite in prerequisites:
            model.add_implication(x[unit], x[prerequisite])
    seconds = {u.id: to_seconds(u.hours) for u in problem.units}
    if problem.budget is not None:
        model.add(sum(seconds[u] * x[u] for u in x) <= problem.budget)
    if problem.cap is not None:
        model.add(sum(x.values()) <= problem.cap)
    for unit in problem.include | ({force} if force else set()):
        model.add(x[unit] == 1)
    for _, minimum, members in problem.coverage:
        model.add(sum(x[u] for u in members) >= minimum)
    if problem.boxes:
        _pack_into_boxes(model, problem, x)
    weights = {u.id: problem.weight(u) for u in problem.units}
    objective = sum(weights[u] * x[u] for u in x)
    model.maximize(objective)
    started = time.perf_counter()
    solver = _solver(settings)
    status = solver.solve(model)
    spent = solver.deterministic_time
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
        return Solved(name, frozenset(), None, time.perf_counter() - started, spent)
    chosen = {u for u in x if solver.value(x[u])}
    bound = solver.best_objective_bound
    proven = status == cp_model.OPTIMAL
    ties = "not applied (objective not proven)"
    if proven:
        # Stage 2: keep the proven objective, then fewest hours, then earliest tasks.
        best = sum(weights[u] for u in chosen)
        model.add(objective >= best)
        positions = {u.id: u.position for u in problem.units}
        scale = sum(positions.values()) + 1
        model.minimize(sum((seconds[u] * scale + positions[u]) * x[u] for u in x))
        for u in x:
            model.add_hint(x[u], u in chosen)
        solver = _solver(settings)
        second = solver.solve(model)
        spent += solver.deterministic_time
        if second in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {u for u in x if solver.value(x[u])}
        ties = "applied" if second == cp_model.OPTIMAL else "applied as far as the limit allowed"
        bound = float(best)
    return Solved(
        "optimal" if proven else "feasible",
        frozenset(chosen),
        bound,
        time.perf_counter() - started,
        spent,
        ties,
    )


def _pack_into_boxes(
    model: cp_model.CpModel, problem: SelectionProblem, x: Mapping[str, Any]
) -> None:
    """One lane through phases: the chosen work must fit the time boxes, as the schedule's.

    On one lane the work runs one piece at a time, so a selection has a
    schedule exactly when its units can be put in phases (each in one) with
    no phase holding more than its box and none before a prerequisite's phase
    (phases run in order). Durations and boxes are on the schedule's grid.
    """
    count = len(problem.boxes)
    steps = problem.durations
    phase = {u: [model.new_bool_var(f"{u}_in_{k}") for k in range(count)] for u in x}
    for unit, literals in phase.items():
        model.add(sum(literals) == x[unit])
    for k, box in enumerate(problem.boxes):
        model.add(sum(steps[u] * phase[u][k] for u in x) <= box)
    model.add(sum(steps[u] * x[u] for u in x) <= sum(problem.boxes))  # implied; a tighter LP
    for unit, prerequisites in problem.needs.items():
        for prerequisite in prerequisites:
            for k in range(count):
                model.add(sum(phase[prerequisite][: k + 1]) >= 1).only_enforce_if(phase[unit][k])


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


def solve_on_lanes(
    problem: SelectionProblem, scenario: Scenario, catalog: Catalog, force: str | None = None
) -> Solved:
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
        return Solved(
            result.status,
            frozenset(),
            None,
            result.solve_seconds,
            0.0,
            explanations=tuple(units_in_hours(text, grid) for text in result.explanations),
        )
    # No bound: nothing was there to choose (no units), and the empty choice is the best.
    value_proven = result.value_bound is None or result.value >= result.value_bound - 1e-9
    return Solved(
        "optimal" if value_proven else "feasible",
        frozenset(result.chosen),
        result.value_bound,
        result.solve_seconds,
        float(result.settings.get("deterministic_time_used", 0.0)),
        "the solver's first proven optimum" if value_proven else "not applied",
    )
