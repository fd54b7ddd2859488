"""Graph rules as data: dependency inference rules and how titles are compared.

The rules file (bundled: ``analysis/data/graph-rules.yaml``) holds the
inference rules that add edges between tasks of one overlap cluster, and the
overlap settings: stop words (activities, environments, generic nouns: dropped
from a title's keywords), synonyms, generic words (dropped too when comparing
what titles are about) and the similarity settings.

:func:`title_keywords` normalises a title (NFKC, so full and half width agree;
case folded; qualifiers in parentheses or brackets dropped; punctuation splits
words; a run of kanji or katakana is cut at the words the settings know;
synonyms expanded) into the set of words that tells the task apart: markdown
import matches plan lines to tasks with it. :func:`title_subject` drops the
generic words as well, leaving what the title is about: overlap clusters
compare it.

Examples
--------
>>> rules = read_graph_rules()
>>> sorted(title_keywords("Helm Charts Development (テンプレート作成)", rules.overlaps))
['chart', 'helm']
>>> sorted(title_keywords("DR Plan文書化", rules.overlaps))
['disaster', 'plan', 'recovery']
>>> sorted(title_subject("Logging Pipeline Design (EFK設計)", rules.overlaps))
['log']
>>> sorted(title_subject("ﾛｸﾞ集約設計", rules.overlaps))
['log']
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
    "title_subject",
]

_CONDITION_FACTS = ("activity", "environment", "status")
_OVERLAP_KEYS = ("stop_words", "synonyms", "generic_words", "similarity")
_SIMILARITY_KEYS = ("threshold", "min_shared", "common_word_tasks")
# Latin words and digits; katakana runs (the middle dot ・ splits them); kanji runs.
_TOKEN = re.compile(r"[a-z0-9]+|[\u30a1-\u30fa\u30fc-\u30ff]+|[\u3005\u4e00-\u9fff]+")
_QUALIFIER = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_LATIN = re.compile(r"[a-z0-9]+")


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
    """How titles become keywords and subjects, and when two subjects are similar.

    ``stop_words`` are dropped from keywords, ``generic_words`` from subjects
    too. Two different subjects are *similar* when they share at least
    ``min_shared`` words and their Dice coefficient (twice the shared words
    over the words of both) is at least ``threshold``. A word in more than
    ``common_word_tasks`` tasks is too common to propose a pair to compare (it
    still counts as shared): so the pairs compared grow linearly with the tasks.
    """

    stop_words: frozenset[str] = frozenset()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    generic_words: frozenset[str] = frozenset()
    threshold: float = 0.65
    min_shared: int = 2
    common_word_tasks: int = 50
    #: Kanji and katakana words the settings name, to cut runs with (longest first).
    lexicon: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if self.min_shared < 1:
            raise ValueError(f"min_shared must be at least 1, not {self.min_shared}")
        if self.common_word_tasks < 2:
            raise ValueError(f"common_word_tasks must be at least 2, not {self.common_word_tasks}")
        words = {*self.stop_words, *self.synonyms, *self.generic_words}
        object.__setattr__(
            self, "lexicon", frozenset(w for w in words if w and not _LATIN.fullmatch(w))
        )


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
        if key not in _OVERLAP_KEYS:
            known = ", ".join(_OVERLAP_KEYS)
            raise fail(f"unknown field (known: {known})", field=f"overlaps.{key}")
    stop_words = overlaps.get("stop_words") or []
    synonyms = overlaps.get("synonyms") or {}
    generic_words = overlaps.get("generic_words") or []
    if not isinstance(stop_words, list) or not isinstance(synonyms, Mapping):
        raise fail("expected a list of stop words and a mapping of synonyms", field="overlaps")
    if not isinstance(generic_words, list):
        raise fail("expected a list of words", field="overlaps.generic_words")
    for word, values in synonyms.items():
        if not isinstance(values, list) or not values:
            raise fail("expected a list of words", field=f"overlaps.synonyms.{word}")
    similarity = overlaps.get("similarity") or {}
    if not isinstance(similarity, Mapping):
        raise fail("expected a mapping", field="overlaps.similarity")
    numbers: dict[str, Any] = {}
    for key, value in similarity.items():
        where = f"overlaps.similarity.{key}"
        if key not in _SIMILARITY_KEYS:
            raise fail(f"unknown field (known: {', '.join(_SIMILARITY_KEYS)})", field=where)
        whole = key in ("min_shared", "common_word_tasks")
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            raise fail("expected a whole number" if whole else "expected a number", field=where)
        numbers[key] = value
    try:
        settings = OverlapSettings(
            stop_words=frozenset(_normalise(str(word)) for word in stop_words),
            synonyms={
                _normalise(str(word)): tuple(_normalise(str(v)) for v in values)
                for word, values in synonyms.items()
            },
            generic_words=frozenset(_normalise(str(word)) for word in generic_words),
            **numbers,
        )
    except ValueError as error:
        raise fail(str(error), field="overlaps.similarity") from None
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
    """NFKC (full and half width agree) and case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _stem(word: str) -> str:
    """A plural "s" dropped from a latin word longer than three letters ("ops", "ss",
    "us" and "is" are no plurals: gitops, class, status, analysis)."""
    if (
        word.isascii()
        and len(word) > 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is", "ops"))
    ):
        return word[:-1]
    return word


def _segments(run: str, lexicon: frozenset[str]) -> list[str]:
    """A kanji or katakana run cut at the words of ``lexicon`` (longest match first);
    what lies between known words stays one word.

    >>> _segments("災害復旧計画文書化", frozenset({"災害復旧", "文書化", "計画"}))
    ['災害復旧', '計画', '文書化']
    >>> _segments("包括的文書化", frozenset({"文書化"}))
    ['包括的', '文書化']
    """
    if not lexicon or run in lexicon:
        return [run]
    longest = min(max(map(len, lexicon)), len(run))
    out, unknown, i = [], "", 0
    while i < len(run):
        for size in range(min(longest, len(run) - i), 0, -1):  # a few letters at most
            if run[i : i + size] in lexicon:
                if unknown:
                    out.append(unknown)
                    unknown = ""
                out.append(run[i : i + size])
                i += size
                break
        else:
            unknown += run[i]
            i += 1
    if unknown:
        out.append(unknown)
    return out


def title_keywords(title: str, settings: OverlapSettings) -> frozenset[str]:
    """The normalised keywords of a title (empty when nothing specific remains)."""
    text = _QUALIFIER.sub(" ", _normalise(title))
    words: set[str] = set()
    for run in _TOKEN.findall(text):
        tokens = [run] if run.isascii() else _segments(run, settings.lexicon)
        for token in tokens:
            if token in settings.stop_words:
                continue
            for word in settings.synonyms.get(token, (token,)):
                word = _stem(word)
                if word not in settings.stop_words:
                    words.add(word)
    return frozenset(words)


def title_subject(title: str, settings: OverlapSettings) -> frozenset[str]:
    """What a title is about: its keywords less the generic words.

    When only generic words remain, they are the subject ("Pipeline
    Optimization" is about the pipeline).
    """
    keywords = title_keywords(title, settings)
    return (keywords - settings.generic_words) or keywords
