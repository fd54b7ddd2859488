"""The engine's heuristic start: valid schedules, never worse than the serial SGS, repeatable."""

from __future__ import annotations

from dataclasses import replace
from unittest.mock import ANY

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.model import SolverSettings
from analysis.plan.jobs import Job, ScheduleProblem, ScheduleResult
from analysis.plan.psplib import read_sm
from analysis.plan.schedule_bounds import assign_lanes, lower_bound, serial_sgs
from analysis.plan.schedule_heuristics import heuristic_start, justified
from analysis.plan.scheduling import solve_schedule
from tests.test_scheduling import OPTIMA, PSPLIB, check_schedule, problems

#: What the heuristic start reaches on the test instances (optima: OPTIMA); three are optimal.
REACHED = {"j301_1": 43, "j3010_5": 41, "j3037_4": 83, "j3046_8": 59, "j3029_9": 108}


def _with_starts(problem: ScheduleProblem, start: dict[str, int]) -> ScheduleResult:
    end = {job.id: start[job.id] + job.duration for job in problem.jobs}
    return ScheduleResult(
        "feasible",
        makespan=max(end.values(), default=0),
        start=start,
        end=end,
        lane=assign_lanes(start, end, [job.id for job in problem.jobs]) if problem.lanes else {},
        chosen=tuple(job.id for job in problem.jobs),
    )


class TestOnPsplib:
    @pytest.mark.parametrize("name", sorted(OPTIMA))
    def test_a_valid_schedule_between_the_optimum_and_the_serial_sgs(self, name):
        problem = read_sm(PSPLIB / f"{name}.sm")
        result = heuristic_start(problem)
        assert result is not None
        assert set(result.chosen) == {job.id for job in problem.jobs}
        check_schedule(problem, result)  # precedences, and every resource at every start
        assert OPTIMA[name] <= result.makespan <= serial_sgs(problem).makespan
        assert result.makespan == max(result.end.values())
        assert result.makespan <= REACHED[name]

    def test_justification_shortens_the_serial_sgs_schedule(self):
        problem = read_sm(PSPLIB / "j3029_9.sm")
        sgs = serial_sgs(problem)
        better = _with_starts(problem, justified(problem, sgs.start))
        check_schedule(problem, better)
        assert OPTIMA["j3029_9"] <= better.makespan <= 114 < sgs.makespan == 120

    def test_an_optimal_schedule_is_returned_unchanged(self):
        problem = read_sm(PSPLIB / "j301_1.sm")
        optimal = solve_schedule(problem)
        assert optimal.status == "optimal"
        assert justified(problem, optimal.start) == dict(optimal.start)

    def test_the_engine_stopped_early_returns_a_valid_schedule(self):
        # A deterministic limit far too small to prove the optimum: the engine's best so far,
        # justified, still keeps every rule and is no longer than its heuristic start.
        problem = read_sm(PSPLIB / "j3029_9.sm")
        tiny = SolverSettings(seed=0, workers=1, deterministic_time=0.01)
        result = solve_schedule(problem, tiny)
        check_schedule(problem, result)
        assert result.status == "feasible"
        assert OPTIMA["j3029_9"] <= result.makespan <= REACHED["j3029_9"]

    def test_justification_and_sampling_gain_on_the_hardest(self):
        problem = read_sm(PSPLIB / "j3029_9.sm")  # the serial SGS ends at 120, the optimum 97
        assert serial_sgs(problem).makespan == 120
        rules = heuristic_start(problem, samples=0)  # four rules, each justified
        sampled = heuristic_start(problem)
        assert rules is not None and sampled is not None
        assert 97 <= sampled.makespan <= rules.makespan < 120

    def test_the_same_schedule_on_every_run(self):
        problem = read_sm(PSPLIB / "j3046_8.sm")
        first, second = heuristic_start(problem), heuristic_start(problem)
        assert first is not None and second is not None
        assert dict(first.start) == dict(second.start)
        other = heuristic_start(problem, seed=1)
        assert other is not None and other.makespan >= lower_bound(problem)


class TestHandChecked:
    def test_lanes_count_as_a_resource(self):
        jobs = (Job("A", 2), Job("B", 3, ("A",)), Job("C", 4), Job("D", 1, ("B", "C")))
        problem = ScheduleProblem(jobs, lanes=2)
        result = heuristic_start(problem)
        assert result is not None and result.makespan == 6
        check_schedule(problem, result)

    def test_interchangeable_jobs_start_in_the_order_listed(self):
        # B and C are the same job twice: the engine asks the first listed to start first.
        jobs = (
            Job("A", 3, demands={"r": 1}),
            Job("B", 2, demands={"r": 1}),
            Job("C", 2, demands={"r": 1}),
        )
        result = heuristic_start(ScheduleProblem(jobs, capacities={"r": 1}))
        assert result is not None and result.start["B"] <= result.start["C"]

    def test_no_schedule_when_a_job_needs_more_than_the_capacity(self):
        problem = ScheduleProblem((Job("A", 2, demands={"r": 3}),), capacities={"r": 2})
        assert heuristic_start(problem) is None

    def test_no_jobs(self):
        result = heuristic_start(ScheduleProblem(()))
        assert result is not None and result.makespan == 0


@settings(deadline=None, max_examples=150)
@given(problems())
def test_every_rule_holds_and_it_is_never_worse_than_the_serial_sgs(problem):
    # Phases, optional jobs and the horizon are the engine's: the heuristic schedules every job.
    plain = replace(problem, phases=(), horizon=None, cap=None)
    plain = replace(
        plain, jobs=tuple(Job(j.id, j.duration, j.predecessors, j.demands) for j in plain.jobs)
    )
    result = heuristic_start(plain)
    assert result is not None  # no demand exceeds its capacity in these problems
    check_schedule(plain, result)
    sgs = serial_sgs(plain)
    assert lower_bound(plain) <= result.makespan <= sgs.makespan
    assert heuristic_start(plain) == replace(result, solve_seconds=ANY)
    again = _with_starts(plain, justified(plain, sgs.start))
    check_schedule(plain, again)
    assert lower_bound(plain) <= again.makespan <= sgs.makespan


def _sgs_step_by_step(inst, key):
    """The serial SGS as it was first written: each window looked at step by step. The
    reference the faster one (whole windows at once) must agree with, start for start."""
    import heapq

    n = len(inst.ids)
    usage = [[0] * (sum(inst.duration) + 1) for _ in inst.capacity]
    waiting = [len(p) for p in inst.preds]
    eligible = [(key[i], i) for i in range(n) if not waiting[i]]
    heapq.heapify(eligible)
    start, finish = [0] * n, [0] * n
    while eligible:
        _, j = heapq.heappop(eligible)
        t = max((finish[p] for p in inst.preds[j]), default=0)
        d, needs = inst.duration[j], inst.demand[j]
        u = t
        while u < t + d:
            if any(usage[r][u] + amount > inst.capacity[r] for r, amount in needs):
                t = u + 1
            u += 1
        for r, amount in needs:
            for u in range(t, t + d):
                usage[r][u] += amount
        start[j], finish[j] = t, t + d
        for s in inst.succs[j]:
            waiting[s] -= 1
            if not waiting[s]:
                heapq.heappush(eligible, (key[s], s))
    return start


@settings(deadline=None, max_examples=150)
@given(problems(), st.randoms(use_true_random=False))
def test_the_serial_sgs_starts_each_job_where_a_step_by_step_search_does(problem, rng):
    from analysis.plan import schedule_heuristics

    plain = replace(problem, phases=(), horizon=None, cap=None)
    inst = schedule_heuristics._instance(plain)
    assert inst is not None
    for key in [[float(i) for i in range(len(inst.ids))], *schedule_heuristics._rules(inst)]:
        shuffled = [k + rng.random() for k in key]
        assert schedule_heuristics._sgs(inst, shuffled) == _sgs_step_by_step(inst, shuffled)


def test_the_serial_sgs_agrees_on_psplib():
    from analysis.plan import schedule_heuristics

    for name in OPTIMA:
        inst = schedule_heuristics._instance(read_sm(PSPLIB / f"{name}.sm"))
        for key in schedule_heuristics._rules(inst):
            assert schedule_heuristics._sgs(inst, key) == _sgs_step_by_step(inst, key), name
