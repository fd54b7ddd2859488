"""The scheduling engine's records, and the time grid they live on.

A :class:`Job` is one piece of work on a discrete grid (a duration in grid
units, predecessors, resource demands, an optional fixed phase); a
:class:`ScheduleProblem` adds the lanes, resource capacities, phases (time
boxes) and horizon they share; a :class:`ScheduleResult` says where and when
each job runs, or why none can. :func:`choose_grid` picks the coarsest grid
that keeps every duration whole. Nothing here needs a solver.

Examples
--------
>>> choose_grid([7.5, 9.0])
1.5
>>> to_grid(0.25, 1.5), to_grid(1, 1.5, up=False)
(10, 40)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from analysis.model import hours_text

__all__ = [
    "choose_grid",
    "to_grid",
    "Job",
    "ScheduleProblem",
    "ScheduleResult",
    "grid_units",
    "units_in_hours",
    "symmetry_groups",
    "symmetric_hint",
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
    settings: Mapping[str, str | float] = field(default_factory=dict)
    explanations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")


def grid_units(value: int) -> str:
    return f"{value} units"


def units_in_hours(text: str, step_minutes: float) -> str:
    """An explanation that counts grid units, with durations instead.

    >>> units_in_hours("phase P1 overflows: needs 50 units, its box is 40 units", 1.5)
    'phase P1 overflows: needs 1.25 h, its box is 1 h'
    """
    return re.sub(r"(\d+) units", lambda m: hours_text(int(m.group(1)) * step_minutes / 60), text)


def symmetric_hint(
    problem: ScheduleProblem, starts, given: Mapping[str, tuple[int, int | None]]
) -> dict[str, tuple[int, int | None]]:
    """``given`` with interchangeable jobs swapped into the order the scheduler's model asks.

    Within each group the first listed jobs take the places, earliest first,
    so that a hint from a heuristic is a solution of the model as it is.
    """
    out = dict(given)
    for group in symmetry_groups(problem, starts):
        places = sorted(given[j.id] for j in group if j.id in given)
        for job in group:
            out.pop(job.id, None)
        for job, place in zip(group, places, strict=False):
            out[job.id] = place
    return out


def symmetry_groups(problem: ScheduleProblem, starts) -> list[list[Job]]:
    """Groups of interchangeable jobs among those in the model, in the order listed."""
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
    return [group for group in groups.values() if len(group) > 1]
