"""Weekly reports: papermill runs the weekly notebook, nbconvert writes offline HTML.

:func:`render_report` checks every input first (so bad input fails in one
line before any kernel starts), refuses notebook parameters the notebook does
not declare, runs ``notebooks/5.0-weekly-report.ipynb`` with papermill on the
``python3`` kernel with a timeout, and converts it with a template that loads
nothing from the network: code hidden, charts drawn by plotly's inlined
script. It writes ``<out>/<catalog>/<week>/weekly-report.html`` and the first
scenario's plan beside it (``plan.csv``, ``plan.json``), each file replaced in
one step, so a failed render leaves last time's report as it was and names
the cell that failed. The week's snapshot goes to the history last.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.errors import AnalysisError
from analysis.formats import format_plan
from analysis.history import check_history, check_week, iso_week, save_snapshot, snapshot_of
from analysis.paths import NOTEBOOKS_DIR, REPORTS_DIR, resolve
from analysis.records import check_folder, write_text_atomic
from analysis.scenarios import Assessment, check_files, default_scenarios

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = [
    "WEEKLY_NOTEBOOK",
    "ReportError",
    "Report",
    "notebook_parameters",
    "run_notebook",
    "WarmKernel",
    "to_offline_html",
    "write_outputs",
    "render_report",
]

WEEKLY_NOTEBOOK = NOTEBOOKS_DIR / "5.0-weekly-report.ipynb"
TEMPLATES = Path(__file__).parent / "templates"
_PLOTLY_JSON = "application/vnd.plotly.v1+json"
#: Script tags that would fetch MathJax from a CDN (plotly adds one per figure).
_MATHJAX_TAG = re.compile(r"<script[^>]*src=\"[^\"]*mathjax[^\"]*\"[^>]*>\s*</script>", re.I)


class ReportError(AnalysisError):
    """A report that could not be rendered; names the notebook cell when one failed."""

    def __init__(self, message: str, *, cell: int | None = None) -> None:
        self.cell = cell
        super().__init__(message)


@dataclass(frozen=True)
class Report:
    """Where a rendered report went, and how long it took."""

    html: Path
    plan_csv: Path
    plan_json: Path
    week: str
    seconds: float
    size: int


def notebook_parameters(path: str | os.PathLike) -> tuple[str, ...]:
    """Names of the parameters a notebook declares in its ``parameters`` cell."""
    import papermill

    return tuple(papermill.inspect_notebook(str(path)))


def run_notebook(
    notebook: str | os.PathLike,
    output: str | os.PathLike,
    parameters: dict[str, object],
    *,
    timeout: int = 600,
    progress: bool = False,
) -> None:
    """Execute a notebook with papermill on the ``python3`` kernel.

    Raises
    ------
    ReportError
        When a parameter is not declared by the notebook (papermill would only
        warn), or when a cell fails: the error names the cell.
    """
    import papermill

    _check_parameters(notebook, parameters)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            execution_timeout=timeout,
            cwd=str(Path(notebook).parent),
            progress_bar=progress,
            request_save_on_cell_execute=False,
            # Every output has arrived once the last cell is done. A graceful
            # shutdown then waits for the kernel to exit: 0.4 s with the
            # report's modules loaded, and now and then 3 s or more.
            shutdown_kernel="immediate",
        )
    except papermill.PapermillExecutionError as exc:
        raise _cell_failed(notebook, exc.exec_count, exc.source, exc.ename, exc.evalue) from exc


class WarmKernel:
    """One ``python3`` kernel kept running for many notebooks, to pay start-up once.

    Papermill starts a kernel per notebook. For a batch of reports this runs
    each notebook with nbclient on a kernel that stays up: papermill still
    injects the parameters, the kernel's variables are cleared before each
    notebook (``%reset -f``), and modules already imported stay imported.
    """

    def __init__(self) -> None:
        self._manager = None

    def run(
        self,
        notebook: str | os.PathLike,
        output: str | os.PathLike,
        parameters: dict[str, object],
        *,
        timeout: int = 600,
    ) -> None:
        """Like :func:`run_notebook`; the same errors."""
        import nbformat
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        _check_parameters(notebook, parameters)
        node = parameterize_notebook(
            load_notebook_node(str(notebook)), parameters, kernel_name="python3", language="python"
        )
        reset = nbformat.v4.new_code_cell("get_ipython().run_line_magic('reset', '-f')")
        node.cells.insert(0, reset)
        if self._manager is None:
            self._manager = AsyncKernelManager(kernel_name="python3")
        client = NotebookClient(
            node,
            km=self._manager,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(Path(notebook).parent)}},
        )
        try:
            client.execute()
        except CellExecutionError as exc:
            index = next((i for i, c in enumerate(node.cells) if _failed_cell(c)), len(node.cells))
            source = node.cells[index].source if index < len(node.cells) else ""
            raise _cell_failed(notebook, index, source, exc.ename, exc.evalue) from exc
        except (CellTimeoutError, DeadKernelError) as exc:
            self.close()  # the next notebook gets a fresh kernel
            raise ReportError(f"{Path(notebook).name}: {type(exc).__name__}: {exc}") from exc
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
        del node.cells[0]
        nbformat.write(node, output)

    def close(self) -> None:
        """Shut the kernel down (also done when the process exits)."""
        manager, self._manager = self._manager, None
        if manager is not None and manager.has_kernel:
            from jupyter_core.utils import run_sync

            with contextlib.suppress(RuntimeError):  # already gone
                run_sync(manager.shutdown_kernel)(now=True)


def _cell_failed(
    notebook: str | os.PathLike, cell: int | None, source: str, ename: str, evalue: str
) -> ReportError:
    """The error for a notebook cell that raised: the cell, its first line, the exception."""
    first = next((line for line in source.splitlines() if line.strip()), "")
    return ReportError(
        f"{Path(notebook).name}: cell {cell} ({first.strip()[:60]}) failed: {ename}: {evalue}",
        cell=cell,
    )


def _failed_cell(cell) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _check_parameters(notebook: str | os.PathLike, parameters: dict[str, object]) -> None:
    declared = notebook_parameters(notebook)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(
            f"{Path(notebook).name} has no parameter {', '.join(unknown)} "
            f"(it declares {', '.join(declared)})"
        )


def to_offline_html(notebook: NotebookNode) -> str:
    """HTML of an executed notebook that opens offline: no code, no CDN, charts drawn.

    Raises
    ------
    ReportError
        When a chart was saved only as plotly JSON, which the HTML would drop.
    """
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _PLOTLY_JSON in data and "text/html" not in data:
                raise ReportError(
                    f"cell {cell.get('execution_count') or index} has a chart with no HTML "
                    "form; render it with analysis.figures.use_report_renderer()",
                    cell=cell.get("execution_count"),
                )
    from plotly.offline import get_plotlyjs

    exporter = _exporter()
    charts = any(
        "Plotly.newPlot" in output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    for cell in notebook.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id
    body, _ = exporter.from_notebook_node(
        notebook, resources={"plotly_js": get_plotlyjs() if charts else ""}
    )
    return _stable_chart_ids(_MATHJAX_TAG.sub("", body))


#: The random id plotly gives each chart's element (a UUID4).
_CHART_ID = re.compile(r'class="plotly-graph-div" id="([0-9a-f-]{36})"')


def _stable_chart_ids(page: str) -> str:
    """Charts numbered in page order instead of random ids: the same inputs, the same bytes."""
    for number, chart in enumerate(dict.fromkeys(_CHART_ID.findall(page)), start=1):
        page = page.replace(chart, f"chart-{number}")
    return page


def write_outputs(assessments: Sequence[Assessment], folder: str | os.PathLike | None) -> None:
    """What a weekly report leaves beside it: the plan (CSV, JSON) and the week's snapshots.

    The weekly notebook calls it, so that the files and the report come from one
    computation; with no ``folder`` it does nothing.
    """
    if not folder:
        return
    folder, first = Path(folder), assessments[0]
    write_text_atomic(folder / "plan.csv", format_plan(first, "csv"))
    write_text_atomic(folder / "plan.json", format_plan(first, "json") + "\n")
    snapshots = [
        {"catalog": a.catalog.name, "scenario": a.scenario.name, "snapshot": snapshot_of(a)}
        for a in assessments
    ]
    write_text_atomic(folder / _SNAPSHOTS, json.dumps(snapshots, ensure_ascii=False))


_SNAPSHOTS = "snapshots.json"


@functools.lru_cache(maxsize=1)
def _exporter():
    """One HTML exporter per process: its templates compile once."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="offline-report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def render_report(
    catalog: str | os.PathLike | None = None,
    scenarios: Sequence[str | os.PathLike] = (),
    *,
    week: str | None = None,
    out: str | os.PathLike | None = None,
    history: str | os.PathLike | None = None,
    timeout: int = 600,
    progress: Callable[[str], None] | None = None,
    notebook: str | os.PathLike = WEEKLY_NOTEBOOK,
    kernel: WarmKernel | None = None,
) -> Report:
    """Render the weekly report of a catalog and its scenarios; see the module docstring.

    ``kernel``: run the notebook on this already running kernel instead of a new one.

    Raises
    ------
    InputError
        (a subclass) for bad input, before anything runs or is written; also
        when the report's folder cannot be created or written in, or
        ``history`` is not a history file.
    ReportError
        When the notebook fails; nothing is written then.
    """
    say = progress or (lambda message: None)
    started = time.perf_counter()
    week = check_week(week) if week else iso_week()
    scenario_paths = [str(resolve(p)) for p in scenarios or default_scenarios(catalog)]
    tasks, _ = check_files(catalog, scenario_paths)
    target = check_folder(Path(out or REPORTS_DIR) / tasks.name / week)
    if history:
        check_history(history)
    with tempfile.TemporaryDirectory(prefix="assess-report-") as scratch:
        scratch = Path(scratch)
        parameters: dict[str, object] = {
            # Absolute: the kernel runs in notebooks/, not where the paths were given.
            "catalog": str(resolve(catalog).resolve()) if catalog else None,
            "scenarios": [str(Path(p).resolve()) for p in scenario_paths],
            "week": week,
            "history": str(Path(history).resolve()) if history else None,
            "report": True,
            "outputs": str(scratch),
            "sweeps": str(Path(out or REPORTS_DIR).resolve()),
        }
        executed = scratch / "weekly-report.ipynb"
        say(f"running {Path(notebook).name} (kernel python3)")
        if kernel is None:
            run_notebook(
                notebook, executed, parameters, timeout=timeout, progress=progress is not None
            )
        else:
            kernel.run(notebook, executed, parameters, timeout=timeout)
        say("converting to offline HTML")
        import nbformat  # imported here: loading it costs most of a second

        page = to_offline_html(nbformat.read(executed, as_version=4))
        made = {
            name: (scratch / name).read_text(encoding="utf-8")
            for name in ("plan.csv", "plan.json", _SNAPSHOTS)
            if (scratch / name).exists()
        }
        if len(made) < 3:
            raise ReportError(f"{Path(notebook).name} did not write the plan and snapshots")
    say(f"writing {target}")
    html_path, csv_path, json_path = (
        target / "weekly-report.html",
        target / "plan.csv",
        target / "plan.json",
    )
    write_text_atomic(csv_path, made["plan.csv"])
    write_text_atomic(json_path, made["plan.json"])
    write_text_atomic(html_path, page)
    if history:
        say(f"saving the week's snapshot to {history}")
        for item in json.loads(made[_SNAPSHOTS]):
            save_snapshot(history, item["catalog"], item["scenario"], week, item["snapshot"])
    return Report(
        html=html_path,
        plan_csv=csv_path,
        plan_json=json_path,
        week=week,
        seconds=time.perf_counter() - started,
        size=html_path.stat().st_size,
    )
