"""The words markdown import reads facts from, Japanese and English.

``analysis/data/import-words.yaml`` lists, per fact (activity, environment,
touched areas, outcomes), the words that state each value: 設計 design,
実装 implement, 本番 production, ... :func:`infer_facts` finds them in a
title and keeps, for each fact, the words that led to it as evidence; what
no word states stays ``unknown``.

Examples
--------
>>> words = read_import_words()
>>> facts = infer_facts(words, "Service Mesh実装 (開発環境)")
>>> facts["activity"], facts["environment"]
('implement', 'dev')
>>> facts["evidence"]["environment"]
'開発環境'
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analysis.errors import MarkdownError
from analysis.files import read_text
from analysis.inputs.records import load_yaml_text
from analysis.resources import DEFAULT_IMPORT_WORDS
from analysis.vocabulary import DEFAULT_VOCABULARY, OUTCOME_AREAS, UNKNOWN

__all__ = [
    "ImportWords",
    "read_import_words",
    "find_words",
    "infer_facts",
]


@dataclass(frozen=True)
class ImportWords:
    facts: Mapping[str, Mapping[str, tuple[re.Pattern, ...]]]
    weak: frozenset[str] = frozenset()  # paper words that yield to a named environment


def _pattern(word: str) -> re.Pattern:
    word = unicodedata.normalize("NFKC", word).lower()
    if word.isascii():
        return re.compile(r"(?<![a-z0-9])" + re.escape(word) + r"s?(?![a-z0-9])")
    return re.compile(re.escape(word))


def read_import_words(path: str | os.PathLike = DEFAULT_IMPORT_WORDS) -> ImportWords:
    data = load_yaml_text(read_text(path, error=MarkdownError), str(path), error=MarkdownError)
    facts = {}
    for fact in ("activity", "environment", "touches", "outcomes", "reversibility"):
        facts[fact] = {
            value: tuple(_pattern(str(word)) for word in words)
            for value, words in (data.get(fact) or {}).items()
        }
    weak = frozenset(unicodedata.normalize("NFKC", str(w)).lower() for w in data.get("weak") or ())
    return ImportWords(facts, weak)


def find_words(words: ImportWords, fact: str, text: str) -> dict[str, str]:
    """Values of ``fact`` whose words appear in ``text``, with the word found."""
    found = {}
    for value, patterns in words.facts[fact].items():
        for pattern in patterns:
            match = pattern.search(text)
            if match:
                found[value] = match.group(0)
                break
    return found


def infer_facts(
    words: ImportWords, title: str, inherited: tuple[str, str] | None = None
) -> dict[str, Any]:
    """Facts and evidence from a task's words (see data/rules/import.yaml)."""
    text = unicodedata.normalize("NFKC", title).lower()
    evidence: dict[str, str] = {}
    activities = find_words(words, "activity", text)
    if activities:
        activity = max(activities, key=DEFAULT_VOCABULARY.precedence.index)
        evidence["activity"] = activities[activity]
    elif inherited:
        activity, evidence["activity"] = inherited
    else:
        activity = UNKNOWN
    environments = find_words(words, "environment", text)
    weak = activities.get(activity) in words.weak if activities else False
    if activity in DEFAULT_VOCABULARY.paper and weak and environments:
        activity = UNKNOWN  # "本番 DB のレプリカ作成": made in production, not a template
        del evidence["activity"]
    if activity in DEFAULT_VOCABULARY.paper:
        environment = "none"
        evidence["environment"] = evidence["activity"]
    else:
        order = ("dev", "verification", "staging", "production")
        environment = max(environments, key=order.index) if environments else UNKNOWN
        if environments:
            evidence["environment"] = environments[environment]
    reversibility = UNKNOWN
    if activity not in DEFAULT_VOCABULARY.paper:
        found = find_words(words, "reversibility", text)
        if found:  # the less reversible, when words say both
            reversibility = "irreversible" if "irreversible" in found else next(iter(found))
            evidence["reversibility"] = found[reversibility]
    touches = find_words(words, "touches", text)
    outcomes = find_words(words, "outcomes", text)
    if touches:
        evidence["touches"] = " / ".join(dict.fromkeys(touches.values()))
    if outcomes:
        evidence["outcomes"] = " / ".join(dict.fromkeys(outcomes.values()))
    return {
        "activity": activity,
        "environment": environment,
        "touches": list(touches) or UNKNOWN,
        "outcomes": [a for a in OUTCOME_AREAS if a in outcomes],
        "reversibility": reversibility,
        "evidence": evidence,
    }
