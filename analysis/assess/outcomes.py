"""Outcomes: which areas a selection advances, against the document's own targets.

Each task may name the outcome areas it advances (observability, reliability,
scalability, security, cost, delivery speed); the catalog keeps the targets
the document states (99.99 % availability, deploy time from 30 to 5 min, ...).
For a selection, every area gets the tasks that advance it, the share of the
area's open work selected, and its targets; areas with nothing selected are
left untouched.

Examples
--------
>>> from analysis.inputs.catalog_records import parse_catalog
>>> catalog = parse_catalog({"tasks": [
...     {"id": "A", "issue": 1, "title": "a", "activity": "design", "environment": "none",
...      "effort": 1, "outcomes": ["observability"]},
...     {"id": "B", "issue": 1, "title": "b", "activity": "design", "environment": "none",
...      "effort": 1, "outcomes": ["observability", "cost"]}]})
>>> rows = outcome_coverage(catalog, ["A"])
>>> [(r.area, r.selected, r.total) for r in rows if r.total]
[('observability', ('A',), 2), ('cost', (), 1)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analysis.model import Catalog, Target
from analysis.vocabulary import OUTCOME_AREAS

__all__ = [
    "OutcomeCoverage",
    "outcome_coverage",
]


@dataclass(frozen=True)
class OutcomeCoverage:
    """One outcome area under a selection."""

    area: str
    selected: tuple[str, ...]
    total: int
    selected_hours: float
    total_hours: float
    targets: tuple[Target, ...]

    @property
    def share(self) -> float:
        """Share of the area's open tasks that are selected (0 when it has none)."""
        return len(self.selected) / self.total if self.total else 0.0

    @property
    def untouched(self) -> bool:
        return not self.selected


def outcome_coverage(catalog: Catalog, selected: Iterable[str]) -> tuple[OutcomeCoverage, ...]:
    """Coverage of every outcome area (in vocabulary order) by the ``selected`` tasks.

    Done and cancelled tasks are not open work and count in no total.
    """
    chosen = set(selected)
    rows = []
    for area in OUTCOME_AREAS:
        tasks = [
            t for t in catalog.tasks if area in t.outcomes and t.status not in ("done", "cancelled")
        ]
        picked = [t for t in tasks if t.id in chosen]
        rows.append(
            OutcomeCoverage(
                area=area,
                selected=tuple(t.id for t in picked),
                total=len(tasks),
                selected_hours=sum(t.effort.hours for t in picked),
                total_hours=sum(t.effort.hours for t in tasks),
                targets=tuple(t for t in catalog.targets if t.area == area),
            )
        )
    return tuple(rows)
