"""Graph rules as data: dependency inference rules and how titles are compared.

The rules file (bundled: ``analysis/data/graph-rules.yaml``) holds the
inference rules that add edges between tasks of one overlap cluster, and the
overlap settings: the words that name an activity or an environment (dropped
from a title's keywords), synonyms, and stop words. :func:`title_keywords`
normalises a title (NFKC, lower case, parenthesised qualifiers dropped,
synonyms expanded) into the set of words that says what it is about; both the
overlap clusters and markdown import use it.

Examples
--------
>>> rules = read_graph_rules()
>>> sorted(title_keywords("Helm Charts Development (テンプレート作成)", rules.overlaps))
['chart', 'helm']
>>> sorted(title_keywords("DR Plan文書化", rules.overlaps))
['disaster', 'plan', 'recovery']
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from analysis.errors import GraphRulesError
from analysis.files import read_text
from analysis.inputs.records import load_yaml_text
from analysis.model import Task
from analysis.resources import DEFAULT_GRAPH_RULES

__all__ = [
    "InferenceRule",
    "OverlapSettings",
    "GraphRules",
    "parse_graph_rules",
    "read_graph_rules",
    "title_keywords",
]

_CONDITION_FACTS = ("activity", "environment", "status")
_TOKEN = re.compile(r"[a-z0-9]+|[\u30a0-\u30ff]+|[\u4e00-\u9fff]+")
_PARENS = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class InferenceRule:
    """``before`` tasks come before ``after`` tasks of the same overlap cluster."""

    id: str
    reason: str
    before: Mapping[str, tuple[str, ...]]
    after: Mapping[str, tuple[str, ...]]
    enabled: bool = True

    @staticmethod
    def matches(condition: Mapping[str, tuple[str, ...]], task: Task) -> bool:
        return all(getattr(task, fact) in values for fact, values in condition.items())

    def applies(self, before: Task, after: Task) -> bool:
        """Whether this rule puts ``before`` ahead of ``after``."""
        return self.matches(self.before, before) and self.matches(self.after, after)


@dataclass(frozen=True)
class OverlapSettings:
    """How titles become keywords: stop words dropped, synonyms expanded."""

    stop_words: frozenset[str] = frozenset()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class GraphRules:
    """Inference rules and overlap settings, as read from a rules file."""

    inference: tuple[InferenceRule, ...]
    overlaps: OverlapSettings
    source: str | None = None

    @property
    def enabled(self) -> tuple[InferenceRule, ...]:
        return tuple(rule for rule in self.inference if rule.enabled)

    def without(self, rule_ids: Iterable[str]) -> GraphRules:
        """The same rules with ``rule_ids`` switched off.

        Raises
        ------
        GraphRulesError
            When an id names no rule.
        """
        off = set(rule_ids)
        known = {rule.id for rule in self.inference}
        unknown = sorted(off - known)
        if unknown:
            raise GraphRulesError(
                f"no inference rule {', '.join(unknown)} (known: {', '.join(sorted(known))})",
                source=self.source,
            )
        rules = tuple(replace(r, enabled=r.enabled and r.id not in off) for r in self.inference)
        return replace(self, inference=rules)


def parse_graph_rules(data: Any, *, source: str = "<memory>") -> GraphRules:
    """Build :class:`GraphRules` from YAML-shaped data.

    Raises
    ------
    GraphRulesError
        On an unknown key, a rule without id or reason, or a condition on an
        unknown fact.
    """

    def fail(problem: str, record: str | None = None, field: str | None = None):
        return GraphRulesError(problem, source=source, record=record, field=field)

    if not isinstance(data, Mapping):
        raise fail("expected a mapping with 'inference' and 'overlaps'")
    for key in data:
        if key not in ("inference", "overlaps"):
            raise fail("unknown field (known: inference, overlaps)", field=str(key))
    rules = []
    for index, raw in enumerate(data.get("inference") or []):
        record = f"rule #{index + 1}"
        if not isinstance(raw, Mapping):
            raise fail("expected a mapping", record)
        if isinstance(raw.get("id"), str):
            record = f"rule {raw['id']}"
        for key in raw:
            if key not in ("id", "reason", "enabled", "before", "after"):
                raise fail("unknown field (known: id, reason, enabled, before, after)", record, key)
        for key in ("id", "reason"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise fail("missing (required): text", record, key)
        if not isinstance(raw.get("enabled", True), bool):
            raise fail("expected true or false", record, "enabled")
        sides = {}
        for side in ("before", "after"):
            condition = raw.get(side) or {}
            if not isinstance(condition, Mapping) or not condition:
                raise fail("expected a mapping of fact to values", record, side)
            parsed = {}
            for fact, values in condition.items():
                if fact not in _CONDITION_FACTS:
                    known = ", ".join(_CONDITION_FACTS)
                    raise fail(f"unknown fact (known: {known})", record, f"{side}.{fact}")
                values = [values] if isinstance(values, str) else values
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise fail("expected a list of values", record, f"{side}.{fact}")
                parsed[fact] = tuple(values)
            sides[side] = parsed
        rules.append(
            InferenceRule(
                id=raw["id"],
                reason=raw["reason"],
                before=sides["before"],
                after=sides["after"],
                enabled=raw.get("enabled", True),
            )
        )
    ids = [rule.id for rule in rules]
    for rule_id in ids:
        if ids.count(rule_id) > 1:
            raise fail("duplicate rule id", f"rule {rule_id}", "id")
    overlaps = data.get("overlaps") or {}
    if not isinstance(overlaps, Mapping):
        raise fail("expected a mapping", field="overlaps")
    for key in overlaps:
        if key not in ("stop_words", "synonyms"):
            raise fail("unknown field (known: stop_words, synonyms)", field=f"overlaps.{key}")
    stop_words = overlaps.get("stop_words") or []
    synonyms = overlaps.get("synonyms") or {}
    if not isinstance(stop_words, list) or not isinstance(synonyms, Mapping):
        raise fail("expected a list of stop words and a mapping of synonyms", field="overlaps")
    settings = OverlapSettings(
        stop_words=frozenset(_normalise(str(word)) for word in stop_words),
        synonyms={
            _normalise(str(word)): tuple(_normalise(str(v)) for v in values)
            for word, values in synonyms.items()
        },
    )
    return GraphRules(inference=tuple(rules), overlaps=settings, source=source)


def read_graph_rules(path: str | os.PathLike = DEFAULT_GRAPH_RULES) -> GraphRules:
    """Read a graph rules file (YAML).

    Raises
    ------
    GraphRulesError
        When the file is missing, malformed or invalid.
    """
    text = read_text(path, error=GraphRulesError)
    return parse_graph_rules(
        load_yaml_text(text, str(path), error=GraphRulesError), source=str(path)
    )


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _stem(word: str) -> str:
    if word.isascii() and len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def title_keywords(title: str, settings: OverlapSettings) -> frozenset[str]:
    """The normalised keywords of a title (empty when nothing specific remains)."""
    text = _PARENS.sub(" ", _normalise(title))
    words: set[str] = set()
    for token in _TOKEN.findall(text):
        if token in settings.stop_words:
            continue
        for word in settings.synonyms.get(token, (token,)):
            word = _stem(word)
            if word not in settings.stop_words:
                words.add(word)
    return frozenset(words)
