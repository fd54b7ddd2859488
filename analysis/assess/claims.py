"""What a document claims beyond its counts, checked; and the scales its levels were read on.

``claim-mismatch``
    The document says "N of M tasks are safe" or states a total effort, and its
    own lists say otherwise: N against the tasks it rates at or below the
    appetite (LOW and MEDIUM), M against the tasks it lists; the effort against
    the sum of the efforts its tasks state (checked only when every task states
    one). Each finding quotes the sentence.
``declared-scale``
    Declared levels written on another scale (``CRITICAL``, ``Very low``,
    ``高``, 🔴) and the level each was read as, by the rubric's scale; one
    finding per catalog, so that a reader sees every mapping the import used.

Examples
--------
>>> from analysis.inputs.catalog_records import parse_catalog
>>> catalog = parse_catalog({
...     "catalog": {"declared": {"safe": 2, "safe_of": 2}},
...     "defaults": {"effort_hours": {"design": 1}},
...     "tasks": [{"id": "T1", "issue": 1, "title": "x", "activity": "design",
...                "environment": "none", "declared_risk": "HIGH", "declared_label": "Critical"},
...               {"id": "T2", "issue": 1, "title": "y", "activity": "design",
...                "environment": "none", "declared_risk": "LOW"}]})
>>> [finding.kind for finding in claim_findings(catalog)]
['claim-mismatch', 'declared-scale']
>>> print(claim_findings(catalog)[1].message)
declared levels on another scale, read by the rubric's scale: Critical -> HIGH (1 task: T1)
"""

from __future__ import annotations

from collections import defaultdict

from analysis.model import Catalog, Finding, hours_text
from analysis.vocabulary import LEVELS

__all__ = [
    "CLAIM_KINDS",
    "claim_findings",
]

CLAIM_KINDS = ("claim-mismatch", "declared-scale")
_SAFE_LEVELS = LEVELS[:2]  # what "safe" means in the seed's rule: LOW and MEDIUM


def _quoted(catalog: Catalog, key: str) -> str:
    sentence = catalog.declared.as_stated.get(key)
    return f" (\u201c{sentence}\u201d)" if sentence else ""


def _safe_finding(catalog: Catalog) -> list[Finding]:
    declared = catalog.declared
    if declared.safe is None:
        return []
    rated = [t for t in catalog.tasks if t.declared_risk in _SAFE_LEVELS]
    listed = len(catalog)
    of = declared.safe_of
    if declared.safe == len(rated) and of in (None, listed):
        return []
    said = f"{declared.safe} of {of}" if of is not None else f"{declared.safe}"
    return [
        Finding(
            "claim-mismatch",
            f"the document says {said} tasks are safe{_quoted(catalog, 'safe')}; "
            f"it lists {listed} tasks, {len(rated)} of them rated "
            f"{' or '.join(_SAFE_LEVELS)} by the document itself",
            tuple(t.id for t in rated),
            {
                "claim": "safe",
                "declared": declared.safe,
                "declared_of": of,
                "listed": listed,
                "rated_safe": len(rated),
            },
        )
    ]


def _effort_finding(catalog: Catalog) -> list[Finding]:
    declared = catalog.declared
    if declared.effort_hours is None:
        return []
    stated = [t for t in catalog.tasks if t.effort_source == "task"]
    total = round(sum(t.effort.hours for t in stated), 4)
    if len(stated) < len(catalog):
        missing = len(catalog) - len(stated)
        return [
            Finding(
                "claim-mismatch",
                f"the document states a total effort of {hours_text(declared.effort_hours)}"
                f"{_quoted(catalog, 'effort_hours')}, but {missing} of its {len(catalog)} "
                f"tasks state no effort, so it cannot be checked (the others add up to "
                f"{hours_text(total)})",
                tuple(t.id for t in catalog.tasks if t.effort_source != "task"),
                {
                    "claim": "effort_hours",
                    "declared": declared.effort_hours,
                    "stated": total,
                    "tasks_without_effort": missing,
                },
            )
        ]
    if abs(total - declared.effort_hours) < 0.01:
        return []
    return [
        Finding(
            "claim-mismatch",
            f"the document states a total effort of {hours_text(declared.effort_hours)}"
            f"{_quoted(catalog, 'effort_hours')}; its tasks' efforts add up to "
            f"{hours_text(total)}",
            (),
            {"claim": "effort_hours", "declared": declared.effort_hours, "stated": total},
        )
    ]


def _scale_finding(catalog: Catalog) -> list[Finding]:
    mapped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for task in catalog.tasks:
        if task.declared_label and task.declared_risk:
            mapped[(task.declared_label, task.declared_risk)].append(task.id)
    if not mapped:
        return []
    parts = [
        f"{label} -> {level} ({len(ids)} task{'s' if len(ids) > 1 else ''}: {', '.join(ids)})"
        for (label, level), ids in mapped.items()
    ]
    return [
        Finding(
            "declared-scale",
            "declared levels on another scale, read by the rubric's scale: " + "; ".join(parts),
            tuple(i for ids in mapped.values() for i in ids),
            {"mapping": [{"label": k[0], "level": k[1], "tasks": v} for k, v in mapped.items()]},
        )
    ]


def claim_findings(catalog: Catalog) -> list[Finding]:
    """Claims that disagree with the lists, then the scale mappings used (see the docstring)."""
    return _safe_finding(catalog) + _effort_finding(catalog) + _scale_finding(catalog)
