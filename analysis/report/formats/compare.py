"""Two plans side by side as text: measures, which is better, and the tasks only in one."""

from __future__ import annotations

import json
from typing import Any

from analysis.plan.results import MEASURES, Comparison, measures
from analysis.report.formats.plan import plan_to_data
from analysis.report.formats.text import clock, figure_text, format_table, markdown_table, one_line
from analysis.report.markdown import escape_markdown, markdown_code

__all__ = [
    "comparison_to_data",
    "format_comparison",
]


def comparison_to_data(comparison: Comparison) -> dict[str, Any]:
    """Two selections side by side as plain data."""
    return {
        "a": plan_to_data(comparison.a),
        "b": plan_to_data(comparison.b),
        "only_a": list(comparison.only_a),
        "only_b": list(comparison.only_b),
        "both": list(comparison.both),
        "measures": {
            name: {
                "a": measures(comparison.a)[name],
                "b": measures(comparison.b)[name],
                "better": comparison.better[name],
            }
            for name in MEASURES
        },
    }


def _measure_text(name: str, value: float | None) -> str:
    """A measure as the tables write it: hours of work and the finish ``h:mm``."""
    if name in ("hours", "finish"):
        return "no schedule fits" if value is None else clock(value)
    return figure_text(value)


def format_comparison(comparison: Comparison, fmt: str) -> str:
    """A comparison as ``table``, ``json`` or ``markdown`` text."""
    if fmt == "json":
        return json.dumps(comparison_to_data(comparison), ensure_ascii=False, indent=2)
    a, b = comparison.a, comparison.b
    name_a = f"A: {a.scenario.name} ({a.selection.status})"
    name_b = f"B: {b.scenario.name} ({b.selection.status})"
    ma, mb = measures(a), measures(b)
    rows = [
        [
            name,
            _measure_text(name, ma[name]),
            _measure_text(name, mb[name]),
            comparison.better[name],
        ]
        for name in MEASURES
    ]
    title = {t.id: t.title for t in a.catalog}
    sections = [
        (f"Only in A ({len(comparison.only_a)})", comparison.only_a),
        (f"Only in B ({len(comparison.only_b)})", comparison.only_b),
        (f"In both ({len(comparison.both)})", comparison.both),
    ]
    if fmt == "markdown":
        parts = [
            f"## Compare: {escape_markdown(name_a)} vs {escape_markdown(name_b)}",
            "",
            markdown_table(["measure", "A", "B", "better"], rows),
            "",
        ]
        for heading, tasks in sections:
            parts += [f"### {heading}", ""]
            parts += [f"- {markdown_code(t)} {escape_markdown(title[t])}" for t in tasks] or [
                "None."
            ]
            parts.append("")
        for label, side in (("A", a), ("B", b)):
            parts += [f"### Violations of {label} ({len(side.selection.violations)})", ""]
            parts += [
                f"- **{v.kind}**: {escape_markdown(v.message)}" for v in side.selection.violations
            ] or ["None."]
            parts.append("")
        return "\n".join(parts).rstrip() + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r} (table, json or markdown)")
    parts = [name_a, name_b, "", format_table(["measure", "A", "B", "better"], rows), ""]
    for heading, tasks in sections:
        parts.append(f"{heading}:")
        parts += [f"  {t}  {one_line(title[t])}" for t in tasks] or ["  none"]
        parts.append("")
    for label, side in (("A", a), ("B", b)):
        parts.append(f"Violations of {label} ({len(side.selection.violations)}):")
        parts += [f"  [{v.kind}] {one_line(v.message)}" for v in side.selection.violations] or [
            "  none"
        ]
        parts.append("")
    return "\n".join(parts).rstrip()
