"""Selection: the best safe subset of tasks under a scenario, and why the rest is left out.

The optimal selection is an OR-Tools CP-SAT model
(:mod:`analysis.plan.selection_model`): one yes/no per unit of work (a task,
or a set of duplicates merged into one piece of work), maximising the
objective subject to the risk appetite, dependency closure (a chosen task has
every prerequisite chosen or already done), the budget, the task cap, and the
scenario's includes and excludes. Ties are broken, in order, by fewer hours
and then by the smallest sum of catalog positions (earlier tasks first).

Answers are reproducible: the solver's seed and worker count are fixed, every
solve of the command draws on one deterministic work budget
(:mod:`analysis.plan.budget`; a wall-clock limit is only a safety net), and
the settings are recorded in the result, with how the plan was found and why
a solve stopped short. A greedy baseline (:mod:`analysis.plan.greedy`) is
computed alongside so every plan shows what optimisation gained; the solver
starts from it, and when the solver ends with nothing as good (or nothing at
all) the greedy plan, checked, is the answer (``feasible``, with the gap to
the solver's bound). Every task left out gets a reason a person can act on
(:mod:`analysis.plan.reasons`); a hand-made plan is checked instead
(:mod:`analysis.plan.plan_check`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from analysis.assess.graph import GraphFacts
from analysis.assess.scoring import Score
from analysis.inputs.gate_rules import Gate
from analysis.model import Catalog, Finding, Scenario
from analysis.plan.budget import Allowance, Budget
from analysis.plan.greedy import greedy_plan
from analysis.plan.jobs import to_grid
from analysis.plan.lanes import LanesModel
from analysis.plan.plan_check import check_selection
from analysis.plan.reasons import (
    explain_left_out,
    include_violations,
    infeasible_explanation,
    leave_all_out,
)
from analysis.plan.results import TIE_BREAKS, TIE_BREAKS_PARALLEL, Baseline, Selection, objective_of
from analysis.plan.selection_model import OneLaneModel, SelectionProblem, Solved
from analysis.plan.units import (
    advancing_units,
    availability,
    build_units,
    left_in_order,
    scenario_grid,
    to_seconds,
    totals_of,
    unit_edges,
    value_scale,
)

__all__ = [
    "select_tasks",
]


def select_tasks(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    scenario: Scenario,
    explain_limit: int = 200,
    gates: Iterable[Gate] = (),
    budget: Budget | None = None,
) -> Selection:
    """The optimal selection under ``scenario``, with a reason for every task left out.

    ``explain_limit`` caps how many left-out tasks get the exact cost of
    forcing them in (one more solve each); the rest get the cheaper reason.
    ``budget`` is the command's (a new one from ``scenario.solver`` if not given).
    """
    candidates, left = availability(catalog, scores, facts, scenario, gates)
    units, unit_of = build_units(catalog, scores, facts, candidates, scenario.merge_duplicates)
    needs: dict[str, list[str]] = {}
    for unit, prerequisite in sorted(unit_edges(facts.graph, unit_of)):
        needs.setdefault(unit, []).append(prerequisite)
    problem = SelectionProblem(
        units=units,
        needs=needs,
        budget=None if scenario.budget_hours is None else to_seconds(scenario.budget_hours),
        cap=scenario.task_cap,
        include={unit_of[t] for t in scenario.include if t in unit_of},
        objective=scenario.objective,
        coverage=tuple(
            (area, minimum, advancing_units(catalog, units, area))
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
    baseline_units, greedy_phases = greedy_plan(problem)
    baseline = Baseline(
        selected=tuple(t for u in baseline_units for t in u.tasks),
        totals=totals_of(catalog, scores, baseline_units),
    )
    violations = include_violations(scenario, left)
    if violations:
        leave_all_out(candidates, left, scenario, "infeasible", violations)
        return Selection(
            scenario=scenario.name,
            status="infeasible",
            selected=(),
            units=(),
            left_out=tuple(left_in_order(catalog, left)),
            totals=totals_of(catalog, scores, []),
            solver=settings,
            violations=tuple(violations),
        )
    budget = budget or Budget(scenario.solver)
    greedy_ids = [u.id for u in baseline_units]
    force: Callable[[str, Allowance, str], Solved] | None
    repair: Callable[[str], Solved | None] | None = None  # a plan with a unit in, no solve
    why_not = ""
    if scenario.lanes > 1:
        lanes = LanesModel(problem, scenario, catalog)
        solved = lanes.solve(budget, (greedy_ids, greedy_phases))
        force = lanes.force if lanes.joint else None
        why_not = "the plan comes from the decomposition"
        settings["budget"] = f"wall-clock time on {scenario.lanes} lanes"
    else:
        one_lane = OneLaneModel(problem, scenario.solver)
        solved = one_lane.solve(budget, greedy_ids, greedy_phases)
        force, repair = one_lane.force, one_lane.repaired
        settings["budget"] = "sum of effort hours" + (
            ", packed into the phases' time boxes" if scenario.phases else ""
        )
    solved, force, why_not = _not_worse_than_greedy(
        problem, solved, greedy_ids, greedy_phases, budget, force, why_not
    )
    settings["method"] = solved.method
    settings["tie_breaks"] = solved.ties
    if solved.status in ("infeasible", "unknown"):
        settings["deterministic_time_used"] = round(budget.spent(), 6)
        _stops(settings, budget)
        if solved.status == "infeasible":
            violations = infeasible_explanation(problem, scenario, solved.explanations)
        else:
            violations = [
                Finding(
                    "unsolved",
                    "the solver stopped "
                    f"({settings.get('stopped', 'at its limit')}) before finding any selection, "
                    "and the greedy plan does not meet the scenario; a higher "
                    f"solver.deterministic_time (now {scenario.solver.deterministic_time:g}) "
                    "may find one",
                    (),
                    {"deterministic_time": scenario.solver.deterministic_time},
                )
            ]
        leave_all_out(candidates, left, scenario, solved.status, violations)
        return Selection(
            scenario=scenario.name,
            status=solved.status,
            selected=(),
            units=(),
            left_out=tuple(left_in_order(catalog, left)),
            totals=totals_of(catalog, scores, []),
            solve_seconds=solved.seconds,
            solver=settings,
            # No baseline either: no selection, greedy or not, meets these limits.
            baseline=None if solved.status == "infeasible" else baseline,
            violations=tuple(violations),
        )
    chosen_units = [u for u in units if u.id in solved.chosen]
    totals = totals_of(catalog, scores, chosen_units)
    objective = objective_of(totals, scenario.objective)
    bound = gap = None
    if solved.status == "optimal":
        bound, gap = objective, 0.0
    elif solved.bound is not None:
        # In the model's whole numbers, then in the user's units (value or tasks).
        reached = sum(problem.weight(u) for u in chosen_units)
        best_possible = max(solved.bound, reached)
        bound = best_possible / problem.scale
        gap = 0.0 if best_possible <= 0 else (best_possible - reached) / best_possible
    if force is None:  # the plan is not the model's
        repair = None
    explain_left_out(
        problem, scenario, solved, unit_of, left, explain_limit, force, budget, why_not, repair
    )
    settings["deterministic_time_used"] = round(budget.spent(), 6)
    _stops(settings, budget)
    return Selection(
        scenario=scenario.name,
        status=solved.status,
        selected=tuple(t.id for t in catalog.tasks if unit_of.get(t.id) in solved.chosen),
        units=tuple(chosen_units),
        left_out=tuple(left_in_order(catalog, left)),
        totals=totals,
        objective=objective,
        bound=bound,
        gap=gap,
        solve_seconds=solved.seconds,
        solver=settings,
        baseline=baseline,
        tie_breaks=TIE_BREAKS
        if scenario.lanes == 1 or solved.ties.startswith("applied")
        else TIE_BREAKS_PARALLEL,
    )


def _not_worse_than_greedy(
    problem: SelectionProblem,
    solved: Solved,
    greedy: list[str],
    phases: Mapping[str, int],
    budget: Budget,
    force: Callable[[str, Allowance, str], Solved] | None,
    why_not: str,
) -> tuple[Solved, Callable[[str, Allowance, str], Solved] | None, str]:
    """The greedy plan instead of a solver's answer that is worse (or none), once checked.

    On several lanes the greedy plan is already one of the candidates the
    plan is chosen from; on one lane it is the solver's hint, and this is the
    guarantee. The bound stays the solver's, so the gap is the greedy plan's.
    """
    if solved.status not in ("unknown", "feasible") or problem.lanes > 1:
        return solved, force, why_not
    weight = sum(problem.weight(u) for u in problem.units if u.id in set(greedy))
    reached = sum(problem.weight(u) for u in problem.units if u.id in solved.chosen)
    if solved.status == "feasible" and reached >= weight:
        return solved, force, why_not
    if check_selection(problem, greedy, phases):
        return solved, force, why_not
    found = "no plan" if solved.status == "unknown" else f"a plan worth {reached / problem.scale:g}"
    budget.stopped(
        "main", f"the solver found {found} before its limit, no better than the greedy plan"
    )
    bound = None if solved.bound is None else max(solved.bound, weight)
    greedy_plan = Solved(
        "feasible",
        frozenset(greedy),
        bound,
        solved.seconds,
        solved.deterministic,
        "not applied (the greedy plan)",
        phase_of=dict(phases),
        method=f"{solved.method}; the greedy plan (the solver found nothing better)",
    )
    return greedy_plan, None, "the plan is the greedy baseline"


def _stops(settings: dict[str, Any], budget: Budget) -> None:
    """Why the command's solves stopped short, if any did (in the result's settings)."""
    if budget.stops:
        settings["stopped"] = "; ".join(budget.stops[part] for part in sorted(budget.stops))
