"""The ``assess`` command: a thin face over :mod:`analysis`.

Exit codes: 0 done (findings are results), 1 ``--strict`` with findings,
2 bad input (one line on stderr; ``--debug`` shows the traceback),
3 an internal error (a bug: the traceback is always shown), 4 a report whose
notebook failed (the line names the cell; the previous report is kept).

Each command imports what it runs when it runs (``assess report`` launches its
kernel first, even before typer parses: :mod:`analysis.report.ahead`).
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from analysis.errors import AnalysisError, InputError, ReportError
from analysis.files import DEFAULT_INPUT_LIMIT_MB, INPUT_LIMIT_VARIABLE, check_folder
from analysis.report import ahead
from analysis.report.history import check_history, check_week
from analysis.resources import (
    DEFAULT_GATES,
    DEFAULT_GRAPH_RULES,
    DEFAULT_HISTORY,
    DEFAULT_RUBRIC,
    REPORTS_DIR,
    SEED_CATALOG,
)
from analysis.run.executors import check_scheduler

if TYPE_CHECKING:
    from analysis.plan.results import Assessment

__all__ = ["app", "main"]

app = typer.Typer(
    name="assess",
    help="Production-impact assessment of infrastructure task catalogs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_BUG = 3
EXIT_RENDER = 4


class AuditFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class GraphFormat(StrEnum):
    table = "table"
    json = "json"
    dot = "dot"


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class ImportFormat(StrEnum):
    table = "table"
    json = "json"


class Level(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


CatalogArgument = Annotated[
    Path, typer.Argument(help="Catalog file (.yaml, .yml or .csv).", show_default=False)
]

OptionalCatalog = Annotated[
    Path | None,
    typer.Argument(
        help=f"Catalog file (.yaml, .yml or .csv); the example {SEED_CATALOG} if left out.",
        show_default=False,
    ),
]
GraphRulesOption = Annotated[
    Path, typer.Option("--rules", help="Inference and overlap rules (YAML).")
]
GatesOption = Annotated[Path, typer.Option("--gates", help="Safety gates (YAML).")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit 1 when there are findings.")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error.")]
RubricOption = Annotated[
    Path, typer.Option("--rubric", help="Rubric file (YAML).", show_default=True)
]

T = TypeVar("T")


@app.callback()
def _group(
    max_input_mb: Annotated[
        float | None,
        typer.Option(
            "--max-input-mb",
            help=f"Largest input file read, in MiB (default {DEFAULT_INPUT_LIMIT_MB}; "
            f"also {INPUT_LIMIT_VARIABLE}).",
            min=0.001,
            max=1 << 19,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Production-impact assessment of infrastructure task catalogs."""
    if max_input_mb is not None:  # the environment carries it to kernels and workers
        os.environ[INPUT_LIMIT_VARIABLE] = f"{max_input_mb:g}"


def _run(debug: bool, body: Callable[[], T]) -> T:
    """Run ``body``; bad input exits 2 with one line, a bug exits 3 with a traceback."""
    try:
        return body()
    except ReportError as exc:
        if debug:
            traceback.print_exc()
        print(f"assess: report failed: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_RENDER) from None
    except AnalysisError as exc:
        if debug:
            traceback.print_exc()
        print(f"assess: error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug: say so, and show where
        traceback.print_exc()
        print(f"assess: internal error (please report): {exc!r}", file=sys.stderr)
        raise typer.Exit(EXIT_BUG) from None


def _option(option: str, check: Callable[[], T]) -> T:
    """``check()``, its bad input named after the command-line option it came from."""
    try:
        return check()
    except InputError as exc:
        raise InputError(exc.problem, source=exc.source, record=f"option {option}") from exc


def _refuse(problem: str) -> NoReturn:
    """Bad use of the options: one line, exit 2."""
    print(f"assess: error: {problem}", file=sys.stderr)
    raise typer.Exit(EXIT_BAD_INPUT)


def _emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command()
def audit(
    catalog: OptionalCatalog = None,
    rubric: RubricOption = DEFAULT_RUBRIC,
    gates: GatesOption = DEFAULT_GATES,
    rules: GraphRulesOption = DEFAULT_GRAPH_RULES,
    fmt: Annotated[
        AuditFormat, typer.Option("--format", help="Output format.")
    ] = AuditFormat.table,
    strict: StrictOption = False,
    debug: DebugOption = False,
) -> None:
    """Every task's level with its reasons, then the findings (counts, levels, gates)."""

    def body() -> int:
        from analysis.assess.audit import audit_files
        from analysis.report.formats.audit import format_audit

        result = audit_files(catalog, rubric=rubric, rules=rules, gates=gates)
        _emit(format_audit(result, fmt.value))
        return len(result.findings)

    findings = _run(debug, body)
    if strict and findings:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def graph(
    catalog: OptionalCatalog = None,
    rules: GraphRulesOption = DEFAULT_GRAPH_RULES,
    appetite: Annotated[
        Level,
        typer.Option("--appetite", help="Highest level allowed; tasks above it are excluded."),
    ] = Level.MEDIUM,
    rubric: RubricOption = DEFAULT_RUBRIC,
    gates: Annotated[
        Path,
        typer.Option(
            "--gates", help="Safety gates (YAML); tasks breaking a blocking one are excluded."
        ),
    ] = DEFAULT_GATES,
    fmt: Annotated[
        GraphFormat, typer.Option("--format", help="Output format.")
    ] = GraphFormat.table,
    strict: StrictOption = False,
    debug: DebugOption = False,
) -> None:
    """Dependencies with provenance, overlaps, blocked-by chains and the critical path."""

    def body() -> int:
        from analysis.assess.graph import graph_files
        from analysis.report.formats.graph import format_graph

        tasks, facts = graph_files(
            catalog, rubric=rubric, rules=rules, gates=gates, appetite=appetite.value
        )
        _emit(format_graph(facts, tasks, fmt.value))
        return len(facts.findings())

    findings = _run(debug, body)
    if strict and findings:
        raise typer.Exit(EXIT_FINDINGS)


def _assess(
    catalog: Path | None,
    scenario: Path | None,
    rubric: Path,
    rules: Path,
    gates: Path,
    progress: bool | None = False,
) -> Assessment:
    """One scenario's assessment; with none, the catalog's first own scenario or the default.

    ``progress``: lines on stderr while a solve runs longer than two seconds (None: when
    stderr is a terminal). Never on stdout, so outputs stay the same on every run.
    """
    from analysis.plan.scenarios import assess_files

    if progress is None:
        progress = sys.stderr.isatty()
    say = (lambda line: print(line, file=sys.stderr, flush=True)) if progress else None
    given = [] if scenario is None else [scenario]
    (result,) = assess_files(catalog, given, rubric=rubric, rules=rules, gates=gates, progress=say)
    return result


@app.command()
def plan(
    catalog: OptionalCatalog = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Scenario file (YAML); the catalog's first own scenario "
            "(catalog.scenarios), else the bundled default, if left out.",
            show_default=False,
        ),
    ] = None,
    rubric: RubricOption = DEFAULT_RUBRIC,
    rules: GraphRulesOption = DEFAULT_GRAPH_RULES,
    gates: GatesOption = DEFAULT_GATES,
    fmt: Annotated[PlanFormat, typer.Option("--format", help="Output format.")] = PlanFormat.table,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when the plan has violations.")
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Show on stderr what a solve running over 2 s is doing (its best plan and "
            "bound) and, at the end, where the time went. Default: when stderr is a terminal.",
            show_default=False,
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """The best selection under a scenario (or a hand-made plan checked), with reasons."""

    def body() -> int:
        from analysis.report.formats.plan import format_plan

        result = _assess(catalog, scenario, rubric, rules, gates, progress)
        _emit(format_plan(result, fmt.value))
        return len(result.selection.violations)

    violations = _run(debug, body)
    if strict and violations:
        raise typer.Exit(EXIT_FINDINGS)


@app.command(name="compare")
def compare_command(
    catalog: OptionalCatalog = None,
    *,  # a required option follows an argument with a default
    scenarios: Annotated[
        list[Path],
        typer.Option("--scenario", help="A scenario file; give exactly two.", show_default=False),
    ],
    rubric: RubricOption = DEFAULT_RUBRIC,
    rules: GraphRulesOption = DEFAULT_GRAPH_RULES,
    gates: GatesOption = DEFAULT_GATES,
    fmt: Annotated[
        AuditFormat, typer.Option("--format", help="Output format.")
    ] = AuditFormat.table,
    debug: DebugOption = False,
) -> None:
    """Two selections side by side: tasks only in A, only in B, in both, who wins where."""

    def body() -> None:
        from analysis.plan.scenarios import compare
        from analysis.report.formats.compare import format_comparison

        if len(scenarios) != 2:
            raise InputError(f"compare takes exactly two --scenario options, got {len(scenarios)}")
        first, second = (_assess(catalog, s, rubric, rules, gates) for s in scenarios)
        _emit(format_comparison(compare(first, second), fmt.value))

    _run(debug, body)


@app.command()
def report(
    catalog: Annotated[
        Path | None,
        typer.Argument(
            help="Catalog file; the bundled seed catalog if left out.", show_default=False
        ),
    ] = None,
    scenarios: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            help="Scenario file(s), the plan first; the catalog's own (catalog.scenarios), "
            "else the bundled default, if left out.",
            show_default=False,
        ),
    ] = None,
    week: Annotated[
        str | None, typer.Option("--week", help="ISO week, e.g. 2026-W48 (default: this week).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the reports.")] = REPORTS_DIR,
    history: Annotated[
        Path, typer.Option("--history", help="SQLite history of weekly snapshots.")
    ] = DEFAULT_HISTORY,
    timeout: Annotated[
        int, typer.Option("--timeout", help="Seconds a notebook cell may run.")
    ] = 600,
    catalog_dir: Annotated[
        Path | None,
        typer.Option(
            "--catalog-dir",
            help="Render one report per catalog in this folder, and an index page.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="With --catalog-dir: local processes (default: one per core).",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --catalog-dir: render on this Dask cluster, e.g. tcp://HOST:8786.",
            show_default=False,
        ),
    ] = None,
    rubric: RubricOption = DEFAULT_RUBRIC,
    rules: GraphRulesOption = DEFAULT_GRAPH_RULES,
    gates: GatesOption = DEFAULT_GATES,
    debug: DebugOption = False,
) -> None:
    """Render the weekly HTML report (and the plan as CSV and JSON) with papermill."""

    def options() -> None:
        """The options checked before any input is read (the kernel may be booting)."""
        if week is not None:
            _option("--week", lambda: check_week(week))
        _option("--out", lambda: check_folder(out))
        _option("--history", lambda: check_history(history))
        if scheduler is not None:
            _option("--scheduler", lambda: check_scheduler(scheduler))

    given = (("--workers", workers), ("--scheduler", scheduler))
    batch_only = [option for option, value in given if value is not None]
    if catalog_dir is None and batch_only:
        verb = "apply" if len(batch_only) > 1 else "applies"
        _refuse(f"{' and '.join(batch_only)} {verb} only to --catalog-dir (one report per catalog)")
    if catalog_dir is not None:
        if catalog is not None:
            _refuse("give a CATALOG or --catalog-dir, not both")
        if len(batch_only) == 2:
            _refuse("give --workers or --scheduler, not both")

        def batch() -> None:
            options()
            _batch(
                catalog_dir,
                scenarios or [],
                week,
                out,
                history,
                timeout,
                workers,
                scheduler,
                {"rubric": rubric, "rules": rules, "gates": gates},
            )

        _run(debug, batch)
        return

    def body() -> None:
        options()

        def say(message: str) -> None:
            print(f"assess report: {message}", file=sys.stderr, flush=True)

        launched = ahead.take()  # launched by main(), else now: it boots while the rest loads
        from analysis.report.render import render_report

        result = render_report(
            catalog,
            scenarios or [],
            week=week,
            out=out,
            history=history,
            timeout=timeout,
            progress=say,
            launched=launched,
            rubric=rubric,
            rules=rules,
            gates=gates,
        )
        _emit(
            f"weekly report: {result.html}\n"
            f"plan: {result.plan_csv} and {result.plan_json}\n"
            f"({result.size / 1e6:.1f} MB, {result.seconds:.1f} s; week {result.week})"
        )

    _run(debug, body)


@app.command()
def sweep(
    catalog: CatalogArgument,
    sweep_file: Annotated[
        Path, typer.Argument(metavar="SWEEP", help="Sweep file (YAML).", show_default=False)
    ],
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="Local processes (default: one per core).", show_default=False
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run on this Dask cluster instead, e.g. tcp://HOST:8786.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for the tables (default: reports/<catalog>/sweeps/<sweep>/).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    rubric: RubricOption = DEFAULT_RUBRIC,
    rules: GraphRulesOption = DEFAULT_GRAPH_RULES,
    gates: GatesOption = DEFAULT_GATES,
    debug: DebugOption = False,
) -> None:
    """Run every combination of a sweep; write its table (Parquet, CSV) and print the frontier."""
    if workers is not None and scheduler is not None:
        _refuse("give --workers or --scheduler, not both")

    def body() -> None:
        if out is not None:
            _option("--out", lambda: check_folder(out))
        if scheduler is not None:
            _option("--scheduler", lambda: check_scheduler(scheduler))
        from analysis.inputs.sweep import read_sweep
        from analysis.plan.sweeps import run_sweep
        from analysis.report.formats.sweep import format_sweep

        result = run_sweep(
            catalog,
            read_sweep(sweep_file),
            workers=workers,
            scheduler=scheduler,
            out=out,
            progress=not quiet,
            rubric=rubric,
            rules=rules,
            gates=gates,
        )
        _emit(format_sweep(result))

    _run(debug, body)


def _batch(
    catalog_dir: Path,
    scenarios: list[Path],
    week: str | None,
    out: Path,
    history: Path,
    timeout: int,
    workers: int | None,
    scheduler: str | None,
    inputs: dict[str, Path],
) -> None:
    def say(row: dict) -> None:
        if row["status"] == "bad input":
            return  # said once, at the end
        name = Path(row["catalog_file"]).name
        detail = row.get("html") or row["error"]
        line = f"assess report: {name}: {row['status']} ({row['seconds']:.1f} s) {detail}"
        print(line, file=sys.stderr, flush=True)

    from analysis.report.batch import render_reports

    result = render_reports(
        catalog_dir,
        scenarios,
        week=week,
        out=out,
        history=history,
        timeout=timeout,
        workers=workers,
        scheduler=scheduler,
        progress=say,
        rubric=inputs["rubric"],
        rules=inputs["rules"],
        gates=inputs["gates"],
    )
    for row in result.rows:
        if row["status"] == "bad input":
            print(f"assess: error: {row['error']}", file=sys.stderr)
    _emit(
        f"index: {result.index}\n"
        f"{len(result.rows) - len(result.failed)} of {len(result.rows)} report(s) "
        f"in {result.seconds:.1f} s"
    )
    statuses = {row["status"] for row in result.failed}
    if "bad input" in statuses:
        raise typer.Exit(EXIT_BAD_INPUT)
    if statuses:
        raise typer.Exit(EXIT_RENDER)


@app.command(name="import-markdown")
def import_markdown(
    file: Annotated[
        Path, typer.Argument(help="A markdown assessment (UTF-8).", show_default=False)
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the catalog here (.yaml, .yml or .csv).",
            show_default=False,
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="A hand-made catalog to compare with, field by field.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The catalog's name (default: the file's stem).")
    ] = None,
    fmt: Annotated[
        ImportFormat, typer.Option("--format", help="Output format.")
    ] = ImportFormat.table,
    rubric: RubricOption = DEFAULT_RUBRIC,
    rules: GraphRulesOption = DEFAULT_GRAPH_RULES,
    debug: DebugOption = False,
) -> None:
    """A catalog from a markdown assessment: tasks, levels, counts, facts from the words."""

    def body() -> None:
        from analysis.inputs.agreement import compare_catalogs
        from analysis.inputs.catalog import read_catalog
        from analysis.inputs.markdown import read_markdown
        from analysis.inputs.markdown.write import write_import
        from analysis.inputs.rubric import read_rubric
        from analysis.report.formats.imported import format_import

        the_rubric = read_rubric(rubric)
        vocabulary = the_rubric.vocabulary
        options = {"name": name} if name else {}
        imported = read_markdown(
            file, rules=rules, vocabulary=vocabulary, scale=the_rubric.scale, **options
        )
        hand_made = None if against is None else read_catalog(against, vocabulary=vocabulary)
        agreement = None if hand_made is None else compare_catalogs(imported.catalog, hand_made)
        for note in imported.unread:
            print(f"assess: {file}:{note.line}: not read: {note.message}", file=sys.stderr)
        if output is not None:
            for path in write_import(imported.catalog, imported.scenarios, output):
                print(f"assess: written: {path}", file=sys.stderr)
        _emit(format_import(imported, agreement, fmt.value))

    _run(debug, body)


def main() -> None:
    """Console entry point: UTF-8 output whatever the locale says."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    # Most objects live to the end; default thresholds rescan them (1/3 of a 10k-task audit).
    gc.set_threshold(100_000, 50, 50)
    ahead.launch_for(sys.argv[1:])  # one report: its kernel boots while typer parses
    try:
        app()
    finally:  # exiting collects over every live object, several times (0.3 s of a report)
        ahead.close_unused()
        gc.freeze()


if __name__ == "__main__":
    main()
