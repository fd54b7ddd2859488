"""Risk scoring: a rubric kept in data turns a task's facts into a level, with reasons.

A rubric gives points to each value of each fact, listed safest first, and
hard rules that hold a level down (``level_at_most``) or up
(``level_at_least``). An ``unknown`` fact is scored as its riskiest value and
the reasons say so. Loading a rubric checks that it is *monotone*: points
never decrease along a fact's list, a rule that raises a level applies to a
value's riskier neighbours too, and a rule that caps a level to its safer
neighbours. Hence making one fact riskier never lowers a task's level.

The level is ``max(floor, min(cap, level of the points))``; the score is the
points, moved into the band of that level when a rule moved the level, so
that the score and the level always agree.

Examples
--------
>>> from analysis.catalog import parse_catalog
>>> rubric = read_rubric(DEFAULT_RUBRIC)
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

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.errors import RubricError
from analysis.model import (
    DEFAULT_VOCABULARY,
    FACTS,
    LEVELS,
    UNKNOWN,
    Catalog,
    Task,
    Vocabulary,
    facts_match,
    level_rank,
)
from analysis.paths import DEFAULT_RUBRIC
from analysis.records import load_yaml_text, read_text

__all__ = [
    "Rule",
    "Rubric",
    "Reason",
    "Score",
    "parse_rubric",
    "read_rubric",
    "score_task",
    "score_catalog",
    "DEFAULT_RUBRIC",
]

_RUBRIC_KEYS = ("name", "description", "levels", "facts", "rules")
_RULE_KEYS = ("id", "reason", "level_at_least", "level_at_most", "when")
_SET_FACTS = ("touches",)
_FIXED_FACTS = ("environment", "reversibility")


@dataclass(frozen=True)
class Rule:
    """A hard rule: when every condition holds, the level is at least / at most ``level``.

    ``when`` maps a fact to the values it must take; for ``touches`` the keys are
    ``touches_any`` (raising rules) and ``touches_none`` (capping rules).
    """

    id: str
    bound: str  # "at_least" or "at_most"
    level: str
    reason: str
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """Whether resolved facts (no ``unknown`` left) meet every condition."""
        return facts_match(self.when, facts, unknown_matches=False)


@dataclass(frozen=True)
class Rubric:
    """Points per fact value (safest first), level thresholds and hard rules."""

    name: str
    points: Mapping[str, Mapping[str, int]]
    thresholds: Mapping[str, int]
    rules: tuple[Rule, ...] = ()
    source: str | None = None
    description: str | None = None

    @property
    def vocabulary(self) -> Vocabulary:
        """The values a catalog may use with this rubric: the base ones, then its own."""
        return DEFAULT_VOCABULARY.extended({fact: tuple(self.points[fact]) for fact in FACTS})

    def riskiest(self, fact: str) -> str:
        """The value an ``unknown`` fact is scored as."""
        return list(self.points[fact])[-1]

    def level_of(self, score: int) -> str:
        """The level a score reaches by points alone."""
        level = LEVELS[0]
        for name in LEVELS[1:]:
            if score >= self.thresholds[name]:
                level = name
        return level

    def band(self, level: str) -> tuple[int, int | None]:
        """Lowest and highest score of ``level`` (None: no upper end)."""
        rank = level_rank(level)
        low = 0 if rank == 0 else self.thresholds[level]
        high = self.thresholds[LEVELS[rank + 1]] - 1 if rank + 1 < len(LEVELS) else None
        return low, high


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


# --------------------------------------------------------------------------- loading


def parse_rubric(data: Any, *, source: str = "<memory>") -> Rubric:
    """Build and check a :class:`Rubric` from YAML-shaped data.

    Raises
    ------
    RubricError
        On a missing or unknown key, a fact without the vocabulary's values,
        decreasing points, unordered thresholds or a rule that would make
        scoring non-monotone.
    """

    def fail(problem: str, field: str | None = None, record: str | None = None) -> RubricError:
        line = None
        holder = data
        if record and record.startswith("rule "):
            holder = next(
                (
                    r
                    for r in data.get("rules") or []
                    if isinstance(r, Mapping) and f"rule {r.get('id')}" == record
                ),
                data,
            )
        if hasattr(holder, "line_of") and field:
            line = holder.line_of(field.split(".")[0])
        return RubricError(problem, source=source, line=line, record=record, field=field)

    if not isinstance(data, Mapping):
        raise fail("expected a mapping with 'facts', 'levels' and 'rules'")
    for key in data:
        if key not in _RUBRIC_KEYS:
            raise fail(f"unknown field (known: {', '.join(_RUBRIC_KEYS)})", str(key))
    facts = data.get("facts")
    if not isinstance(facts, Mapping):
        raise fail("missing (required): points for each fact", "facts")
    points: dict[str, dict[str, int]] = {}
    for fact in facts:
        if fact not in FACTS:
            raise fail(f"unknown fact (known: {', '.join(FACTS)})", f"facts.{fact}")
    for fact in FACTS:
        values = facts.get(fact)
        if not isinstance(values, Mapping) or not values:
            raise fail("missing (required): points for each value, safest first", f"facts.{fact}")
        table: dict[str, int] = {}
        previous = None
        for value, pts in values.items():
            where = f"facts.{fact}.{value}"
            if value == UNKNOWN:
                raise fail("'unknown' is scored as the last value; do not list it", where)
            if isinstance(pts, bool) or not isinstance(pts, int) or pts < 0:
                raise fail(f"expected whole points >= 0, got {pts!r}", where)
            if fact not in _SET_FACTS and previous is not None and pts < previous[1]:
                raise fail(
                    f"points must not decrease along the list: {value} ({pts}) "
                    f"comes after {previous[0]} ({previous[1]})",
                    where,
                )
            table[str(value)] = pts
            previous = (value, pts)
        base = DEFAULT_VOCABULARY.values(fact)
        missing = [v for v in base if v not in table]
        if missing:
            raise fail(f"no points for {', '.join(missing)}", f"facts.{fact}")
        extra = [v for v in table if v not in base]
        if fact in _FIXED_FACTS and extra:
            raise fail(
                f"the values of {fact} are fixed; unknown {', '.join(extra)}", f"facts.{fact}"
            )
        points[fact] = table
    levels = data.get("levels")
    if not isinstance(levels, Mapping):
        raise fail("missing (required): the lowest score of each level above LOW", "levels")
    thresholds: dict[str, int] = {}
    for level in LEVELS[1:]:
        value = levels.get(level)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise fail(f"expected a whole score > 0, got {value!r}", f"levels.{level}")
        thresholds[level] = value
    for key in levels:
        if key not in LEVELS[1:]:
            raise fail(f"unknown level (give {', '.join(LEVELS[1:])})", f"levels.{key}")
    ordered = [thresholds[level] for level in LEVELS[1:]]
    if ordered != sorted(set(ordered)):
        raise fail("level thresholds must rise from MEDIUM to HIGH", "levels")
    rules = tuple(
        _parse_rule(raw, i, points, fail) for i, raw in enumerate(data.get("rules") or [])
    )
    ids = [rule.id for rule in rules]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise fail("duplicate rule id", "id", f"rule {duplicate}")
    name = data.get("name") or (Path(source).stem if source != "<memory>" else "rubric")
    return Rubric(
        name=str(name),
        points=points,
        thresholds=thresholds,
        rules=rules,
        source=source,
        description=data.get("description"),
    )


def _parse_rule(raw: Any, index: int, points: Mapping[str, Mapping[str, int]], fail) -> Rule:
    record = f"rule #{index + 1}"
    if not isinstance(raw, Mapping):
        raise fail("expected a mapping", None, record)
    if isinstance(raw.get("id"), str):
        record = f"rule {raw['id']}"
    for key in raw:
        if key not in _RULE_KEYS:
            raise fail(f"unknown field (known: {', '.join(_RULE_KEYS)})", str(key), record)
    for key in ("id", "reason"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise fail("missing (required): text", key, record)
    bounds = [key for key in ("level_at_least", "level_at_most") if key in raw]
    if len(bounds) != 1:
        raise fail("give exactly one of level_at_least, level_at_most", "level_at_least", record)
    bound = bounds[0]
    level = raw[bound]
    if level not in LEVELS:
        raise fail(f"{level!r} is not one of {', '.join(LEVELS)}", bound, record)
    when_raw = raw.get("when") or {}
    if not isinstance(when_raw, Mapping):
        raise fail("expected a mapping of fact to values", "when", record)
    raising = bound == "level_at_least"
    when: dict[str, tuple[str, ...]] = {}
    for key, values in when_raw.items():
        where = f"when.{key}"
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not values:
            raise fail("expected a list of values", where, record)
        values = list(dict.fromkeys(values))
        fact = "touches" if key in ("touches_any", "touches_none") else key
        if fact not in FACTS or key == "touches":
            allowed = [f for f in FACTS if f != "touches"] + ["touches_any", "touches_none"]
            raise fail(f"unknown condition (known: {', '.join(allowed)})", where, record)
        order = list(points[fact])
        for value in values:
            if value not in order:
                raise fail(f"{value!r} is not one of {', '.join(order)}", where, record)
        if fact == "touches":
            if (key == "touches_any") != raising:
                want = "touches_any" if raising else "touches_none"
                raise fail(f"a {bound} rule tests touched areas with {want}", where, record)
        else:
            chosen = sorted(order.index(v) for v in values)
            closed = order[-len(chosen) :] if raising else order[: len(chosen)]
            if sorted(order.index(v) for v in closed) != chosen:
                which = "the riskiest values" if raising else "the safest values"
                raise fail(
                    f"a {bound} rule must name {which} of {fact} in a row "
                    f"(here: {', '.join(closed)}), or scoring would not be monotone",
                    where,
                    record,
                )
        when[key] = tuple(values)
    return Rule(
        id=raw["id"],
        bound="at_least" if raising else "at_most",
        level=level,
        reason=raw["reason"],
        when=when,
    )


def read_rubric(path: str | os.PathLike = DEFAULT_RUBRIC) -> Rubric:
    """Read and check a rubric file (YAML).

    Raises
    ------
    RubricError
        When the file is missing, malformed or the rubric is not usable.
    """
    text = read_text(path, error=RubricError)
    data = load_yaml_text(text, str(path), error=RubricError)
    return parse_rubric(data, source=str(path))


# --------------------------------------------------------------------------- scoring


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
