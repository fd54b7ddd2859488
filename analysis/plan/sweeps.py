"""Scenario sweeps: every combination of a sweep's what-ifs, run and saved.

Every combination runs through the same selection and scheduling code as
``assess plan``; :func:`run_sweep` writes one table (CSV and Parquet) in a
stable order whichever way it ran: in this process, in local worker
processes, or on an existing Dask cluster (:mod:`analysis.run.executors`). A
combination that fails is recorded with its error and the sweep goes on;
finished combinations are appended to a checkpoint as they come, so an
interrupted sweep resumes where it stopped. Rows computed from other inputs
or other code of this package are not reused. The saved sweep's files and
columns are :mod:`analysis.plan.sweep_results`.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
import traceback
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import SweepError
from analysis.files import check_folder, write_text_atomic
from analysis.inputs.bundle import read_inputs
from analysis.inputs.catalog_records import scale_efforts
from analysis.inputs.records import Where
from analysis.inputs.scenario import read_scenario
from analysis.inputs.sweep import Sweep, check_size, combination_key, combinations
from analysis.model import RiskSettings, Scenario
from analysis.plan.results import ScheduleRisk, Timeline
from analysis.plan.risk import schedule_risk
from analysis.plan.sweep_results import (
    ABOUT,
    REFERENCES,
    SweepResult,
    inputs_fingerprint,
    table_csv,
    table_of,
)
from analysis.resources import (
    DEFAULT_GATES,
    DEFAULT_GRAPH_RULES,
    DEFAULT_RUBRIC,
    REPORTS_DIR,
    shown_path,
)
from analysis.run.executors import check_scheduler, default_workers, execute
from analysis.vocabulary import LEVELS

__all__ = [
    "run_combination",
    "run_sweep",
]


def _stamp(*paths: str | None) -> tuple:
    """When and how big each file is: part of the cache keys, so an edited file is read again."""
    stamps = []
    for path in paths:
        try:
            found = Path(path).stat() if path else None
        except OSError:
            found = None
        stamps.append((found.st_mtime_ns, found.st_size) if found else None)
    return tuple(stamps)


@functools.lru_cache(maxsize=8)
def _inputs(
    catalog: str, rubric: str | None, rules: str | None, gates: str | None, stamp: tuple = ()
):
    """Inputs read once per process (workers run many combinations) while they are unchanged."""
    return read_inputs(catalog, rubric=rubric, rules=rules, gates=gates)


@functools.lru_cache(maxsize=8)
def _base(path: str, stamp: tuple = ()):
    return read_scenario(Path(path))


# What does not change between combinations is computed once per process and reused: the
# catalog with its efforts scaled, its audit (by effort factor), and the dependency graph
# (by effort factor, appetite, excludes and rules switched off). Each is a function of its
# key alone, so a row is the same whichever combinations ran before it in the process.


@functools.lru_cache(maxsize=16)
def _scaled(files: tuple, stamp: tuple, factor: float):
    catalog = _inputs(*files, stamp=stamp).catalog
    return scale_efforts(catalog, factor) if factor != 1.0 else catalog


@functools.lru_cache(maxsize=16)
def _audited(files: tuple, stamp: tuple, factor: float):
    from analysis.assess.audit import audit_catalog

    return audit_catalog(_scaled(files, stamp, factor), _inputs(*files, stamp=stamp).rubric)


@functools.lru_cache(maxsize=64)
def _graph(files: tuple, stamp: tuple, factor: float, key: tuple):
    from analysis.plan.scenarios import graph_facts

    appetite, exclude, rules_off, source = key
    scenario = Scenario(
        name="graph", appetite=appetite, exclude=exclude, rules_off=rules_off, source=source
    )
    inputs = _inputs(*files, stamp=stamp)
    return graph_facts(
        _scaled(files, stamp, factor), _audited(files, stamp, factor), inputs.graph_rules, scenario
    )


class _Recent(OrderedDict):
    """A dict that keeps its ``size`` most recently used entries (a process's reuse cache)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


#: Schedules and their Monte Carlo risk, kept by what decides them (see ``run_combination``).
_SCHEDULES: _Recent = _Recent(512)
_RISKS: _Recent = _Recent(512)


def _risk(timeline: Timeline, settings: RiskSettings, capacities: dict[str, int]) -> ScheduleRisk:
    """:func:`schedule_risk`, kept by everything it reads (a seeded simulation)."""
    key = (
        timeline.slots,
        timeline.makespan_hours,
        timeline.grid_minutes,
        timeline.lanes,
        timeline.phases,
        timeline.phase_windows,
        timeline.budget_hours,
        tuple(sorted(timeline.predecessors.items())),
        settings,
        tuple(sorted(capacities.items())),
    )
    found = _RISKS.get(key)
    if found is None:
        found = _RISKS[key] = schedule_risk(timeline, settings, capacities)
    return found


def run_combination(job: Mapping[str, Any]) -> dict[str, Any]:
    """One row of a sweep's table; an error becomes a row too (status ``error``).

    ``job`` holds ``catalog``, ``base`` (scenario path), ``parameters``,
    ``combination`` (its index) and optionally ``rubric``, ``rules``, ``gates``.
    Plain data in, plain data out, so that any executor can run it.

    What does not change between combinations is reused within a process: the
    inputs, the catalog with its efforts scaled, its audit, the dependency
    graph, and schedules and their risk by everything that decides them. Each
    is a function of its key alone, and the solver's hints come from the
    greedy plan of the combination itself, never from one run before it, so
    a row is the same whichever worker runs it and whatever ran there first.
    """
    from analysis.plan.scenarios import assess, vary

    parameters = dict(job["parameters"])
    started = time.perf_counter()
    row: dict[str, Any] = {
        "combination": job["combination"],
        "key": combination_key(parameters),
        **parameters,
    }
    try:
        files = (job["catalog"], job.get("rubric"), job.get("rules"), job.get("gates"))
        stamp = _stamp(*files)
        inputs = _inputs(*files, stamp=stamp)
        scenario = _base(job["base"], _stamp(job["base"]))
        changes = {
            k: parameters[k]
            for k in ("budget_hours", "task_cap", "appetite", "lanes")
            if k in parameters
        }
        capacities = {
            k.removeprefix("capacity."): v
            for k, v in parameters.items()
            if k.startswith("capacity.")
        }
        if capacities:
            changes["resources"] = tuple(
                replace(r, capacity=capacities.get(r.name, r.capacity)) for r in scenario.resources
            )
        scenario = vary(scenario, **changes)
        factor = float(parameters.get("effort_factor", 1.0))
        tasks = _scaled(files, stamp, factor)
        result = assess(
            tasks,
            scenario,
            inputs.rubric,
            inputs.graph_rules,
            gates=inputs.gates,
            simulate=False,
            explain_limit=0,
            audit=_audited(files, stamp, factor),
            facts=_graph(files, stamp, factor, _graph_key(scenario)),
            schedules=_SCHEDULES,
        )
        selection, timeline = result.selection, result.timeline
        totals = selection.totals
        row.update(
            status=selection.status,
            value=totals.value,
            hours=round(totals.hours, 6),
            tasks=totals.tasks,
            units=totals.units,
            **{level: totals.risk.get(level, 0) for level in LEVELS},
            risk_score=sum(result.audit.scores[t].score for t in selection.selected),
            violations=len(selection.violations),
        )
        row["schedule"] = "none asked" if timeline is None else timeline.status
        if timeline is None:  # one lane, no boxes, no resources: the work back to back
            row["finish_hours"] = row["hours"]
        elif timeline.ok:
            assert timeline.makespan_hours is not None  # a schedule that fits has a finish
            row["finish_hours"] = round(timeline.makespan_hours, 6)
            runs = [
                _risk(
                    timeline,
                    replace(scenario.risk, seed=seed),
                    {r.name: r.capacity for r in scenario.resources},
                )
                for seed in range(int(parameters.get("mc_seeds", 1)))
            ]
            p80 = [r.p80 for r in runs]
            row["p80_hours"] = round(sum(p80) / len(p80), 6)
            row["p80_spread"] = round(max(p80) - min(p80), 6)
            if runs[0].within_budget is not None:
                # Every run has it then: one timeline, one budget.
                within = [r.within_budget for r in runs if r.within_budget is not None]
                row["within_budget"] = round(sum(within) / len(runs), 6)
    except Exception as exc:  # recorded, and the sweep goes on
        row.update(status="error", error=f"{type(exc).__name__}: {exc}")
        if os.environ.get("ASSESS_SWEEP_TRACEBACK"):
            traceback.print_exc()
    row["seconds"] = round(time.perf_counter() - started, 3)  # the checkpoint's, not the table's
    return row


def _graph_key(scenario: Scenario) -> tuple:
    """The scenario as far as the graph depends on it (appetite, excludes, rules off)."""
    return (scenario.appetite, scenario.exclude, scenario.rules_off, scenario.source)


def _jobs(catalog: str, sweep: Sweep, extra: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "catalog": catalog,
            "base": str(sweep.base),
            "parameters": params,
            "combination": i,
            **extra,
        }
        for i, params in enumerate(combinations(sweep))
    ]


def run_sweep(
    catalog: str | os.PathLike,
    sweep: Sweep,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike | None = None,
    reports: str | os.PathLike | None = None,
    progress: bool = False,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
) -> SweepResult:
    """Run every combination of a sweep and write its table; see the module docstring.

    ``workers`` local processes (default: one per core; 1 runs in this
    process), or the Dask cluster at ``scheduler``. ``out`` defaults to
    ``<reports>/<catalog>/sweeps/<sweep name>/``, where ``reports`` defaults to
    ``reports/`` in the working folder. Rows already in its checkpoint
    (``progress.jsonl``) and computed from the same inputs are not run again.

    Raises
    ------
    InputError
        (a subclass) when the catalog, the base scenario or the sweep is bad,
        the folder cannot be created or written in, or ``scheduler`` is not an
        address, before anything runs.
    """
    from analysis.plan.scenarios import check_files

    if scheduler:
        check_scheduler(scheduler)
    check_size(sweep.vary, Where(sweep.source or "<memory>", record="sweep", error=SweepError))
    catalog_path = Path(catalog).resolve()
    tasks, (base, *_) = check_files(
        catalog_path, [sweep.base, *sweep.compare_with], rubric=rubric, rules=rules, gates=gates
    )
    resources = {r.name for r in base.resources}
    for key in sweep.vary:
        name = key.removeprefix("capacity.")
        if key.startswith("capacity.") and name not in resources:
            raise SweepError(
                f"the base scenario {sweep.base.name} has no resource '{name}' "
                f"(it has {', '.join(sorted(resources)) or 'none'})",
                source=sweep.source,
                field=f"vary.{key}",
            )
    folder = check_folder(
        Path(out) if out else Path(reports or REPORTS_DIR) / tasks.name / "sweeps" / sweep.name
    )
    inputs = {
        "rubric": Path(rubric or DEFAULT_RUBRIC).resolve(),
        "rules": Path(rules or DEFAULT_GRAPH_RULES).resolve(),
        "gates": Path(gates or DEFAULT_GATES).resolve(),
    }
    sources = [catalog_path, sweep.base.resolve(), *inputs.values()]
    fingerprint = inputs_fingerprint(sources)
    files = {k: str(v) for k, v in inputs.items()}
    jobs = _jobs(str(catalog_path), sweep, files)
    keys = {combination_key(job["parameters"]): job for job in jobs}
    if len(keys) < len(jobs):  # numbered 0..n-1 only when no two are the same
        raise SweepError(
            "two combinations are the same: an axis gives a value twice",
            source=sweep.source,
            record="sweep",
            field="vary",
        )
    references = _references(str(catalog_path), sweep, files)
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint = folder / "progress.jsonl"
    finished: dict[str, dict[str, Any]] = {}
    if checkpoint.exists():
        for line in checkpoint.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interruption
            if row.get("inputs") == fingerprint and row.get("status") != "error":
                finished[row["key"]] = row
    todo = [job for key, job in keys.items() if key not in finished]
    resumed = len(keys) - len(todo)
    rows = {key: finished[key] for key in keys if key in finished}
    bar = None
    if progress:
        from tqdm import tqdm

        # One bar, on a terminal only (a log would get every redraw on one line).
        bar = tqdm(
            total=len(keys),
            initial=resumed,
            unit="combination",
            file=sys.stderr,
            smoothing=0,
            disable=None,
            dynamic_ncols=True,
        )
    with checkpoint.open("a", encoding="utf-8") as log:
        if checkpoint.stat().st_size and not checkpoint.read_bytes().endswith(b"\n"):
            log.write("\n")  # end the line an interruption cut short

        def done(row: dict[str, Any]) -> None:
            row["inputs"] = fingerprint
            rows[row["key"]] = row
            log.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            log.flush()
            if bar is not None:
                bar.update(1)

        try:
            execute(
                run_combination,
                todo,
                default_workers() if workers is None else workers,
                scheduler,
                done,
            )
        finally:
            if bar is not None:
                bar.close()
    for key, job in keys.items():  # the combination index follows the current file
        rows[key]["combination"] = job["combination"]
    table = table_of([rows[key] for key in keys], list(sweep.vary))
    csv_path, parquet_path = folder / "results.csv", folder / "results.parquet"
    write_text_atomic(csv_path, table_csv(table))
    about = {
        "name": sweep.name,
        "sweep": shown_path(sweep.source),
        "catalog": tasks.name,
        "inputs": [shown_path(p) for p in sources],
        "fingerprint": fingerprint,
        "compare_with": [shown_path(p) for p in sweep.compare_with],
        "vary": {k: list(v) for k, v in sweep.vary.items()},
        "combinations": len(table),
        "failed": int((table["status"] == "error").sum()),
    }
    write_text_atomic(folder / ABOUT, json.dumps(about, ensure_ascii=False, indent=2) + "\n")
    temporary = parquet_path.with_name(f".results.parquet.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    table.to_parquet(temporary, index=False)
    os.replace(temporary, parquet_path)
    write_text_atomic(folder / REFERENCES, table_csv(references))
    return SweepResult(
        table=table,
        csv=csv_path,
        parquet=parquet_path,
        ran=len(todo),
        resumed=resumed,
        failed=int((table["status"] == "error").sum()),
        references=references,
        name=sweep.name,
    )


def _references(catalog: str, sweep: Sweep, extra: Mapping[str, Any]) -> pd.DataFrame:
    """The plans a sweep is compared with, as rows like its own (computed here: they are few)."""
    rows = []
    for i, path in enumerate(sweep.compare_with):
        row = run_combination(
            {"catalog": catalog, "base": str(path), "parameters": {}, "combination": i, **extra}
        )
        rows.append({"reference": _base(str(path), _stamp(str(path))).name, **row})
    table = table_of(rows, [])
    table.insert(0, "reference", pd.Series([r["reference"] for r in rows], dtype="string"))
    return table.drop(columns=["combination", "key"])
