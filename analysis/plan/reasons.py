"""Why a task is left out of an optimal selection, in words a person can act on.

For each candidate the optimum leaves out: the cap, the budget or the phases'
time boxes (whichever binds, with what it needs and what is left), or lower
value (with what forcing it in would cost: the value or tasks lost and the
tasks pushed out), or a tie-break. When no selection exists at all, every
task that could have been chosen gets the first reason why.

Each reason comes first from the plan's totals alone (no solve): what the
unit needs with its open prerequisites against what the cap, the budget or
the boxes have left. What forcing a unit in would cost is a re-solve, for the
first ``explain_limit`` units (those no limit explains first, then in catalog
order), and pricing costs no more than choosing: the re-solves together draw
at most what the selection's own solve took from the command's budget
(:mod:`analysis.plan.budget`; at least :data:`~analysis.plan.budget.MIN_EXPLANATION`
of it), each what is left of that (a unit whose prerequisites alone break the
cap, the budget or the boxes is known infeasible without one). Each starts
from a plan with the unit in (the plan repaired on one lane, a list schedule
on several). Past that, on one lane without phases, the repaired plan made
without a solver (:class:`~analysis.plan.greedy.Repair`) is the answer and
the loss it shows an upper bound ("at most"), unless it is worth the
optimum. Once the command's budget is spent, or with no cheap plan, the
remaining units say so ("not explained: budget spent").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from analysis.model import Finding, Scenario, hours_text
from analysis.plan.budget import MIN_EXPLANATION, Allowance, Budget
from analysis.plan.jobs import Job, to_grid
from analysis.plan.results import LeftOut
from analysis.plan.schedule_bounds import longest_chain
from analysis.plan.selection_model import SelectionProblem, Solved
from analysis.plan.units import SECONDS, to_seconds

#: A reason lists at most this many prerequisites by name (then how many more).
_LISTED = 10

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
    force: Callable[[str, Allowance, str], Solved] | None,
    budget: Budget,
    why_not: str = "",
    repair: Callable[[str], Solved | None] | None = None,
) -> None:
    """A reason for every candidate the plan leaves out.

    First, for every unit, the reason the plan's totals give (no solve).
    Then the cost of forcing it in, for the first ``explain_limit`` units
    (those with no limit to blame first, then in catalog order):
    ``force(unit, allowance, label)`` re-solves with the unit forced in,
    while the re-solves together have spent less than the selection's own
    solve (and the command's budget lasts); past that, ``repair(unit)`` gives
    a plan with the unit in made without a solver (its loss an upper bound).
    Without ``force`` (``why_not`` says why: a decomposition, the greedy
    plan) the cost of forcing is not computed.
    """
    by_id = problem.by_id
    chosen = set(solved.chosen)
    totals = _Totals(problem, chosen)
    reasons = {
        unit.id: _first_reason(problem, scenario, totals, unit.id)
        for unit in problem.units
        if unit.id not in chosen
    }
    # Those no limit explains first: only the price says what they would cost.
    order = sorted(reasons, key=lambda u: reasons[u].kind != "lower-value")
    to_explain = min(explain_limit, len(order))
    least = MIN_EXPLANATION * budget.total
    # Pricing costs no more than choosing: the re-solves share what the main solve took.
    pool = budget.allowance("explanations", max(solved.deterministic, least))
    start = max(1e-3, min(least, solved.deterministic) / 4)
    forced_in = [u for unit in sorted(problem.include) for u in problem.closure(unit)]
    best = sum(problem.weight(by_id[u]) for u in chosen)
    spent = 0
    for rank, unit_id in enumerate(order):
        reason = reasons[unit_id]
        kind, text, details = reason.kind, reason.text, reason.details
        forced = None
        if rank >= explain_limit:
            ratio = problem.weight(by_id[unit_id]) / problem.scale / max(by_id[unit_id].hours, 1e-9)
            text += (
                f"; {ratio:.3g} per hour (cost of forcing it in not computed past {explain_limit})"
            )
        elif _forcing_impossible(problem, unit_id, forced_in):
            forced = Solved("infeasible", frozenset(), None, 0.0, 0.0)
        elif force is None:
            text += f"; cost of forcing it in not computed: {why_not}"
            details["explained"] = why_not
        elif budget.left("explanations") >= least and pool.left() >= start:
            spent += 1
            forced = force(
                unit_id,
                pool.share(1.0),
                f"explaining left-out work ({spent} of at most {to_explain})",
            )
        elif budget.left("explanations") >= least and repair is not None:
            forced = repair(unit_id)
        if forced is None and rank < explain_limit and "explained" not in details:
            text += "; not explained: budget spent (cost of forcing it in not computed)"
            details["explained"] = "budget spent"
        if forced is not None:
            kind, text = _priced(problem, scenario, chosen, best, reason, forced, details)
        for task in by_id[unit_id].tasks:
            left[task] = LeftOut(task, kind, text, details)
    for task, unit_id in unit_of.items():
        if unit_id not in chosen and task not in left:
            left[task] = left[unit_id]


class _Reason(NamedTuple):
    """A left-out unit's reason from the plan's totals, before any price."""

    kind: str
    text: str
    details: dict[str, Any]
    need_hours: float
    with_prereqs: str


def _first_reason(
    problem: SelectionProblem, scenario: Scenario, totals: _Totals, unit_id: str
) -> _Reason:
    """The cap, the budget or the time boxes when a total shows it binds; else lower value."""
    by_id, chosen = problem.by_id, totals.chosen
    unit = by_id[unit_id]
    need = totals.of(unit_id)
    need_hours = need.hours
    with_prereqs = ""
    if need.tasks > len(unit.tasks) + _LISTED + 2:  # named in short: a chain may be long
        nearest = [t for u in totals.open_needs[unit_id] for t in by_id[u].tasks]
        with_prereqs = (
            f" with its prerequisites ({need.tasks - len(unit.tasks)} tasks; "
            f"the nearest: {_names(nearest)})"
        )
    else:  # small: in full, in the order they run
        bundle = problem.closure(unit_id, chosen)
        need_hours = sum(by_id[u].hours for u in bundle)
        others = [t for u in bundle if u != unit_id for t in by_id[u].tasks]
        with_prereqs = f" with its prerequisites ({_names(others)})" if others else ""
    details: dict[str, Any] = {"needs_hours": need_hours, "needs_units": need.units}
    if problem.cap is not None and len(chosen) + need.units > problem.cap:
        kind = "cap"
        text = (
            f"did not fit the task cap: needs {need.units} unit(s){with_prereqs}, "
            f"{problem.cap - len(chosen)} of {problem.cap} left"
        )
    elif time := _time_reason(problem, scenario, totals, need, need_hours, with_prereqs):
        kind, text, more = time
        details.update(more)
    else:
        kind = "lower-value"
        text = "lower value than what was chosen"
    return _Reason(kind, text, details, need_hours, with_prereqs)


def _priced(
    problem: SelectionProblem,
    scenario: Scenario,
    chosen: set[str],
    best: int,
    reason: _Reason,
    forced: Solved,
    details: dict[str, Any],
) -> tuple[str, str]:
    """The reason with what forcing the unit in costs, from a plan with it in (or none)."""
    kind, text, by_id = reason.kind, reason.text, problem.by_id
    if forced.status in ("optimal", "feasible"):
        out, came = chosen - forced.chosen, forced.chosen - chosen
        lost = sum(problem.weight(by_id[u]) for u in out)
        loss = (lost - sum(problem.weight(by_id[u]) for u in came)) / problem.scale
        pushed = [t for u in sorted(out, key=problem.position.__getitem__) for t in by_id[u].tasks]
        if loss == 0 and kind == "lower-value":
            kind = "tie-break"
            text = "as good as what was chosen; left out by the tie-breaks (fewer hours first)"
        unsure = forced.status == "feasible"
        at_most = "at most " if unsure else ""
        costs = [f"lose {at_most}{_amount(loss, problem.objective)}"] if loss > 0 else []
        if loss < 0:
            costs = [f"gain {_amount(-loss, problem.objective)} (the plan is not proven optimal)"]
        if pushed:
            costs.append(f"push out {_names(pushed)}")
        if costs:
            text += "; forcing it in would " + " and ".join(costs)
        if unsure:
            text += " (not proven within its share of the budget)"
        details.update({"forced_loss": loss, "pushed_out": pushed})
    elif forced.status == "infeasible":
        if kind == "lower-value" and (problem.boxes or problem.lanes > 1):
            # Every total fits, yet no schedule does: the time boxes (or, on
            # several lanes, phases, dependencies and resources together) bind.
            kind, text = _no_room(problem, scenario, chosen, reason.need_hours, reason.with_prereqs)
        text += "; forcing it in makes the scenario infeasible"
        details["forced_loss"] = None
    else:
        text += "; not explained: no plan with it was found within its share of the budget"
        details["explained"] = "budget spent"
    return kind, text


def _names(tasks: list[str]) -> str:
    """Task ids for a reason: all of them, or the first ten and how many more."""
    if len(tasks) > _LISTED + 2:
        return ", ".join(tasks[:_LISTED]) + f" and {len(tasks) - _LISTED} more"
    return ", ".join(tasks)


def _forcing_impossible(problem: SelectionProblem, unit: str, forced_in: list[str]) -> bool:
    """Whether the unit, its prerequisites and the includes break the cap, budget or boxes alone."""
    need = set(problem.closure(unit)) | set(forced_in)
    if problem.cap is not None and len(need) > problem.cap:
        return True
    if problem.lanes > 1:
        return False
    by_id = problem.by_id
    seconds = sum(to_seconds(by_id[u].hours) for u in need)
    if problem.budget is not None and seconds > problem.budget:
        return True
    return bool(problem.boxes) and sum(problem.durations[u] for u in need) > sum(problem.boxes)


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


class _Need(NamedTuple):
    """What a left-out unit needs with its open prerequisites: units, tasks, hours, grid
    steps, and grid steps times use of each resource (in ``capacities`` order)."""

    units: int
    tasks: int
    hours: float
    steps: int
    loads: tuple[int, ...]


class _Totals:
    """What each left-out unit needs with its open prerequisites, and what the plan uses.

    Along a chain (a unit with one open prerequisite) a unit's needs are its
    own plus its prerequisite's, so a chain of thousands costs a pass, not a
    walk per unit; a unit with several open prerequisites walks its closure.
    """

    def __init__(self, problem: SelectionProblem, chosen: set[str]) -> None:
        self.problem, self.chosen = problem, chosen
        self.by_id = {u.id: u for u in problem.units}
        self.resources = list(problem.capacities)
        self.open_needs = {
            u.id: [q for q in problem.needs.get(u.id, ()) if q not in chosen]
            for u in problem.units
            if u.id not in chosen
        }
        self.memo: dict[str, _Need] = {}
        durations, demands = problem.durations, problem.demands
        self.used_seconds = sum(to_seconds(self.by_id[u].hours) for u in chosen)
        self.used_steps = sum(durations.get(u, 0) for u in chosen)
        self.used_loads = {
            r: sum(durations.get(u, 0) * demands.get(u, {}).get(r, 0) for u in chosen)
            for r in self.resources
        }

    def own(self, unit: str) -> _Need:
        steps = self.problem.durations.get(unit, 0)
        use = self.problem.demands.get(unit, {})
        return _Need(
            1,
            len(self.by_id[unit].tasks),
            self.by_id[unit].hours,
            steps,
            tuple(steps * use.get(r, 0) for r in self.resources),
        )

    def of(self, unit: str) -> _Need:
        path = []
        end = unit
        while end not in self.memo and len(self.open_needs[end]) == 1:
            path.append(end)
            end = self.open_needs[end][0]
        if end not in self.memo:
            closure = self.problem.closure(end, self.chosen)
            self.memo[end] = _total(self.own(u) for u in closure)
        for u in reversed(path):
            self.memo[u] = _total((self.own(u), self.memo[self.open_needs[u][0]]))
        return self.memo[unit]


def _total(needs: Iterable[_Need]) -> _Need:
    units = tasks = steps = 0
    hours = 0.0
    loads: list[int] = []
    for need in needs:
        units, tasks, hours, steps = (
            units + need.units,
            tasks + need.tasks,
            hours + need.hours,
            steps + need.steps,
        )
        loads = [a + b for a, b in zip(loads or [0] * len(need.loads), need.loads, strict=True)]
    return _Need(units, tasks, hours, steps, tuple(loads))


def _time_reason(
    problem: SelectionProblem,
    scenario: Scenario,
    totals: _Totals,
    need: _Need,
    need_hours: float,
    with_prereqs: str,
) -> tuple[str, str, dict[str, Any]] | None:
    """Why a bundle of work does not fit in time, when a total shows it; None when none does.

    One lane: the work is a sum of hours against the budget or the phases'
    time boxes, whichever is tighter. Several lanes: the budget is wall-clock
    time, and the work is measured against the lanes and each resource it uses.
    """
    kind, words, limit, limit_hours = _time_limit(problem, scenario)
    if problem.lanes == 1:
        used = totals.used_seconds
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
    used = totals.used_steps
    if -(-(used + need.steps) // problem.lanes) > limit:
        binding.append(
            f"the {problem.lanes} lanes already hold {hours_text(problem.grid_hours(used))} of work"
        )
    for i, (resource, capacity) in enumerate(problem.capacities.items()):
        load = totals.used_loads[resource]
        more = need.loads[i]
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
