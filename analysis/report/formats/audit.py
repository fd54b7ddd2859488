"""An audit as text: a table per task with its main reason, counts and findings; JSON; markdown."""

from __future__ import annotations

import json
from typing import Any

from analysis.assess.audit import NOT_COMPUTABLE, Audit
from analysis.report.formats.text import FORMATS, finding_data, format_table, one_line
from analysis.report.markdown import audit_markdown
from analysis.resources import shown_path

__all__ = [
    "audit_to_data",
    "format_audit",
]


def audit_to_data(audit: Audit) -> dict[str, Any]:
    """The audit as plain data: ``tasks``, ``counts``, ``findings`` and context.

    A task's ``risk`` is its level in the worst case, which decisions use;
    ``computed`` says whether it follows from known facts. When it does not,
    ``level_range`` (best and worst case), ``lowest_level`` and
    ``not_computable_because`` (the unknown facts) say how far it could move.
    """
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
                "computed": score.computed,
                "level_range": list(score.level_range),
                "lowest_level": score.best_level,
                "not_computable_because": list(score.rests_on_unknown),
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
            "source": shown_path(catalog.source),
            "tasks": len(catalog),
        },
        "rubric": {"name": audit.rubric.name, "source": shown_path(audit.rubric.source)},
        "levels": audit.level_counts(),
        "computed_levels": audit.computed_counts(),
        "tasks": tasks,
        "counts": [
            {
                "scope": row.scope,
                "measure": row.measure,
                "declared": row.declared,
                "listed": row.listed,
                "computed": row.computed,
                "not_computable": row.not_computable,
            }
            for row in audit.counts
        ],
        "facts_to_add": [
            {
                "fact": row.fact,
                "settles": list(row.settles),
                "narrows": list(row.narrows),
                "unsettled_by": {task: list(values) for task, values in row.unsettled.items()},
            }
            for row in audit.facts_to_add
        ],
        "findings": [finding_data(f) for f in audit.findings],
    }


def _task_rows(audit: Audit) -> list[list[Any]]:
    return [
        [
            task.id,
            f"#{task.issue}",
            audit.scores[task.id].level_text,
            task.declared_risk or "-",
            audit.scores[task.id].score,
            task.title,
            audit.scores[task.id].main_reason,
        ]
        for task in audit.catalog.tasks
    ]


_TASK_HEADERS = ["id", "issue", "risk", "declared", "score", "title", "main reason"]
_COUNT_HEADERS = ["scope", "measure", "declared", "listed", "computed", NOT_COMPUTABLE, "agrees"]


def _count_rows(audit: Audit) -> list[list[Any]]:
    return [
        [
            r.scope,
            r.measure,
            "-" if r.declared is None else r.declared,
            r.listed,
            r.computed,
            r.not_computable,
            "yes" if r.agrees else "NO",
        ]
        for r in audit.counts
    ]


def _headline(audit: Audit) -> str:
    catalog = audit.catalog
    return (
        f"{one_line(catalog.title or catalog.name)}: {len(catalog)} tasks ({audit.mix_text()}) "
        f"scored with rubric '{audit.rubric.name}'; {len(audit.findings)} finding(s)"
    )


def format_audit(audit: Audit, fmt: str) -> str:
    """The audit as ``table`` (terminal), ``json`` or ``markdown`` text."""
    if fmt == "json":
        return json.dumps(audit_to_data(audit), ensure_ascii=False, indent=2)
    if fmt == "markdown":
        return audit_markdown(audit)
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
        parts += [f"  [{f.kind}] {one_line(f.message)}" for f in audit.findings] or ["  none"]
        return "\n".join(parts)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
