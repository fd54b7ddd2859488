"""What can be said of a schedule problem without a solver.

Lower bounds (the critical path, the work over the lanes and over each
resource), the longest dependency chain, reasons why no schedule fits
(:func:`explain_infeasible`, in the problem's own terms), lanes for a list of
start and end times, and the serial schedule-generation scheme with
latest-finish-time priority: the classic heuristic of project tools, kept for
comparison with the CP-SAT engine.

Examples
--------
>>> from analysis.plan.jobs import Job, ScheduleProblem
>>> jobs = (Job("A", 2), Job("B", 3, ("A",)), Job("C", 2))
>>> lower_bound(ScheduleProblem(jobs, lanes=2)), serial_sgs(ScheduleProblem(jobs, lanes=2)).makespan
(5, 5)
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import networkx as nx

from analysis.plan.jobs import Job, ScheduleProblem, ScheduleResult, grid_units

__all__ = [
    "job_graph",
    "heads_and_tails",
    "lower_bound",
    "assign_lanes",
    "explain_infeasible",
    "longest_chain",
    "serial_sgs",
    "list_schedule",
]


def job_graph(problem: ScheduleProblem) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(job.id for job in problem.jobs)
    for job in problem.jobs:
        graph.add_edges_from((pred, job.id) for pred in job.predecessors)
    return graph


def heads_and_tails(problem: ScheduleProblem) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """Earliest starts (longest path before) and tails (longest path from, with itself)."""
    by_id = {job.id: job for job in problem.jobs}
    order = list(nx.topological_sort(job_graph(problem)))
    head: dict[str, int] = {}
    for job_id in order:
        head[job_id] = max(
            (head[p] + by_id[p].duration for p in by_id[job_id].predecessors), default=0
        )
    tail: dict[str, int] = {}
    successors: dict[str, list[str]] = {job.id: [] for job in problem.jobs}
    for job in problem.jobs:
        for pred in job.predecessors:
            successors[pred].append(job.id)
    for job_id in reversed(order):
        tail[job_id] = by_id[job_id].duration + max(
            (tail[s] for s in successors[job_id]), default=0
        )
    return head, tail, order


def lower_bound(problem: ScheduleProblem) -> int:
    """A makespan no schedule of every job can beat: the critical path, work over capacity."""
    mandatory = [job for job in problem.jobs if not job.optional]
    if not mandatory:
        return 0
    head, _tail, _ = heads_and_tails(problem)
    bound = max(head[j.id] + j.duration for j in mandatory)
    if problem.lanes:
        bound = max(bound, math.ceil(sum(j.duration for j in mandatory) / problem.lanes))
    for resource, capacity in problem.capacities.items():
        work = sum(j.duration * j.demands.get(resource, 0) for j in mandatory)
        bound = max(bound, math.ceil(work / capacity))
    return bound


def assign_lanes(
    start: Mapping[str, int], end: Mapping[str, int], order: list[str]
) -> dict[str, int]:
    """Lanes (0, 1, ...) for jobs that never overlap more than the lane count.

    Jobs are taken by start time (ties in ``order``) and given the lowest free
    lane, which uses no more lanes than the most jobs running at once.

    >>> assign_lanes({"a": 0, "b": 0, "c": 2}, {"a": 2, "b": 3, "c": 4}, ["a", "b", "c"])
    {'a': 0, 'b': 1, 'c': 0}
    """
    position = {job: i for i, job in enumerate(order)}
    free: list[int] = []
    busy: list[tuple[int, int]] = []  # (end, lane)
    lanes: dict[str, int] = {}
    next_lane = 0
    for job in sorted(start, key=lambda j: (start[j], position.get(j, 0))):
        while busy and busy[0][0] <= start[job]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if end[job] == start[job]:
            lanes[job] = free[0] if free else 0
            continue
        if free:
            lane = heapq.heappop(free)
        else:
            lane, next_lane = next_lane, next_lane + 1
        lanes[job] = lane
        heapq.heappush(busy, (end[job], lane))
    return lanes


def explain_infeasible(problem: ScheduleProblem) -> list[str]:
    """Reasons, in the problem's terms, why no schedule fits (empty if none is obvious).

    Checks: a phase whose fixed jobs need more time than its box (by work
    over lanes and resources, or by a dependency chain inside it); a job
    fixed in a phase before one of its predecessors; a dependency chain, or
    the work over lanes or a resource, longer than the horizon.
    """
    reasons: list[str] = []
    mandatory = [job for job in problem.jobs if not job.optional or job.forced]
    by_id = {job.id: job for job in problem.jobs}
    lanes = problem.lanes or 0
    for index, box in enumerate(problem.phases):
        jobs = [job for job in mandatory if job.phase == index]
        if not jobs:
            continue
        name = problem.phase_name(index)
        work = sum(job.duration for job in jobs)
        if lanes and math.ceil(work / lanes) > box:
            reasons.append(
                f"phase {name} overflows: {grid_units(work)} of work on {lanes} lane(s) needs "
                f"{grid_units(math.ceil(work / lanes))}, its box is {grid_units(box)} "
                f"(over by {grid_units(math.ceil(work / lanes) - box)})"
            )
        for resource, capacity in problem.capacities.items():
            load = sum(job.duration * job.demands.get(resource, 0) for job in jobs)
            if math.ceil(load / capacity) > box:
                reasons.append(
                    f"phase {name} overflows on {resource}: needs "
                    f"{grid_units(math.ceil(load / capacity))} of it, its box is {grid_units(box)}"
                )
        chain, length = longest_chain(jobs)
        if length > box:
            reasons.append(
                f"phase {name}: the chain {' -> '.join(chain)} needs {grid_units(length)}, "
                f"its box is {grid_units(box)}"
            )
    for job in mandatory:
        for pred in job.predecessors:
            before = by_id[pred].phase
            if job.phase is not None and before is not None and before > job.phase:
                reasons.append(
                    f"{job.id} is in phase {problem.phase_name(job.phase)} but needs {pred}, "
                    f"which is in the later phase {problem.phase_name(before)}"
                )
    horizon = problem.horizon
    if problem.phases:
        boxes = sum(problem.phases)
        horizon = boxes if horizon is None else min(horizon, boxes)
    if horizon is not None and mandatory:
        chain, length = longest_chain(mandatory)
        if length > horizon:
            reasons.append(
                f"the chain {' -> '.join(chain)} needs {grid_units(length)}, longer than the "
                f"{grid_units(horizon)} available"
            )
        work = sum(job.duration for job in mandatory)
        if lanes and math.ceil(work / lanes) > horizon:
            reasons.append(
                f"{grid_units(work)} of work on {lanes} lane(s) needs "
                f"{grid_units(math.ceil(work / lanes))}, "
                f"more than the {grid_units(horizon)} available"
            )
    for label, members, minimum in problem.minimums:
        if len(members) < minimum:
            reasons.append(f"{label} asks for at least {minimum} of {len(members)} job(s)")
    if problem.cap is not None:
        forced = sum(1 for job in problem.jobs if job.forced)
        if forced > problem.cap:
            reasons.append(f"{forced} jobs must be in, over the cap of {problem.cap}")
    return list(dict.fromkeys(reasons))


def longest_chain(jobs: Iterable[Job]) -> tuple[list[str], int]:
    """The longest dependency chain among ``jobs``, and its length (other predecessors aside).

    >>> longest_chain([Job("A", 2), Job("B", 3, ("A",)), Job("C", 4, ("X",))])
    (['A', 'B'], 5)
    """
    jobs = list(jobs)
    ids = {job.id for job in jobs}
    among = tuple(
        replace(job, predecessors=tuple(p for p in job.predecessors if p in ids)) for job in jobs
    )
    return _longest_chain(ScheduleProblem(among))


def _longest_chain(problem: ScheduleProblem) -> tuple[list[str], int]:
    head, _, order = heads_and_tails(problem)
    by_id = {job.id: job for job in problem.jobs}
    if not order:
        return [], 0
    end = max(order, key=lambda j: (head[j] + by_id[j].duration, -order.index(j)))
    chain = [end]
    while True:
        job = by_id[chain[-1]]
        preds = [p for p in job.predecessors if head[p] + by_id[p].duration == head[job.id]]
        if not preds or head[job.id] == 0:
            break
        chain.append(min(preds, key=order.index))
    chain.reverse()
    return chain, head[end] + by_id[end].duration


def serial_sgs(problem: ScheduleProblem) -> ScheduleResult:
    """Serial schedule generation with latest-finish-time priority.

    Takes the eligible job (all predecessors scheduled) with the smallest
    latest finish time (ties: listed first) and starts it as early as its
    predecessors, the lanes and the resources allow. Phases, optional jobs
    and the horizon are ignored: this is the classic heuristic for comparison.
    """
    started = time.perf_counter()
    _head, tail, _ = heads_and_tails(problem)
    jobs = list(problem.jobs)
    position = {job.id: i for i, job in enumerate(jobs)}
    horizon = sum(job.duration for job in jobs)
    latest_finish = {job.id: horizon - tail[job.id] + job.duration for job in jobs}
    profiles: dict[str, list[int]] = {name: [0] * (horizon + 1) for name in problem.capacities}
    limits = dict(problem.capacities)
    if problem.lanes:
        profiles["\0lanes"] = [0] * (horizon + 1)
        limits["\0lanes"] = problem.lanes
    waiting = {job.id: len(job.predecessors) for job in jobs}
    successors: dict[str, list[str]] = {job.id: [] for job in jobs}
    for job in jobs:
        for pred in job.predecessors:
            successors[pred].append(job.id)
    eligible = [(latest_finish[j.id], position[j.id], j.id) for j in jobs if waiting[j.id] == 0]
    heapq.heapify(eligible)
    start: dict[str, int] = {}
    end: dict[str, int] = {}
    by_id = {job.id: job for job in jobs}
    while eligible:
        _, _, job_id = heapq.heappop(eligible)
        job = by_id[job_id]
        demands = dict(job.demands)
        if problem.lanes and job.duration:
            demands["\0lanes"] = 1
        t = max((end[p] for p in job.predecessors), default=0)
        while any(
            profiles[r][u] + amount > limits[r]
            for r, amount in demands.items()
            if amount
            for u in range(t, t + job.duration)
        ):
            t += 1
        start[job_id], end[job_id] = t, t + job.duration
        for r, amount in demands.items():
            for u in range(t, t + job.duration):
                profiles[r][u] += amount
        for succ in successors[job_id]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                heapq.heappush(eligible, (latest_finish[succ], position[succ], succ))
    makespan = max(end.values(), default=0)
    order = [job.id for job in jobs]
    return ScheduleResult(
        status="feasible",
        makespan=makespan,
        start=start,
        end=end,
        lane=assign_lanes(start, end, order) if problem.lanes else {},
        chosen=tuple(order),
        bound=None,
        solve_seconds=time.perf_counter() - started,
        settings={"engine": "serial SGS, latest finish time first"},
    )


def list_schedule(
    problem: ScheduleProblem,
    first: Sequence[str],
    then: Sequence[str] = (),
    phase_of: Mapping[str, int] | None = None,
) -> ScheduleResult:
    """The decomposition's schedule: ``first`` placed in order, then ``then`` where room is left.

    Phase by phase (one window up to the horizon without phases), each job of
    ``first`` whose prerequisites are placed starts as early as they, a lane
    and its resources allow (every lane and resource unit is a track that runs
    one job at a time); one that would end past its phase's box or the
    horizon moves to the next phase, and past the last it is left out, with
    every job that needs it. A phase starts when the one before it ends. Each
    phase is then filled with jobs of ``then`` (in that order) whose
    prerequisites are placed, in lane time already idle, or up to the box when
    no later phase has work. ``phase_of`` is the first phase to try for a job
    of ``first``; ``problem.cap`` caps how many optional jobs are placed.
    The result's ``chosen`` lists the placed jobs in the order they were placed.
    """
    started = time.perf_counter()
    by_id = {job.id: job for job in problem.jobs}
    order = {job_id: i for i, job_id in enumerate(first)}
    pending = _topological(by_id, [j for j in first if j in by_id], order)
    earliest = {j: (phase_of or {}).get(j, 0) for j in pending}
    filling = [j for j in then if j in by_id and j not in order]
    boxes = problem.phases or ((problem.horizon if problem.horizon is not None else 2**62),)
    horizon = problem.horizon if problem.horizon is not None else 2**62
    placing = _Placing(problem, by_id)
    for k, box in enumerate(boxes):
        placing.open_phase(k)
        limit = min(placing.begin + box, horizon)
        waiting = []
        for job_id in pending:
            ready = all(p in placing.end for p in by_id[job_id].predecessors)
            if earliest[job_id] > k or not ready or not placing.place(job_id, limit):
                waiting.append(job_id)
        pending = waiting
        room = placing.finish if pending else limit
        filling = [
            job_id
            for job_id in filling
            if not (
                all(p in placing.end for p in by_id[job_id].predecessors)
                and placing.place(job_id, room)
            )
        ]
    chosen = list(placing.placed)
    end = placing.end
    return ScheduleResult(
        status="feasible",
        makespan=max(end.values(), default=0),
        start=placing.start,
        end=end,
        phase=placing.phase if problem.phases else {},
        lane=assign_lanes(placing.start, end, chosen) if problem.lanes else {},
        chosen=tuple(chosen),
        value=sum(by_id[j].value for j in chosen if by_id[j].optional),
        solve_seconds=time.perf_counter() - started,
        settings={"engine": "list schedule by phases (decomposition)"},
    )


class _Placing:
    """The state of :func:`list_schedule`: what is placed, and when each track is free.

    Every lane, and every unit of each resource, is a track that runs one job
    at a time; a phase starts when the one before it ends, with every track free.
    """

    def __init__(self, problem: ScheduleProblem, by_id: Mapping[str, Job]) -> None:
        self.problem, self.by_id = problem, by_id
        self.lanes = problem.lanes or len(problem.jobs) or 1
        self.start: dict[str, int] = {}
        self.end: dict[str, int] = {}
        self.phase: dict[str, int] = {}
        self.placed: list[str] = []
        self.optional = 0
        self.finish = 0  # the latest end so far: where the next phase starts
        self.k = 0
        self.begin = 0
        self.lane_free: list[int] = []
        self.tracks: dict[str, list[int]] = {}

    def open_phase(self, k: int) -> None:
        self.k, self.begin = k, self.finish
        self.lane_free = [self.begin] * self.lanes
        self.tracks = {r: [self.begin] * c for r, c in self.problem.capacities.items()}

    def place(self, job_id: str, until: int) -> bool:
        """Start ``job_id`` as early as it can go; False (and nothing placed) past ``until``."""
        job, problem = self.by_id[job_id], self.problem
        if problem.cap is not None and job.optional and self.optional >= problem.cap:
            return False
        at = max([self.end[p] for p in job.predecessors] + [self.begin])
        busy = job.duration > 0
        if busy:
            at = max(at, min(self.lane_free))
        uses = [(r, amount) for r, amount in job.demands.items() if amount and busy]
        for resource, amount in uses:
            at = max(at, sorted(self.tracks[resource])[amount - 1])
        if at + job.duration > until:
            return False
        if busy:  # the lane free longest before the start: the tightest fit
            free = [i for i, t in enumerate(self.lane_free) if t <= at]
            lane = max(free, key=self.lane_free.__getitem__)
            self.lane_free[lane] = at + job.duration
        for resource, amount in uses:
            tracks = self.tracks[resource]
            free = sorted((i for i, t in enumerate(tracks) if t <= at), key=lambda i: -tracks[i])
            for i in free[:amount]:
                tracks[i] = at + job.duration
        self.start[job_id], self.end[job_id], self.phase[job_id] = at, at + job.duration, self.k
        self.placed.append(job_id)
        self.optional += job.optional
        self.finish = max(self.finish, at + job.duration)
        return True


def _topological(by_id: Mapping[str, Job], jobs: list[str], order: Mapping[str, int]) -> list[str]:
    """``jobs`` with prerequisites first, otherwise in ``order`` (a prerequisite not among
    them is someone else's concern)."""
    among = set(jobs)
    waiting = {j: sum(1 for p in by_id[j].predecessors if p in among) for j in jobs}
    after: dict[str, list[str]] = {}
    for j in jobs:
        for p in by_id[j].predecessors:
            if p in among:
                after.setdefault(p, []).append(j)
    ready = [(order[j], j) for j in jobs if waiting[j] == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        _, job_id = heapq.heappop(ready)
        out.append(job_id)
        for j in after.get(job_id, ()):
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, (order[j], j))
    return out
