"""How far an imported catalog agrees with a hand-made one of the same assessment.

:func:`compare_catalogs` matches tasks by id, then counts the titles,
declared levels and counts that are equal, and each inferred fact
(activity, environment, touched areas, outcomes, priority) that agrees,
listing every difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analysis.model import Catalog
from analysis.vocabulary import LEVELS

__all__ = [
    "FactAgreement",
    "Agreement",
    "COMPARED_FACTS",
    "compare_catalogs",
]


@dataclass(frozen=True)
class FactAgreement:
    """One fact of one task, as imported and as written by hand."""

    task: str
    fact: str
    imported: Any
    hand: Any

    @property
    def equal(self) -> bool:
        return self.imported == self.hand


@dataclass(frozen=True)
class Agreement:
    """How an imported catalog agrees with a hand-made one, field by field."""

    missing: tuple[str, ...]
    extra: tuple[str, ...]
    levels: tuple[FactAgreement, ...]
    counts: tuple[tuple[str, Any, Any], ...]  # (what, imported, hand)
    facts: tuple[FactAgreement, ...]
    titles: tuple[FactAgreement, ...] = field(default_factory=tuple)

    @property
    def fact_share(self) -> float:
        return sum(f.equal for f in self.facts) / len(self.facts) if self.facts else 1.0

    @property
    def counts_equal(self) -> bool:
        return all(a == b for _, a, b in self.counts)


COMPARED_FACTS = ("activity", "environment", "touches", "outcomes", "priority")


def compare_catalogs(imported: Catalog, hand: Catalog) -> Agreement:
    """Task by task and count by count: what the import found against a hand-made catalog."""
    mine, theirs = imported.task_by_id, hand.task_by_id
    both = [t for t in theirs if t in mine]
    facts, levels, titles = [], [], []
    for task_id in both:
        a, b = mine[task_id], theirs[task_id]
        levels.append(FactAgreement(task_id, "declared_risk", a.declared_risk, b.declared_risk))
        titles.append(FactAgreement(task_id, "title", a.title, b.title))
        for fact in COMPARED_FACTS:
            facts.append(FactAgreement(task_id, fact, getattr(a, fact), getattr(b, fact)))
    counts = [("total", imported.declared.total, hand.declared.total)]
    for level in LEVELS:
        counts.append(
            (
                f"all {level}",
                imported.declared.by_level.get(level),
                hand.declared.by_level.get(level),
            )
        )
    for number, issue in hand.issue_by_number.items():
        other = imported.issue_by_number.get(number)
        counts.append(
            (f"#{number} total", other.declared.total if other else None, issue.declared.total)
        )
        for level in LEVELS:
            counts.append(
                (
                    f"#{number} {level}",
                    other.declared.by_level.get(level) if other else None,
                    issue.declared.by_level.get(level),
                )
            )
    return Agreement(
        missing=tuple(t for t in theirs if t not in mine),
        extra=tuple(t for t in mine if t not in theirs),
        levels=tuple(levels),
        counts=tuple(counts),
        facts=tuple(facts),
        titles=tuple(titles),
    )
