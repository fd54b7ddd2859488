"""A markdown import as text: what was read, what was not, and the agreement with a catalog."""

from __future__ import annotations

import json
from typing import Any

from analysis.inputs.agreement import Agreement
from analysis.inputs.markdown import Imported
from analysis.model import hours_text
from analysis.report.formats.text import one_line

__all__ = [
    "import_to_data",
    "format_import",
]


def import_to_data(imported: Imported, agreement: Agreement | None = None) -> dict[str, Any]:
    """An import's catalog summary, notes, plan links and (optionally) agreement as data."""
    catalog = imported.catalog
    data: dict[str, Any] = {
        "catalog": {
            "name": catalog.name,
            "title": catalog.title,
            "tasks": len(catalog),
            "issues": [issue.number for issue in catalog.issue_by_number.values()],
            "declared": {
                "total": catalog.declared.total,
                **dict(catalog.declared.by_level),
            },
        },
        "scenarios": {kind: dict(data) for kind, data in imported.scenarios.items()},
        "unknowns": {task: list(facts) for task, facts in imported.unknowns.items()},
        "notes": [{"line": n.line, "kind": n.kind, "message": n.message} for n in imported.notes],
        "links": [
            {
                "line": link.line,
                "text": link.text,
                "task": link.task,
                "phase": link.phase,
                "priority": link.priority,
            }
            for link in imported.links
        ],
    }
    if agreement is not None:
        data["agreement"] = {
            "missing": list(agreement.missing),
            "extra": list(agreement.extra),
            "levels_equal": sum(f.equal for f in agreement.levels),
            "levels": len(agreement.levels),
            "counts_equal": agreement.counts_equal,
            "counts": [{"what": w, "imported": a, "hand": b} for w, a, b in agreement.counts],
            "fact_share": agreement.fact_share,
            "facts": len(agreement.facts),
            "differences": [
                {
                    "task": f.task,
                    "fact": f.fact,
                    "imported": _plain_value(f.imported),
                    "hand": _plain_value(f.hand),
                }
                for f in (*agreement.facts, *agreement.levels, *agreement.titles)
                if not f.equal
            ],
        }
    return data


def _scenario_lines(imported: Imported) -> list[str]:
    """The document's own limits and plan, as the scenarios written beside the catalog."""
    limits = imported.scenarios.get("limits")
    if not limits:
        return ["the document states no limits or plan: plans use the generic default scenario"]
    stated = [f"appetite {limits['appetite']}"]
    if "budget_hours" in limits:
        stated.append(f"budget {hours_text(limits['budget_hours'])}")
    if "task_cap" in limits:
        stated.append(f"cap {limits['task_cap']} tasks")
    if "phases" in limits:
        stated.append(f"{len(limits['phases'])} phases")
    lines = ["the document's limits: " + ", ".join(stated)]
    plan = imported.scenarios.get("plan")
    if plan:
        lines.append(f"the document's plan: {len(plan['plan'])} items (checked as a plan scenario)")
    return lines


def _plain_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def format_import(imported: Imported, agreement: Agreement | None, fmt: str) -> str:
    """An import's report as ``table`` or ``json`` text."""
    if fmt == "json":
        return json.dumps(import_to_data(imported, agreement), ensure_ascii=False, indent=2)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r} (table or json)")
    catalog = imported.catalog
    declared = catalog.declared
    per_issue = ", ".join(
        f"#{number}: {len(catalog.tasks_of(number))}" for number in catalog.issue_by_number
    )
    parts = [
        f"{one_line(catalog.title or catalog.name)}: {len(catalog)} tasks ({per_issue}); "
        "declared total "
        f"{declared.total if declared.total is not None else '-'}, by level "
        + (", ".join(f"{k} {v}" for k, v in declared.by_level.items()) or "-"),
    ]
    linked = [link for link in imported.links if link.task]
    parts += _scenario_lines(imported)
    if imported.links:
        parts.append(
            f"plan lines: {len(imported.links)}, {len(linked)} linked to listed tasks "
            "(not counted again)"
        )
    parts += ["", f"Facts the text does not state ({len(imported.unknowns)} tasks):"]
    parts += [f"  {task}: {', '.join(facts)}" for task, facts in imported.unknowns.items()] or [
        "  none"
    ]
    unread = imported.unread
    parts += ["", f"Lines not read ({len(unread)}):"]
    parts += [f"  line {n.line}: {n.message}" for n in unread] or ["  none"]
    others = [n for n in imported.notes if n.kind in ("repeat", "unlinked", "effort")]
    if others:
        parts += ["", "Notes:"]
        parts += [f"  line {n.line}: {n.message}" if n.line else f"  {n.message}" for n in others]
    if agreement is not None:
        found = len(agreement.levels)
        parts += [
            "",
            "Agreement with the hand-made catalog:",
            f"  tasks found: {found} of {found + len(agreement.missing)}"
            + (f"; missing {', '.join(agreement.missing)}" if agreement.missing else "")
            + (f"; not in it: {', '.join(agreement.extra)}" if agreement.extra else ""),
            f"  declared levels equal: {sum(f.equal for f in agreement.levels)} of {found}",
            f"  titles equal: {sum(f.equal for f in agreement.titles)} of {found}",
            f"  declared counts equal: {sum(a == b for _, a, b in agreement.counts)} of "
            f"{len(agreement.counts)}",
            f"  inferred facts equal: {sum(f.equal for f in agreement.facts)} of "
            f"{len(agreement.facts)} ({agreement.fact_share:.1%})",
        ]
        differing = [
            f for f in (*agreement.facts, *agreement.levels, *agreement.titles) if not f.equal
        ]
        parts += [
            f"    {f.task} {f.fact}: imported {_plain_value(f.imported)}, hand "
            f"{_plain_value(f.hand)}"
            for f in differing
        ]
        parts += [
            f"    count {w}: imported {a}, hand {b}" for w, a, b in agreement.counts if a != b
        ]
    return "\n".join(parts)
