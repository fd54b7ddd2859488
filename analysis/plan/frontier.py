"""The trade-off frontier of a sweep: no other combination is better on every axis.

The axes are value (more is better), finish (earlier) and risk (less).
:func:`pareto_frontier` keeps the combinations no other beats on all three at
once; :func:`place` says where a compared plan (such as a hand-made one)
stands: on the frontier, or beaten, and by which combination.

Examples
--------
>>> dominates((70, 3.0, 100), (60, 3.5, 100)), dominates((70, 3.0, 100), (80, 3.0, 90))
(True, False)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.plan.sweep_results import COLUMNS

__all__ = [
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
]

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


def _beating(values: np.ndarray, point: Sequence[float] | np.ndarray) -> np.ndarray:
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


def dominated_by(point: Mapping[str, Any] | pd.Series, table: pd.DataFrame) -> pd.DataFrame:
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


def settings_text(row: Mapping[str, Any] | pd.Series, parameters: Sequence[str]) -> str:
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
    row: Mapping[Hashable, Any]  # a row of the compared plans' table
    beaten_by: pd.DataFrame  # the sweep's rows that beat it on all three axes at once
    best: Mapping[Hashable, Any] | None  # of those, the one with the most value (then earliest)

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
