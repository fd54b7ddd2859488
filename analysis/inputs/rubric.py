"""Rubrics: the rule that turns a task's facts into a level, read from YAML and checked.

A rubric gives points to each value of each fact, listed safest first, and
hard rules that hold a level down (``level_at_most``) or up
(``level_at_least``). Loading a rubric checks that it is *monotone*: points
never decrease along a fact's list, a rule that raises a level applies to a
value's riskier neighbours too, and a rule that caps a level to its safer
neighbours. Hence making one fact riskier never lowers a task's level. A
rubric may add activities and touched areas to the vocabulary.

Examples
--------
>>> rubric = read_rubric()
>>> rubric.thresholds["MEDIUM"], rubric.thresholds["HIGH"]
(3, 8)
>>> [rule.id for rule in rubric.rules]
['paper-only', 'outside-production', 'production-core']
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.errors import RubricError
from analysis.files import read_text
from analysis.inputs.records import load_yaml_text
from analysis.resources import DEFAULT_RUBRIC
from analysis.vocabulary import (
    DEFAULT_VOCABULARY,
    FACTS,
    LEVELS,
    UNKNOWN,
    Vocabulary,
    facts_match,
    level_rank,
)

__all__ = [
    "Rule",
    "Rubric",
    "parse_rubric",
    "read_rubric",
]

_RUBRIC_KEYS = ("name", "description", "levels", "facts", "rules", "scale")
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
    #: Labels of other scales, per level (``HIGH: [critical, 高, 🔴]``): how an
    #: imported document's own ratings map onto this rubric's levels.
    scale: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

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
    scale = _parse_scale(data.get("scale"), fail)
    name = data.get("name") or (Path(source).stem if source != "<memory>" else "rubric")
    return Rubric(
        scale=scale,
        name=str(name),
        points=points,
        thresholds=thresholds,
        rules=rules,
        source=source,
        description=data.get("description"),
    )


def _parse_scale(raw: Any, fail) -> dict[str, tuple[str, ...]]:
    """``scale``: per level, the labels other scales give it; a label names one level."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise fail("expected a mapping of level to labels", "scale")
    seen: dict[str, str] = {}
    scale: dict[str, tuple[str, ...]] = {}
    for level, labels in raw.items():
        if level not in LEVELS:
            raise fail(f"unknown level (give {', '.join(LEVELS)})", f"scale.{level}")
        if not isinstance(labels, list) or not all(
            isinstance(label, str) and label.strip() for label in labels
        ):
            raise fail("expected a list of non-empty labels", f"scale.{level}")
        for label in labels:
            key = unicodedata.normalize("NFKC", label).strip().lower()
            if seen.get(key, level) != level:
                raise fail(f"label {label!r} names both {seen[key]} and {level}", f"scale.{level}")
            seen[key] = level
        scale[level] = tuple(labels)
    return scale


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
