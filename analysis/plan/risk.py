"""Schedule risk: a seeded Monte Carlo simulation over a schedule.

Each piece of work takes a PERT draw from its three-point estimate (a point
estimate gets the scenario's ``point_range``) and starts when its
predecessors, its lane, its resources and its phase allow, in the schedule's
order. The result is the P50 / P80 / P95 finish, the chance to finish within
the budget and each phase's chance to overflow its box.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from analysis.model import Effort, RiskSettings
from analysis.plan.results import ScheduleRisk, Timeline

__all__ = [
    "schedule_risk",
]


def _pert(
    rng: np.random.Generator, estimate: Effort, low: float, high: float, n: int
) -> np.ndarray:
    o, m, p = estimate.optimistic, estimate.likely, estimate.pessimistic
    if estimate.is_point:
        o, p = m * low, m * high
    if p <= o:
        return np.full(n, m)
    alpha = 1 + 4 * (m - o) / (p - o)
    beta = 1 + 4 * (p - m) / (p - o)
    return o + (p - o) * rng.beta(alpha, beta, size=n)


def schedule_risk(
    timeline: Timeline,
    settings: RiskSettings | None = None,
    capacities: Mapping[str, int] | None = None,
) -> ScheduleRisk:
    """Seeded Monte Carlo over the schedule's order: each piece of work takes a PERT draw.

    A piece starts when its predecessors are done, when the previous piece on
    its lane is done, when a unit of each resource it uses is free (in the
    schedule's order), and when its phase starts (the previous phase is done).
    Point estimates get the range ``point_range`` (optimistic and pessimistic
    multipliers). Returns P50 / P80 / P95 of the finish, the chance to finish
    within the budget and each phase's chance to run longer than its box.

    Raises
    ------
    ValueError
        When the timeline has no schedule.
    """
    settings = settings or RiskSettings()
    if not timeline.ok:
        raise ValueError("no schedule to simulate: " + "; ".join(timeline.explanations))
    n = settings.samples
    rng = np.random.default_rng(settings.seed)
    low, high = settings.point_range
    slots = list(timeline.slots)
    index = {slot.job: i for i, slot in enumerate(slots)}
    durations = np.empty((len(slots), n))
    for i, slot in enumerate(slots):
        durations[i] = _pert(rng, slot.estimate, low, high, n)
    ends = np.zeros((len(slots), n))
    lane_last: dict[int, int] = {}
    resource_users: dict[str, list[int]] = {}
    phase_names = [p.name for p in timeline.phases]
    phase_of = {i: slot.phase for i, slot in enumerate(slots)}
    phase_start = {name: np.zeros(n) for name in phase_names}
    phase_end = {name: np.zeros(n) for name in phase_names}
    done_phase = np.zeros(n)
    current = 0
    capacities = dict(capacities or {})
    for i, slot in enumerate(slots):
        start = np.zeros(n)
        for pred in timeline.predecessors.get(slot.job, ()):
            if pred in index:
                np.maximum(start, ends[index[pred]], out=start)
        if slot.lane is not None and slot.lane in lane_last:
            np.maximum(start, ends[lane_last[slot.lane]], out=start)
        for resource in slot.uses:
            users = resource_users.setdefault(resource, [])
            capacity = capacities.get(resource, 1)
            if len(users) >= capacity:
                np.maximum(start, ends[users[-capacity]], out=start)
            users.append(i)
        if slot.phase is not None:
            position = phase_names.index(slot.phase)
            while current < position:  # the phases before this one are finished
                phase_end[phase_names[current]] = np.maximum(
                    phase_end[phase_names[current]], phase_start[phase_names[current]]
                )
                done_phase = np.maximum(done_phase, phase_end[phase_names[current]])
                current += 1
                phase_start[phase_names[current]] = done_phase.copy()
            np.maximum(start, phase_start[slot.phase], out=start)
        ends[i] = start + durations[i]
        if slot.phase is not None:
            np.maximum(phase_end[slot.phase], ends[i], out=phase_end[slot.phase])
        if slot.lane is not None:
            lane_last[slot.lane] = i
    finish = ends.max(axis=0) if slots else np.zeros(n)
    overflow = {}
    for phase in timeline.phases:
        members = [i for i, name in phase_of.items() if name == phase.name]
        if not members:
            overflow[phase.name] = 0.0
            continue
        length = phase_end[phase.name] - phase_start[phase.name]
        overflow[phase.name] = float(np.mean(length > phase.hours + 1e-9))
    p50, p80, p95 = (float(v) for v in np.percentile(finish, [50, 80, 95]))
    within = None
    if timeline.budget_hours is not None:
        within = float(np.mean(finish <= timeline.budget_hours + 1e-9))
    return ScheduleRisk(
        samples=n,
        seed=settings.seed,
        p50=p50,
        p80=p80,
        p95=p95,
        mean=float(finish.mean()),
        planned=timeline.makespan_hours or 0.0,
        within_budget=within,
        phase_overflow=overflow,
        point_range=(low, high),
        three_point_jobs=sum(not s.estimate.is_point for s in slots),
    )
