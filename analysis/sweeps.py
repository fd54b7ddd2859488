"""Scenario sweeps: many what-ifs in one run, and the trade-off frontier they draw.

A sweep file names a base scenario and the parameters to vary, as lists or
ranges::

    name: seed-what-ifs
    base: seed-limits.yaml                  # relative to the sweep file
    vary:
      budget_hours: {from: 1, to: 4, step: 1}
      lanes: [1, 2]
      appetite: [LOW, MEDIUM]
      task_cap: [10, 30]
      effort_factor: [1.0, 1.3]             # every estimate 30 % longer
      capacity.dev-cluster: [1, 2]          # a resource's capacity
      mc_seeds: [1, 4]                      # Monte Carlo runs averaged (seeds 0..n-1)
    compare_with: [seed-plan.yaml]          # plans to place on the frontier

Every combination runs through the same selection and scheduling code as
``assess plan``; :func:`run_sweep` writes one table (CSV and Parquet) in a
stable order whichever way it ran: in this process, in local worker processes,
or on an existing Dask cluster. A combination that fails is recorded with its
error and the sweep goes on; finished combinations are appended to a
checkpoint as they come, so an interrupted sweep resumes where it stopped.

Examples
--------
>>> sweep = parse_sweep({"base": "seed-limits.yaml", "vary": {"lanes": [1, 2],
...     "budget_hours": {"from": 1, "to": 2, "step": 0.5}}})
>>> [(c["lanes"], c["budget_hours"]) for c in combinations(sweep)][:4]
[(1, 1.0), (1, 1.5), (1, 2.0), (2, 1.0)]
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError, InputError
from analysis.model import LEVELS
from analysis.paths import REPORTS_DIR, resolve
from analysis.records import (
    Located,
    Where,
    check_choice,
    check_mapping,
    check_name,
    check_number,
    check_record,
    check_text,
    check_whole,
    load_yaml_text,
    located,
    read_text,
)

__all__ = [
    "SweepError",
    "Sweep",
    "PARAMETERS",
    "MAX_COMBINATIONS",
    "parse_sweep",
    "read_sweep",
    "combinations",
    "combination_key",
    "run_combination",
    "SweepResult",
    "default_workers",
    "check_scheduler",
    "execute",
    "run_sweep",
    "AXES",
    "plans",
    "dominates",
    "pareto_frontier",
    "dominated_by",
    "parameters_of",
    "settings_text",
    "frontier_points",
    "Placement",
    "place",
    "read_sweep_result",
    "sweep_info",
    "latest_sweep",
]

#: What a sweep may vary (plus ``capacity.<resource>``).
PARAMETERS = ("budget_hours", "task_cap", "appetite", "lanes", "effort_factor", "mc_seeds")
#: Whole-number parameters and their least value, as in scenarios (``capacity.*``: 1).
_WHOLE = {"task_cap": 0, "lanes": 1, "mc_seeds": 1}
#: The most combinations a sweep may have. The seed's take about 0.2 s each on one core,
#: so this is hours of work; a larger grid is most likely a step too small, and would
#: be built in memory before anything runs.
MAX_COMBINATIONS = 100_000
COLUMNS = (
    "combination",
    "key",
    "status",
    "schedule",
    "value",
    "hours",
    "tasks",
    "units",
    *LEVELS,
    "risk_score",
    "finish_hours",
    "p80_hours",
    "p80_spread",
    "within_budget",
    "violations",
    "error",
)


class SweepError(InputError):
    """A sweep file that cannot be used."""

    kind = "sweep"


@dataclass(frozen=True)
class Sweep:
    """A base scenario and the values each parameter takes."""

    name: str
    base: Path
    vary: Mapping[str, tuple[Any, ...]]
    source: str | None = None
    compare_with: tuple[Path, ...] = ()


def _least_whole(key: str) -> int | None:
    """The least value of a whole-number parameter; None for the others."""
    return 1 if key.startswith("capacity.") else _WHOLE.get(key)


def _values(raw: Any, where: Where, key: str) -> tuple[Any, ...]:
    """The values of one axis, checked: a list, a ``{from, to, step}`` range or one value."""
    field = f"vary.{key}"
    if isinstance(raw, Mapping):
        check_record(
            raw,
            Where(where.source, record=f"vary.{key}", mapping=raw, error=SweepError),
            ("from", "to", "step"),
            ("from", "to"),
        )
        start = check_number(raw["from"], where, f"{field}.from", positive=False)
        stop = check_number(raw["to"], where, f"{field}.to", positive=False)
        step = check_number(raw.get("step", 1), where, f"{field}.step", positive=True)
        if stop < start:
            raise where.fail(f"'to' ({stop:g}) is below 'from' ({start:g})", field)
        span = (stop - start) / step  # counted before anything is built
        if not math.isfinite(span) or span + 1 > MAX_COMBINATIONS:
            if not math.isfinite(span):
                count = "too many"
            else:
                count = f"{math.floor(span) + 1:,}" if span < 1e15 else f"about {span:.1e}"
            raise where.fail(
                f"the range has {count} values, more than the {MAX_COMBINATIONS:,} "
                "combinations a sweep may have",
                field,
            )
        values = tuple(
            round(start + i * step, 9)
            for i in range(round(span) + 1)
            if start + i * step <= stop + 1e-9
        )
        if _least_whole(key) is not None:  # a range of whole numbers gives whole numbers
            values = tuple(int(v) if v.is_integer() else v for v in values)
    elif isinstance(raw, list):
        if not raw:
            raise where.fail("needs at least one value", field)
        values = tuple(raw)
    else:
        values = (raw,)
    seen: dict[Any, Any] = {}
    for value in values:
        _check_value(key, value, where)
        if value in seen:
            same = "" if repr(seen[value]) == repr(value) else f" ({seen[value]!r} and {value!r})"
            raise where.fail(f"the value {value!r} is given twice{same}", field)
        seen[value] = value
    return values


def _check_value(key: str, value: Any, where: Where) -> None:
    field = f"vary.{key}"
    least = _least_whole(key)
    if key == "appetite":
        check_choice(value, LEVELS, where, field)
    elif least is not None:
        check_whole(value, where, field, least)
    else:
        check_number(value, where, field, positive=key == "effort_factor")


def _check_size(vary: Mapping[str, Sequence[Any]], where: Where) -> int:
    """How many combinations ``vary`` makes; refused above :data:`MAX_COMBINATIONS`."""
    count = math.prod(len(values) for values in vary.values())
    if count > MAX_COMBINATIONS:
        sizes = " x ".join(f"{key} {len(values):,}" for key, values in vary.items())
        raise where.fail(
            f"{count:,} combinations ({sizes}), more than the {MAX_COMBINATIONS:,} a sweep "
            "may have: vary fewer values",
            "vary",
        )
    return count


def parse_sweep(
    data: Any, *, source: str = "<memory>", base_dir: Path | None = None, name: str | None = None
) -> Sweep:
    """A :class:`Sweep` from YAML-shaped data; ``base`` is resolved against ``base_dir``.

    Raises
    ------
    SweepError
        On an unknown key or parameter, a value of the wrong kind or given
        twice, an empty axis, or more than :data:`MAX_COMBINATIONS` combinations.
    """
    where = Where(source, record="sweep", mapping=data, error=SweepError)
    check_record(
        data, where, ("name", "base", "vary", "description", "compare_with"), ("base", "vary")
    )
    vary_raw = data["vary"]
    check_mapping(vary_raw, where, "vary")
    vary = {}
    for key, raw in vary_raw.items():
        # Errors about an axis name its own line.
        line = vary_raw.line_of(key) if isinstance(vary_raw, Located) else None
        axis = Where(source, record="sweep", mapping=located(line), error=SweepError)
        key = str(key)
        if key not in PARAMETERS and not key.startswith("capacity."):
            raise axis.fail(
                f"cannot vary '{key}' (vary {', '.join(PARAMETERS)} or capacity.<resource>)",
                f"vary.{key}",
            )
        vary[key] = _values(raw, axis, key)
    if not vary:
        raise where.fail("names nothing to vary", "vary")
    _check_size(vary, where)

    def path(raw: Any, field: str) -> Path:
        found = Path(check_text(raw, where, field))
        return base_dir / found if base_dir is not None and not found.is_absolute() else found

    others = data.get("compare_with", [])
    if not isinstance(others, list):
        raise where.fail("expected a list of scenario files", "compare_with")
    sweep_name = data.get("name", name) or "sweep"
    return Sweep(
        name=check_name(sweep_name, where, "name", from_file="name" not in data and bool(name)),
        base=path(data["base"], "base"),
        vary=vary,
        source=source,
        compare_with=tuple(path(raw, "compare_with") for raw in others),
    )


def read_sweep(path: str | os.PathLike) -> Sweep:
    """Read a sweep file (YAML); a relative path not found here is taken from the project.

    Raises
    ------
    SweepError
        As :func:`parse_sweep`, and when ``base`` or a ``compare_with`` file is missing.
    """
    path = resolve(path)
    data = load_yaml_text(read_text(path, error=SweepError), str(path), error=SweepError)
    if not isinstance(data, Located):
        raise SweepError("expected a mapping with 'base' and 'vary'", source=str(path))
    sweep = parse_sweep(data, source=str(path), base_dir=path.parent, name=path.stem)
    where = Where(str(path), record="sweep", mapping=data, error=SweepError)
    for field, files in (("base", [sweep.base]), ("compare_with", sweep.compare_with)):
        for file in files:  # said here: this file and line refer to them
            found = resolve(file)
            if not found.is_file():
                problem = "is a folder, not a file" if found.is_dir() else "no such file"
                raise where.fail(f"{problem}: {found}", field)
    return sweep


def combinations(sweep: Sweep) -> list[dict[str, Any]]:
    """Every combination of the varied values, in a stable order (the file's key order)."""
    keys = list(sweep.vary)
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(sweep.vary[k] for k in keys))
    ]


def combination_key(parameters: Mapping[str, Any]) -> str:
    """A short stable name for one combination (same parameters, same key)."""
    text = json.dumps(dict(sorted(parameters.items())), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- one combination


def _stamp(*paths: str | None) -> tuple:
    """When and how big each file is: part of the cache keys, so an edited file is read again."""
    stamps = []
    for path in paths:
        try:
            found = resolve(path).stat() if path else None
        except OSError:
            found = None
        stamps.append((found.st_mtime_ns, found.st_size) if found else None)
    return tuple(stamps)


@functools.lru_cache(maxsize=8)
def _inputs(
    catalog: str, rubric: str | None, rules: str | None, gates: str | None, stamp: tuple = ()
):
    """Inputs read once per process (workers run many combinations) while they are unchanged."""
    from analysis.catalog import read_catalog
    from analysis.gates import DEFAULT_GATES, read_gates
    from analysis.graph import DEFAULT_GRAPH_RULES, read_graph_rules
    from analysis.paths import DEFAULT_RUBRIC
    from analysis.scoring import read_rubric

    scoring = read_rubric(resolve(rubric or DEFAULT_RUBRIC))
    return (
        read_catalog(resolve(catalog), vocabulary=scoring.vocabulary),
        scoring,
        read_graph_rules(resolve(rules or DEFAULT_GRAPH_RULES)),
        read_gates(resolve(gates or DEFAULT_GATES)),
    )


@functools.lru_cache(maxsize=8)
def _base(path: str, stamp: tuple = ()):
    from analysis.scenarios import read_scenario

    return read_scenario(resolve(path))


def run_combination(job: Mapping[str, Any]) -> dict[str, Any]:
    """One row of a sweep's table; an error becomes a row too (status ``error``).

    ``job`` holds ``catalog``, ``base`` (scenario path), ``parameters``,
    ``combination`` (its index) and optionally ``rubric``, ``rules``, ``gates``.
    Plain data in, plain data out, so that any executor can run it.
    """
    from analysis.catalog import scale_efforts
    from analysis.scenarios import assess, vary
    from analysis.timeline import schedule_risk

    parameters = dict(job["parameters"])
    started = time.perf_counter()
    row: dict[str, Any] = {
        "combination": job["combination"],
        "key": combination_key(parameters),
        **parameters,
    }
    try:
        files = (job["catalog"], job.get("rubric"), job.get("rules"), job.get("gates"))
        catalog, scoring, graph_rules, gates = _inputs(*files, stamp=_stamp(*files))
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
        factor = parameters.get("effort_factor", 1.0)
        tasks = scale_efforts(catalog, factor) if factor != 1.0 else catalog
        result = assess(
            tasks, scenario, scoring, graph_rules, gates=gates, simulate=False, explain_limit=0
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
            row["finish_hours"] = round(timeline.makespan_hours, 6)
            runs = [
                schedule_risk(
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
                row["within_budget"] = round(sum(r.within_budget for r in runs) / len(runs), 6)
    except Exception as exc:  # recorded, and the sweep goes on
        row.update(status="error", error=f"{type(exc).__name__}: {exc}")
        if os.environ.get("ASSESS_SWEEP_TRACEBACK"):
            traceback.print_exc()
    row["seconds"] = round(time.perf_counter() - started, 3)  # the checkpoint's, not the table's
    return row


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its table and where it was written."""

    table: pd.DataFrame
    csv: Path
    parquet: Path
    ran: int
    resumed: int
    failed: int
    references: pd.DataFrame
    name: str = "sweep"


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


def check_scheduler(address: str) -> str:
    """``address`` if it reads as a Dask scheduler's address, such as ``tcp://HOST:8786``.

    Whether a scheduler answers there is found out when :func:`execute` connects.

    Raises
    ------
    InputError
        When it does not: no port, an unknown scheme, a port out of range.
    """
    from distributed.comm import get_address_host_port, parse_address
    from distributed.comm.registry import get_backend

    try:
        scheme, _ = parse_address(address)
        try:
            get_backend(scheme).get_connector()  # a scheme Dask knows and can connect by
        except (TypeError, ImportError) as exc:  # ucx: listed, but gone from Dask
            raise ValueError(f"Dask here cannot connect by {scheme}: {exc}") from exc
        if scheme in ("tcp", "tls", "ws", "wss"):
            _, port = get_address_host_port(address)
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is out of range")
    except ValueError as exc:
        raise InputError(
            f"{address!r} is not a Dask scheduler address such as tcp://HOST:8786 ({exc})",
            field="scheduler",
        ) from None
    return address


def execute(
    function: Callable[[dict[str, Any]], dict[str, Any]],
    jobs: Sequence[dict[str, Any]],
    workers: int,
    scheduler: str | None,
    done: Callable[[dict[str, Any]], None],
) -> None:
    """Run ``function`` on each job; ``done`` gets each result as it finishes.

    On the Dask cluster at ``scheduler``; else in ``workers`` local processes
    (spawned: a clean interpreter each); with one worker, in this process.
    ``function`` must be importable by name and turn its own errors into data.
    """
    if not jobs:
        return
    if scheduler:
        from distributed import Client, as_completed

        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: another's inproc://
            raise AnalysisError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        with client:
            futures = client.map(function, jobs, pure=False)
            for future in as_completed(futures):
                done(future.result())
        return
    if workers <= 1:
        for job in jobs:
            done(function(job))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(function, job) for job in jobs]
        for future in as_completed(futures):
            done(future.result())


def default_workers() -> int:
    """The processes a sweep uses when not told: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@functools.lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """The package's own code: an edited module changes answers as much as an edited input.

    (The version string alone stays the same in a working copy or an editable install.)
    """
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.digest()


def _fingerprint(paths: Iterable[Path]) -> str:
    """What a checkpoint's rows were computed from: the inputs' bytes and this package's code."""
    digest = hashlib.sha256(_code_digest())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def run_sweep(
    catalog: str | os.PathLike,
    sweep: Sweep,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike | None = None,
    progress: bool = False,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
) -> SweepResult:
    """Run every combination of a sweep and write its table; see the module docstring.

    ``workers`` local processes (default: one per core; 1 runs in this
    process), or the Dask cluster at ``scheduler``. ``out`` defaults to
    ``reports/<catalog>/sweeps/<sweep name>/``. Rows already in its checkpoint
    (``progress.jsonl``) and computed from the same inputs are not run again.

    Raises
    ------
    InputError
        (a subclass) when the catalog, the base scenario or the sweep is bad,
        the folder cannot be created or written in, or ``scheduler`` is not an
        address, before anything runs.
    """
    from analysis.gates import DEFAULT_GATES
    from analysis.graph import DEFAULT_GRAPH_RULES
    from analysis.paths import DEFAULT_RUBRIC
    from analysis.records import check_folder, write_text_atomic
    from analysis.scenarios import check_files

    if scheduler:
        check_scheduler(scheduler)
    _check_size(sweep.vary, Where(sweep.source or "<memory>", record="sweep", error=SweepError))
    catalog_path = resolve(catalog).resolve()
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
    folder = check_folder(Path(out) if out else REPORTS_DIR / tasks.name / "sweeps" / sweep.name)
    inputs = {
        "rubric": resolve(rubric or DEFAULT_RUBRIC).resolve(),
        "rules": resolve(rules or DEFAULT_GRAPH_RULES).resolve(),
        "gates": resolve(gates or DEFAULT_GATES).resolve(),
    }
    sources = [catalog_path, sweep.base.resolve(), *inputs.values()]
    fingerprint = _fingerprint(sources)
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

        bar = tqdm(
            total=len(keys), initial=resumed, unit="combination", file=sys.stderr, smoothing=0
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
    table = _table([rows[key] for key in keys], list(sweep.vary))
    csv_path, parquet_path = folder / "results.csv", folder / "results.parquet"
    write_text_atomic(csv_path, table.to_csv(index=False, lineterminator="\n"))
    about = {
        "name": sweep.name,
        "sweep": str(Path(sweep.source).resolve()) if sweep.source else None,
        "catalog": tasks.name,
        "inputs": [str(p) for p in sources],
        "fingerprint": fingerprint,
        "compare_with": [str(p.resolve()) for p in sweep.compare_with],
        "vary": {k: list(v) for k, v in sweep.vary.items()},
        "combinations": len(table),
        "failed": int((table["status"] == "error").sum()),
    }
    write_text_atomic(folder / ABOUT, json.dumps(about, ensure_ascii=False, indent=2) + "\n")
    temporary = parquet_path.with_name(".results.parquet.tmp")
    table.to_parquet(temporary, index=False)
    os.replace(temporary, parquet_path)
    write_text_atomic(folder / REFERENCES, references.to_csv(index=False, lineterminator="\n"))
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


REFERENCES = "references.csv"
ABOUT = "sweep.json"


def sweep_info(folder: str | os.PathLike) -> dict[str, Any]:
    """What a saved sweep records about itself, and ``current``: whether its inputs are unchanged.

    ``current`` is False when an input file changed or is gone since the sweep ran
    (rerun the sweep: unchanged combinations are not redone only if nothing changed).
    """
    path = Path(folder) / ABOUT
    if not path.exists():
        return {"name": Path(folder).name, "current": None}
    about = json.loads(path.read_text(encoding="utf-8"))
    try:
        current = _fingerprint(Path(p) for p in about["inputs"]) == about["fingerprint"]
    except OSError:
        current = False
    return {**about, "current": current}


def _references(catalog: str, sweep: Sweep, extra: Mapping[str, Any]) -> pd.DataFrame:
    """The plans a sweep is compared with, as rows like its own (computed here: they are few)."""
    rows = []
    for i, path in enumerate(sweep.compare_with):
        row = run_combination(
            {"catalog": catalog, "base": str(path), "parameters": {}, "combination": i, **extra}
        )
        rows.append({"reference": _base(str(path), _stamp(str(path))).name, **row})
    table = _table(rows, [])
    table.insert(0, "reference", pd.Series([r["reference"] for r in rows], dtype="string"))
    return table.drop(columns=["combination", "key"])


def _table(rows: Iterable[dict[str, Any]], parameters: list[str]) -> pd.DataFrame:
    columns = ["combination", "key", *parameters, *COLUMNS[2:]]
    table = pd.DataFrame(list(rows))
    for column in columns:
        if column not in table:
            table[column] = None
    table = table[columns].sort_values("combination", kind="stable").reset_index(drop=True)
    for column in (
        "value",
        "hours",
        "finish_hours",
        "p80_hours",
        "p80_spread",
        "within_budget",
        "risk_score",
    ):
        table[column] = pd.to_numeric(table[column], errors="coerce")
    for column in ("tasks", "units", *LEVELS, "violations"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    for column in ("status", "schedule", "error"):
        table[column] = table[column].astype("string")
    return table


# --------------------------------------------------------------------------- the frontier


#: The frontier's axes: more value, an earlier finish, less risk.
AXES = ("value", "finish_hours", "risk_score")


def plans(table: pd.DataFrame) -> pd.DataFrame:
    """Rows that are plans one could run: a selection, and a schedule that fits if one was asked."""
    usable = ~table["status"].isin(["error", "infeasible", "unknown"]).fillna(True)
    for axis in AXES:
        usable &= table[axis].notna()
    return table[usable]


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """``a`` is at least as good as ``b`` on every axis and better on one.

    >>> dominates((5, 2.0, 10), (5, 2.5, 10)), dominates((5, 2.0, 10), (6, 2.5, 1))
    (True, False)
    """
    value, finish, risk = a
    return (value >= b[0] and finish <= b[1] and risk <= b[2]) and (
        value > b[0] or finish < b[1] or risk < b[2]
    )


def _beating(values: np.ndarray, point: Sequence[float]) -> np.ndarray:
    """Which rows of ``values`` (value, finish, risk) dominate ``point``, as a mask."""
    value, finish, risk = point
    at_least = (values[:, 0] >= value) & (values[:, 1] <= finish) & (values[:, 2] <= risk)
    better = (values[:, 0] > value) | (values[:, 1] < finish) | (values[:, 2] < risk)
    return at_least & better


def pareto_frontier(table: pd.DataFrame) -> pd.DataFrame:
    """The rows no other row beats on value (more), finish (earlier) and risk (less) at once.

    Only plans one could run take part (see :func:`plans`); rows tied on
    all three axes are all kept. Sorted by value (highest first), then finish.

    >>> t = pd.DataFrame({"value": [5, 5, 3, 6], "finish_hours": [2, 3, 1, 4],
    ...                   "risk_score": [4, 4, 1, 9], "status": ["optimal"] * 4})
    >>> list(pareto_frontier(t).index)
    [3, 0, 2]
    """
    points = plans(table)
    values = points[list(AXES)].to_numpy(dtype=float)
    keep = [
        index
        for index, point in zip(points.index, values, strict=True)
        if not _beating(values, point).any()
    ]
    frontier = table.loc[keep]
    return frontier.sort_values(
        ["value", "finish_hours", "risk_score"], ascending=[False, True, True], kind="stable"
    )


def dominated_by(point: Mapping[str, Any], table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` that beat ``point`` (a mapping with the three axes).

    A point with no finish (its schedule does not fit) is compared at its
    hours of work: it cannot finish any earlier than that on one lane.
    """
    finish = point.get("finish_hours")
    if finish is None or pd.isna(finish):
        finish = point["hours"]
    mine = (float(point["value"]), float(finish), float(point["risk_score"]))
    points = plans(table)
    return table.loc[points.index[_beating(points[list(AXES)].to_numpy(dtype=float), mine)]]


def parameters_of(table: pd.DataFrame) -> list[str]:
    """The varied parameters: the columns between ``key`` and ``status``."""
    columns = list(table.columns)
    return columns[columns.index("key") + 1 : columns.index("status")]


def settings_text(row: Mapping[str, Any], parameters: Sequence[str]) -> str:
    """``budget_hours=4 lanes=2`` for one row.

    >>> settings_text({"budget_hours": 4.0, "lanes": 2}, ["budget_hours", "lanes"])
    'budget_hours=4 lanes=2'
    """
    return " ".join(
        f"{p}={row[p]:g}" if isinstance(row[p], float) else f"{p}={row[p]}" for p in parameters
    )


def frontier_points(table: pd.DataFrame) -> pd.DataFrame:
    """The frontier with one row per distinct point and how many combinations reach it.

    ``settings`` names the first combination that reaches the point; ``reached_by``
    counts them all.
    """
    frontier = pareto_frontier(table)
    parameters = parameters_of(table)
    rows = []
    for _, group in frontier.groupby(list(AXES), sort=False, dropna=False):
        first = group.sort_values("combination").iloc[0]
        rows.append(
            {
                **{c: first[c] for c in COLUMNS[2:] if c in first and c != "error"},
                "combination": int(first["combination"]),
                "settings": settings_text(first, parameters),
                "reached_by": len(group),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Placement:
    """Where a compared plan sits against a sweep's frontier."""

    name: str
    row: Mapping[str, Any]
    beaten_by: pd.DataFrame  # the sweep's rows that beat it on all three axes at once
    best: Mapping[str, Any] | None  # of those, the one with the most value (then earliest)

    @property
    def verdict(self) -> str:
        row = self.row
        finish = row.get("finish_hours")
        where = (
            f"value {row['value']:g}, finish {finish:g} h"
            if finish is not None and not pd.isna(finish)
            else f"value {row['value']:g}, {row['hours']:g} h of work (no schedule fits)"
        )
        where += (
            f", risk {row['risk_score']:g} ({row['HIGH']} HIGH), "
            f"{row['violations']} violation(s) of limits and gates"
        )
        if self.best is None:
            return f"{self.name}: {where}; no combination beats it on all three at once"
        best = self.best
        return (
            f"{self.name}: {where}; beaten by {len(self.beaten_by)} combination(s), e.g. "
            f"#{best['combination']} ({best['settings']}): value {best['value']:g}, "
            f"finish {best['finish_hours']:g} h, risk {best['risk_score']:g}"
        )


def place(references: pd.DataFrame, table: pd.DataFrame) -> list[Placement]:
    """Each compared plan against the sweep: which combinations beat it, and the best of them."""
    parameters = parameters_of(table)
    placements = []
    for _, row in references.iterrows():
        beaten = dominated_by(row, table).sort_values(
            ["value", "finish_hours", "risk_score", "combination"],
            ascending=[False, True, True, True],
        )
        best = None
        if len(beaten):
            first = beaten.iloc[0]
            best = {**first.to_dict(), "settings": settings_text(first, parameters)}
        placements.append(Placement(str(row["reference"]), row.to_dict(), beaten, best))
    return placements


def read_sweep_result(folder: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A saved sweep's table and the plans it was compared with (empty when none)."""
    folder = Path(folder)
    table = pd.read_parquet(folder / "results.parquet")
    references = folder / REFERENCES
    if references.exists() and references.stat().st_size:
        others = pd.read_csv(references, dtype={"reference": "string"})
    else:
        others = pd.DataFrame(columns=["reference", *COLUMNS[2:]])
    return table, others


def latest_sweep(catalog_name: str, reports: str | os.PathLike | None = None) -> Path | None:
    """The folder of a catalog's most recently written sweep, if any (ties: by name)."""
    folder = Path(reports or REPORTS_DIR) / catalog_name / "sweeps"
    tables = sorted(
        folder.glob("*/results.parquet"), key=lambda p: (p.stat().st_mtime_ns, p.parent.name)
    )
    return tables[-1].parent if tables else None
