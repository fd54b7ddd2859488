"""The report's kernel launched ahead: before ``assess report`` parses its command line.

Parsing the command line takes the command a tenth of a second (typer builds a
validator per option); a kernel launched before it boots meanwhile, and imports
what the report's notebook imports (:func:`~analysis.report.notebook.notebook_imports`).
The report takes it (:func:`take`); when none does (help, a wrong option, a
batch), :func:`close_unused` shuts it down and removes its scratch folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING

from analysis.resources import WEEKLY_NOTEBOOK

if TYPE_CHECKING:
    from analysis.report.notebook import LaunchedKernel

__all__ = ["launch_for", "take", "close_unused"]

#: Kernels launched ahead and not taken yet.
_LAUNCHED: list[LaunchedKernel] = []


def launch_for(args: Sequence[str], notebook: str | os.PathLike = WEEKLY_NOTEBOOK) -> None:
    """For ``assess`` run with ``args`` (its command line, the command first): when it
    renders one report (``report`` without ``--catalog-dir`` or ``--help``), launch
    its kernel on ``notebook`` now; :func:`take` gives it.

    A launch that fails is left for later: the report launches its kernel
    itself then, and that launch says why it fails.
    """
    if list(args[:1]) != ["report"] or any(a == "--help" or "--catalog-dir" in a for a in args):
        return
    from analysis.report.notebook import launch_report_kernel

    with contextlib.suppress(Exception):
        _LAUNCHED.append(launch_report_kernel(notebook))


def take(notebook: str | os.PathLike = WEEKLY_NOTEBOOK) -> LaunchedKernel:
    """The kernel :func:`launch_for` launched, else one launched now."""
    from analysis.report.notebook import launch_report_kernel

    return _LAUNCHED.pop() if _LAUNCHED else launch_report_kernel(notebook)


def close_unused() -> None:
    """Shut down the kernels launched ahead that no report took, and remove their folders."""
    while _LAUNCHED:
        kernel = _LAUNCHED.pop()
        with contextlib.suppress(Exception):  # gone already; its folder goes all the same
            kernel.close()
        shutil.rmtree(kernel.folder, ignore_errors=True)
