"""Every command end to end on large catalogs: wall time and peak memory, next to the solver's.

Runs the real commands as subprocesses, one after another, on seeded synthetic
catalogs (``bench/synthetic.py``: the same catalog for the same size and
seed) with a scenario of one lane and a budget of a fifth of all hours:

    assess audit C      assess graph C      assess plan C --scenario S
    assess report C --scenario S --out TMP --history TMP/h.sqlite

For each it prints the wall time, the peak memory of the command with every
process it starts (the report's kernel included: the resident set sizes of
the process tree added up, sampled every 50 ms) and of its largest process
(exact, from the kernel's accounting), and for the plan the solver's own time
(the "solved in" line of the table: the first CP-SAT solve, without the
re-solves that explain left-out tasks) with the ratio of wall to solver time,
so the time spent outside the solver stays visible. For the report: the
page's size, and its own work: its wall time less the floor and the
libraries' import time, both measured in the same run, in turn with the
report's runs, so that a machine slowed for a while slows all three (the
floor: a fresh interpreter running an empty notebook on the same kernel,
launched and run the way the report's is; the imports:
``bench/report_render.py``'s). With ``--repeat N`` each command runs N times
and its best run counts, as the floor's and the imports' do. The machine's
CPU pressure (Linux PSI: the share of time a task waited for a CPU) is
printed before and after: a busy neighbour shows there.

    .venv/bin/python bench/pipeline_scale.py [--sizes seed 1000 10000] [--seed 7]
        [--commands audit graph plan report] [--chain] [--keep DIR] [--repeat N]

``seed`` is the bundled catalog with its own limits (``seed-limits.yaml``).

Targets (issue #15, on a 2-core machine): on 10,000 tasks every command under
15 s and 1 GB (the report: the command and its kernel together), its page
under 15 MB; on 1,000 tasks audit, graph and plan under 3 s; the report's own
work at most 0.5 s for the seed and 2.5 s for 1,000 tasks.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil  # installed with ipykernel, which reports need
from report_render import LIBRARIES, byte_compile, empty_notebook  # bench/ is on sys.path
from synthetic import catalog_data, scenario_data, write_catalog, write_scenario

ROOT = Path(__file__).resolve().parent.parent
ASSESS = str(Path(sys.executable).with_name("assess"))
SEED = ROOT / "data" / "catalogs" / "cc03-ultra-marathon.yaml"
SEED_LIMITS = ROOT / "data" / "scenarios" / "seed-limits.yaml"
MB = 1024 * 1024


@dataclass
class Run:
    command: str
    wall: float
    cpu: float  # seconds of CPU, the command and the processes it waited for (its kernel)
    tree_peak: int  # bytes, the process tree's resident set sizes added up (sampled)
    process_peak: int  # bytes, the largest single process (from wait4)
    returncode: int
    stdout: str
    stderr: str


def measure(argv: list[str], cwd: Path, interval: float = 0.05) -> Run:
    """Run ``argv``; its wall time and peak memory (tree total sampled, and largest process)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        return _measure(argv, cwd, interval, out, err)


def _measure(argv: list[str], cwd: Path, interval: float, out: IO[bytes], err: IO[bytes]) -> Run:
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            parent = psutil.Process(process.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            total = 0
            try:
                for member in [parent, *parent.children(recursive=True)]:
                    try:
                        total += member.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
            except psutil.NoSuchProcess:
                break
            peak = max(peak, total)
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return Run(
        command=" ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv)),
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        tree_peak=peak,
        process_peak=usage.ru_maxrss * 1024,  # kilobytes on Linux
        returncode=process.returncode,
        stdout=out.read().decode("utf-8", "replace"),
        stderr=err.read().decode("utf-8", "replace"),
    )


#: The floor of a report command: a fresh interpreter runs an empty notebook as the report
#: does (its kernel launched first, the same way; the collector frozen at the end, as the
#: command does).
FLOOR = """
import gc, shutil, sys
from analysis.report.notebook import launch_report_kernel, run_notebook
kernel = launch_report_kernel()
try:
    run_notebook(sys.argv[1], None, {"report": True}, kernel=kernel)  # not saved, as the report's
finally:
    kernel.close()
    shutil.rmtree(kernel.folder, ignore_errors=True)
gc.freeze()
"""


@dataclass
class Baseline:
    """What every report costs before its own work: a seconds figure, wall and CPU."""

    wall: float
    cpu: float

    @staticmethod
    def best(pairs: list[tuple[Baseline, Baseline]]) -> tuple[Baseline, Baseline]:
        """The best floor and the best imports of several (floor, imports) pairs."""
        floors, imports = [f for f, _ in pairs], [i for _, i in pairs]
        return (
            Baseline(min(f.wall for f in floors), min(f.cpu for f in floors)),
            Baseline(min(i.wall for i in imports), min(i.cpu for i in imports)),
        )


def baseline(empty: Path, folder: Path) -> tuple[Baseline, Baseline]:
    """One floor run and one measure of the imports, one after the other."""
    # Run from the scratch folder, not the checkout: with PYTHONPATH set (another
    # checkout, for before/after figures) the floor runs that code, as the commands do.
    floor = measure([sys.executable, "-c", FLOOR, str(empty)], folder)
    imported = measure([sys.executable, "-c", LIBRARIES], ROOT)
    return Baseline(floor.wall, floor.cpu), Baseline(float(imported.stdout), imported.cpu)


def pressure() -> str:
    """The machine's CPU pressure (Linux PSI, share of time some task waited), if it says."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return ""
    fields = dict(part.split("=") for part in line.split()[1:])
    ten, sixty = fields.get("avg10", "?"), fields.get("avg60", "?")
    return f"; CPU pressure {ten} % (10 s), {sixty} % (60 s)"


def inputs(size: str, seed: int, chain: bool, folder: Path) -> tuple[Path, Path, str]:
    """The catalog and scenario files of one size, and how they were made."""
    if size == "seed":
        return SEED, SEED_LIMITS, "the bundled seed catalog, seed-limits.yaml"
    tasks = int(size)
    data = catalog_data(tasks, seed, chain=chain)
    catalog = write_catalog(data, folder / f"catalog-{tasks}.yaml")
    scenario = write_scenario(scenario_data(data), folder / f"scenario-{tasks}.yaml")
    how = f"bench/synthetic.py --tasks {tasks} --seed {seed}{' --chain' if chain else ''}"
    return catalog, scenario, how


def solver_seconds(table: str) -> float | None:
    found = re.search(r"solved in ([0-9.]+) s", table)
    return float(found.group(1)) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["seed", "1000", "10000"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--commands", nargs="+", default=["audit", "graph", "plan", "report"],
        choices=["audit", "graph", "plan", "report"],
    )  # fmt: skip
    parser.add_argument("--chain", action="store_true", help="one dependency chain through all")
    parser.add_argument("--keep", help="keep catalogs and outputs in this folder")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each command this often; the best counts"
    )
    args = parser.parse_args()
    byte_compile()  # as make does before it runs a command
    scratch = tempfile.TemporaryDirectory(prefix="pipeline-scale-")
    folder = Path(args.keep or scratch.name)
    folder.mkdir(parents=True, exist_ok=True)

    empty = empty_notebook(folder) if "report" in args.commands else None
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}{pressure()}")
    if load > cores:
        print(
            f"the machine is busy (load {load:.1f} on {cores} cores): wall times, and the "
            "verdicts on them, are not the command's own; CPU times are steadier"
        )
    header = (
        f"{'catalog':>7} {'command':<7} {'wall s':>7} {'cpu s':>6} {'peak MB':>8} {'max proc':>8} "
        f"{'solver s':>8} {'wall/solver':>11} {'page MB':>7} {'own s':>6} {'own cpu':>7}  target"
    )
    print(header)
    print("-" * len(header))
    failures = []
    for size in args.sizes:
        catalog, scenario, how = inputs(size, args.seed, args.chain, folder)
        print(f"# {size}: {how}")
        for command in args.commands:
            argv = [ASSESS, command, str(catalog)]
            out = folder / f"reports-{size}"
            if command in ("plan", "report"):
                argv += ["--scenario", str(scenario)]
            if command == "report":
                argv += ["--out", str(out), "--history", str(out / "h.sqlite")]
                argv += ["--week", "2026-W48"]
            runs, baselines = [], []
            for _ in range(args.repeat):
                if empty is not None and command == "report":
                    baselines.append(baseline(empty, folder))
                runs.append(measure(argv, ROOT))
            run = min(runs, key=lambda r: (r.returncode != 0, r.wall))  # the best, as the floor
            if run.returncode != 0:
                failures.append(f"{size} {command}: exit {run.returncode}: {run.stderr[-500:]}")
            solver = solver_seconds(run.stdout) if command == "plan" else None
            ratio = f"{run.wall / solver:.1f}x" if solver else ""
            page = own = own_cpu = None
            floor = imports = None
            if command == "report":
                pages = list(out.glob("*/*/weekly-report.html"))
                page = pages[0].stat().st_size / 1e6 if pages else None
                floor, imports = Baseline.best(baselines)
                own = run.wall - floor.wall - imports.wall
                own_cpu = run.cpu - floor.cpu - imports.cpu
            targets = []
            if size == "10000" or (size.isdigit() and int(size) > 1000):
                targets.append(("<15 s", run.wall < 15))
                peak = run.tree_peak if command == "report" else run.process_peak
                targets.append(("<1 GB", peak < 1024 * MB))
                if page is not None:
                    targets.append(("page <15 MB", page < 15))
            elif size == "1000" and command != "report":
                targets.append(("<3 s", run.wall < 3))
            if command == "report" and own is not None and size in ("seed", "1000"):
                limit = 0.5 if size == "seed" else 2.5
                targets.append((f"own <={limit} s", own <= limit))
            verdict = ", ".join(f"{t}: {'met' if ok else 'NOT met'}" for t, ok in targets)
            print(
                f"{size:>7} {command:<7} {run.wall:>7.2f} {run.cpu:>6.2f} "
                f"{run.tree_peak / MB:>8.0f} {run.process_peak / MB:>8.0f} "
                f"{'' if solver is None else f'{solver:.2f}':>8} "
                f"{ratio:>11} {'' if page is None else f'{page:.2f}':>7} "
                f"{'' if own is None else f'{own:.2f}':>6} "
                f"{'' if own_cpu is None else f'{own_cpu:.2f}':>7}  {verdict}",
                flush=True,
            )
            if floor is not None and imports is not None:
                print(
                    f"{'':>15} floor {floor.wall:.2f} s ({floor.cpu:.2f} s of CPU), imports "
                    f"{imports.wall:.2f} s ({imports.cpu:.2f} s of CPU): best of "
                    f"{len(baselines)} each, run in turn with the report's",
                    flush=True,
                )
    print(
        "\ncpu s: the command's CPU time with the processes it waited for (its kernel); "
        "peak MB: its process tree, resident sets added up (sampled every 50 ms); max proc: "
        "its largest process. The 1 GB target is on max proc, for the report on peak MB (the "
        "command and its kernel). Own work (own s, own cpu): the report's wall (CPU) time less "
        "the floor's (a fresh interpreter, an empty notebook, kernel python3) and the "
        "imports' (pandas, networkx, plotly, CP-SAT); the target is on wall time. "
        "Load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + pressure()
    )
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    scratch.cleanup()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
