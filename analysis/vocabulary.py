"""The suite's words: levels, facts, statuses, outcome areas, and the vocabulary of each fact.

One set of words everywhere (files, code, JSON, reports). The values each fact
may take come from the bundled ``analysis/data/vocabulary.yaml``
(:data:`DEFAULT_VOCABULARY`); a rubric may add activities and touched areas.

>>> level_rank("HIGH") > level_rank("MEDIUM")
True
>>> DEFAULT_VOCABULARY.environment
('none', 'dev', 'verification', 'staging', 'production')
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import yaml

from analysis.resources import DEFAULT_VOCABULARY as VOCABULARY_FILE

__all__ = [
    "LEVELS",
    "LEVEL_COLOURS",
    "UNKNOWN",
    "FACTS",
    "STATUSES",
    "OBJECTIVES",
    "OUTCOME_AREAS",
    "SAFEGUARDS",
    "facts_match",
    "level_rank",
    "Vocabulary",
    "read_vocabulary",
    "DEFAULT_VOCABULARY",
    "require",
]

#: Risk levels, lowest first. The JSON key for a task's computed level is ``risk``.
LEVELS: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH")

#: One fixed colour per level, in every chart and drawing.
LEVEL_COLOURS: dict[str, str] = {"LOW": "#2e7d32", "MEDIUM": "#f9a825", "HIGH": "#c62828"}

#: Any fact may be ``unknown``; a rubric scores it as the riskiest value.
UNKNOWN = "unknown"

#: The facts about a task that a rubric scores.
FACTS: tuple[str, ...] = ("activity", "environment", "touches", "reversibility")

STATUSES: tuple[str, ...] = ("todo", "in_progress", "done", "blocked", "cancelled")

#: What a selection maximises: the sum of task values, or the number of tasks.
OBJECTIVES: tuple[str, ...] = ("value", "count")

#: The outcome areas a task can advance.
OUTCOME_AREAS: tuple[str, ...] = (
    "observability",
    "reliability",
    "scalability",
    "security",
    "cost",
    "delivery_speed",
)

#: What a task may record about how its change is made safe (checked by the gates).
SAFEGUARDS: tuple[str, ...] = (
    "rollback",
    "approval",
    "verification",
    "monitoring",
    "documentation",
)


def facts_match(
    when: Mapping[str, Sequence[str]], facts: Mapping[str, Any], *, unknown_matches: bool
) -> bool:
    """Whether ``facts`` meet every condition in ``when``.

    A key names a fact whose value must be one of the listed values, or is
    ``touches_any`` / ``touches_none``: the touched areas meet / miss the list.
    With ``unknown_matches`` an ``unknown`` fact meets any condition, so that a
    gap never exempts a task from a gate or a shared resource; without it
    ``unknown`` is a value like any other (the rubric's rules see facts whose
    unknowns are already resolved).

    >>> facts = {"activity": "deploy", "environment": UNKNOWN, "touches": ("network",)}
    >>> facts_match({"environment": ["production"]}, facts, unknown_matches=True)
    True
    >>> facts_match({"environment": ["production"]}, facts, unknown_matches=False)
    False
    >>> facts_match({"touches_none": ["data"]}, facts, unknown_matches=False)
    True
    """
    for key, values in when.items():
        if key in ("touches_any", "touches_none"):
            touched = set(facts["touches"])
            if unknown_matches and UNKNOWN in touched:
                continue
            if bool(touched & set(values)) != (key == "touches_any"):
                return False
        elif not (unknown_matches and facts[key] == UNKNOWN) and facts[key] not in values:
            return False
    return True


def level_rank(level: str) -> int:
    """Position of ``level`` in :data:`LEVELS` (``LOW`` is 0).

    >>> level_rank("HIGH") > level_rank("MEDIUM")
    True
    """
    return LEVELS.index(level)


@dataclass(frozen=True)
class Vocabulary:
    """The allowed values of each fact (``unknown`` is always allowed too), and kinds of activity.

    The bundled one is :data:`DEFAULT_VOCABULARY`, read from
    ``analysis/data/vocabulary.yaml``. A rubric may add activities and touched
    areas; environments and reversibility are fixed. ``paper`` activities
    change nothing; ``early`` ones are asked for early phases; ``precedence``
    orders every activity from the least a task does to the most.

    Raises
    ------
    ValueError
        When a list repeats a value or names ``unknown``, or ``paper``,
        ``early`` and ``precedence`` do not fit ``activity``.

    >>> DEFAULT_VOCABULARY.paper
    ('design', 'document', 'template')
    >>> DEFAULT_VOCABULARY.extended({"activity": ("decommission",)}).precedence[-1]
    'decommission'
    """

    activity: tuple[str, ...]
    environment: tuple[str, ...]
    touches: tuple[str, ...]
    reversibility: tuple[str, ...]
    paper: tuple[str, ...] = ()
    early: tuple[str, ...] = ()
    precedence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (*FACTS, "paper", "early", "precedence"):
            values = getattr(self, name)
            require(len(set(values)) == len(values), f"{name} repeats a value: {values}")
            require(UNKNOWN not in values, f"{name} lists '{UNKNOWN}', which is always allowed")
        for name in ("paper", "early"):
            require(
                set(getattr(self, name)) <= set(self.activity),
                f"{name} names activities the vocabulary lacks",
            )
        if not self.precedence:
            object.__setattr__(self, "precedence", self.activity)
        require(
            sorted(self.precedence) == sorted(self.activity),
            "precedence must order every activity once",
        )

    def values(self, fact: str) -> tuple[str, ...]:
        """The known values of ``fact``, without ``unknown``."""
        return getattr(self, fact)

    def extended(self, extra: Mapping[str, tuple[str, ...]]) -> Vocabulary:
        """A vocabulary with ``extra`` values appended to the named facts.

        Added activities are changes (neither paper nor early), last in precedence.
        """
        merged = {}
        for fact in FACTS:
            values = list(self.values(fact))
            values += [v for v in extra.get(fact, ()) if v not in values]
            merged[fact] = tuple(values)
        added = tuple(a for a in merged["activity"] if a not in self.activity)
        return Vocabulary(
            **merged, paper=self.paper, early=self.early, precedence=self.precedence + added
        )


def read_vocabulary(path: str | os.PathLike = VOCABULARY_FILE) -> Vocabulary:
    """The vocabulary in a YAML file of lists (the bundled one by default)."""
    with open(path, encoding="utf-8") as file:
        data = yaml.safe_load(file)
    keys = {field.name for field in fields(Vocabulary)}
    require(isinstance(data, dict) and set(data) <= keys, f"{path}: expected the keys {keys}")
    return Vocabulary(**{key: tuple(values) for key, values in data.items()})


def require(condition: bool, problem: str) -> None:
    """Raise ``ValueError(problem)`` unless ``condition`` holds (a record's invariant)."""
    if not condition:
        raise ValueError(problem)


#: The bundled vocabulary (``analysis/data/vocabulary.yaml``).
DEFAULT_VOCABULARY = read_vocabulary()
