"""Safety gates as data: execution criteria read from YAML.

A gate quotes the criterion's own wording, selects the tasks it applies to
(by level, activity, environment, touched areas) and states what it
requires: a recorded field (``rollback``, ``approval``, ...), a predecessor
with given facts (a dev step before production), a serialising resource in
the scenario, or nothing at all (``forbidden``). A gate is advisory or
blocking; a scenario may change the mode per gate (:func:`with_modes`). The
checks themselves are in :mod:`analysis.assess.gates`.

Examples
--------
>>> gates = read_gates()
>>> [gate.id for gate in gates][:3]
['dev-first', 'one-at-a-time', 'rollback']
>>> [g.mode for g in with_modes(gates, {"rollback": "blocking"}) if g.id == "rollback"]
['blocking']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from analysis.errors import GateError
from analysis.files import read_text
from analysis.inputs.records import Where, check_choice, check_record, check_text, load_yaml_text
from analysis.model import Task
from analysis.resources import DEFAULT_GATES
from analysis.vocabulary import FACTS, LEVELS, SAFEGUARDS, facts_match

__all__ = [
    "MODES",
    "Gate",
    "parse_gates",
    "read_gates",
    "with_modes",
]

MODES = ("advisory", "blocking")
_GATE_KEYS = ("id", "wording", "meaning", "applies_to", "requires", "mode")
_APPLIES_KEYS = ("level", "activity", "environment", "touches_any")
_REQUIRES_KEYS = ("field", "predecessor", "resource", "forbidden")


@dataclass(frozen=True)
class Gate:
    """One execution criterion as a rule."""

    id: str
    wording: str
    meaning: str
    applies_to: Mapping[str, tuple[str, ...]]
    requires: Mapping[str, Any]
    mode: str = "advisory"

    @property
    def blocking(self) -> bool:
        return self.mode == "blocking"

    def applies(self, task: Task, level: str | None = None) -> bool:
        """Whether the gate concerns ``task`` (unknown facts match)."""
        levels = self.applies_to.get("level")
        if levels is not None and level is not None and level not in levels:
            return False
        when = {key: values for key, values in self.applies_to.items() if key != "level"}
        return facts_match(when, {f: task.fact(f) for f in FACTS}, unknown_matches=True)


def parse_gates(data: Any, *, source: str = "<memory>") -> tuple[Gate, ...]:
    """Gates from YAML-shaped data (``{"gates": [...]}``).

    Raises
    ------
    GateError
        On an unknown key, fact, field or mode, or a duplicate id.
    """
    top = Where(source, record="gates file", mapping=data, error=GateError)
    check_record(data, top, ("gates",), ("gates",))
    if not isinstance(data["gates"], list):
        raise top.fail("expected a list of gates", "gates")
    gates = []
    for index, raw in enumerate(data["gates"]):
        where = Where(source, record=f"gate #{index + 1}", mapping=raw, error=GateError)
        check_record(raw, where, _GATE_KEYS, ("id", "wording", "applies_to", "requires"))
        where = Where(source, record=f"gate {raw['id']}", mapping=raw, error=GateError)
        applies = raw["applies_to"]
        check_record(applies, where, _APPLIES_KEYS)
        conditions = {}
        for key, values in applies.items():
            values = [values] if isinstance(values, str) else values
            if not isinstance(values, list) or not values:
                raise where.fail("expected a list of values", f"applies_to.{key}")
            if key == "level":
                for value in values:
                    check_choice(value, LEVELS, where, "applies_to.level")
            conditions[key] = tuple(str(v) for v in values)
        requires = raw["requires"]
        check_record(requires, where, _REQUIRES_KEYS)
        if len(requires) != 1:
            raise where.fail(f"give exactly one of {', '.join(_REQUIRES_KEYS)}", "requires")
        kind, value = next(iter(requires.items()))
        if kind == "field":
            check_choice(value, SAFEGUARDS, where, "requires.field")
        elif kind == "predecessor":
            check_record(value, where, ("activity", "environment"))
        elif kind == "resource":
            check_choice(value, ("serial",), where, "requires.resource")
        elif value is not True:
            raise where.fail("expected true", "requires.forbidden")
        gates.append(
            Gate(
                id=check_text(raw["id"], where, "id"),
                wording=check_text(raw["wording"], where, "wording"),
                meaning=check_text(raw.get("meaning") or raw["wording"], where, "meaning"),
                applies_to=conditions,
                requires={kind: value},
                mode=check_choice(raw.get("mode", "advisory"), MODES, where, "mode"),
            )
        )
    ids = [gate.id for gate in gates]
    for gate_id in ids:
        if ids.count(gate_id) > 1:
            raise GateError("duplicate gate id", source=source, record=f"gate {gate_id}")
    return tuple(gates)


def read_gates(path: str | os.PathLike = DEFAULT_GATES) -> tuple[Gate, ...]:
    """Read a gates file (YAML)."""
    text = read_text(path, error=GateError)
    return parse_gates(load_yaml_text(text, str(path), error=GateError), source=str(path))


def with_modes(
    gates: Iterable[Gate], modes: Mapping[str, str], source: str | None = None
) -> tuple[Gate, ...]:
    """The gates with a scenario's modes applied.

    Raises
    ------
    GateError
        When ``modes`` names an unknown gate or mode.
    """
    gates = tuple(gates)
    known = {gate.id for gate in gates}
    for gate_id, mode in modes.items():
        if gate_id not in known:
            raise GateError(
                f"no gate '{gate_id}' (known: {', '.join(sorted(known))})",
                source=source,
                field="gates",
            )
        if mode not in MODES:
            raise GateError(
                f"'{mode}' is not one of {', '.join(MODES)}",
                source=source,
                field=f"gates.{gate_id}",
            )
    return tuple(replace(gate, mode=modes.get(gate.id, gate.mode)) for gate in gates)
