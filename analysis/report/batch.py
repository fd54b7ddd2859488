"""Batch reports: one weekly report per catalog in a folder, and an index page.

:func:`render_reports` renders every catalog's report through the same
executors as sweeps: local worker processes (the default),
this process alone, or an existing Dask cluster. Each worker keeps one
``python3`` kernel running for all the reports it renders
(:class:`analysis.report.notebook.WarmKernel`), so kernel start-up and the
notebook's imports are paid once per worker, not once per report. A catalog
that is bad input, or whose report fails, is listed on the index page with
its one-line error and does not stop the others; no earlier report is
overwritten by a failed one. A catalog named like an earlier one (file name
order) is bad input too: its report would overwrite the earlier one's.
Scenario files beside the catalogs are not catalogs (:func:`find_catalogs`).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from analysis.errors import AnalysisError, CatalogError, InputError
from analysis.files import check_folder, write_text_atomic
from analysis.inputs.catalog import CATALOG_SUFFIXES, read_catalog
from analysis.inputs.gate_rules import read_gates
from analysis.inputs.graph_rules import read_graph_rules
from analysis.inputs.rubric import read_rubric
from analysis.report.history import check_history, check_week, iso_week
from analysis.resources import (
    DEFAULT_GATES,
    DEFAULT_GRAPH_RULES,
    DEFAULT_RUBRIC,
    REPORTS_DIR,
    TEMPLATES,
)
from analysis.vocabulary import DEFAULT_VOCABULARY, LEVELS, Vocabulary

__all__ = [
    "SCENARIO_SUFFIXES",
    "find_catalogs",
    "render_job",
    "BatchResult",
    "render_reports",
    "index_page",
]


#: File name endings of scenarios, which a folder of catalogs may hold beside them.
SCENARIO_SUFFIXES = (".scenario.yaml", ".scenario.yml")


def find_catalogs(
    folder: str | os.PathLike, vocabulary: Vocabulary = DEFAULT_VOCABULARY
) -> list[Path]:
    """The catalog files of a folder (not its subfolders), in name order.

    A scenario is never taken for a catalog: files named ``*.scenario.yaml``
    (or ``.yml``) are left out, and so is every file a catalog of the folder
    names in its ``scenarios`` (read with ``vocabulary``, the rubric's; a
    catalog that cannot be read names none, and its report says why).

    Raises
    ------
    InputError
        When the folder does not exist or holds no catalog.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("is not a folder", source=str(folder))
    found = sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in CATALOG_SUFFIXES
        and not p.name.startswith(".")
        and not p.name.lower().endswith(SCENARIO_SUFFIXES)
    )
    named: set[Path] = set()
    for path in found:
        try:
            catalog = read_catalog(path, vocabulary=vocabulary)
        except InputError:
            continue
        named.update((path.parent / name).resolve() for name in catalog.scenarios)
    found = [path for path in found if path.resolve() not in named]
    if not found:
        raise InputError(
            f"holds no catalog ({', '.join('*' + s for s in CATALOG_SUFFIXES)})", source=str(folder)
        )
    return found


_KERNEL = None


def _kernel():
    """This process's warm kernel, started on first use and shut down at exit."""
    global _KERNEL
    if _KERNEL is None:
        from analysis.report.notebook import WarmKernel

        _KERNEL = WarmKernel()
        atexit.register(_KERNEL.close)
    return _KERNEL


def render_job(job: Mapping[str, Any]) -> dict[str, Any]:
    """Render one catalog's report; plain data in and out, errors become the row's ``error``."""
    from analysis.report.render import render_report

    started = time.perf_counter()
    row: dict[str, Any] = {"catalog_file": job["catalog"], "status": "ok", "error": None}
    try:
        report = render_report(
            job["catalog"],
            job.get("scenarios") or [],
            week=job["week"],
            out=job["out"],
            history=job.get("history"),
            timeout=job.get("timeout", 600),
            kernel=_kernel() if job.get("warm", True) else None,
            rubric=job.get("rubric"),
            rules=job.get("rules"),
            gates=job.get("gates"),
        )
        plan = json.loads(report.plan_text)  # what it published: another may replace the file
        row.update(
            html=str(report.html),
            name=plan["catalog"]["name"],
            title=plan["catalog"].get("title") or plan["catalog"]["name"],
            scenario=plan["scenario"]["name"],
            selection=plan["status"],
            tasks=plan["totals"]["tasks"],
            value=plan["totals"]["value"],
            hours=plan["totals"]["hours"],
            risk=plan["totals"]["risk"],
            violations=len(plan["violations"]),
            size=report.size,
        )
    except InputError as exc:  # checked before any kernel runs
        row.update(status="bad input", error=str(exc))
    except AnalysisError as exc:
        row.update(status="failed", error=str(exc))
    except Exception as exc:  # recorded, and the batch goes on
        row.update(status="failed", error=f"internal error: {type(exc).__name__}: {exc}")
    row["seconds"] = round(time.perf_counter() - started, 3)
    return row


def _same_names(catalogs: Sequence[Path], vocabulary: Vocabulary) -> list[dict[str, Any]]:
    """Rows for the catalogs named like an earlier one (each name is its report's folder).

    The first catalog of a name is rendered; a later one is bad input, named
    with the earlier file. A catalog that cannot be read (with ``vocabulary``,
    the rubric's) is left to its job, which says why.
    """
    first_by_name: dict[str, Path] = {}
    rows = []
    for path in catalogs:
        try:
            name = read_catalog(path, vocabulary=vocabulary).name
        except InputError:
            continue
        # Composed and decomposed forms look alike (and are one folder on some systems).
        key = unicodedata.normalize("NFC", name)
        if key not in first_by_name:
            first_by_name[key] = path
            continue
        error = CatalogError(
            f"{name!r} is also the name of {first_by_name[key].resolve()}, and a catalog's "
            "name is its report's folder: give each catalog its own name",
            source=str(path.resolve()),
            record="catalog",
            field="name",
        )
        rows.append(
            {
                "catalog_file": str(path.resolve()),
                "status": "bad input",
                "error": str(error),
                "seconds": 0.0,
            }
        )
    return rows


@dataclass(frozen=True)
class BatchResult:
    """A finished batch: one row per catalog, and the index page."""

    rows: tuple[dict[str, Any], ...]
    index: Path
    seconds: float

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] != "ok"]


def render_reports(
    catalog_dir: str | os.PathLike,
    scenarios: Sequence[str | os.PathLike] = (),
    *,
    week: str | None = None,
    out: str | os.PathLike | None = None,
    history: str | os.PathLike | None = None,
    timeout: int = 600,
    workers: int | None = None,
    scheduler: str | None = None,
    warm: bool = True,
    progress: Callable[[dict[str, Any]], None] | None = None,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
) -> BatchResult:
    """Render every catalog's weekly report and the index page; see the module docstring.

    The index is written as ``<out>/index-<week>.html`` and as ``<out>/index.html``.

    ``warm=False`` starts a kernel per report (papermill's way), for comparison.

    Raises
    ------
    InputError
        When the folder is missing or holds no catalog, ``out`` cannot be
        created or written in, ``history`` is not a history file, the rubric,
        rules or gates are bad, or ``scheduler`` is not an address (a bad
        catalog or scenario is reported on the index page instead, and the
        rest go on).
    """
    from analysis.run.executors import check_scheduler, default_workers, execute

    started = time.perf_counter()
    week = check_week(week) if week else iso_week()
    if scheduler:
        check_scheduler(scheduler)
    if history:
        check_history(history)
    out = check_folder(out or REPORTS_DIR)
    scoring = read_rubric(rubric or DEFAULT_RUBRIC)  # every report reads these: check them once
    read_graph_rules(rules or DEFAULT_GRAPH_RULES)
    read_gates(gates or DEFAULT_GATES)
    catalogs = find_catalogs(catalog_dir, scoring.vocabulary)
    rows: dict[str, dict[str, Any]] = {}

    def done(row: dict[str, Any]) -> None:
        rows[row["catalog_file"]] = row
        if progress is not None:
            progress(row)

    for row in _same_names(catalogs, scoring.vocabulary):
        done(row)
    jobs = [
        {
            "catalog": str(catalog.resolve()),
            "scenarios": [str(Path(s).resolve()) for s in scenarios],
            "week": week,
            "out": str(out.resolve()),
            "history": str(Path(history).resolve()) if history else None,
            "timeout": timeout,
            "warm": warm,
            **{
                name: str(Path(path).resolve())
                for name, path in (("rubric", rubric), ("rules", rules), ("gates", gates))
                if path
            },
        }
        for catalog in catalogs
        if str(catalog.resolve()) not in rows
    ]
    out.mkdir(parents=True, exist_ok=True)  # before the workers make their folders in it
    execute(
        render_job,
        jobs,
        min(default_workers() if workers is None else workers, len(jobs)),
        scheduler,
        done,
    )
    ordered = tuple(rows[str(c.resolve())] for c in catalogs)
    page = index_page(ordered, week, out)
    index = out / f"index-{week}.html"
    write_text_atomic(index, page)
    write_text_atomic(out / "index.html", page)
    return BatchResult(rows=ordered, index=index, seconds=time.perf_counter() - started)


def index_page(rows: Sequence[Mapping[str, Any]], week: str, out: Path) -> str:
    """The batch's index: one line per catalog, linking its report (relative links).

    Rendered by a Jinja template with autoescape: catalog text never becomes markup.
    """
    view = []
    for row in rows:
        item = {
            "ok": row["status"] == "ok",
            "file": Path(row["catalog_file"]).name,
            "status": row["status"],
            "error": row["error"] or "",
        }
        if item["ok"]:
            item.update(
                link=os.path.relpath(row["html"], out).replace(os.sep, "/"),
                title=row["title"],
                scenario=row["scenario"],
                selection=row["selection"],
                tasks=row["tasks"],
                value=f"{row['value']:g}",
                hours=f"{row['hours']:g}",
                mix=" / ".join(str(row["risk"].get(level, 0)) for level in LEVELS),
                violations=row["violations"],
            )
        view.append(item)
    failed = sum(1 for item in view if not item["ok"])
    return (
        _templates().get_template("batch-index.html.j2").render(rows=view, week=week, failed=failed)
    )


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
