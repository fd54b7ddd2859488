"""Why a task is left out of an optimal selection, in words a person can act on.

For each candidate the optimum leaves out: the cap, the budget or the phases'
time boxes (whichever binds, with what it needs and what is left), or lower
value (with what forcing it in would cost: the value or tasks lost and the
tasks pushed out), or a tie-break. When no selection exists at all, every
task that could have been chosen gets the first reason why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from analysis.model import Finding, Scenario, hours_text
from analysis.plan.jobs import Job, to_grid
from analysis.plan.results import LeftOut
from analysis.plan.schedule_bounds import longest_chain
from analysis.plan.selection_model import SelectionProblem, Solved
from analysis.plan.units import SECONDS, to_seconds

__all__ = [
    "leave_all_out",
    "include_violations",
    "infeasible_explanation",
    "explain_left_out",
]


def leave_all_out(
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


def include_violations(scenario: Scenario, left: Mapping[str, LeftOut]) -> list[Finding]:
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


def infeasible_explanation(
    problem: SelectionProblem, scenario: Scenario, explanations: Iterable[str] = ()
) -> list[Finding]:
    """Why no selection meets the scenario: what the includes break, or the schedule's words."""
    forced = set()
    for unit in problem.include:
        forced.update(problem.closure(unit))
    by_id = {u.id: u for u in problem.units}
    hours = sum(by_id[u].hours for u in forced)
    tasks = tuple(
        t for u in sorted(forced, key=lambda u: by_id[u].position) for t in by_id[u].tasks
    )
    out = []
    if (
        scenario.lanes == 1
        and scenario.budget_hours is not None
        and problem.budget is not None  # set exactly when the scenario has a budget
        and to_seconds(hours) > problem.budget
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
    if scenario.lanes == 1 and scenario.phases and to_seconds(hours) > to_seconds(boxes):
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


def explain_left_out(
    problem: SelectionProblem,
    scenario: Scenario,
    solved: Solved,
    unit_of: Mapping[str, str],
    left: dict[str, LeftOut],
    explain_limit: int,
    solve: Callable[[str | None], Solved],
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
        bundle = problem.closure(unit.id, chosen)
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
    for task, unit_id in unit_of.items():
        if unit_id not in chosen and task not in left:
            left[task] = left[unit_id]


def _time_limit(
    problem: SelectionProblem, scenario: Scenario
) -> tuple[str, str, int | None, float]:
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
    # With boxes, the budget has steps exactly when it is given.
    if problem.boxes and (budget_steps is None or boxes < budget_steps):
        tighter = "" if budget is None else f", less than the {hours_text(budget)} budget"
        words = f"the phases' time boxes ({hours_text(boxes_hours)} in all{tighter})"
        return "phases", words, boxes, boxes_hours
    if budget is None:
        return "budget", "", None, 0.0
    return "budget", f"the {hours_text(budget)} of wall-clock time", budget_steps, budget


def _time_reason(
    problem: SelectionProblem,
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
        used = sum(to_seconds(by_id[u].hours) for u in chosen)
        # The tighter limit first: a bundle over both is over the one that binds.
        for limit_kind in ("phases", "budget") if kind == "phases" else ("budget", "phases"):
            if limit_kind == "budget" and problem.budget is not None:
                room, what, total = problem.budget, "the budget", ""
            elif limit_kind == "phases" and problem.boxes:
                room = sum(to_seconds(phase.hours) for phase in scenario.phases)
                what, total = "the phases' time boxes", f" of their {hours_text(room / SECONDS)}"
            else:
                continue
            if used + to_seconds(need_hours) > room:
                left_hours = (room - used) / SECONDS
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
    problem: SelectionProblem,
    scenario: Scenario,
    chosen: set[str],
    need_hours: float,
    with_prereqs: str,
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
