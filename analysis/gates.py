"""Safety gates: execution criteria, kept in data, checked against tasks and plans.

A gate quotes the criterion's own wording, selects the tasks it applies to
(by level, activity, environment, touched areas; an unknown fact matches, so
a gap never waives a gate) and states what it requires: a recorded field
(``rollback``, ``approval``, ...), a predecessor with given facts (a dev step
before production), a serialising resource in the scenario, or nothing at
all (``forbidden``). A gate is advisory (reported) or blocking (a task that
breaks it cannot be selected); a scenario may change the mode per gate.

Examples
--------
>>> from analysis.catalog import parse_catalog
>>> catalog = parse_catalog({"tasks": [{"id": "T1", "issue": 1, "title": "x",
...     "activity": "implement", "environment": "dev", "effort": 1}]})
>>> gates = read_gates()
>>> [b.gate.id for b in check_gates(catalog, gates) if b.task == "T1"]
['rollback', 'monitoring', 'documented']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import networkx as nx

from analysis.errors import InputError
from analysis.model import (
    FACTS,
    LEVELS,
    SAFEGUARDS,
    Catalog,
    Finding,
    Scenario,
    Task,
    facts_match,
)
from analysis.paths import RUBRICS_DIR
from analysis.records import (
    Where,
    check_choice,
    check_record,
    check_text,
    load_yaml_text,
    read_text,
)

__all__ = [
    "DEFAULT_GATES",
    "GateError",
    "Gate",
    "GateBreak",
    "parse_gates",
    "read_gates",
    "with_modes",
    "check_gates",
    "gate_findings",
    "MODES",
]

DEFAULT_GATES = RUBRICS_DIR / "gates.yaml"
MODES = ("advisory", "blocking")
_GATE_KEYS = ("id", "wording", "meaning", "applies_to", "requires", "mode")
_APPLIES_KEYS = ("level", "activity", "environment", "touches_any")
_REQUIRES_KEYS = ("field", "predecessor", "resource", "forbidden")


class GateError(InputError):
    """A gates file (or a scenario's gate modes) that cannot be used."""

    kind = "gates"


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


@dataclass(frozen=True)
class GateBreak:
    """A task that breaks a gate, and what is missing."""

    gate: Gate
    task: str
    missing: str


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


def check_gates(
    catalog: Catalog,
    gates: Iterable[Gate],
    *,
    levels: Mapping[str, str] | None = None,
    graph: nx.DiGraph | None = None,
    scenario: Scenario | None = None,
    tasks: Iterable[str] | None = None,
    as_done: Mapping[str, Task] | None = None,
) -> list[GateBreak]:
    """Every (gate, task) pair where the task breaks the gate, in gate then catalog order.

    ``graph`` (prerequisite -> dependent) is needed for predecessor gates and
    ``scenario`` for resource gates; without them those gates are not checked.
    ``tasks`` limits the check to some tasks (a selection); done and cancelled
    tasks are never checked. ``as_done`` replaces a task by the work a plan
    actually does to it (a design carried out as an implementation).
    """
    chosen = None if tasks is None else set(tasks)
    breaks = []
    for gate in gates:
        kind, value = next(iter(gate.requires.items()))
        for task in catalog.tasks:
            if chosen is not None and task.id not in chosen:
                continue
            task = (as_done or {}).get(task.id, task)
            if task.status in ("done", "cancelled"):
                continue
            if not gate.applies(task, (levels or {}).get(task.id)):
                continue
            missing = _missing(kind, value, task, catalog, graph, scenario)
            if missing:
                breaks.append(GateBreak(gate, task.id, missing))
    return breaks


def _missing(kind, value, task: Task, catalog: Catalog, graph, scenario) -> str | None:
    if kind == "field":
        return None if getattr(task, value) else f"no {value} recorded"
    if kind == "forbidden":
        touches = ", ".join(task.touches)
        return f"forbidden: {task.activity} in {task.environment}, touching {touches}"
    if kind == "predecessor":
        if graph is None or task.id not in graph:
            return None
        for ancestor in nx.ancestors(graph, task.id):
            other = catalog.task_by_id[ancestor]
            if all(getattr(other, fact) in values for fact, values in value.items()):
                return None
        wanted = "; ".join(f"{fact} {', '.join(values)}" for fact, values in value.items())
        return f"no earlier step in {wanted}"
    if kind == "resource":
        if scenario is None:
            return None
        if any(r.capacity == 1 and r.uses(task) for r in scenario.resources):
            return None
        return "no resource of capacity 1 in the scenario serialises it"
    return None


def gate_findings(breaks: Iterable[GateBreak]) -> list[Finding]:
    """One finding per gate and missing thing, listing every task that breaks it."""
    grouped: dict[tuple[str, str], list[GateBreak]] = {}
    for item in breaks:
        what = "forbidden" if "forbidden" in item.gate.requires else item.missing
        grouped.setdefault((item.gate.id, what), []).append(item)
    findings = []
    for (gate_id, missing), items in grouped.items():
        gate = items[0].gate
        tasks = tuple(item.task for item in items)
        if missing == "forbidden":
            what = f"broken ({gate.meaning}) by {len(tasks)} task(s): " + "; ".join(
                f"{item.task}, {item.missing.removeprefix('forbidden: ')}" for item in items
            )
        else:
            what = f"{missing} for {len(tasks)} task(s): {', '.join(tasks)}"
        findings.append(
            Finding(
                "gate",
                f"gate {gate_id} ({gate.mode}; {gate.wording}): {what}",
                tasks,
                {"gate": gate_id, "mode": gate.mode, "missing": missing, "meaning": gate.meaning},
            )
        )
    return findings
