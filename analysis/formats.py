"""Results as text: aligned tables, JSON and GitHub markdown.

Pure functions from result objects to strings; the CLI only prints them.
Column widths count East Asian wide characters as two cells, so tables with
Japanese titles stay aligned in a terminal.

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

import json
import unicodedata
from collections.abc import Sequence
from typing import Any

from analysis.audit import Audit

__all__ = [
    "display_width",
    "format_table",
    "markdown_table",
    "audit_to_data",
    "format_audit",
    "FORMATS",
]

FORMATS = ("table", "json", "markdown")


def display_width(text: str) -> int:
    """Terminal cells that ``text`` takes (wide and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table; the last column is not padded."""
    cells = [[str(h).upper() for h in headers]] + [
        ["" if c is None else str(c) for c in r] for r in rows
    ]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*parts, row[-1]]).rstrip())
    return "\n".join(lines)


def _md_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; pipes in cells are escaped."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def audit_to_data(audit: Audit) -> dict[str, Any]:
    """The audit as plain data: ``tasks``, ``counts``, ``findings`` and context."""
    catalog = audit.catalog
    tasks = []
    for task in catalog.tasks:
        score = audit.scores[task.id]
        tasks.append(
            {
                "id": task.id,
                "issue": task.issue,
                "title": task.title,
                "risk": score.level,
                "score": score.score,
                "points": score.points,
                "declared_risk": task.declared_risk,
                "main_reason": score.main_reason,
                "reasons": score.reason_texts(),
                "rests_on_unknown": list(score.rests_on_unknown),
                "activity": task.activity,
                "environment": task.environment,
                "touches": list(task.touches),
                "reversibility": task.reversibility,
                "effort_hours": task.effort.hours,
                "effort_source": task.effort_source,
                "value": task.value,
                "value_source": task.value_source,
                "status": task.status,
            }
        )
    return {
        "catalog": {
            "name": catalog.name,
            "title": catalog.title,
            "source": catalog.source,
            "tasks": len(catalog),
        },
        "rubric": {"name": audit.rubric.name, "source": audit.rubric.source},
        "levels": audit.level_counts(),
        "tasks": tasks,
        "counts": [
            {
                "scope": row.scope,
                "measure": row.measure,
                "declared": row.declared,
                "listed": row.listed,
                "computed": row.computed,
            }
            for row in audit.counts
        ],
        "findings": [
            {
                "kind": f.kind,
                "message": f.message,
                "tasks": list(f.tasks),
                "details": dict(f.details),
            }
            for f in audit.findings
        ],
    }


def _task_rows(audit: Audit) -> list[list[Any]]:
    return [
        [
            task.id,
            f"#{task.issue}",
            audit.scores[task.id].level,
            audit.scores[task.id].score,
            task.declared_risk or "-",
            task.title,
            audit.scores[task.id].main_reason,
        ]
        for task in audit.catalog.tasks
    ]


_TASK_HEADERS = ["id", "issue", "risk", "score", "declared", "title", "main reason"]
_COUNT_HEADERS = ["scope", "measure", "declared", "listed", "computed", "agrees"]


def _count_rows(audit: Audit) -> list[list[Any]]:
    return [
        [
            r.scope,
            r.measure,
            "-" if r.declared is None else r.declared,
            r.listed,
            r.computed,
            "yes" if r.agrees else "NO",
        ]
        for r in audit.counts
    ]


def _headline(audit: Audit) -> str:
    catalog = audit.catalog
    mix = ", ".join(f"{n} {level}" for level, n in audit.level_counts().items())
    return (
        f"{catalog.title or catalog.name}: {len(catalog)} tasks ({mix}) "
        f"scored with rubric '{audit.rubric.name}'; {len(audit.findings)} finding(s)"
    )


def format_audit(audit: Audit, fmt: str) -> str:
    """The audit as ``table`` (terminal), ``json`` or ``markdown`` text."""
    if fmt == "json":
        return json.dumps(audit_to_data(audit), ensure_ascii=False, indent=2)
    if fmt == "markdown":
        parts = [
            f"## Audit: {_md_cell(audit.catalog.title or audit.catalog.name)}",
            "",
            _md_cell(_headline(audit)),
            "",
            "### Tasks",
            "",
            markdown_table(_TASK_HEADERS, _task_rows(audit)),
            "",
            "### Counts",
            "",
            markdown_table(_COUNT_HEADERS, _count_rows(audit)),
            "",
            f"### Findings ({len(audit.findings)})",
            "",
        ]
        parts += [f"- **{f.kind}**: {_md_cell(f.message)}" for f in audit.findings] or ["None."]
        return "\n".join(parts)
    if fmt == "table":
        parts = [
            _headline(audit),
            "",
            format_table(_TASK_HEADERS, _task_rows(audit)),
            "",
            format_table(_COUNT_HEADERS, _count_rows(audit)),
            "",
            f"Findings ({len(audit.findings)}):",
        ]
        parts += [f"  [{f.kind}] {f.message}" for f in audit.findings] or ["  none"]
        return "\n".join(parts)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
