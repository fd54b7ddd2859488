"""The greedy baseline: best value per hour first.

Every optimal plan shows what optimisation gained over this baseline, which
takes the scenario's includes first, then the coverage minimums, then the
units with the best value per hour whose prerequisites are taken, as long as
the budget, the cap and (with phases) the time boxes allow.
"""

from __future__ import annotations

import heapq

from analysis.plan.results import Unit
from analysis.plan.selection_model import SelectionProblem
from analysis.plan.units import to_seconds

__all__ = [
    "greedy_selection",
    "greedy_plan",
]


def greedy_selection(problem: SelectionProblem) -> list[Unit]:
    """Best value per hour first, among units whose prerequisites are chosen.

    The scenario's includes (with their prerequisites) are taken first. With
    phases, each unit goes in the first phase with room that is not before a
    prerequisite's, so the baseline is a selection its schedule can hold.
    """
    return greedy_plan(problem)[0]


def greedy_plan(problem: SelectionProblem) -> tuple[list[Unit], dict[str, int]]:
    """:func:`greedy_selection`, in the order taken, and each unit's phase (with phases).

    Taken in this order one after another, phase by phase, the units are a
    one-lane schedule: the solvers start from it (a hint), and the plan
    falls back on it when they find nothing as good.
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
        left = list(room)
        placed: dict[str, int] = {}
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
        used += to_seconds(by_id[unit_id].hours)
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
    forced = {u for unit in problem.include for u in problem.closure(unit)}
    take_all(sorted(forced, key=lambda u: by_id[u].position), force=True)
    # Coverage minimums next: the best value per hour of each area, with prerequisites.
    for _, minimum, members in problem.coverage:
        for unit in sorted(members, key=lambda u: key(by_id[u])):
            if sum(1 for u in members if u in taken) >= minimum:
                break
            bundle = problem.closure(unit, taken)
            cost = sum(to_seconds(by_id[u].hours) for u in bundle)
            if problem.budget is not None and used + cost > problem.budget:
                continue
            if problem.cap is not None and len(chosen) + len(bundle) > problem.cap:
                continue
            take_all(bundle)
    heap = [(key(by_id[u]), u) for u, n in waiting.items() if n == 0 and u not in taken]
    heapq.heapify(heap)
    while heap:
        _, unit_id = heapq.heappop(heap)
        if unit_id in taken:
            continue
        if problem.cap is not None and len(chosen) >= problem.cap:
            break
        if problem.budget is not None and used + to_seconds(by_id[unit_id].hours) > problem.budget:
            continue
        take_all([unit_id])
    return chosen, phase_of
