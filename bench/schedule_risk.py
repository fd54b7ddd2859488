"""How fast schedule risk is simulated: 10,000 samples of a 1,000-task plan.

Builds a synthetic plan of N tasks (about two dependencies each, four lanes,
one shared resource, four phases), lays it out with the serial schedule
generation scheme, and times the seeded Monte Carlo of analysis.plan.risk over
it (PERT draws, dependencies, lanes, resource order, phase boundaries).

    .venv/bin/python bench/schedule_risk.py [--tasks 1000] [--samples 10000] [--repeat 3]

Target: 10,000 samples of a 1,000-task plan in under 2 s.
"""

from __future__ import annotations

import argparse
import random
import time

from analysis.model import Effort, Phase, RiskSettings
from analysis.plan.jobs import Job, ScheduleProblem
from analysis.plan.results import Slot, Timeline
from analysis.plan.risk import schedule_risk
from analysis.plan.schedule_bounds import serial_sgs


def synthetic_timeline(n: int, seed: int = 5) -> tuple[Timeline, dict[str, int]]:
    rng = random.Random(seed)
    jobs, estimates = [], {}
    for i in range(n):
        likely = rng.randint(1, 8)
        estimates[f"T{i}"] = Effort(likely * 0.6, likely, likely * rng.choice([1.2, 1.5, 2.0]))
        preds = rng.sample(range(max(0, i - 30), i), min(i, 2))
        jobs.append(
            Job(
                f"T{i}",
                likely,
                tuple(f"T{p}" for p in preds),
                demands={"dev": 1} if rng.random() < 0.2 else {},
            )
        )
    capacities = {"dev": 2}
    demands = {job.id: job.demands for job in jobs}
    problem = ScheduleProblem(tuple(jobs), capacities=capacities, lanes=4)
    schedule = serial_sgs(problem)
    quarter = schedule.makespan / 4
    phase_of = {j: min(3, int(schedule.start[j] // quarter)) for j in schedule.start}
    # Phases never go back along the start order.
    order = sorted(schedule.start, key=lambda j: (schedule.start[j], j))
    highest = 0
    for job in order:
        highest = max(highest, phase_of[job])
        phase_of[job] = highest
    slots = tuple(
        Slot(
            job=j,
            tasks=(j,),
            label=j,
            phase=f"P{phase_of[j] + 1}",
            lane=schedule.lane[j],
            start_hours=float(schedule.start[j]),
            end_hours=float(schedule.end[j]),
            estimate=estimates[j],
            uses=tuple(sorted(demands[j])),
        )
        for j in order
    )
    timeline = Timeline(
        status="feasible",
        slots=slots,
        makespan_hours=float(schedule.makespan),
        grid_minutes=60,
        lanes=4,
        phases=tuple(Phase(f"P{k + 1}", quarter * 1.1) for k in range(4)),
        phase_windows=(),
        budget_hours=schedule.makespan * 1.15,
        predecessors={job.id: job.predecessors for job in jobs},
    )
    return timeline, capacities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    timeline, capacities = synthetic_timeline(args.tasks)
    settings = RiskSettings(samples=args.samples, seed=0)
    times, risk = [], None
    for _ in range(args.repeat):
        started = time.perf_counter()
        risk = schedule_risk(timeline, settings, capacities)
        times.append(time.perf_counter() - started)
    best = min(times)
    print(
        f"{args.tasks} tasks x {args.samples} samples: best of {args.repeat} {best:.3f} s "
        f"({args.tasks * args.samples / best / 1e6:.1f} M task-draws/s); planned "
        f"{risk.planned:.0f} h, P50 {risk.p50:.1f}, P80 {risk.p80:.1f}, P95 {risk.p95:.1f}, "
        f"P(within budget) {risk.within_budget:.1%}"
    )
    print(
        f"target: 10,000 samples of a 1,000-task plan in < 2 s: {'met' if best < 2 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
