"""A saved sweep: its table's columns, its files, and reading it back.

:func:`~analysis.plan.sweeps.run_sweep` writes ``results.parquet`` and
``results.csv`` (one row per combination, :data:`COLUMNS` after the varied
parameters), ``references.csv`` (the compared plans) and ``sweep.json`` (what
it was computed from: the inputs' and the code's fingerprint). The reports
read a saved sweep back from here, without the solver:
:func:`latest_sweep`, :func:`read_sweep_result`, :func:`sweep_info`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import AnalysisError
from analysis.files import csv_text, csv_uncell
from analysis.resources import REPORTS_DIR, shown_to_path
from analysis.vocabulary import LEVELS

__all__ = [
    "COLUMNS",
    "SweepResult",
    "inputs_fingerprint",
    "REFERENCES",
    "ABOUT",
    "table_csv",
    "sweep_info",
    "table_of",
    "read_sweep_result",
    "latest_sweep",
]

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


@functools.lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """The package's own code: an edited module changes answers as much as an edited input.

    (The version string alone stays the same in a working copy or an editable install.)
    """
    digest = hashlib.sha256()
    package = Path(__file__).parent.parent
    for module in sorted(package.rglob("*.py")):
        name = module.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + module.read_bytes())
    return digest.digest()


def inputs_fingerprint(paths: Iterable[Path]) -> str:
    """What a checkpoint's rows were computed from: the inputs' bytes and this package's code."""
    digest = hashlib.sha256(_code_digest())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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
        current = (
            inputs_fingerprint(shown_to_path(p) for p in about["inputs"]) == about["fingerprint"]
        )
    except (OSError, AnalysisError):
        current = False
    return {**about, "current": current}


def table_of(rows: Iterable[dict[str, Any]], parameters: list[str]) -> pd.DataFrame:
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


def table_csv(table: pd.DataFrame) -> str:
    """A table in the one CSV form of the suite (:func:`analysis.files.csv_text`), NA empty.

    >>> table_csv(pd.DataFrame({"a": [1, None], "b": ["=x", "y"]}).astype({"a": "Int64"}))
    "a,b\\r\\n1,'=x\\r\\n,y\\r\\n"
    """
    rows = table.astype(object).where(table.notna(), None).itertuples(index=False, name=None)
    return csv_text([list(table.columns), *rows])


def read_sweep_result(folder: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A saved sweep's table and the plans it was compared with (empty when none)."""
    folder = Path(folder)
    table = pd.read_parquet(folder / "results.parquet")
    references = folder / REFERENCES
    if references.exists() and references.stat().st_size:
        others = pd.read_csv(references, dtype={"reference": "string"})
        for column in others.select_dtypes(include=["object", "string"]):
            others[column] = others[column].map(csv_uncell, na_action="ignore")
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
