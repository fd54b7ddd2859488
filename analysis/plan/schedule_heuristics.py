"""A heuristic start for the scheduling engine: priority rules, then double justification.

The serial schedule-generation scheme (SGS) takes jobs one at a time, each
eligible job (its predecessors placed) by a priority rule, and starts it as
early as its predecessors, the lanes and the resources allow.
:func:`heuristic_start` runs it with several classic rules (latest finish,
latest start, most total successors, greatest rank positional weight) and
with regret-biased random sampling on the latest-finish rule (a seeded
generator, so the same problem always gives the same schedule). Each schedule
is then improved by *double justification* (forward-backward improvement,
Valls, Ballestín and Quintanilla 2005): every job is moved as late as it can
go, latest-finishing first, then as early as it can go, earliest-starting
first. A justification never makes a schedule longer and often shortens it.

The best schedule found (shortest; ties: the first) is what the CP-SAT engine
starts from (as its hint and its horizon) on problems where every job is
mandatory and there are no phases. Everything here is deterministic: the work
is a fixed number of schedules, not a time.

Examples
--------
>>> from analysis.plan.jobs import Job, ScheduleProblem
>>> jobs = (Job("A", 2, demands={"r": 1}), Job("B", 3, ("A",)), Job("C", 2, demands={"r": 1}))
>>> result = heuristic_start(ScheduleProblem(jobs, capacities={"r": 1}))
>>> result.makespan, dict(result.start)
(5, {'A': 0, 'B': 2, 'C': 2})
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis.plan.jobs import ScheduleProblem, ScheduleResult, symmetry_groups
from analysis.plan.schedule_bounds import assign_lanes

__all__ = [
    "heuristic_start",
    "justified",
]

#: Samples of the regret-biased random rule, after the four deterministic rules.
_SAMPLES = 16
#: Rounds of double justification per schedule, at most (it stops when one gains nothing).
_ROUNDS = 8


@dataclass(frozen=True)
class _Instance:
    """The problem in indices: durations, neighbours, demands (lanes as one more resource)."""

    ids: tuple[str, ...]
    duration: tuple[int, ...]
    preds: tuple[tuple[int, ...], ...]
    succs: tuple[tuple[int, ...], ...]
    demand: tuple[tuple[tuple[int, int], ...], ...]  # (resource, amount), amounts > 0
    capacity: tuple[int, ...]

    def reversed(self) -> _Instance:
        """The same jobs with every dependency turned around (for backward passes)."""
        return _Instance(
            self.ids, self.duration, self.succs, self.preds, self.demand, self.capacity
        )


def _instance(problem: ScheduleProblem) -> _Instance | None:
    """The problem as indices, or None when some job can never run (too big a demand)."""
    ids = tuple(job.id for job in problem.jobs)
    index = {job_id: i for i, job_id in enumerate(ids)}
    names = list(problem.capacities)
    capacity = [problem.capacities[name] for name in names]
    if problem.lanes:
        capacity.append(problem.lanes)
    demand = []
    for job in problem.jobs:
        needs = [(r, job.demands.get(name, 0)) for r, name in enumerate(names)]
        if problem.lanes:
            needs.append((len(names), 1))
        needs = [(r, amount) for r, amount in needs if amount > 0 and job.duration > 0]
        if any(amount > capacity[r] for r, amount in needs):
            return None
        demand.append(tuple(needs))
    succs: list[list[int]] = [[] for _ in ids]
    preds = []
    for i, job in enumerate(problem.jobs):
        preds.append(tuple(index[p] for p in job.predecessors))
        for p in job.predecessors:
            succs[index[p]].append(i)
    return _Instance(
        ids,
        tuple(job.duration for job in problem.jobs),
        tuple(preds),
        tuple(tuple(s) for s in succs),
        tuple(demand),
        tuple(capacity),
    )


def _sgs(inst: _Instance, key: Sequence[float]) -> list[int]:
    """Serial SGS: the eligible job with the smallest ``key`` (ties: listed first), earliest."""
    n = len(inst.ids)
    horizon = sum(inst.duration) + 1
    usage = [[0] * horizon for _ in inst.capacity]
    capacity = inst.capacity
    waiting = [len(p) for p in inst.preds]
    eligible = [(key[i], i) for i in range(n) if not waiting[i]]
    heapq.heapify(eligible)
    start = [0] * n
    finish = [0] * n
    while eligible:
        _, j = heapq.heappop(eligible)
        t = max((finish[p] for p in inst.preds[j]), default=0)
        d = inst.duration[j]
        needs = inst.demand[j]
        if needs:
            t = _earliest(usage, capacity, needs, t, d)
            for r, amount in needs:
                profile = usage[r]
                profile[t : t + d] = [used + amount for used in profile[t : t + d]]
        start[j], finish[j] = t, t + d
        for s in inst.succs[j]:
            waiting[s] -= 1
            if not waiting[s]:
                heapq.heappush(eligible, (key[s], s))
    return start


def _earliest(
    usage: list[list[int]],
    capacity: Sequence[int],
    needs: Sequence[tuple[int, int]],
    t: int,
    d: int,
) -> int:
    """The earliest start from ``t`` where ``needs`` fit for ``d`` steps.

    A step in the window where a resource is short rules out every start up to
    it: the window moves past the last such step and is looked at again (whole
    windows compared at once, not step by step).
    """
    while d > 0:
        for r, amount in needs:
            limit = capacity[r] - amount
            window = usage[r][t : t + d]
            if max(window) > limit:
                t += d - next(i for i, used in enumerate(reversed(window)) if used > limit)
                break
        else:
            break
    return t


def _justify(inst: _Instance, back: _Instance, start: list[int]) -> list[int]:
    """Double justification until it gains nothing (at most ``_ROUNDS`` rounds)."""
    duration = inst.duration
    best = max((s + d for s, d in zip(start, duration, strict=True)), default=0)
    for _ in range(_ROUNDS):
        # Backward: latest finish first, each as late as it can go (time runs backwards).
        late = _sgs(back, [-(s + d) for s, d in zip(start, duration, strict=True)])
        span = max((s + d for s, d in zip(late, duration, strict=True)), default=0)
        right = [span - s - d for s, d in zip(late, duration, strict=True)]
        # Forward: earliest start (of the right-justified schedule) first, as early as it can go.
        left = _sgs(inst, right)
        makespan = max((s + d for s, d in zip(left, duration, strict=True)), default=0)
        if makespan >= best:
            if makespan == best:
                start = left
            break
        start, best = left, makespan
    return start


def _rules(inst: _Instance) -> list[list[float]]:
    """Priority keys (smaller first): latest finish, latest start, successors, rank weight."""
    n = len(inst.ids)
    order = _topological(inst)
    tail = [0] * n  # the longest path from the job's start to the end, with itself
    for j in reversed(order):
        tail[j] = inst.duration[j] + max((tail[s] for s in inst.succs[j]), default=0)
    after: list[set[int]] = [set() for _ in range(n)]
    for j in reversed(order):
        for s in inst.succs[j]:
            after[j].add(s)
            after[j] |= after[s]
    latest_finish = [float(inst.duration[j] - tail[j]) for j in range(n)]
    latest_start = [float(-tail[j]) for j in range(n)]
    successors = [float(-len(after[j])) for j in range(n)]
    weight = [
        float(-(inst.duration[j] + sum(inst.duration[s] for s in inst.succs[j]))) for j in range(n)
    ]
    return [latest_finish, latest_start, successors, weight]


def _topological(inst: _Instance) -> list[int]:
    waiting = [len(p) for p in inst.preds]
    ready = [i for i, w in enumerate(waiting) if not w]
    order = []
    while ready:
        j = ready.pop()
        order.append(j)
        for s in inst.succs[j]:
            waiting[s] -= 1
            if not waiting[s]:
                ready.append(s)
    return order


def _sampled(base: Sequence[float], rng: random.Random) -> list[float]:
    """A random priority biased by regret on ``base``: jobs with much slack may go later.

    Each job's key is its base priority pushed later by a random share of its
    regret (how far it is from the most urgent job), so urgent jobs mostly stay
    first and the order among jobs of similar urgency varies.
    """
    low = min(base, default=0.0)
    return [b + rng.random() * (1 + b - low) for b in base]


def _in_listed_order(problem: ScheduleProblem, starts: dict[str, int]) -> dict[str, int]:
    """Interchangeable jobs start in the order listed, as the engine's model asks.

    Swapping two such jobs (:func:`~analysis.plan.jobs.symmetry_groups`)
    changes nothing; the engine breaks that symmetry by asking the first listed
    to start first, and a hint that does the same is a solution of its model.
    """
    out = dict(starts)
    for group in symmetry_groups(problem, starts):
        for job, start in zip(group, sorted(starts[j.id] for j in group), strict=True):
            out[job.id] = start
    return out


def heuristic_start(
    problem: ScheduleProblem, samples: int = _SAMPLES, seed: int = 0
) -> ScheduleResult | None:
    """The best of the priority-rule schedules, each improved by double justification.

    Every job is scheduled (phases, optional jobs and the horizon are ignored,
    as in :func:`~analysis.plan.schedule_bounds.serial_sgs`); lanes count as a
    resource. ``samples`` regret-biased random schedules follow the four
    deterministic rules, drawn from a generator seeded with ``seed``. None
    when a job needs more of a resource at once than its capacity (no
    schedule exists).
    """
    started = time.perf_counter()
    inst = _instance(problem)
    if inst is None:
        return None
    back = inst.reversed()
    rules = _rules(inst)
    rng = random.Random(seed)  # noqa: S311 - a seeded, repeatable sample, not a secret
    keys = rules + [_sampled(rules[0], rng) for _ in range(samples)]
    best: list[int] | None = None
    best_span = 0
    for key in keys:
        start = _justify(inst, back, _sgs(inst, key))
        span = max((s + d for s, d in zip(start, inst.duration, strict=True)), default=0)
        if best is None or span < best_span:
            best, best_span = start, span
    assert best is not None or not inst.ids
    starts = _in_listed_order(problem, dict(zip(inst.ids, best or [], strict=True)))
    ends = {j: starts[j] + d for j, d in zip(inst.ids, inst.duration, strict=True)}
    order = list(inst.ids)
    return ScheduleResult(
        status="feasible",
        makespan=best_span,
        start=starts,
        end=ends,
        lane=assign_lanes(starts, ends, order) if problem.lanes else {},
        chosen=tuple(order),
        solve_seconds=time.perf_counter() - started,
        settings={
            "engine": "serial SGS, four priority rules and regret-biased sampling, "
            "double justification",
            "samples": samples,
            "seed": seed,
        },
    )


def justified(problem: ScheduleProblem, start: Mapping[str, int]) -> dict[str, int]:
    """A valid schedule of every job of ``problem``, improved by double justification.

    The engine's last step on plain problems: its best schedule within the
    limit, justified, is sometimes shorter. The schedule returned is
    ``start`` itself unless the justified one finishes strictly earlier.
    """
    inst = _instance(problem)
    if inst is None or not inst.ids:
        return dict(start)
    before = [start[job_id] for job_id in inst.ids]
    after = _justify(inst, inst.reversed(), before)
    if _span(inst, after) < _span(inst, before):
        return _in_listed_order(problem, dict(zip(inst.ids, after, strict=True)))
    return dict(start)


def _span(inst: _Instance, start: Sequence[int]) -> int:
    return max((s + d for s, d in zip(start, inst.duration, strict=True)), default=0)
