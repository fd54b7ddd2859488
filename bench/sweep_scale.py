"""How fast a sweep runs: the seed what-ifs serially and with local workers.

Runs the bundled sweep (data/sweeps/seed-what-ifs.yaml: 200 combinations of
budget, lanes, appetite and an estimate multiplier on the seed catalog) from
scratch, first in this process and then with ``--workers`` local processes,
each into a fresh folder (no checkpoint to resume from). Prints combinations
per second for both, the time per what-if (mean and median), the CPU time
used (this process for the serial run; all processes for the other: on a busy
machine the wall clock says more about the neighbours than about the sweep),
the speed-up, the slowest combinations, and whether the two tables are
identical.

    .venv/bin/python bench/sweep_scale.py [--workers 2] [--sweep FILE] [--catalog FILE]

Target (issue #15): 200 combinations in under 10 s with 2 workers (2-core
machine), the same table serially and in parallel.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from analysis.inputs.sweep import read_sweep
from analysis.plan.sweeps import run_sweep

#: The bundled example data of the checkout this script is in.
DATA = Path(__file__).resolve().parent.parent / "data"


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def timed(catalog: Path, sweep, workers: int, folder: Path):
    started = time.perf_counter()
    own, children = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    result = run_sweep(catalog, sweep, workers=workers, out=folder)
    used = cpu(resource.RUSAGE_SELF) - own + cpu(resource.RUSAGE_CHILDREN) - children
    return result, time.perf_counter() - started, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sweep", type=Path, default=DATA / "sweeps" / "seed-what-ifs.yaml")
    parser.add_argument(
        "--catalog", type=Path, default=DATA / "catalogs" / "cc03-ultra-marathon.yaml"
    )
    args = parser.parse_args()
    sweep = read_sweep(args.sweep)
    with tempfile.TemporaryDirectory() as scratch:
        serial, serial_s, serial_cpu = timed(args.catalog, sweep, 1, Path(scratch) / "serial")
        parallel, parallel_s, parallel_cpu = timed(
            args.catalog, sweep, args.workers, Path(scratch) / "parallel"
        )
        log = (Path(scratch) / "serial" / "progress.jsonl").read_text(encoding="utf-8")
        seconds = sorted(
            ((row["seconds"], row["combination"]) for row in map(json.loads, log.splitlines())),
            reverse=True,
        )
    n = len(serial.table)
    print(f"sweep {sweep.name}: {n} combinations of {', '.join(sweep.vary)}")
    print(
        f"serial:             {serial_s:6.1f} s  {n / serial_s:6.2f} combinations/s  "
        f"(CPU {serial_cpu:.1f} s)"
    )
    label = f"{args.workers} workers:"
    print(
        f"{label:20s}{parallel_s:6.1f} s  {n / parallel_s:6.2f} combinations/s  "
        f"(CPU {parallel_cpu:.1f} s, all processes)"
    )
    print(f"speed-up:           {serial_s / parallel_s:6.2f}x")
    total = sum(s for s, _ in seconds)
    top = seconds[:5]
    print(
        "slowest combinations (serial): "
        + ", ".join(f"#{c} {s:.1f} s" for s, c in top)
        + f" ({sum(s for s, _ in top) / total:.0%} of all solve time)"
    )
    each = [s for s, _ in seconds]
    print(
        f"per what-if:        {serial_s / n * 1000:6.0f} ms mean (serial), "
        f"median {statistics.median(each) * 1000:.0f} ms, max {max(each) * 1000:.0f} ms"
    )
    identical = serial.table.equals(parallel.table)
    print(f"tables identical:   {'yes' if identical else 'NO'}")
    print(f"failed:             {serial.failed} serial, {parallel.failed} parallel")
    verdict = "met" if n >= 200 and parallel_s < 10 and identical else "NOT met"
    print(f"target (200 combinations < 10 s with {args.workers} workers, same table): {verdict}")


if __name__ == "__main__":
    main()
