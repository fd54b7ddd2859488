"""The scheduling engine on a public benchmark: PSPLIB single-mode RCPSP sets.

Runs the same CP-SAT engine that schedules plans (analysis.plan.scheduling) on
every instance of a set (or every k-th), with the engine's heuristic start and
the classic serial SGS (latest finish first) beside it, and optionally a plain
CP-SAT model given the same limits; then prints, per method: instances at the
best known value, mean and max % deviation from it, and the time.

    .venv/bin/python bench/psplib.py --set j30
    .venv/bin/python bench/psplib.py --set j120 --every 10 --plain \\
        --results /tmp/psplib-j120.jsonl

Sets are read from --root (../shared/bench/psplib): jNN/ and the best known
values jNNhrs.sm (j30: the proven optima j30opt.sm). A folder and a bounds file
can be given instead, as two arguments. Each instance gets one CP-SAT worker,
seed 0 and a deterministic limit (--deterministic-time, solver work units), so
every answer is the same on every run and machine; --time-limit is only a
wall-clock safety net (a run it cuts short is marked in the table).
DEFAULT_DTIME was calibrated to about 10 s of one core's CPU time per hard j120
instance on the 2-core machine of the README (see its performance section).

--results appends one JSON line per instance to a file and skips instances
already in it with the same settings: a long run (j60, 480 instances) can be
stopped and resumed, and the table is printed from the file. --workers runs
that many instances at once in separate processes (the answers do not
change; the times do, on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model

from analysis.model import SolverSettings
from analysis.plan.jobs import ScheduleProblem
from analysis.plan.psplib import instance_key, read_bounds, read_sm
from analysis.plan.schedule_bounds import serial_sgs
from analysis.plan.schedule_heuristics import heuristic_start
from analysis.plan.scheduling import solve_schedule

ROOT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "psplib"
#: Deterministic limit per instance: about 10 s of one core on a hard j120 instance.
DEFAULT_DTIME = 2.2


def plain_cpsat(problem: ScheduleProblem, settings: SolverSettings) -> tuple[int, str]:
    """A textbook CP-SAT model: intervals, precedences, a cumulative per resource.

    No hint, no bounds from the critical path, no redundant constraints; the
    same limits as the engine. Returns the makespan (-1 if none) and status.
    """
    model = cp_model.CpModel()
    horizon = sum(job.duration for job in problem.jobs)
    starts, ends, intervals = {}, {}, {}
    for job in problem.jobs:
        starts[job.id] = model.new_int_var(0, horizon, f"s{job.id}")
        ends[job.id] = model.new_int_var(0, horizon, f"e{job.id}")
        intervals[job.id] = model.new_interval_var(
            starts[job.id], job.duration, ends[job.id], job.id
        )
    for job in problem.jobs:
        for pred in job.predecessors:
            model.add(ends[pred] <= starts[job.id])
    for name, capacity in problem.capacities.items():
        users = [j for j in problem.jobs if j.demands.get(name, 0) and j.duration]
        model.add_cumulative(
            [intervals[j.id] for j in users], [j.demands[name] for j in users], capacity
        )
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, list(ends.values()))
    model.minimize(makespan)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = settings.seed
    solver.parameters.max_deterministic_time = settings.deterministic_time
    solver.parameters.max_time_in_seconds = settings.time_limit
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return int(solver.value(makespan)), "optimal" if status == cp_model.OPTIMAL else "feasible"
    return -1, solver.status_name(status).lower()


def run_one(job: tuple[str, float, float, bool]) -> dict[str, Any]:
    """One instance: the engine, its heuristic start, the serial SGS (and the plain model)."""
    path, dtime, time_limit, plain = job
    problem = read_sm(path)
    settings = SolverSettings(seed=0, workers=1, deterministic_time=dtime, time_limit=time_limit)
    record: dict[str, Any] = {"name": Path(path).name, "dtime": dtime, "plain": plain}
    record["sgs"] = serial_sgs(problem).makespan
    cpu, wall = time.process_time(), time.perf_counter()
    start = heuristic_start(problem)
    record["start"] = start.makespan if start is not None else -1
    record["start_cpu"] = round(time.process_time() - cpu, 3)
    cpu, wall = time.process_time(), time.perf_counter()
    result = solve_schedule(problem, settings)
    record["cpu"] = round(time.process_time() - cpu, 3)
    record["wall"] = round(time.perf_counter() - wall, 3)
    record["engine"] = result.makespan if result.makespan is not None else -1
    record["status"] = result.status
    record["bound"] = result.bound
    record["dtime_used"] = result.settings.get("deterministic_time_used")
    record["wall_clock_hit"] = record["wall"] >= time_limit * 0.98
    if plain:
        cpu, wall = time.process_time(), time.perf_counter()
        record["plain_makespan"], record["plain_status"] = plain_cpsat(problem, settings)
        record["plain_cpu"] = round(time.process_time() - cpu, 3)
        record["plain_wall"] = round(time.perf_counter() - wall, 3)
    return record


def _runs(jobs: list[tuple[str, float, float, bool]], workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1:
        yield from map(run_one, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(run_one, jobs)


def row(
    name: str, values: list[int], best: list[int], seconds: list[float] | None, what: str
) -> str:
    deviations = [100.0 * (v - b) / b for v, b in zip(values, best, strict=True)]
    at_best = sum(v == b for v, b in zip(values, best, strict=True))
    below = sum(v < b for v, b in zip(values, best, strict=True))
    text = (
        f"{name:<30}{at_best:>4}/{len(values):<4} at {what}"
        f"   deviation mean {statistics.fmean(deviations):6.2f} %  max {max(deviations):6.2f} %"
    )
    if seconds:
        text += f"   CPU mean {statistics.fmean(seconds):6.2f} s  max {max(seconds):6.2f} s"
    if below:
        text += f"   ({below} better than {what})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", help="folder of .sm instances")
    parser.add_argument("bounds", type=Path, nargs="?", help="bounds file (par, inst, makespan)")
    parser.add_argument("--set", dest="set_name", help="j30, j60 or j120 under --root")
    parser.add_argument("--root", type=Path, default=ROOT, help="folder holding the sets")
    parser.add_argument("--every", type=int, default=1, help="every k-th instance, in order")
    parser.add_argument("--offset", type=int, default=0, help="the first instance taken (0-based)")
    parser.add_argument("--limit", type=int, default=None, help="at most N instances")
    parser.add_argument(
        "--deterministic-time",
        type=float,
        default=DEFAULT_DTIME,
        help=f"solver work units per instance (default {DEFAULT_DTIME:g}: about 10 s)",
    )
    parser.add_argument(
        "--time-limit", type=float, default=120.0, help="wall-clock safety net per instance"
    )
    parser.add_argument("--workers", type=int, default=1, help="instances solved at once")
    parser.add_argument("--plain", action="store_true", help="also a plain CP-SAT model")
    parser.add_argument("--results", type=Path, help="JSON lines file to append to and resume")
    args = parser.parse_args()
    if args.set_name:
        folder = args.root / args.set_name
        bounds_file = args.root / (
            "j30opt.sm" if args.set_name == "j30" else f"{args.set_name}hrs.sm"
        )
    elif args.folder and args.bounds:
        folder, bounds_file = args.folder, args.bounds
    else:
        parser.error("give --set, or a folder and a bounds file")
    bounds = read_bounds(bounds_file)
    paths = sorted(folder.glob("*.sm"), key=instance_key)
    paths = [p for p in paths if instance_key(p) in bounds][args.offset :: args.every]
    paths = paths[: args.limit]
    if not paths:
        sys.exit(f"no instance of {folder} has a bound in {bounds_file}")
    done: dict[str, dict[str, Any]] = {}
    if args.results and args.results.exists():
        for line in args.results.read_text().splitlines():
            record = json.loads(line)
            if record["dtime"] == args.deterministic_time and (record["plain"] or not args.plain):
                done[record["name"]] = record
    todo = [
        (str(p), args.deterministic_time, args.time_limit, args.plain)
        for p in paths
        if p.name not in done
    ]
    started = time.perf_counter()
    sink = args.results.open("a") if args.results else None
    for count, record in enumerate(_runs(todo, args.workers), 1):
        done[record["name"]] = record
        if sink:
            sink.write(json.dumps(record) + "\n")
            sink.flush()
        print(
            f"[{count}/{len(todo)}] {record['name']}: engine {record['engine']} "
            f"({record['status']}, {record['cpu']:.1f} s CPU), start {record['start']}, "
            f"SGS {record['sgs']}, best known {bounds[instance_key(record['name'])]}",
            file=sys.stderr,
            flush=True,
        )
    wall = time.perf_counter() - started
    records = [done[p.name] for p in paths]
    best = [bounds[instance_key(p)] for p in paths]
    # j30opt.sm holds proven optima; the j60 and j120 files the best known values.
    what = "the optimum" if "opt" in bounds_file.name else "best known"
    sample = f", one in {args.every} from #{args.offset + 1}" if args.every > 1 else ""
    print(
        f"{len(paths)} instances of {folder.name}{sample}; deterministic limit "
        f"{args.deterministic_time:g} per instance, one CP-SAT worker, seed 0 "
        f"(wall-clock safety net {args.time_limit:g} s)"
    )
    engine = [r["engine"] for r in records]
    print(row("CP-SAT engine", engine, best, [r["cpu"] for r in records], what))
    print(
        row(
            "  its heuristic start",
            [r["start"] for r in records],
            best,
            [r["start_cpu"] for r in records],
            what,
        )
    )
    print(row("serial SGS (LFT priority)", [r["sgs"] for r in records], best, None, what))
    if args.plain:
        print(
            row(
                "plain CP-SAT model",
                [r["plain_makespan"] for r in records],
                best,
                [r["plain_cpu"] for r in records],
                what,
            )
        )
    proven = sum(r["status"] == "optimal" for r in records)
    cut = [r["name"] for r in records if r["wall_clock_hit"]]
    print(
        f"engine proven optimal: {proven}/{len(records)}; stopped by the wall-clock safety "
        f"net: {len(cut)}" + (f" ({', '.join(cut[:10])})" if cut else "")
    )
    print(
        f"engine time: CPU {sum(r['cpu'] for r in records):.0f} s in all, wall "
        f"{sum(r['wall'] for r in records):.0f} s; this run {wall:.0f} s "
        f"({len(todo)} solved, {len(records) - len(todo)} read from {args.results})"
    )


if __name__ == "__main__":
    main()
