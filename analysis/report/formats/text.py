"""Text for terminals and markdown: aligned tables, one-line cells, durations.

Column widths count East Asian wide characters as two cells, so tables with
Japanese titles stay aligned in a terminal; a line break inside a cell shows
as `` ⏎ `` so that each row stays on one line.

Examples
--------
>>> print(format_table(["id", "title"], [["T1", "設計"], ["T22", "Design"]]))
ID   TITLE
T1   設計
T22  Design
>>> display_width("設計")
4
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from analysis.model import Finding
from analysis.report.markdown import escape_markdown

if TYPE_CHECKING:  # a type only: formats of audits need no plan
    from analysis.plan.results import Assessment

__all__ = [
    "FORMATS",
    "display_width",
    "one_line",
    "format_table",
    "markdown_table",
    "finding_data",
    "clock",
    "decimals",
    "number_texts",
    "risk_text",
    "figure_text",
]

FORMATS = ("table", "json", "markdown")


def display_width(text: str) -> int:
    """Terminal cells that ``text`` takes (wide and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def one_line(text: Any) -> str:
    r"""Text on one terminal line: each line break shown as `` ⏎ ``.

    >>> one_line("line one\nline two")
    'line one ⏎ line two'
    """
    return _LINE_BREAK.sub(" ⏎ ", str(text))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table; the last column is not padded; a line break shows as ``⏎``."""
    cells = [[str(h).upper() for h in headers]] + [
        ["" if c is None else one_line(c) for c in r] for r in rows
    ]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*parts, row[-1]]).rstrip())
    return "\n".join(lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table, each cell escaped (catalog text shows verbatim)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += [
        "| " + " | ".join("" if c is None else escape_markdown(c) for c in row) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def finding_data(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "message": finding.message,
        "tasks": list(finding.tasks),
        "details": dict(finding.details),
    }


def clock(hours: float) -> str:
    """Hours as h:mm (with a decimal of a minute when needed)."""
    minutes = round(hours * 60, 1)
    whole = int(minutes)
    text = f"{whole // 60}:{whole % 60:02d}"
    return text + (f"{minutes - whole:.1f}"[1:] if minutes != whole else "")


def decimals(values: Sequence[float]) -> int:
    """As few decimals (0, 1 or 2) as show every value of a column to two decimals.

    >>> decimals([3, 2]), decimals([3, 2.5]), decimals([0.125, 1])
    (0, 1, 2)
    """
    for places in (0, 1):
        if all(abs(round(v, places) - round(v, 2)) < 1e-9 for v in values):
            return places
    return 2


def number_texts(values: Sequence[float]) -> list[str]:
    """A column of numbers written alike: each with the column's :func:`decimals`.

    >>> number_texts([3, 2.5, 1])
    ['3.0', '2.5', '1.0']
    """
    places = decimals(values)
    return [f"{value:,.{places}f}" for value in values]


def risk_text(assessment: Assessment, task: str) -> str:
    """A task's level as planned, the catalog's beside it where it differs (terminal tables).

    ``MEDIUM (catalog LOW)`` for a design task a plan does as implementation;
    else the catalog's level as shown (``not computable (LOW–MEDIUM)``).
    """
    level, catalog = assessment.level_texts((task,))
    return f"{level} (catalog {catalog})" if catalog else level


def figure_text(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
