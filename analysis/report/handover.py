"""The weekly notebook's side of a report: the inputs handed over, assessed; the files written.

:func:`~analysis.report.render.render_report` reads and checks every input
while the kernel boots, and hands them over before the notebook starts
(:class:`~analysis.report.prepared.Prepared`, in a file in the kernel's
scratch folder). The notebook's first cell assesses them
(:func:`assess_for_report`): the kernel has loaded pandas, networkx and the
solver as it booted (it imports what its notebook imports, this module and
what it imports included), so the command loads neither pandas nor the
solver, and nothing is read or parsed twice. An error while assessing is
handed back beside the inputs, so that the command fails with it (bad input:
one line naming the file, the task and the field), not with the cell. The
notebook's last cell writes the plan and the week's snapshots
(:func:`write_outputs`).

Nothing here loads the rendering (papermill, nbconvert, the kernel launcher).
"""

from __future__ import annotations

import gc
import json
import os
import pickle
from collections.abc import Sequence
from pathlib import Path

# The stages assessing runs (the solver among them), imported here rather than on first
# use: a kernel launched for the report imports them as it boots, while the command reads.
import analysis.plan.selection
import analysis.plan.timeline  # noqa: F401
from analysis.errors import AnalysisError, ReportError
from analysis.files import write_text_atomic
from analysis.plan.results import Assessment
from analysis.plan.scenarios import assess_files, assess_inputs
from analysis.report.formats.plan import format_plan
from analysis.report.history import snapshot_of
from analysis.report.prepared import WRITTEN_SNAPSHOTS, Prepared, hand_back

__all__ = ["assess_for_report", "write_outputs"]


def assess_for_report(
    catalog: str | os.PathLike | None = None,
    scenarios: Sequence[str | os.PathLike] = (),
    *,
    prepared: str | os.PathLike | None = None,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
) -> list[Assessment]:
    """The weekly notebook's assessments: of every scenario, the plan first.

    With ``prepared`` (set by :func:`~analysis.report.render.render_report`),
    of the inputs handed over in that file; an error while assessing them is
    handed back beside it (:func:`~analysis.report.prepared.hand_back`), then
    raised. Without, as :func:`~analysis.plan.scenarios.assess_files` (a
    notebook opened by hand).
    """
    if not prepared:
        return assess_files(catalog, scenarios, rubric=rubric, rules=rules, gates=gates)
    if not Path(prepared).exists():
        raise ReportError("the command handed over no inputs")
    # Hundreds of thousands of objects come back at once: the cycle collector, scanning
    # them again and again every 700 allocations, would take longer than loading them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        with open(prepared, "rb") as file:  # written by hand_over, in the report's scratch folder
            handed: Prepared = pickle.load(file)  # noqa: S301
    finally:
        if enabled:
            gc.enable()
    try:
        return assess_inputs(handed.inputs, handed.scenarios)
    except AnalysisError as exc:
        hand_back(exc, prepared)
        raise


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
    write_text_atomic(folder / WRITTEN_SNAPSHOTS, json.dumps(snapshots, ensure_ascii=False))
