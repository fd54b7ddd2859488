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

A level that rests on an unknown fact is not a computed level: ``level`` is
the worst case (used for decisions), ``lowest_level`` the best case, and the
main reason says what the level would be for each value of the fact.

>>> unknown = parse_catalog({"defaults": {"effort_hours": {"implement": 1}},
...     "tasks": [{"id": "T1", "issue": 1, "title": "Helm Charts実装",
...                "activity": "implement", "environment": "unknown",
...                "touches": ["compute"], "reversibility": "reversible"}]}).tasks[0]
>>> scored = score_task(unknown, rubric)
>>> scored.computed, scored.status, scored.range_text
(False, 'not computable: environment unknown', 'MEDIUM–HIGH')
>>> why, worst = scored.main_reason.split("; at worst: ")
>>> why.removeprefix("not computable: environment unknown ")
'(MEDIUM–HIGH; MEDIUM if none/dev/verification/staging, HIGH if production)'
>>> worst
'8 points, mostly environment unknown: scored as production +4'
"""

from __future__ import annotations

import itertools
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
    "fact_levels",
    "unsettled_by",
    "settled_by",
]

#: Stating ``touches`` settles a level when every set of these many further areas does.
_MAX_AREAS_TRIED = 10


@dataclass(frozen=True)
class Reason:
    """One contribution to a score: a fact and its points, or a rule and its bound."""

    factor: str
    value: str
    points: int
    text: str


@dataclass(frozen=True)
class Score:
    """A task's level, its score and every reason behind them.

    ``level`` is the level with every unknown fact scored as its riskiest value:
    the worst case, which every decision uses (appetite, gates).
    ``lowest_level`` is the level were every unknown fact its safest value: the
    best case. ``rests_on_unknown`` names, in the order of ``FACTS``, the unknown
    facts behind the difference: empty exactly when the two are the same level.
    The level is *computed* when it rests on no unknown fact; otherwise it is not
    computable, and ``main_reason`` says so, with what each value of those facts
    would make it, before the worst case's own reason ("at worst: ...").
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

    @property
    def computed(self) -> bool:
        """Whether the level follows from known facts (it rests on no unknown one)."""
        return not self.rests_on_unknown

    @property
    def best_level(self) -> str:
        """The level were every unknown fact its safest value (``lowest_level``, never None)."""
        return self.lowest_level or self.level

    @property
    def level_range(self) -> tuple[str, str]:
        """The best and the worst case: ``(lowest_level, level)``; one level when computed."""
        return self.best_level, self.level

    @property
    def range_text(self) -> str:
        """``MEDIUM–HIGH`` for a level that is not computable; the level when it is."""
        low, high = self.level_range
        return high if low == high else f"{low}–{high}"

    @property
    def level_text(self) -> str:
        """The level as shown: ``HIGH`` when computed, else ``not computable (MEDIUM–HIGH)``."""
        return self.level if self.computed else f"not computable ({self.range_text})"

    @property
    def status(self) -> str:
        """``computed``, or ``not computable: environment unknown`` (the facts in fixed order)."""
        if self.computed:
            return "computed"
        return f"not computable: {', '.join(self.rests_on_unknown)} unknown"


def _resolve(
    task: Task,
    rubric: Rubric,
    safest: frozenset[str] = frozenset(),
    stated: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Known facts as they are; unknown ones as the riskiest value (or the safest, if named).

    ``stated`` gives unknown facts a value as if the task stated it (for
    ``touches``, the areas it touches besides the known ones).
    """
    facts: dict[str, Any] = {}
    for fact in FACTS:
        value = task.fact(fact)
        order = list(rubric.points[fact])
        if fact == "touches":
            known = {v for v in value if v != UNKNOWN}
            if stated is not None and fact in stated:
                known |= set(stated[fact])
            elif UNKNOWN in value and fact not in safest:
                known = set(order)
            facts[fact] = tuple(v for v in order if v in known)
        elif value == UNKNOWN:
            if stated is not None and fact in stated:
                facts[fact] = stated[fact]
            else:
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
    rests, lowest = _rests(task, rubric, level)
    if rests:
        main = _not_computable(task, rubric, rests, lowest, level, main)
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


def _rests(task: Task, rubric: Rubric, level: str) -> tuple[tuple[str, ...], str]:
    """The unknown facts behind a level (in ``FACTS`` order), and the level at best.

    A fact is behind the level when stating it as its safest value alone lowers
    the level, or stating it as its riskiest alone raises the best case. When
    the best case is lower yet no single fact shows it (only several together
    do), every unknown fact is behind it; so the tuple is empty exactly when
    the level is the same at best and at worst.
    """
    unknown = task.unknown_facts()
    lowest = _level(_resolve(task, rubric, frozenset(unknown)), rubric)[0]
    if lowest == level:
        return (), lowest
    rests = tuple(
        fact
        for fact in unknown
        if level_rank(_level(_resolve(task, rubric, frozenset({fact})), rubric)[0])
        < level_rank(level)
        or level_rank(_level(_resolve(task, rubric, frozenset(unknown) - {fact}), rubric)[0])
        > level_rank(lowest)
    )
    return rests or unknown, lowest


def _stated_values(task: Task, rubric: Rubric, fact: str) -> list[tuple[str, Any]]:
    """The values an unknown fact could be stated as, with a label: safest first.

    For ``touches``, no further area, then each area alone (besides the known ones).
    """
    if fact != "touches":
        return [(value, value) for value in rubric.points[fact]]
    known = set(task.touches) - {UNKNOWN}
    extra = [area for area in rubric.points[fact] if area not in known]
    return [("none", ()), *((area, (area,)) for area in extra)]


def _stated_range(task: Task, rubric: Rubric, fact: str, value: Any) -> tuple[str, str]:
    """The level at best and at worst were ``fact`` stated as ``value`` (other unknowns open)."""
    others = frozenset(task.unknown_facts()) - {fact}
    best = _level(_resolve(task, rubric, others, stated={fact: value}), rubric)[0]
    worst = _level(_resolve(task, rubric, stated={fact: value}), rubric)[0]
    return best, worst


def fact_levels(task: Task, rubric: Rubric, fact: str) -> list[tuple[str, tuple[str, ...]]]:
    """What each value of an unknown fact would make the level: ``[("MEDIUM", (...)), ...]``.

    Each level (or range of levels, ``MEDIUM–HIGH``, while other unknown facts
    stay open) with the values that give it, lowest first (``touches``: one
    area at a time, or ``none``).
    """
    by_range: dict[tuple[str, str], list[str]] = {}
    for label, value in _stated_values(task, rubric, fact):
        by_range.setdefault(_stated_range(task, rubric, fact, value), []).append(label)
    ordered = sorted(by_range, key=lambda pair: (level_rank(pair[0]), level_rank(pair[1])))
    return [
        (best if best == worst else f"{best}–{worst}", tuple(by_range[(best, worst)]))
        for best, worst in ordered
    ]


def unsettled_by(task: Task, rubric: Rubric, fact: str) -> tuple[str, ...]:
    """The values of ``fact`` that, once stated, would still leave the level not computable.

    Empty when stating the fact settles the level whatever its value. For
    ``touches`` every set of further areas is tried (``none``, ``network``,
    ``network+data``, ...; up to 2**10 sets: with more areas in a rubric, no
    area, each area alone and all of them).
    """
    values: list[tuple[str, Any]] = _stated_values(task, rubric, fact)
    if fact == "touches":
        known = set(task.touches) - {UNKNOWN}
        extra = [area for area in rubric.points[fact] if area not in known]
        if len(extra) <= _MAX_AREAS_TRIED:
            values = [
                ("+".join(combination) or "none", combination)
                for size in range(len(extra) + 1)
                for combination in itertools.combinations(extra, size)
            ]
        else:
            values.append(("+".join(extra), tuple(extra)))
    return tuple(
        label for label, value in values if len(set(_stated_range(task, rubric, fact, value))) > 1
    )


def settled_by(task: Task, rubric: Rubric, fact: str) -> bool:
    """Whether stating ``fact``, whatever its value, makes the task's level computed."""
    return not unsettled_by(task, rubric, fact)


def _not_computable(
    task: Task, rubric: Rubric, rests: tuple[str, ...], lowest: str, level: str, worst: str
) -> str:
    """The main reason of a level that rests on unknown facts: what they could make it."""
    parts = [f"{lowest}–{level}"]
    for fact in rests:
        mapping = ", ".join(
            f"{at} if {'/'.join(values)}" for at, values in fact_levels(task, rubric, fact)
        )
        if len(rests) > 1 or fact == "touches":
            name = "touches (one area)" if fact == "touches" else fact
            mapping = f"{name}: {mapping}"
        parts.append(mapping)
    return f"not computable: {', '.join(rests)} unknown ({'; '.join(parts)}); at worst: {worst}"


def score_catalog(catalog: Catalog, rubric: Rubric) -> dict[str, Score]:
    """Scores of every task, keyed by task id, in catalog order."""
    return {task.id: score_task(task, rubric) for task in catalog.tasks}
