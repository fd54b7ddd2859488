"""Risk scoring: a rubric turns a task's facts into a level, with reasons.

An ``unknown`` fact is scored as its riskiest value and the reasons say so.
The level is ``max(floor, min(cap, level of the points))``; the score is the
points, moved into the band of that level when a rule moved the level, so
that the score and the level always agree. The rubric itself is read and
checked by :mod:`analysis.inputs.rubric`.

Examples
--------
>>> from analysis.inputs.catalog_records import parse_catalog
>>> from analysis.inputs.rubric import read_rubric
>>> rubric = read_rubric()
>>> catalog = parse_catalog({"defaults": {"effort_hours": {"implement": 1}},
...     "tasks": [{"id": "T1", "issue": 1, "title": "Helm Charts実装",
...                "activity": "implement", "environment": "dev"}]})
>>> result = score_task(catalog.tasks[0], rubric)
>>> result.level
'MEDIUM'
>>> result.main_reason
'outside-production: a change applied to a development or verification environment (段階的実施推奨)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analysis.errors import RubricError
from analysis.inputs.rubric import Rubric, Rule
from analysis.model import Catalog, Task
from analysis.vocabulary import FACTS, LEVELS, UNKNOWN, level_rank

__all__ = [
    "Reason",
    "Score",
    "score_task",
    "score_catalog",
]


@dataclass(frozen=True)
class Reason:
    """One contribution to a score: a fact and its points, or a rule and its bound."""

    factor: str
    value: str
    points: int
    text: str


@dataclass(frozen=True)
class Score:
    """A task's computed level, its score and every reason behind them.

    ``rests_on_unknown`` names the unknown facts that raised the level: were any
    of them known to be its safest value, the level would be lower.
    ``lowest_level`` is the level were every unknown fact its safest value.
    """

    task: str
    level: str
    score: int
    points: int
    reasons: tuple[Reason, ...]
    main_reason: str
    rests_on_unknown: tuple[str, ...] = ()
    lowest_level: str | None = None

    def reason_texts(self) -> list[str]:
        return [reason.text for reason in self.reasons]


def _resolve(task: Task, rubric: Rubric, safest: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Known facts as they are; unknown ones as the riskiest value (or the safest, if named)."""
    facts: dict[str, Any] = {}
    for fact in FACTS:
        value = task.fact(fact)
        order = list(rubric.points[fact])
        if fact == "touches":
            known = {v for v in value if v != UNKNOWN}
            if UNKNOWN in value and fact not in safest:
                known = set(order)
            facts[fact] = tuple(v for v in order if v in known)
        elif value == UNKNOWN:
            facts[fact] = order[0] if fact in safest else order[-1]
        else:
            facts[fact] = value
    return facts


def _level(facts: Mapping[str, Any], rubric: Rubric) -> tuple[str, int, list[Rule]]:
    points = sum(
        sum(rubric.points[f][v] for v in facts[f]) if f == "touches" else rubric.points[f][facts[f]]
        for f in FACTS
    )
    level = rubric.level_of(points)
    matched = [rule for rule in rubric.rules if rule.matches(facts)]
    cap = min((level_rank(r.level) for r in matched if r.bound == "at_most"), default=len(LEVELS))
    floor = max((level_rank(r.level) for r in matched if r.bound == "at_least"), default=0)
    return LEVELS[max(floor, min(cap, level_rank(level)))], points, matched


def score_task(task: Task, rubric: Rubric) -> Score:
    """Score one task: level, score, and the reasons that produced them.

    Raises
    ------
    RubricError
        When the task uses a value the rubric gives no points for.
    """
    for fact in FACTS:
        value = task.fact(fact)
        for item in value if isinstance(value, tuple) else (value,):
            if item != UNKNOWN and item not in rubric.points[fact]:
                raise RubricError(
                    f"rubric '{rubric.name}' gives no points for {fact} '{item}'",
                    source=rubric.source,
                    task=task.id,
                    field=fact,
                )
    facts = _resolve(task, rubric)
    level, points, matched = _level(facts, rubric)
    reasons = []
    for fact in FACTS:
        value = task.fact(fact)
        if fact == "touches":
            pts = sum(rubric.points[fact][v] for v in facts[fact])
            shown = ", ".join(facts[fact])
            if UNKNOWN in value:
                text = f"touches unknown: scored as every area ({shown}) +{pts}"
            else:
                text = f"touches {shown} +{pts}"
            reasons.append(Reason(fact, ", ".join(value), pts, text))
            continue
        pts = rubric.points[fact][facts[fact]]
        if value == UNKNOWN:
            text = f"{fact} unknown: scored as {facts[fact]} +{pts}"
        else:
            text = f"{fact} {value} +{pts}"
        reasons.append(Reason(fact, str(value), pts, text))
    by_points = rubric.level_of(points)
    deciding = [rule for rule in matched if rule.level == level]
    for rule in matched:
        verb = "at least" if rule.bound == "at_least" else "at most"
        reasons.append(
            Reason(
                f"rule:{rule.id}", rule.level, 0, f"{rule.id}: {verb} {rule.level}: {rule.reason}"
            )
        )
    low, high = rubric.band(level)
    score = max(points, low) if high is None else min(max(points, low), high)
    if level != by_points:
        reasons.append(
            Reason(
                "level",
                level,
                0,
                f"{points} points would be {by_points}; the rules make it {level} (score {score})",
            )
        )
    if deciding:
        main = f"{deciding[0].id}: {deciding[0].reason}"
    else:
        top = max((r for r in reasons if r.points), key=lambda r: r.points, default=None)
        main = f"{points} points, mostly {top.text}" if top else f"{points} points"
    rests = tuple(
        fact
        for fact in task.unknown_facts()
        if level_rank(_level(_resolve(task, rubric, frozenset({fact})), rubric)[0])
        < level_rank(level)
    )
    lowest = _level(_resolve(task, rubric, frozenset(task.unknown_facts())), rubric)[0]
    return Score(
        task=task.id,
        level=level,
        score=score,
        points=points,
        reasons=tuple(reasons),
        main_reason=main,
        rests_on_unknown=rests,
        lowest_level=lowest,
    )


def score_catalog(catalog: Catalog, rubric: Rubric) -> dict[str, Score]:
    """Scores of every task, keyed by task id, in catalog order."""
    return {task.id: score_task(task, rubric) for task in catalog.tasks}
