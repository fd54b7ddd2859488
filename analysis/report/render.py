"""Weekly reports: papermill runs the weekly notebook, nbconvert writes offline HTML.

:func:`render_report` checks every input (bad input fails in one line,
before anything is written), runs the report notebook the package ships
(``analysis/data/weekly-report.ipynb``) on the ``python3`` kernel with a
timeout, in a scratch folder, and converts it to a page that opens offline.
It publishes ``<out>/<catalog>/<week>/`` as one set: ``weekly-report.html``,
the first scenario's plan beside it (``plan.csv``, ``plan.json``) and the
week's snapshots (``.snapshots.json``), staged beside the week's folder and
swapped in whole (:mod:`analysis.report.publish`), so a failed or killed
render leaves last time's set as it was (a failure names the cell). The
week's snapshots go to the history last, under the same lock; a render first
brings the history in line with the week's published snapshots (a render
killed after publishing did not write them), and removes what killed renders
left: their staged sets and their scratch folders.

The kernel is launched first, in the scratch folder, and boots while the
inputs are read and checked (``assess report`` launches it before it even
parses its command line; on bad input it is shut down at once); as it boots it
imports what the notebook imports, pandas, networkx and the solver among them.
The command hands the inputs over as they were read (a pickle in the scratch
folder, :class:`~analysis.report.prepared.Prepared`) and starts the notebook,
whose first cell assesses every scenario (the audit made once for all); the
command gets the conversion ready meanwhile. So nothing is read or parsed
twice, and the command loads neither pandas nor the solver. Bad input only the
assessing finds fails in one line as well: the kernel hands the error back
beside the inputs and stops at that cell, and the command raises that error.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.errors import ReportError
from analysis.files import check_folder
from analysis.inputs.bundle import catalog_or_example
from analysis.plan.scenarios import read_files
from analysis.report.history import check_history, check_week, iso_week, save_snapshots
from analysis.report.notebook import (
    LaunchedKernel,
    WarmKernel,
    launch_report_kernel,
    notebook_parameters,
    run_notebook,
)
from analysis.report.offline_html import prepare_conversion, to_offline_html
from analysis.report.prepared import (
    HANDED_OVER,
    WRITTEN_SNAPSHOTS,
    Prepared,
    hand_over,
    handed_back,
)
from analysis.report.publish import (
    SNAPSHOTS,
    catalog_lock,
    kill_point,
    make_scratch,
    publish,
    put_right,
    recover,
    stage,
)
from analysis.resources import REPORTS_DIR, WEEKLY_NOTEBOOK, WORKDIR_VARIABLE

if TYPE_CHECKING:  # nbformat costs about a second to import: only when rendering
    from nbformat import NotebookNode

__all__ = ["Report", "render_report"]


def __getattr__(name: str) -> object:
    """``assess_for_report`` and ``write_outputs``, for notebooks that import them from
    here: they live in :mod:`analysis.report.handover`, which loads the solver, so it is
    imported only when they are asked for (the command loads neither pandas nor the solver).
    """
    if name in ("assess_for_report", "write_outputs"):
        from analysis.report import handover

        return getattr(handover, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Report:
    """Where a rendered report went, and how long it took.

    ``plan_text`` is the text of the ``plan.json`` it published (a render of the
    same week that publishes later replaces the files, not this).
    """

    html: Path
    plan_csv: Path
    plan_json: Path
    week: str
    seconds: float
    size: int
    plan_text: str = ""


def _beside_conversion(run: Callable[[], NotebookNode]) -> NotebookNode:
    """What ``run()`` returns (the executed notebook), run in another thread while
    the conversion gets ready here (:func:`prepare_conversion`): that is done while
    the kernel boots, imports and assesses, before the notebook has much to say."""
    failed: list[BaseException] = []
    executed: list[NotebookNode] = []

    def notebook() -> None:
        try:
            executed.append(run())
        except BaseException as exc:  # raised again in the calling thread
            failed.append(exc)

    thread = threading.Thread(target=notebook, name="weekly notebook", daemon=True)
    thread.start()
    try:
        prepare_conversion()
    finally:
        thread.join()
    if failed:
        raise failed[0]
    return executed[0]


def _close(launched: LaunchedKernel) -> None:
    """Shut a launched kernel down and remove its folder (the report will not run)."""
    launched.close()
    shutil.rmtree(launched.folder, ignore_errors=True)


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
    launched: LaunchedKernel | None = None,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
) -> Report:
    """Render the weekly report of a catalog and its scenarios; see the module docstring.

    With no ``scenarios``: every scenario the catalog names (``catalog.scenarios``,
    relative to the catalog's file), else the default bundled with the package.
    ``kernel``: run the notebook on this already running kernel instead of a new one.
    ``launched``: run it on this kernel, launched ahead by
    :func:`~analysis.report.notebook.launch_report_kernel`, in its folder (with
    neither, one is launched here first); it is shut down, and its folder
    removed, whatever happens.
    ``rubric``, ``rules`` and ``gates`` replace the bundled ones, as in every command.

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
    if kernel is None and launched is None:
        launched = launch_report_kernel(notebook)  # it boots while the inputs are read
    try:
        week = check_week(week) if week else iso_week()
        catalog_path = catalog_or_example(catalog)
        # No scenario given: every one the catalog names (else the bundled default).
        inputs, chosen = read_files(
            catalog_path, scenarios, rubric=rubric, rules=rules, gates=gates, every_default=True
        )
        tasks = inputs.catalog
        scenario_paths = [Path(str(scenario.source)) for scenario in chosen]  # read from these
        target = check_folder(Path(out or REPORTS_DIR) / tasks.name / week)
        if history:
            check_history(history)
        if put_right(target, week, history):  # after a kill: scratch, staged sets, history
            say(f"brought {history} in line with {target}")
    except BaseException:
        if launched is not None:
            _close(launched)
        raise
    kill_point("recovered")
    # The kernel runs in a scratch folder: outputs name paths relative to this one
    # (a launched kernel was told at its launch; for a warm one, set for the kernel
    # only: the caller's environment is as it was afterwards).
    given_workdir = os.environ.get(WORKDIR_VARIABLE)
    if launched is None:
        os.environ[WORKDIR_VARIABLE] = given_workdir or str(Path.cwd())
    scratch = make_scratch() if launched is None else launched.folder
    try:
        page, made = _run_and_convert(
            notebook,
            scratch,
            f"{tasks.title or tasks.name} — weekly report {week}",
            parameters={
                # Absolute: the kernel runs in a scratch folder, not where the paths were given.
                "catalog": str(catalog_path.resolve()),
                "scenarios": [str(p.resolve()) for p in scenario_paths],
                "week": week,
                "history": str(Path(history).resolve()) if history else None,
                "report": True,
                "outputs": str(scratch),
                "sweeps": str(Path(out or REPORTS_DIR).resolve()),
                "rubric": str(Path(rubric).resolve()) if rubric else None,
                "rules": str(Path(rules).resolve()) if rules else None,
                "gates": str(Path(gates).resolve()) if gates else None,
                "prepared": str(scratch / HANDED_OVER),
            },
            handed=Prepared(inputs, tuple(chosen)),
            kernel=kernel,
            launched=launched,
            timeout=timeout,
            progress=progress is not None,
            say=say,
        )
        say(f"writing {target}")
        html_path, csv_path, json_path = (
            target / "weekly-report.html",
            target / "plan.csv",
            target / "plan.json",
        )
        _publish(target, html_path.name, page, made, history, week, say)
    finally:
        # The launched kernel was killed when its last cell was done; its end (jupyter_client
        # looks every tenth of a second) is waited for here, after the page is written.
        if launched is not None:
            launched.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if given_workdir is None and launched is None:
            os.environ.pop(WORKDIR_VARIABLE, None)
    return Report(
        html=html_path,
        plan_csv=csv_path,
        plan_json=json_path,
        week=week,
        seconds=time.perf_counter() - started,
        size=len(page.encode("utf-8")),
        plan_text=made["plan.json"],
    )


def _run_and_convert(
    notebook: str | os.PathLike,
    scratch: Path,
    title: str,
    *,
    parameters: dict[str, object],
    handed: Prepared,
    kernel: WarmKernel | None,
    launched: LaunchedKernel | None,
    timeout: int,
    progress: bool,
    say: Callable[[str], None],
) -> tuple[str, dict[str, str]]:
    """The notebook run in ``scratch`` (on ``kernel``, else on ``launched``) on the
    inputs ``handed`` over; the page (titled ``title``), and the files the notebook
    wrote in ``scratch`` (text). An error the kernel met assessing them is raised as it
    was (:func:`~analysis.report.prepared.handed_back`), not as the cell's."""
    prepared = scratch / HANDED_OVER
    hand_over(handed, prepared)
    kill_point("scratch")
    say(f"running {Path(notebook).name} (kernel python3)")
    kill_point("kernel")
    try:
        if kernel is None:
            notebook_parameters(notebook)  # loads papermill before the conversion gets ready
            node = _beside_conversion(
                lambda: run_notebook(
                    notebook,
                    None,  # papermill's notebook itself, not a copy written and read back
                    parameters,
                    timeout=timeout,
                    progress=progress,
                    cwd=scratch,
                    kernel=launched,
                )
            )
        else:  # a warm kernel stays with the thread that started it
            node = kernel.run(notebook, None, parameters, timeout=timeout, cwd=scratch)
    except ReportError as exc:
        error = handed_back(prepared)
        if error is not None:
            raise error from exc
        raise
    say("converting to offline HTML")
    node.metadata["title"] = title
    page = to_offline_html(node)
    made = {
        name: (scratch / name).read_bytes().decode("utf-8")  # bytes as written: CRLF kept
        for name in ("plan.csv", "plan.json", WRITTEN_SNAPSHOTS)
        if (scratch / name).exists()
    }
    if len(made) < 3:
        raise ReportError(f"{Path(notebook).name} did not write the plan and snapshots")
    return page, made


def _publish(
    target: Path,
    page_name: str,
    page: str,
    made: dict[str, str],
    history: str | os.PathLike | None,
    week: str,
    say: Callable[[str], None],
) -> None:
    """The week's set swapped in whole at ``target``; then its snapshots to ``history``."""
    staged = stage(
        target,
        {
            page_name: page,
            "plan.csv": made["plan.csv"],
            "plan.json": made["plan.json"],
            SNAPSHOTS: made[WRITTEN_SNAPSHOTS],
        },
    )
    try:
        with catalog_lock(target.parent):
            recover(target.parent)  # a render of this catalog may have been killed meanwhile
            publish(staged, target)
            if history:
                say(f"saving the week's snapshot to {history}")
                save_snapshots(history, week, json.loads(made[WRITTEN_SNAPSHOTS]))
            kill_point("history")
    finally:
        if staged.exists():  # not published: publishing failed
            shutil.rmtree(staged, ignore_errors=True)
