"""The CP-SAT selection models: one yes/no per unit of work.

On one lane (:class:`OneLaneModel`) the model maximises the objective under
the budget (a sum of hours), the cap, coverage minimums, includes and
dependency closure; with phases it also packs the chosen units into the time
boxes, which is exact on one lane. A proven optimum is then tie-broken: fewest
hours, then the smallest sum of catalog positions. The model is built once:
pricing a left-out unit re-solves a copy with that unit fixed in. On several
lanes the same model, ``relaxed``, bounds the plan and gives the first
selection of :class:`~analysis.plan.lanes.LanesModel`. Every solve draws on the
command's budget (:mod:`analysis.plan.budget`).

Without phases the models are solved without CP-SAT's presolve: on these
models (implications, one or two linear limits) it spent most of a solve
(on 10,000 tasks, 9 s of a 12 s first solve, mostly adding implications it
found by dominance) and made no search shorter; with phases it pays off and
stays on.

No OR-Tools object leaves this module.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
from ortools.sat.python import cp_model

from analysis.model import SolverSettings
from analysis.plan.budget import Allowance, Budget
from analysis.plan.greedy import Repair
from analysis.plan.results import Unit
from analysis.plan.scheduling import solve_within
from analysis.plan.units import to_seconds

__all__ = [
    "SelectionProblem",
    "Solved",
    "OneLaneModel",
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

        A depth-first postorder from each unit in the order given, each unit's
        prerequisites in the order ``needs`` lists them (as networkx's
        ``dfs_postorder_nodes`` walks; without recursion, as a chain may be
        thousands long, and without building a graph, as it runs once per
        left-out unit).
        """
        units = list(units)
        among = set(units)
        seen: set[str] = set()
        out: list[str] = []
        for root in units:
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, iter(self.needs.get(root, ())))]
            while stack:
                node, prerequisites = stack[-1]
                for p in prerequisites:
                    if p in among and p not in seen:
                        seen.add(p)
                        stack.append((p, iter(self.needs.get(p, ()))))
                        break
                else:
                    stack.pop()
                    out.append(node)
        return out

    def closure(self, unit: str, chosen: Collection[str] = ()) -> list[str]:
        """``unit`` and the prerequisite units it needs that are not in ``chosen``.

        Prerequisites come first; a chosen unit is a satisfied link and stops
        the walk. Empty when ``unit`` itself is chosen.
        """
        if unit in chosen:
            return []
        needed = {unit}
        stack = [unit]
        while stack:
            for p in self.needs.get(stack.pop(), ()):
                if p not in needed and p not in chosen:
                    needed.add(p)
                    stack.append(p)
        return self.in_order(sorted(needed, key=self.position.__getitem__))

    @functools.cached_property
    def by_id(self) -> dict[str, Unit]:
        return {unit.id: unit for unit in self.units}

    @functools.cached_property
    def position(self) -> dict[str, int]:
        """Each unit's catalog position (its earliest task's)."""
        return {unit.id: unit.position for unit in self.units}

    def upper_bound(self) -> int:
        """A bound on the objective no selection beats, without a solver (model units).

        The least of: every positive weight; the ``cap`` largest; and the
        fractional knapsack of the time limit (one lane: the budget in seconds;
        several: lanes x the horizon or the boxes, in grid steps), each a
        relaxation. For a gap when the solver stopped before bounding anything.
        """
        weights = {u.id: self.weight(u) for u in self.units if self.weight(u) > 0}
        ranked = sorted(weights.values(), reverse=True)
        bounds = [sum(ranked)]
        if self.cap is not None:
            bounds.append(sum(ranked[: self.cap]))
        room: float | None
        if self.lanes == 1:
            room = self.budget
            size = {u.id: to_seconds(u.hours) for u in self.units}
        else:
            limits = [v for v in (self.horizon, sum(self.boxes) if self.boxes else None) if v]
            room = self.lanes * min(limits) if limits else None
            size = dict(self.durations)
        if room is not None:
            total = 0.0
            for unit in sorted(weights, key=lambda u: -weights[u] / max(size.get(u, 0), 1e-9)):
                take = min(1.0, room / size[unit]) if size.get(unit, 0) > 0 else 1.0
                total += take * weights[unit]
                room -= take * size.get(unit, 0)
                if room <= 0:
                    break
            bounds.append(math.floor(total + 1e-9))
        return min(bounds)

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
    """One solve's answer: the units chosen, how sure it is, and how it was found.

    ``bound`` is in the model's whole numbers; ``phase_of`` gives each chosen
    unit's phase (one lane with phases, or several lanes), ``start`` its start
    on the grid (several lanes). ``method`` says which model gave the plan.
    """

    status: str
    chosen: frozenset[str]
    bound: float | None
    seconds: float
    deterministic: float
    ties: str = "not applied"
    explanations: tuple[str, ...] = ()  # why no schedule fits (several lanes), in hours
    phase_of: Mapping[str, int] = field(default_factory=dict)
    start: Mapping[str, int] = field(default_factory=dict)
    method: str = "exact model"

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")


def _finite(bound: float) -> float | None:
    return bound if math.isfinite(bound) and abs(bound) < 2**62 else None


class OneLaneModel:
    """The selection model on one lane, built once, solved, then re-solved with a unit forced in.

    Stage 1 maximises the objective, starting from a hint (the greedy plan);
    stage 2, once the objective is proven, keeps it and applies the
    tie-breaks. The stage-1 model is kept (with the optimum as an upper bound
    and the solution as a hint), so that pricing a left-out unit is a copy
    with one variable fixed rather than a new model.

    With ``relaxed`` (several lanes) the time limits are a relaxation of the
    schedule: all work within lanes x horizon, each resource's within its
    capacity x horizon, each phase's within lanes x its box (a unit only in a
    box it fits), no chain of prerequisites longer than the horizon, and at
    most lanes x floor(horizon / d) units of d steps or more. Every schedule
    meets these, so the relaxed optimum bounds the joint one: it is the
    decomposition's selection and the bound its gap is measured against.
    """

    def __init__(
        self, problem: SelectionProblem, settings: SolverSettings, relaxed: bool = False
    ) -> None:
        self.problem, self.settings = problem, settings
        self.presolve = bool(problem.boxes)
        model = cp_model.CpModel()
        x = {u.id: model.new_bool_var(u.id) for u in problem.units}
        for unit, prerequisites in problem.needs.items():
            for prerequisite in prerequisites:
                model.add_implication(x[unit], x[prerequisite])
        self.seconds = {u.id: to_seconds(u.hours) for u in problem.units}
        if relaxed:
            self.phase = _relaxed_time(model, problem, x)
        else:
            if problem.budget is not None:
                model.add(sum(self.seconds[u] * x[u] for u in x) <= problem.budget)
            self.phase = _pack_into_boxes(model, problem, x) if problem.boxes else {}
        if problem.cap is not None:
            model.add(sum(x.values()) <= problem.cap)
        for unit in problem.include:
            model.add(x[unit] == 1)
        for _, minimum, members in problem.coverage:
            model.add(sum(x[u] for u in members) >= minimum)
        self.ids = list(x)
        self.weights = [problem.weight(u) for u in problem.units]
        self.objective = cp_model.LinearExpr.weighted_sum([x[u] for u in self.ids], self.weights)
        model.maximize(self.objective)
        self.model, self.x = model, x
        self.base: cp_model.CpModel | None = None  # stage 1 with the optimum's bound and hint
        self.solution: list[int] | None = None  # every variable's value in stage 1's answer
        self.most: int | None = None  # what no forced solve can beat
        self.first = 0.0  # work units stage 1 took
        self.best: int | None = None
        self.proven = False
        self.chosen: frozenset[str] = frozenset()
        self.repair: Repair | None = None  # made at the first plan repaired

    def describe(self, value: float) -> str:
        if self.problem.objective == "count":
            return f"{value:g} tasks"
        return f"value {value / self.problem.scale:g}"

    def solve(
        self,
        budget: Budget,
        hint: Collection[str] = (),
        hint_phases: Mapping[str, int] | None = None,
        *,
        label: str = "main solve",
        cap: float | None = None,
        ties: bool = True,
    ) -> Solved:
        """Stage 1, then (if proven and ``ties``) stage 2; from the budget's main and ties parts."""
        started = time.perf_counter()
        model, x = self.model, self.x
        if hint:
            self._hint(model, set(hint), hint_phases or {})
        main = budget.allowance("main", cap)
        solver = _solver(self.settings, main.left(), self.presolve)
        status = solve_within(solver, model, main, label, self.describe)
        spent = solver.deterministic_time
        bound = _finite(solver.best_objective_bound)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # Without a solution the solver's bound means nothing (it reads 0): the problem's own.
            name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
            return Solved(
                name,
                frozenset(),
                float(self.problem.upper_bound()) if name == "unknown" else None,
                time.perf_counter() - started,
                spent,
            )
        chosen = {u for u in x if solver.value(x[u])}
        phases = self._phases(solver, chosen)
        best = sum(w for u, w in zip(self.ids, self.weights, strict=True) if u in chosen)
        proven = status == cp_model.OPTIMAL
        self.best, self.proven = best, proven
        self.solution = list(solver.response_proto.solution)
        self.most = best if proven else math.floor((bound or best) + 1e-9)
        self.first = spent
        result_bound = float(best) if proven else bound
        how = "not applied (objective not proven)"
        if proven and ties:
            before = budget.spent(("ties",))
            chosen, phases, how = self.tie_break(budget, chosen, phases)
            spent += budget.spent(("ties",)) - before
        elif proven:
            how = "not applied"
        self.chosen = frozenset(chosen)
        return Solved(
            "optimal" if proven else "feasible",
            frozenset(chosen),
            result_bound,
            time.perf_counter() - started,
            spent,
            how,
            phase_of=phases,
        )

    def tie_break(
        self, budget: Budget, chosen: Collection[str], phases: Mapping[str, int]
    ) -> tuple[set[str], dict[str, int], str]:
        """Stage 2: keep the proven objective, then fewest hours, then earliest tasks.

        On a copy: the stage-1 model stays as it is for the forced solves.
        """
        model, x = self.model.clone(), self.x
        assert self.best is not None and self.proven, "stage 1 must be proven first"
        model.add(self.objective >= self.best)
        model.minimize(self._tie_objective(self.ids, [x[u] for u in self.ids]))
        self._hint(model, set(chosen), phases)
        allowance = budget.allowance("ties")
        solver = _solver(self.settings, allowance.left(), self.presolve)
        second = solve_within(solver, model, allowance, "tie-breaks", "{:g}".format)
        if second not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return set(chosen), dict(phases), "applied as far as the limit allowed"
        picked = {u for u in x if solver.value(x[u])}
        how = "applied" if second == cp_model.OPTIMAL else "applied as far as the limit allowed"
        return picked, self._phases(solver, picked), how

    def force(self, unit: str, allowance: Allowance, label: str) -> Solved:
        """The best selection with ``unit`` in (and its prerequisites): a copy of stage 1.

        It starts from the plan with the unit in, repaired (:meth:`repaired`).
        When the share it may spend is under a quarter of what stage 1 took, a
        re-solve would not get far: the repaired plan is the answer (its loss
        an upper bound, unless it is worth the optimum).
        """
        started = time.perf_counter()
        bundle = self.problem.closure(unit, self.chosen)
        cheap = self.repaired(unit)
        if cheap is not None and allowance.left() < self.first / 4:
            return replace(cheap, seconds=time.perf_counter() - started)
        repaired = None if cheap is None else cheap.chosen
        if self.base is None:
            self._keep()
        assert self.base is not None
        model = self.base.clone()
        index = self.x[unit].index
        model.proto.variables[index].domain[0] = 1
        hint = model.proto.solution_hint.values
        if repaired is not None:  # a plan with the unit in, to start from
            for u, var in self.x.items():
                hint[var.index] = int(u in repaired)
        else:
            for u in bundle:
                hint[self.x[u].index] = 1
        solver = _solver(self.settings, allowance.left(), self.presolve)
        status = solve_within(solver, model, allowance, label, self.describe)
        spent = solver.deterministic_time
        if status == cp_model.UNKNOWN and cheap is not None:
            return replace(cheap, seconds=time.perf_counter() - started, deterministic=spent)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
            return Solved(name, frozenset(), None, time.perf_counter() - started, spent)
        variables = [model.get_bool_var_from_proto_index(self.x[u].index) for u in self.ids]
        chosen = {u for u, var in zip(self.ids, variables, strict=True) if solver.value(var)}
        bound = _finite(solver.best_objective_bound)
        if status == cp_model.OPTIMAL:
            best = sum(w for u, w in zip(self.ids, self.weights, strict=True) if u in chosen)
            model.add(cp_model.LinearExpr.weighted_sum(variables, self.weights) >= best)
            model.minimize(self._tie_objective(self.ids, variables))
            solution = list(solver.response_proto.solution)
            model.clear_hints()
            model.proto.solution_hint.vars.extend(range(len(solution)))
            model.proto.solution_hint.values.extend(solution)
            solver = _solver(self.settings, allowance.left(), self.presolve)
            second = solve_within(solver, model, allowance, f"{label} (tie-breaks)", "{:g}".format)
            spent += solver.deterministic_time
            if second in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                chosen = {u for u, v in zip(self.ids, variables, strict=True) if solver.value(v)}
            bound = float(best)
        return Solved(
            "optimal" if status == cp_model.OPTIMAL else "feasible",
            frozenset(chosen),
            bound,
            time.perf_counter() - started,
            spent,
        )

    def repaired(self, unit: str) -> Solved | None:
        """A plan with ``unit`` in, made without a solver (:class:`~analysis.plan.greedy.Repair`).

        ``optimal`` when it is worth what no plan beats (the proven optimum, or
        the bound), else ``feasible`` (its loss is an upper bound); None on
        phases or several lanes, or when it breaks a limit (coverage).
        """
        problem = self.problem
        if problem.boxes or problem.lanes > 1 or self.most is None:
            return None
        if self.repair is None:
            self.repair = Repair(problem, self.chosen)
        chosen = self.repair.plan(unit)
        if chosen is None:
            return None
        worth = sum(self.repair.weight[u] for u in chosen)
        return Solved("optimal" if worth >= self.most else "feasible", chosen, None, 0.0, 0.0)

    def _keep(self) -> None:
        """Stage 1 as it was, bounded by its best (or bound) and hinted with its solution.

        Made at the first forced solve (never when nothing is explained); each copies it.
        """
        assert self.solution is not None and self.most is not None, "solve first"
        base = self.model.clone()
        base.add(
            cp_model.LinearExpr.weighted_sum(
                [base.get_bool_var_from_proto_index(self.x[u].index) for u in self.ids],
                self.weights,
            )
            <= self.most
        )
        solution = self.solution
        base.clear_hints()
        base.proto.solution_hint.vars.extend(range(len(solution)))
        base.proto.solution_hint.values.extend(solution)
        self.base = base

    def _tie_objective(self, ids: list[str], variables: list[Any]) -> Any:
        positions = self.problem.position
        scale = sum(positions.values()) + 1
        return cp_model.LinearExpr.weighted_sum(
            variables, [self.seconds[u] * scale + positions[u] for u in ids]
        )

    def _hint(self, model: cp_model.CpModel, chosen: set[str], phases: Mapping[str, int]) -> None:
        model.clear_hints()
        for unit, var in self.x.items():
            model.add_hint(var, unit in chosen)
        for unit, literals in self.phase.items():
            if unit in chosen and unit not in phases:
                continue
            for k, literal in enumerate(literals):
                model.add_hint(literal, unit in chosen and k == phases[unit])

    def _phases(self, solver: cp_model.CpSolver, chosen: Collection[str]) -> dict[str, int]:
        return {
            u: next(k for k, literal in enumerate(self.phase[u]) if solver.value(literal))
            for u in chosen
            if u in self.phase
        }


def _pack_into_boxes(
    model: cp_model.CpModel, problem: SelectionProblem, x: Mapping[str, Any], lanes: int = 1
) -> dict[str, list[Any]]:
    """One lane through phases: the chosen work must fit the time boxes, as the schedule's.

    On one lane the work runs one piece at a time, so a selection has a
    schedule exactly when its units can be put in phases (each in one) with
    no phase holding more than its box and none before a prerequisite's phase
    (phases run in order). Durations and boxes are on the schedule's grid.
    With ``lanes`` > 1 it is a relaxation: each box holds ``lanes`` times its
    length of work, and a unit goes only in a box it fits.
    """
    count = len(problem.boxes)
    steps = problem.durations
    phase = {u: [model.new_bool_var(f"{u}_in_{k}") for k in range(count)] for u in x}
    for unit, literals in phase.items():
        model.add(sum(literals) == x[unit])
        for k, box in enumerate(problem.boxes):
            if lanes > 1 and steps[unit] > box:
                model.add(literals[k] == 0)
    for k, box in enumerate(problem.boxes):
        model.add(sum(steps[u] * phase[u][k] for u in x) <= lanes * box)
        if lanes > 1:  # each resource's work in a phase, within its capacity x the box
            for resource, capacity in problem.capacities.items():
                users = [u for u in x if problem.demands[u].get(resource, 0) and steps[u]]
                if users:
                    model.add(
                        sum(steps[u] * problem.demands[u][resource] * phase[u][k] for u in users)
                        <= capacity * box
                    )
    model.add(sum(steps[u] * x[u] for u in x) <= lanes * sum(problem.boxes))  # a tighter LP
    for unit, prerequisites in problem.needs.items():
        for prerequisite in prerequisites:
            for k in range(count):
                model.add(sum(phase[prerequisite][: k + 1]) >= 1).only_enforce_if(phase[unit][k])
    return phase


def _relaxed_time(
    model: cp_model.CpModel, problem: SelectionProblem, x: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """What every schedule on several lanes meets (:class:`OneLaneModel`); the phase literals."""
    steps, lanes = problem.durations, problem.lanes
    limits = [v for v in (problem.horizon, sum(problem.boxes) if problem.boxes else None) if v]
    limit = min(limits) if limits else None
    if problem.horizon == 0 or (problem.boxes and not sum(problem.boxes)):
        limit = 0
    phase = _pack_into_boxes(model, problem, x, lanes) if problem.boxes else {}
    if limit is None:
        return phase
    model.add(sum(steps[u] * x[u] for u in x) <= lanes * limit)
    for resource, capacity in problem.capacities.items():
        users = [u for u in x if problem.demands[u].get(resource, 0) and steps[u]]
        if users:
            model.add(
                sum(steps[u] * problem.demands[u][resource] * x[u] for u in users)
                <= capacity * limit
            )
    chain: dict[str, int] = {}
    for unit in problem.in_order(u.id for u in problem.units):
        chain[unit] = steps[unit] + max((chain[p] for p in problem.needs.get(unit, ())), default=0)
        if chain[unit] > limit:
            model.add(x[unit] == 0)
    durations = sorted({steps[u] for u in x if steps[u] > 0})
    if len(durations) > 24:
        durations = [durations[i * len(durations) // 24] for i in range(24)]
    groups = [(list(x), lanes)]
    for resource, capacity in problem.capacities.items():
        users = [u for u in x if problem.demands[u].get(resource, 0)]
        if users:
            groups.append((users, capacity // min(problem.demands[u][resource] for u in users)))
    for members, tracks in groups:
        for d in durations:
            long = [x[u] for u in members if steps[u] >= d]
            if len(long) > tracks * (limit // d):
                model.add(sum(long) <= tracks * (limit // d))
    for k, box in enumerate(problem.boxes):
        for d in durations:
            long = [phase[u][k] for u in x if steps[u] >= d]
            if len(long) > lanes * (box // d):
                model.add(sum(long) <= lanes * (box // d))
    return phase


def _solver(
    settings: SolverSettings, limit: float | None = None, presolve: bool = True
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.cp_model_presolve = presolve
    solver.parameters.random_seed = settings.seed
    solver.parameters.num_workers = settings.workers
    # With several workers, interleaved search keeps the answer deterministic.
    solver.parameters.interleave_search = settings.workers > 1
    solver.parameters.max_deterministic_time = (
        settings.deterministic_time if limit is None else max(1e-3, limit)
    )
    # A stronger LP relaxation: proves knapsack-like selections far sooner.
    solver.parameters.linearization_level = 2
    solver.parameters.max_time_in_seconds = settings.time_limit
    return solver
