"""The scheduling engine: hand-checked cases, infeasibility, properties, PSPLIB instances."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import PsplibError
from analysis.plan.jobs import Job, ScheduleProblem, choose_grid
from analysis.plan.psplib import instance_key, parse_bounds, parse_sm, read_sm
from analysis.plan.schedule_bounds import (
    assign_lanes,
    explain_infeasible,
    list_schedule,
    lower_bound,
    serial_sgs,
)
from analysis.plan.scheduling import solve_schedule

PSPLIB = Path(__file__).parent / "data" / "psplib"
#: Proven optima from j30opt.sm (see tests/data/psplib/SOURCE.txt).
OPTIMA = {"j301_1": 43, "j3010_5": 41, "j3037_4": 83, "j3046_8": 58, "j3029_9": 97}


def check_schedule(problem: ScheduleProblem, result) -> None:
    """Every rule of the problem holds in ``result``."""
    by_id = {job.id: job for job in problem.jobs}
    chosen = set(result.chosen)
    for job in problem.jobs:
        if not job.optional or job.forced:
            assert job.id in chosen, job.id
    for job_id in chosen:
        job = by_id[job_id]
        assert result.end[job_id] - result.start[job_id] == job.duration
        assert result.start[job_id] >= 0
        for pred in job.predecessors:
            assert pred in chosen and result.end[pred] <= result.start[job_id], (pred, job_id)
    if problem.horizon is not None:
        assert all(result.end[j] <= problem.horizon for j in chosen)
    if problem.cap is not None:
        assert sum(by_id[j].optional for j in chosen) <= problem.cap
    times = sorted({result.start[j] for j in chosen})
    for t in times:
        running = [j for j in chosen if result.start[j] <= t < result.end[j]]
        if problem.lanes:
            assert len(running) <= problem.lanes
            lanes = [result.lane[j] for j in running]
            assert len(lanes) == len(set(lanes)), "two jobs share a lane at once"
        for resource, capacity in problem.capacities.items():
            assert sum(by_id[j].demands.get(resource, 0) for j in running) <= capacity
    if problem.phases:
        windows = {}
        for job_id in chosen:
            phase = result.phase[job_id]
            if by_id[job_id].phase is not None:
                assert phase == by_id[job_id].phase
            low, high = windows.get(phase, (result.start[job_id], result.end[job_id]))
            windows[phase] = (min(low, result.start[job_id]), max(high, result.end[job_id]))
        previous_end = 0
        for phase in sorted(windows):
            low, high = windows[phase]
            assert low >= previous_end, "phases overlap"
            assert high - low <= problem.phases[phase], "a phase is longer than its box"
            previous_end = high


class TestHandChecked:
    def test_a_chain_and_lanes(self):
        jobs = (Job("A", 2), Job("B", 3, ("A",)), Job("C", 4), Job("D", 1, ("B", "C")))
        one = solve_schedule(ScheduleProblem(jobs, lanes=1))
        two = solve_schedule(ScheduleProblem(jobs, lanes=2))
        assert (one.status, one.makespan) == ("optimal", 10)
        assert (two.status, two.makespan) == ("optimal", 6)  # A-B beside C, then D
        check_schedule(ScheduleProblem(jobs, lanes=2), two)

    def test_a_resource_of_capacity_one_serialises_its_users(self):
        jobs = (*(Job(name, 2, demands={"dev": 1}) for name in "ABC"), Job("D", 2))
        problem = ScheduleProblem(jobs, capacities={"dev": 1}, lanes=4)
        result = solve_schedule(problem)
        assert result.makespan == 6
        check_schedule(problem, result)

    def test_phases_are_time_boxes_in_order(self):
        jobs = (
            Job("design", 2, early=True),
            Job("build", 3, ("design",)),
            Job("doc", 1, early=True),
        )
        problem = ScheduleProblem(jobs, lanes=1, phases=(3, 4))
        result = solve_schedule(problem)
        assert result.status == "optimal" and result.makespan == 6
        # Design and documentation go first; the build fills the second box.
        assert result.phase == {"design": 0, "doc": 0, "build": 1}
        check_schedule(problem, result)

    def test_optional_jobs_are_chosen_with_their_schedule(self):
        jobs = (
            Job("A", 4, optional=True, value=5),
            Job("B", 4, optional=True, value=4),
            Job("C", 4, optional=True, value=3),
        )
        one = solve_schedule(ScheduleProblem(jobs, lanes=1, horizon=8))
        two = solve_schedule(ScheduleProblem(jobs, lanes=2, horizon=8))
        assert (one.chosen, one.value) == (("A", "B"), 9)
        assert (two.chosen, two.value) == (("A", "B", "C"), 12)
        check_schedule(ScheduleProblem(jobs, lanes=2, horizon=8), two)

    def test_only_the_value_stage_with_nothing_optional(self):
        """The joint selection asks for the value stage only; with nothing optional it
        still returns a schedule (it once read a relaxed solution that did not exist)."""
        jobs = (Job("A", 2), Job("B", 3, ("A",)), Job("C", 4))
        problem = ScheduleProblem(jobs, lanes=2)
        result = solve_schedule(problem, stages="value")
        assert result.status == "optimal" and result.makespan == 5
        check_schedule(problem, result)
        dropped = (Job("A", 2, optional=True, value=1), Job("B", 3, optional=True, value=1))
        nothing_fits = solve_schedule(ScheduleProblem(dropped, lanes=2, horizon=1), stages="value")
        assert (nothing_fits.status, nothing_fits.chosen, nothing_fits.makespan) == (
            "optimal",
            (),
            0,
        )

    def test_a_cap_on_optional_jobs(self):
        jobs = tuple(Job(n, 1, optional=True, value=v) for n, v in (("A", 1), ("B", 3), ("C", 2)))
        result = solve_schedule(ScheduleProblem(jobs, lanes=3, cap=2))
        assert result.chosen == ("B", "C")

    def test_lower_bound(self):
        jobs = (Job("A", 3), Job("B", 3, ("A",)), Job("C", 5, demands={"r": 2}))
        assert lower_bound(ScheduleProblem(jobs, lanes=1)) == 11
        assert lower_bound(ScheduleProblem(jobs, capacities={"r": 1})) == 10

    def test_grid(self):
        assert choose_grid([7.5, 9, 60]) == 1.5
        assert choose_grid([7.5, 9.5]) == 0.5
        assert choose_grid([15, 45]) == 15
        assert choose_grid([1 / 7]) == pytest.approx(9 / 60)  # rounded up to whole seconds
        assert choose_grid([]) == 1.0


class TestInfeasible:
    def test_a_phase_that_overflows_says_by_how_much(self):
        jobs = (Job("A", 20, phase=0), Job("B", 20, phase=0), Job("C", 5, phase=1))
        problem = ScheduleProblem(jobs, lanes=1, phases=(30, 10), phase_names=("P1", "P2"))
        result = solve_schedule(problem)
        assert result.status == "infeasible"
        assert result.explanations == (
            "phase P1 overflows: 40 units of work on 1 lane(s) needs 40 units, its box is "
            "30 units (over by 10 units)",
            # and the boxes together hold 40 units for 45 of work:
            "45 units of work on 1 lane(s) needs 45 units, more than the 40 units available",
        )

    def test_a_dependency_planned_in_a_later_phase(self):
        jobs = (Job("A", 1, ("B",), phase=0), Job("B", 1, phase=1))
        reasons = explain_infeasible(ScheduleProblem(jobs, lanes=1, phases=(5, 5)))
        assert reasons == ["A is in phase #1 but needs B, which is in the later phase #2"]

    def test_a_chain_longer_than_the_time_left(self):
        jobs = (Job("A", 4), Job("B", 4, ("A",)), Job("C", 4, ("B",)))
        result = solve_schedule(ScheduleProblem(jobs, lanes=3, horizon=10))
        assert result.status == "infeasible"
        assert "the chain A -> B -> C needs 12 units, longer than the 10 units available" in (
            result.explanations
        )

    def test_too_much_work_for_the_lanes(self):
        jobs = tuple(Job(n, 4) for n in "ABC")
        reasons = explain_infeasible(ScheduleProblem(jobs, lanes=2, horizon=5))
        assert reasons == [
            "12 units of work on 2 lane(s) needs 6 units, more than the 5 units available"
        ]

    def test_infeasible_only_together(self):
        # Each phase alone has room; the resource and the phase boxes together do not.
        jobs = (Job("A", 3, demands={"r": 1}), Job("B", 3, demands={"r": 1}))
        result = solve_schedule(ScheduleProblem(jobs, capacities={"r": 1}, lanes=2, phases=(3, 2)))
        assert result.status == "infeasible"
        assert result.explanations and "together" in result.explanations[0]


class TestAssignLanes:
    @settings(deadline=None, max_examples=200)
    @given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 6)), min_size=1, max_size=25))
    def test_no_two_overlapping_jobs_share_a_lane(self, spans):
        start = {f"j{i}": s for i, (s, _) in enumerate(spans)}
        end = {f"j{i}": s + d for i, (s, d) in enumerate(spans)}
        lanes = assign_lanes(start, end, list(start))
        peak = max(sum(1 for j in start if start[j] <= t < end[j]) for t in range(0, 27))
        busy = [j for j in start if end[j] > start[j]]
        assert len({lanes[j] for j in busy}) <= max(peak, 1) if busy else True
        for a in busy:
            for b in busy:
                if a < b and start[a] < end[b] and start[b] < end[a]:
                    assert lanes[a] != lanes[b]


@st.composite
def problems(draw):
    n = draw(st.integers(1, 7))
    phases = draw(st.sampled_from([(), (6, 6), (4, 8, 4)]))
    jobs = []
    for i in range(n):
        preds = draw(st.lists(st.integers(0, i - 1), max_size=2, unique=True)) if i else []
        jobs.append(
            Job(
                id=f"J{i}",
                duration=draw(st.integers(0, 4)),
                predecessors=tuple(f"J{p}" for p in preds),
                demands={"r": draw(st.integers(0, 2))},
                early=draw(st.booleans()),
                optional=draw(st.booleans()),
                value=draw(st.integers(0, 5)),
            )
        )
    return ScheduleProblem(
        tuple(jobs),
        capacities={"r": 2},
        lanes=draw(st.sampled_from([None, 1, 2])),
        phases=phases,
        horizon=draw(st.sampled_from([None, 6, 12])),
        cap=draw(st.sampled_from([None, 2])),
    )


@settings(deadline=None, max_examples=120)
@given(problems())
def test_every_schedule_keeps_every_rule(problem):
    result = solve_schedule(problem)
    assert result.status in ("optimal", "feasible", "infeasible")
    if result.ok:
        check_schedule(problem, result)
    else:
        assert result.explanations


@settings(deadline=None, max_examples=150)
@given(problems(), st.randoms(use_true_random=False))
def test_a_list_schedule_keeps_every_rule(problem, rng):
    """The decomposition's list schedule (issue #15): whatever the order, what it places
    holds every rule, and a job is placed only with its predecessors."""
    problem = replace(problem, jobs=tuple(replace(j, optional=True) for j in problem.jobs))
    order = [job.id for job in problem.jobs]
    rng.shuffle(order)
    result = list_schedule(problem, order[: len(order) // 2 + 1], order[len(order) // 2 + 1 :])
    placed = set(result.chosen)
    check_schedule(problem, result)
    for job in problem.jobs:
        if job.id in placed:
            assert set(job.predecessors) <= placed


@settings(deadline=None, max_examples=80)
@given(problems())
def test_the_optimum_is_never_worse_than_the_heuristic(problem):
    plain = ScheduleProblem(
        tuple(Job(j.id, j.duration, j.predecessors, j.demands) for j in problem.jobs),
        capacities=problem.capacities,
        lanes=problem.lanes,
    )
    exact, heuristic = solve_schedule(plain), serial_sgs(plain)
    check_schedule(plain, heuristic)
    assert exact.status == "optimal"
    assert lower_bound(plain) <= exact.makespan <= heuristic.makespan


class TestPsplib:
    @pytest.mark.parametrize("name", sorted(OPTIMA))
    def test_engine_finds_the_proven_optimum(self, name):
        problem = read_sm(PSPLIB / f"{name}.sm")
        result = solve_schedule(problem)
        assert (result.status, result.makespan) == ("optimal", OPTIMA[name])
        check_schedule(problem, result)
        heuristic = serial_sgs(problem)
        check_schedule(problem, heuristic)
        assert heuristic.makespan >= OPTIMA[name]

    def test_parser_reads_the_instance(self):
        problem = read_sm(PSPLIB / "j301_1.sm")
        assert len(problem.jobs) == 32
        assert dict(problem.capacities) == {"R 1": 12, "R 2": 13, "R 3": 4, "R 4": 12}
        second = problem.jobs[1]
        assert (second.id, second.duration, second.predecessors) == ("2", 8, ("1",))
        assert problem.jobs[0].duration == problem.jobs[-1].duration == 0

    def test_bounds_by_column_position(self):
        j120 = "Par  Inst   UB   LB\n----\n 1     1   105  105\n 60   10   220  199\n"
        assert parse_bounds(j120) == {(1, 1): 105, (60, 10): 220}
        assert instance_key("j12060_10.sm") == (60, 10)

    def test_not_an_instance(self):
        with pytest.raises(PsplibError, match=r"not a PSPLIB \.sm file"):
            parse_sm("hello\n")
