"""The greedy baseline: best value per hour first; and greedy plans with a unit forced in.

Every optimal plan shows what optimisation gained over this baseline, which
takes the scenario's includes first, then the coverage minimums, then the
units with the best value per hour whose prerequisites are taken, as long as
the budget, the cap and (with phases) the time boxes allow.

:class:`Repair` makes, without a solver, a plan with one left-out unit forced
in: what forcing it in costs at most, for the reasons of left-out work.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection
from typing import TYPE_CHECKING

from analysis.plan.results import Unit
from analysis.plan.units import to_seconds

if TYPE_CHECKING:  # selection_model imports this module
    from analysis.plan.selection_model import SelectionProblem

__all__ = [
    "greedy_selection",
    "greedy_plan",
    "Repair",
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

    def longest_first(bundle: list[str]) -> list[str]:
        """``bundle`` with prerequisites first, and the longest of the units ready first."""
        inside = set(bundle)
        blocking = {u: sum(p in inside for p in problem.needs.get(u, ())) for u in bundle}
        ready = [(-problem.durations[u], by_id[u].position, u) for u in bundle if not blocking[u]]
        heapq.heapify(ready)
        out: list[str] = []
        while ready:
            *_, unit = heapq.heappop(ready)
            out.append(unit)
            for dependent in dependents.get(unit, ()):
                if dependent in inside:
                    blocking[dependent] -= 1
                    if not blocking[dependent]:
                        entry = (
                            -problem.durations[dependent],
                            by_id[dependent].position,
                            dependent,
                        )
                        heapq.heappush(ready, entry)
        return out

    def take_all(bundle: list[str], force: bool = False) -> bool:
        """Take ``bundle`` where it fits (``force``: in any case); whether it fitted."""
        placed: dict[str, int] | None = {}
        if problem.boxes:
            bundle = problem.in_order(bundle)
            placed = place(bundle)
            if placed is None and force:  # the longest first may pack where the first did not
                bundle = longest_first(bundle)
                placed = place(bundle)
                if placed is None:
                    overfull = place(bundle, force=True) or {}  # forced: never None
                    for unit in bundle:
                        take(unit, overfull.get(unit))
                    return False
        if placed is None:
            return False
        for unit in bundle:
            take(unit, placed.get(unit))
        return True

    heap: list[tuple[tuple[float, int], str]] = []
    forced = {u for unit in problem.include for u in problem.closure(unit)}
    if not take_all(sorted(forced, key=lambda u: by_id[u].position), force=True):
        # The includes overfill a phase: no plan fits, and none is better than the includes.
        return chosen, phase_of
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


class Repair:
    """Plans with one left-out unit forced in, made from a plan without a solver.

    :meth:`plan` puts the unit and its open prerequisites in; then, while the
    cap or the budget is broken, leaves out the plan's unit of lowest value
    per hour that nothing still chosen needs (never an include, one of its
    prerequisites, or what the forced unit needs); then fills the room left,
    best value per hour first, with units whose prerequisites are in. The
    order in which the plan's units would be left out is worked out once, so
    each plan costs about what it changes, not the size of the plan. One lane
    without phases only (packing into phases is the solver's job).
    """

    def __init__(self, problem: SelectionProblem, chosen: Collection[str]) -> None:
        self.problem = problem
        self.chosen = frozenset(chosen)
        self.weight = {u.id: problem.weight(u) for u in problem.units}
        self.seconds = {u.id: to_seconds(u.hours) for u in problem.units}
        self.used = sum(self.seconds[u] for u in self.chosen)
        # Best value per hour first, then earliest.
        self.key = {
            u: (-self.weight[u] / max(self.seconds[u], 1), problem.position[u]) for u in self.weight
        }
        self.covered = [len(self.chosen & members) for _, _, members in problem.coverage]
        kept = {u for unit in problem.include for u in problem.closure(unit)}
        self.order = self._leaving_order(kept)
        needs = problem.needs
        ready = [
            u.id
            for u in problem.units
            if u.id not in self.chosen and all(p in self.chosen for p in needs.get(u.id, ()))
        ]
        self.ready = sorted(ready, key=self.key.__getitem__)
        # The fewest seconds among the ready units from each on: the fill stops when none fit.
        self.smallest = [0] * len(self.ready)
        least = None
        for i in range(len(self.ready) - 1, -1, -1):
            seconds = self.seconds[self.ready[i]]
            least = seconds if least is None else min(least, seconds)
            self.smallest[i] = least

    def _leaving_order(self, kept: set[str]) -> list[str]:
        """The plan's units, each once no chosen unit needs it, lowest value per hour first."""
        problem, chosen = self.problem, self.chosen
        position = problem.position
        users = dict.fromkeys(chosen, 0)
        for unit in chosen:
            for p in problem.needs.get(unit, ()):
                if p in chosen:
                    users[p] += 1

        def key(unit: str) -> tuple[float, int]:
            return (self.weight[unit] / max(self.seconds[unit], 1), -position[unit])

        heap = [(key(u), u) for u in chosen if users[u] == 0 and u not in kept]
        heapq.heapify(heap)
        order = []
        while heap:
            _, unit = heapq.heappop(heap)
            order.append(unit)
            for p in problem.needs.get(unit, ()):
                if p in chosen:
                    users[p] -= 1
                    if users[p] == 0 and p not in kept:
                        heapq.heappush(heap, (key(p), p))
        return order

    def _fits(self, count: int, seconds: int) -> bool:
        cap, budget = self.problem.cap, self.problem.budget
        return (cap is None or count <= cap) and (budget is None or seconds <= budget)

    def plan(self, unit: str) -> frozenset[str] | None:
        """The plan with ``unit`` in, as above; None when no such plan meets the limits."""
        problem, chosen, needs = self.problem, self.chosen, self.problem.needs
        added = set(problem.closure(unit, chosen))
        count = len(chosen) + len(added)
        seconds = self.used + sum(self.seconds[u] for u in added)
        # What the forced unit needs among the chosen: each with all it needs in turn.
        pinned: set[str] = set()
        stack = [p for u in added for p in needs.get(u, ()) if p in chosen]
        while stack:
            p = stack.pop()
            if p not in pinned:
                pinned.add(p)
                stack.extend(needs.get(p, ()))
        removed: set[str] = set()
        for u in self.order:
            if self._fits(count, seconds):
                break
            if u not in pinned:
                removed.add(u)
                count -= 1
                seconds -= self.seconds[u]
        if not self._fits(count, seconds):
            return None
        for (_, minimum, members), covered in zip(problem.coverage, self.covered, strict=True):
            if covered - len(removed & members) + len(added & members) < minimum:
                return None

        def inside(u: str) -> bool:
            return u in added or (u in chosen and u not in removed)

        # Then the room left, best value per hour first: what was left out, what is ready.
        cap, budget, key = problem.cap, problem.budget, self.key
        taken, ready = sorted(removed, key=key.__getitem__), self.ready
        i = j = 0
        while i < len(taken) or j < len(ready):
            if cap is not None and count >= cap:
                break
            if i == len(taken) and budget is not None and budget - seconds < self.smallest[j]:
                break  # none of the rest fits
            if j == len(ready) or (i < len(taken) and key[taken[i]] < key[ready[j]]):
                u, i = taken[i], i + 1
            else:
                u, j = ready[j], j + 1
            if inside(u) or self.weight[u] <= 0:
                continue
            if budget is not None and seconds + self.seconds[u] > budget:
                continue
            if all(inside(p) for p in needs.get(u, ())):
                added.add(u)
                count += 1
                seconds += self.seconds[u]
        return frozenset((chosen - removed) | added)
