"""Selection and schedule on several lanes: exact up to a size, decomposed above it.

With more than one lane the budget is wall-clock time, so which work fits
depends on when it runs. :class:`LanesModel` first solves the relaxed
selection (:class:`~analysis.plan.selection_model.OneLaneModel` with
``relaxed``): a bound, and a selection. List schedules place that selection
phase by phase (:func:`~analysis.plan.schedule_bounds.list_schedule`), leave out
what does not fit and fill idle lanes; with the greedy plan run on one lane,
these are checked (:func:`~analysis.plan.plan_check.check_selection`) and the
best kept. A plan that reaches the bound is optimal. Otherwise, with at most
:data:`JOINT_MAX_UNITS` units, the joint model (the scheduling engine with
optional jobs) starts from it; above that size the decomposition's plan is the
answer, ``feasible`` with its gap to the bound.

No OR-Tools object is used here: the models live in ``selection_model`` and
``scheduling``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from analysis.model import Catalog, Scenario
from analysis.plan.budget import SHARES, Allowance, Budget
from analysis.plan.jobs import ScheduleProblem, units_in_hours
from analysis.plan.plan_check import check_selection
from analysis.plan.schedule_bounds import explain_infeasible, list_schedule
from analysis.plan.scheduling import solve_schedule
from analysis.plan.selection_model import OneLaneModel, SelectionProblem, Solved
from analysis.plan.units import to_seconds, unit_jobs

__all__ = [
    "JOINT_MAX_UNITS",
    "LanesModel",
]

#: Above this many units that may be chosen, on several lanes, selection and schedule are
#: not solved together: the joint model has a yes/no, a start and a phase for each unit
#: and stops without a first plan on 1,000 (issue #15); the decomposition is used instead.
JOINT_MAX_UNITS = 150


class LanesModel:
    """Selection and schedule on several lanes: the budget is wall-clock time.

    First the relaxed selection (:class:`OneLaneModel` with ``relaxed``): a
    bound, and a selection. The decomposition schedules that selection phase
    by phase (:func:`~analysis.plan.schedule_bounds.list_schedule`), leaves out
    what does not fit (lowest value per hour last in, so first out) and fills
    idle lanes with the best left-out units; the greedy plan run one unit
    after another is the other candidate; each is checked
    (:func:`~analysis.plan.plan_check.check_selection`). A candidate that
    reaches the bound is optimal. Otherwise, with at most
    :data:`JOINT_MAX_UNITS` units, the joint model (the scheduling engine with
    optional jobs) starts from the best candidate, bounded by the relaxation;
    above it the best candidate is the plan, ``feasible``, with its gap.
    """

    def __init__(self, problem: SelectionProblem, scenario: Scenario, catalog: Catalog) -> None:
        self.problem, self.scenario = problem, scenario
        self.weights = {u.id: problem.weight(u) for u in problem.units}
        self.jobs = unit_jobs(
            catalog,
            problem.units,
            problem.needs,
            scenario,
            problem.grid_minutes,
            optional=True,
            weights=self.weights,
            forced=problem.include,
        )
        self.schedule = ScheduleProblem(
            jobs=self.jobs,
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
        )
        self.joint = len(problem.units) <= JOINT_MAX_UNITS
        scale = sum(problem.position.values()) + 1
        #: The tie-breaks as one weight per unit: fewest hours, then earliest.
        self.tie_weights = {
            u.id: to_seconds(u.hours) * scale + problem.position[u.id] for u in problem.units
        }
        self.best: int | None = None
        self.proven = False
        self.main: Solved | None = None
        self.relaxed_model: OneLaneModel | None = None

    def describe(self, value: float) -> str:
        if self.problem.objective == "count":
            return f"{value:g} tasks"
        return f"value {value / self.problem.scale:g}"

    def solve(self, budget: Budget, greedy: tuple[list[str], Mapping[str, int]]) -> Solved:
        started = time.perf_counter()
        problem = self.problem
        spent_before = budget.spent(("main",))

        def nothing(status: str, bound: int | None) -> Solved:
            """No plan, with the time and the work units this solve took."""
            spent = budget.spent(("main",)) - spent_before
            return Solved(status, frozenset(), bound, time.perf_counter() - started, spent)

        reasons = explain_infeasible(self.schedule)
        if reasons:
            return Solved(
                "infeasible",
                frozenset(),
                None,
                time.perf_counter() - started,
                0.0,
                explanations=tuple(units_in_hours(t, problem.grid_minutes) for t in reasons),
            )
        relaxed_model = OneLaneModel(problem, self.scenario.solver, relaxed=True)
        self.relaxed_model = relaxed_model
        relaxed = relaxed_model.solve(
            budget,
            greedy[0],
            greedy[1],
            label="relaxed selection",
            cap=budget.total * SHARES["main"] / 4,
            ties=False,
        )
        if relaxed.status == "infeasible":
            solved = self._joint(budget, None, None, started, spent_before)
            if solved is not None and solved.status == "infeasible":
                return solved
            return nothing("infeasible", None)
        bound = None if relaxed.bound is None else math.floor(relaxed.bound + 1e-9)
        candidates = []
        if relaxed.ok:
            candidates.append(self._decompose(relaxed))
        candidates.append(self._sequence(*greedy))
        valid = [c for c in candidates if c is not None]
        best = max(valid, key=lambda c: (c[0], -c[1]), default=None)
        done = best is not None and bound is not None and best[0] >= bound
        ties = "not applied"
        if done and relaxed_model.proven:
            # The best value is proven; the relaxation's tie-broken optimum, if it has a
            # schedule, is the tie-broken optimum of the plan (a relaxation's best that fits
            # is the best that fits).
            picked, phases, how = relaxed_model.tie_break(budget, relaxed.chosen, relaxed.phase_of)
            canonical = self._decompose(
                replace(relaxed, chosen=frozenset(picked), phase_of=phases), fill=False
            )
            if canonical is not None and set(canonical[2]) == picked:
                best, ties = canonical, how
        if (not done or ties == "not applied") and self.joint:
            solved = self._joint(budget, best, bound, started, spent_before)
            if solved is not None:
                self.main = solved
                return solved
        if best is None:
            return nothing("unknown", bound)
        weight, _, chosen, start, phases = best
        self.best, self.proven = weight, done
        if done:
            method = "exact: a list schedule reaches the relaxed selection's bound"
        elif self.joint:
            method = (
                "relaxed selection, then a list schedule by phases, then repair (the joint "
                "model found nothing better within its budget)"
            )
        else:
            method = (
                f"decomposition (more than {JOINT_MAX_UNITS} units on {problem.lanes} lanes): "
                "relaxed selection, then a list schedule by phases, then repair"
            )
        if not done and not self.joint:
            budget.stopped("main", f"the joint model is too large ({len(problem.units)} units)")
        if done and ties == "not applied":
            ties = f"not applied (more than {JOINT_MAX_UNITS} units)"
        self.main = Solved(
            "optimal" if done else "feasible",
            frozenset(chosen),
            float(bound) if bound is not None else None,
            time.perf_counter() - started,
            budget.spent(("main",)) - spent_before,
            ties,
            phase_of=phases,
            start=start,
            method=method,
        )
        return self.main

    def force(self, unit: str, allowance: Allowance, label: str) -> Solved:
        """The best plan with ``unit`` in, found as the main plan was.

        The relaxed selection with the unit forced in bounds it (infeasible
        there: infeasible here); its tie-broken answer, if a list schedule
        holds it all, is the answer. Otherwise the joint model starts from the
        best plan known with the unit in, bounded by the relaxation.
        """
        started = time.perf_counter()
        main = self.main
        assert main is not None and self.relaxed_model is not None
        relaxed = self.relaxed_model.force(unit, allowance.share(0.5), f"{label} (relaxed)")
        spent = relaxed.deterministic
        if relaxed.status == "infeasible":
            return Solved("infeasible", frozenset(), None, time.perf_counter() - started, spent)
        most = self.best if self.proven else None
        found = None
        if relaxed.ok:
            found = self._decompose(relaxed, fill=relaxed.status != "optimal", ahead={unit})
            if found is not None and unit not in found[2]:
                found = None
        if relaxed.status == "optimal" and relaxed.bound is not None:
            relaxed_best = math.floor(relaxed.bound + 1e-9)
            most = relaxed_best if most is None else min(most, relaxed_best)
            if found is not None and found[0] >= most:
                return Solved(
                    "optimal", frozenset(found[2]), most, time.perf_counter() - started, spent
                )
        if found is not None and allowance.left() < main.deterministic / 2:
            # Too little left for the joint model to get far: the list schedule is the answer.
            took = time.perf_counter() - started
            return Solved("feasible", frozenset(found[2]), most, took, spent)
        jobs = tuple(replace(j, forced=True) if j.id == unit else j for j in self.jobs)
        given = {u: (main.start[u], main.phase_of.get(u)) for u in main.chosen if u in main.start}
        if found is not None:
            given = {u: (found[3][u], found[4].get(u)) for u in found[2]}
        result = solve_schedule(
            replace(self.schedule, jobs=jobs),
            self.scenario.solver,
            stages="value",
            budget=allowance,
            given=given,
            value_bound=most,
            label=label,
            describe_value=self.describe,
            tie_weights=self.tie_weights,
            tie_budget=allowance,
        )
        spent += float(result.settings.get("deterministic_time_used", 0.0))
        if not result.ok:
            return Solved(result.status, frozenset(), None, time.perf_counter() - started, spent)
        proven = result.value_bound is None or result.value >= result.value_bound - 1e-9
        if most is not None and result.value >= most:
            proven = True
        return Solved(
            "optimal" if proven else "feasible",
            frozenset(result.chosen),
            result.value_bound,
            time.perf_counter() - started,
            spent,
        )

    def _joint(
        self,
        budget: Budget,
        best: tuple | None,
        bound: int | None,
        started: float,
        spent_before: float,
    ) -> Solved | None:
        """The joint model from ``best``; None when it finds nothing as good as ``best``."""
        given = None
        if best is not None:
            given = {u: (best[3][u], best[4].get(u)) for u in best[2]}
        result = solve_schedule(
            self.schedule,
            self.scenario.solver,
            stages="value",
            budget=budget.allowance("main"),
            given=given,
            value_bound=bound,
            label="main solve (selection and schedule)",
            describe_value=self.describe,
            tie_weights=self.tie_weights,
            tie_budget=budget.allowance("ties"),
        )
        spent = budget.spent(("main",)) - spent_before
        if not result.ok:
            if result.status == "infeasible" and best is None:
                return Solved(
                    "infeasible",
                    frozenset(),
                    None,
                    time.perf_counter() - started,
                    spent,
                    explanations=tuple(
                        units_in_hours(t, self.problem.grid_minutes) for t in result.explanations
                    ),
                )
            return None
        if best is not None and result.value < best[0]:
            return None
        bounds = [b for b in (result.value_bound, bound) if b is not None]
        most = min(bounds) if bounds else None
        # No bound: nothing was there to choose (no units), and the empty choice is the best.
        proven = most is None or result.value >= most - 1e-9
        self.best, self.proven = result.value, proven
        ties = str(result.settings.get("tie_breaks", "not applied"))
        if not proven:
            ties = "not applied (objective not proven)"
        return Solved(
            "optimal" if proven else "feasible",
            frozenset(result.chosen),
            most,
            time.perf_counter() - started,
            spent,
            ties,
            phase_of=dict(result.phase),
            start=dict(result.start),
        )

    def _decompose(
        self, relaxed: Solved, fill: bool = True, ahead: Collection[str] = ()
    ) -> tuple | None:
        """The relaxed selection scheduled phase by phase, repaired and filled; None if it fails.

        Four list schedules, the best kept: best value per hour first and longest
        first (packing the lanes tighter), each in the relaxation's phases and in
        the earliest phase with room. Includes and ``ahead`` come first in each.
        """
        problem = self.problem
        by_id = {u.id: u for u in problem.units}
        steps = problem.durations

        def rate(u: str) -> tuple[bool, float, int]:
            unit = by_id[u]
            return (
                u not in problem.include and u not in ahead,
                -self.weights[u] / max(unit.hours, 1e-9),
                unit.position,
            )

        def longest(u: str) -> tuple[bool, int, float, int]:
            first, ratio, position = rate(u)
            return (first, -steps[u], ratio, position)

        then = sorted(
            (u for u in by_id if u not in relaxed.chosen and self.weights[u] > 0 and fill),
            key=rate,
        )
        tries = []
        for key in (rate, longest):
            order = sorted(relaxed.chosen, key=key)
            tries.append(list_schedule(self.schedule, order, then, relaxed.phase_of))
            if self.problem.boxes:
                tries.append(list_schedule(self.schedule, order, then))
        found = [self._candidate(r.chosen, dict(r.start), dict(r.phase)) for r in tries]
        return max((c for c in found if c is not None), key=lambda c: (c[0], -c[1]), default=None)

    def _sequence(self, order: list[str], phase_of: Mapping[str, int]) -> tuple | None:
        """The greedy plan run one unit after another, phase by phase, on one lane."""
        steps = self.problem.durations
        start: dict[str, int] = {}
        moment = 0
        phases = range(len(self.problem.boxes)) if self.problem.boxes else [None]
        for k in phases:
            for unit in order:
                if k is None or phase_of.get(unit) == k:
                    start[unit] = moment
                    moment += steps[unit]
        return self._candidate(order, start, dict(phase_of) if self.problem.boxes else {})

    def _candidate(
        self, chosen: Iterable[str], start: dict[str, int], phases: dict[str, int]
    ) -> tuple | None:
        chosen = list(chosen)
        if check_selection(self.problem, chosen, phases, start):
            return None
        by_id = {u.id: u for u in self.problem.units}
        hours = sum(to_seconds(by_id[u].hours) for u in chosen)
        return (sum(self.weights[u] for u in chosen), hours, chosen, start, phases)
