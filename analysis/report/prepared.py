"""What ``assess report`` hands its kernel, and what the kernel hands back on failure.

Shared by the command (:mod:`analysis.report.render`) and the notebook's side
(:mod:`analysis.report.handover`), and light: the command reads and checks the
inputs and hands them over (:func:`hand_over`) without loading pandas or the
solver, which the kernel loads as it boots.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import AnalysisError
from analysis.files import write_bytes_atomic
from analysis.inputs.bundle import Inputs
from analysis.model import Scenario

__all__ = [
    "HANDED_OVER",
    "FAILED",
    "WRITTEN_SNAPSHOTS",
    "Prepared",
    "hand_over",
    "hand_back",
    "handed_back",
]

#: The file the inputs are handed over in, in the kernel's scratch folder.
HANDED_OVER = "inputs.pickle"
#: The suffix of the file an error while assessing is left in, beside the inputs.
FAILED = ".error"
#: The week's snapshots as the notebook writes them (the report publishes them).
WRITTEN_SNAPSHOTS = "snapshots.json"


@dataclass(frozen=True)
class Prepared:
    """The inputs read and checked, and the scenarios to assess (read and checked
    against them), the plan first."""

    inputs: Inputs
    scenarios: tuple[Scenario, ...]


def hand_over(handed: Prepared, prepared: Path) -> None:
    """The inputs for the kernel: written whole, then named ``prepared``."""
    write_bytes_atomic(prepared, pickle.dumps(handed, protocol=pickle.HIGHEST_PROTOCOL))


def hand_back(error: AnalysisError, prepared: str | os.PathLike) -> None:
    """Leave ``error``, met assessing what was handed over at ``prepared``, beside it."""
    write_bytes_atomic(Path(f"{prepared}{FAILED}"), pickle.dumps(error))


def handed_back(prepared: Path) -> AnalysisError | None:
    """The error the kernel met assessing what was handed over at ``prepared``, if any."""
    failed = Path(f"{prepared}{FAILED}")
    if not failed.exists():
        return None
    with open(failed, "rb") as file:  # written by hand_back, in the report's scratch folder
        error: AnalysisError = pickle.load(file)  # noqa: S301
    return error
