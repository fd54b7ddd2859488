"""The weekly notebook's side of a report: the assessments handed over, the files written.

:func:`~analysis.report.render.render_report` assesses every scenario itself
while the kernel starts, and hands the assessments over in a file in the
kernel's scratch folder (:func:`hand_over`: written whole, then renamed; a
lock beside it is held while they are made). The notebook's first cell reads
them (:func:`assess_for_report`, which waits for the lock), and its last one
writes the plan and the week's snapshots (:func:`write_outputs`).

This module is all the kernel imports of the command's side: not the
rendering (papermill, nbconvert, the kernel launcher), not the assessing
(unless the notebook runs on its own, opened by hand).
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import pickle
from collections.abc import Sequence
from pathlib import Path

from analysis.errors import ReportError
from analysis.files import write_text_atomic
from analysis.plan.results import Assessment
from analysis.report.formats.plan import format_plan
from analysis.report.history import snapshot_of

__all__ = [
    "HANDED_OVER",
    "LOCKED",
    "WRITTEN_SNAPSHOTS",
    "assess_for_report",
    "write_outputs",
    "hand_over",
]

#: The file the assessments are handed over in, in the kernel's scratch folder.
HANDED_OVER = "assessments.pickle"
#: The suffix of the lock held beside it while the command assesses.
LOCKED = ".lock"
#: The week's snapshots as the notebook writes them (the report publishes them).
WRITTEN_SNAPSHOTS = "snapshots.json"


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
    the assessments the command has made, kept in that file (waiting while the
    command holds the lock beside it). Without, as
    :func:`~analysis.plan.scenarios.assess_files` (a notebook opened by hand).
    """
    if not prepared:
        from analysis.plan.scenarios import assess_files

        return assess_files(catalog, scenarios, rubric=rubric, rules=rules, gates=gates)
    lock = Path(f"{prepared}{LOCKED}")
    if lock.exists():  # the command holds it while it assesses
        with open(lock, "rb") as file:
            fcntl.flock(file, fcntl.LOCK_SH)
    if not Path(prepared).exists():
        raise ReportError("the command handed over no assessments (it names why)")
    # Millions of objects come back at once: the cycle collector, scanning them again
    # and again every 700 allocations, would take longer than loading them. Restored after.
    enabled = gc.isenabled()
    gc.disable()
    try:
        with open(prepared, "rb") as file:  # written by hand_over, in the report's scratch folder
            assessments: list[Assessment] = pickle.load(file)  # noqa: S301
        return assessments
    finally:
        if enabled:
            gc.enable()


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


def hand_over(assessments: list[Assessment], prepared: Path) -> None:
    """The assessments for the kernel: written whole, then named ``prepared``."""
    partial = prepared.with_name(f"{prepared.name}.partial")
    with open(partial, "wb") as file:
        pickle.dump(assessments, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, prepared)
