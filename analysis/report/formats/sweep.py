"""A sweep as text: the frontier, a line per distinct point, and where compared plans stand."""

from __future__ import annotations

import pandas as pd

from analysis.plan.frontier import frontier_points, parameters_of, place, settings_text
from analysis.plan.sweep_results import SweepResult
from analysis.report.formats.text import clock, format_table
from analysis.vocabulary import LEVELS

__all__ = [
    "format_sweep",
]


def format_sweep(result: SweepResult) -> str:
    """A finished sweep: what ran, where it went, the frontier and the compared plans."""
    table = result.table
    statuses = table["status"].value_counts(sort=False)
    lines = [
        f"sweep {result.name}: {len(table)} combinations "
        f"({result.ran} run, {result.resumed} from the checkpoint, {result.failed} failed)",
        f"  table: {result.csv}",
        f"         {result.parquet}",
        "  selections: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        "",
    ]
    points = frontier_points(table)
    lines.append(
        f"Frontier ({len(points)} point(s) no combination beats on value, finish and risk at once):"
    )
    rows = [
        [
            f"{p.value:g}",
            clock(p.finish_hours),
            clock(p.hours),
            p.tasks,
            "/".join(str(p[level]) for level in LEVELS),
            f"{p.risk_score:g}",
            "-" if pd.isna(p.p80_hours) else clock(p.p80_hours),
            "-" if pd.isna(p.within_budget) else f"{p.within_budget:.0%}",
            p.reached_by,
            f"#{p.combination} {p.settings}",
        ]
        for _, p in points.iterrows()
    ]
    headers = ["value", "finish", "work", "tasks", "L/M/H", "risk", "P80 finish", "in budget"]
    lines.append(format_table([*headers, "reached by", "first combination"], rows))
    placements = place(result.references, table)
    if placements:
        lines += ["", "Compared plans:"]
        lines += [f"  {p.verdict}" for p in placements]
    failed = table[table["status"] == "error"]
    if len(failed):
        lines += ["", f"Failed ({len(failed)}; run the sweep again to retry them):"]
        parameters = parameters_of(table)
        lines += [
            f"  #{row['combination']} ({settings_text(row, parameters)}): {row['error']}"
            for _, row in failed.head(10).iterrows()
        ]
    return "\n".join(lines)
