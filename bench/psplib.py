"""The scheduling engine on a public benchmark: PSPLIB single-mode RCPSP sets.

Runs the same CP-SAT engine that schedules plans (analysis.plan.scheduling) on every
instance of a folder, and the serial schedule-generation scheme with
latest-finish-time priority beside it, then prints for each: instances at the
best known value, mean and max % deviation from it, mean and max time.

    .venv/bin/python bench/psplib.py ../shared/bench/psplib/j30 \\
        ../shared/bench/psplib/j30opt.sm --time-limit 60 --workers 2

--workers runs that many instances at once, in separate processes (each solve
uses one CP-SAT worker, which keeps every answer deterministic). --time-limit
is the wall-clock safety net per instance; the solver's deterministic limit is
set high enough not to bind first. Works unchanged on j60 and j120 (bounds
files with the columns Par, Inst, Makespan or UB/LB: read by position).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from analysis.model import SolverSettings
from analysis.plan.psplib import instance_key, read_bounds, read_sm
from analysis.plan.schedule_bounds import serial_sgs
from analysis.plan.scheduling import solve_schedule


def run_one(args: tuple[str, float]) -> tuple[str, int, str, float, int, float]:
    path, time_limit = args
    problem = read_sm(path)
    heuristic = serial_sgs(problem)
    settings = SolverSettings(
        seed=0, workers=1, deterministic_time=time_limit * 4, time_limit=time_limit
    )
    started = time.perf_counter()
    exact = solve_schedule(problem, settings)
    seconds = time.perf_counter() - started
    return (
        path,
        exact.makespan or -1,
        exact.status,
        seconds,
        heuristic.makespan,
        heuristic.solve_seconds,
    )


def summarise(
    name: str, values: dict[str, int], times: dict[str, float], best: dict[str, int]
) -> str:
    deviations = [100.0 * (values[p] - best[p]) / best[p] for p in values]
    at_best = sum(values[p] == best[p] for p in values)
    below = sum(values[p] < best[p] for p in values)
    text = (
        f"{name:<28}{at_best:>5}/{len(values)} at best known"
        f"   deviation mean {statistics.fmean(deviations):6.2f} %  max {max(deviations):6.2f} %"
        f"   time mean {statistics.fmean(times.values()):7.3f} s  max {max(times.values()):7.3f} s"
    )
    if below:
        text += f"   ({below} below the bound: better than best known)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of .sm instances")
    parser.add_argument("bounds", type=Path, help="bounds file (parameter, instance, makespan)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--workers", type=int, default=2, help="instances solved at once")
    parser.add_argument("--limit", type=int, default=None, help="only the first N instances")
    args = parser.parse_args()
    bounds = read_bounds(args.bounds)
    paths = sorted(args.folder.glob("*.sm"), key=instance_key)
    paths = [p for p in paths if instance_key(p) in bounds][: args.limit]
    if not paths:
        sys.exit(f"no instance of {args.folder} has a bound in {args.bounds}")
    best = {str(p): bounds[instance_key(p)] for p in paths}
    started = time.perf_counter()
    jobs = [(str(p), args.time_limit) for p in paths]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_one, jobs, chunksize=4))
    wall = time.perf_counter() - started
    exact = {r[0]: r[1] for r in results}
    exact_times = {r[0]: r[3] for r in results}
    sgs = {r[0]: r[4] for r in results}
    sgs_times = {r[0]: r[5] for r in results}
    unproven = [Path(r[0]).name for r in results if r[2] != "optimal"]
    print(
        f"{len(paths)} instances from {args.folder} ({args.workers} at a time, "
        f"time limit {args.time_limit:g} s each); wall time {wall:.1f} s"
    )
    print(summarise("CP-SAT engine", exact, exact_times, best))
    print(summarise("serial SGS (LFT priority)", sgs, sgs_times, best))
    print(
        f"proven optimal: {len(paths) - len(unproven)}/{len(paths)}"
        + (f"; not proven: {', '.join(unproven[:10])}" if unproven else "")
    )
    ratio = statistics.fmean(sgs.values()) / statistics.fmean(exact.values())
    print(f"mean makespan SGS / CP-SAT: {ratio:.3f}")


if __name__ == "__main__":
    main()
