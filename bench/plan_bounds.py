"""Whether every `assess plan` is bounded: the large cases of issue #15, as commands.

Each case writes a synthetic catalog and a scenario into a scratch folder
(``--generator synthetic``, the default: ``bench/synthetic.py``, seed 7, with
its duplicates, unknown facts and declared levels; ``--generator selection``:
``bench/selection_scale.py``'s simpler tasks, seed 11) and runs
``assess plan CATALOG --scenario S --format json --progress`` as a subprocess,
as a user would. It prints, per case: the wall time of the command, the
selection's status, objective, bound and gap, the greedy baseline's value
beside the plan's, the deterministic work used, how the plan was found
(exact model or decomposition), why the solver stopped, and the time of the
main solve, the explanations and the schedule (from the command's last
progress line on stderr; nothing about time is in the JSON, which stays the
same on every run).

    .venv/bin/python bench/plan_bounds.py [--cases lanes-1k budget-10k chain-5k]
        [--timeout 600] [--generator synthetic|selection] [--pythonpath OLD_CHECKOUT]

Cases (synthetic; the selection generator's in brackets):

- ``lanes-1k``: 1,000 tasks, two lanes, two phases, a cap of 300 units; a budget
  of a fifth of all hours split into the phases [no budget, two phases of a
  twentieth of all hours]. Target: a feasible plan with its gap in < 60 s.
- ``budget-10k``: 10,000 tasks on one lane with a budget of a fifth of all hours
  and a cap of 4,000 units, with explanations.
- ``chain-5k``: 5,000 tasks, each needing the one before, one lane, a budget of a
  fifth of all hours [all paper work, so that nothing blocks the chain].

``--pythonpath`` runs another checkout's code: for before/after
figures, ``git archive HEAD | tar -x -C /tmp/before`` and
``--pythonpath /tmp/before``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic
from selection_scale import synthetic_data

SEED = 11


def lanes_1k() -> tuple[dict, dict]:
    data, total = synthetic_data(1000, SEED)
    box = round(total / 20, 1)
    scenario = {
        "name": "lanes-1k",
        "appetite": "MEDIUM",
        "task_cap": 300,
        "lanes": 2,
        "phases": [{"name": "P1", "hours": box}, {"name": "P2", "hours": box}],
    }
    return data, scenario


def budget_10k() -> tuple[dict, dict]:
    data, total = synthetic_data(10_000, SEED)
    scenario = {
        "name": "budget-10k",
        "appetite": "MEDIUM",
        "budget_hours": round(total / 5, 2),
        "task_cap": 4000,
    }
    return data, scenario


def chain_5k() -> tuple[dict, dict]:
    data, _ = synthetic_data(5000, SEED)
    total = 0.0
    for i, task in enumerate(data["tasks"]):
        task["activity"] = ("design", "document", "template")[i % 3]
        task["environment"] = "none"
        task["depends_on"] = [data["tasks"][i - 1]["id"]] if i else []
        total += task["effort"]
    scenario = {"name": "chain-5k", "appetite": "MEDIUM", "budget_hours": round(total / 5, 2)}
    return data, scenario


CASES: dict[str, Callable[[], tuple[dict, dict]]] = {
    "lanes-1k": lanes_1k,
    "budget-10k": budget_10k,
    "chain-5k": chain_5k,
}


def synthetic_case(name: str) -> tuple[dict, dict]:
    """The case ``name`` on ``bench/synthetic.py``'s catalogs (seed 7)."""
    if name == "lanes-1k":
        data = synthetic.catalog_data(1000, seed=7)
        return data, synthetic.scenario_data(data, lanes=2, phases=2, cap=300, name=name)
    if name == "budget-10k":
        data = synthetic.catalog_data(10_000, seed=7)
        return data, synthetic.scenario_data(data, cap=4000, name=name)
    data = synthetic.catalog_data(5000, seed=7, chain=True)
    return data, synthetic.scenario_data(data, name=name)


def run(
    name: str, folder: Path, timeout: float, pythonpath: str | None, generator: str
) -> dict[str, Any]:
    data, scenario = CASES[name]() if generator == "selection" else synthetic_case(name)
    catalog = folder / f"{name}.yaml"
    catalog.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    scenario_file = folder / f"{name}.scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    command = [
        sys.executable,
        "-c",
        "from analysis.cli import main; main()",
        "plan",
        str(catalog),
        "--scenario",
        str(scenario_file),
        "--format",
        "json",
        "--progress",
    ]
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
        command.remove("--progress")  # an older checkout may not know it
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
            cwd=pythonpath,  # with -c the working folder comes first on sys.path
        )
    except subprocess.TimeoutExpired:
        return {"case": name, "wall": time.perf_counter() - started, "killed": True}
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        return {"case": name, "wall": wall, "error": done.stderr.strip().splitlines()[-1:]}
    plan = json.loads(done.stdout)
    summary = [line for line in done.stderr.splitlines() if "plan: done" in line]
    return {"case": name, "wall": wall, "plan": plan, "summary": summary[-1] if summary else ""}


def show(row: dict[str, Any]) -> None:
    name, wall = row["case"], row["wall"]
    if row.get("killed"):
        print(f"{name:<11} killed after {wall:.0f} s, nothing printed")
        return
    if "error" in row:
        print(f"{name:<11} failed after {wall:.1f} s: {row['error']}")
        return
    plan = row["plan"]
    solver = plan["solver"]
    greedy = plan["greedy"]["totals"]["value"] if plan.get("greedy") else None
    gap = "-" if plan["gap"] is None else f"{plan['gap']:.2%}"
    times = dict(re.findall(r"(main solve|explanations|schedule) ([\d.]+ s)", row["summary"]))
    print(
        f"{name:<11} wall {wall:6.1f} s  status {plan['status']:<10} "
        f"value {plan['totals']['value']:g} (greedy {greedy})  "
        f"bound {plan['bound']}  gap {gap}  tasks {plan['totals']['tasks']}  "
        f"deterministic {solver.get('deterministic_time_used')} of "
        f"{solver.get('deterministic_time')}"
    )
    print(
        f"{'':<11} method: {solver.get('method', 'exact model')}; "
        f"stopped: {solver.get('stopped', '-')}; " + ", ".join(f"{k} {v}" for k, v in times.items())
    )
    left = plan["excluded"]
    unexplained = sum(1 for item in left if "not explained" in item["reason"])
    if unexplained:
        print(f"{'':<11} {unexplained} left-out task(s) not explained (budget spent)")
    if name == "lanes-1k":
        met = plan["status"] in ("optimal", "feasible") and plan["gap"] is not None and wall < 60
        print(f"{'':<11} target: feasible with a gap in < 60 s: {'met' if met else 'NOT met'}")
    if greedy is not None and plan["totals"]["value"] < greedy:
        print(f"{'':<11} WORSE THAN GREEDY")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--pythonpath", help="run another checkout's code (PYTHONPATH)")
    parser.add_argument("--generator", choices=["synthetic", "selection"], default="synthetic")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.cases:
            show(run(name, Path(scratch), args.timeout, args.pythonpath, args.generator))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
