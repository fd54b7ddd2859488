"""Safety gates checked against tasks and plans.

Each gate (read by :mod:`analysis.inputs.gate_rules`) applies to tasks by
level, activity, environment and touched areas; an unknown fact matches, so a
gap never waives a gate. :func:`check_gates` lists every task that breaks a
gate with what is missing; :func:`gate_findings` turns them into findings.

Examples
--------
>>> from analysis.inputs.catalog_records import parse_catalog
>>> from analysis.inputs.gate_rules import read_gates
>>> catalog = parse_catalog({"tasks": [{"id": "T1", "issue": 1, "title": "x",
...     "activity": "implement", "environment": "dev", "effort": 1}]})
>>> [b.gate.id for b in check_gates(catalog, read_gates()) if b.task == "T1"]
['rollback', 'monitoring', 'documented']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from analysis.inputs.gate_rules import Gate
from analysis.model import Catalog, Finding, Scenario, Task

__all__ = [
    "GateBreak",
    "check_gates",
    "blocking_breaks",
    "gate_findings",
]


@dataclass(frozen=True)
class GateBreak:
    """A task that breaks a gate, and what is missing."""

    gate: Gate
    task: str
    missing: str


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
        preceded: set[str] | None = None  # for a predecessor gate, found once when needed
        for task in catalog.tasks:
            if chosen is not None and task.id not in chosen:
                continue
            task = (as_done or {}).get(task.id, task)
            if task.status in ("done", "cancelled"):
                continue
            if not gate.applies(task, (levels or {}).get(task.id)):
                continue
            if kind == "predecessor" and graph is not None and preceded is None:
                preceded = _preceded(graph, catalog, value)
            missing = _missing(kind, value, task, graph, scenario, preceded)
            if missing:
                breaks.append(GateBreak(gate, task.id, missing))
    return breaks


def _preceded(graph: nx.DiGraph, catalog: Catalog, value: Mapping[str, Any]) -> set[str]:
    """Tasks with an earlier step (an ancestor in ``graph``) whose facts are among ``value``'s.

    One pass in topological order: a task has one when a prerequisite is such
    a step or has one (a search of every task's ancestors grows with the square).
    """
    found: set[str] = set()
    for node in nx.topological_sort(graph):
        for parent in graph.predecessors(node):
            other = catalog.task_by_id[parent]
            if parent in found or all(getattr(other, f) in v for f, v in value.items()):
                found.add(node)
                break
    return found


def _missing(kind, value, task: Task, graph, scenario, preceded: set[str] | None) -> str | None:
    if kind == "field":
        return None if getattr(task, value) else f"no {value} recorded"
    if kind == "forbidden":
        touches = ", ".join(task.touches)
        return f"forbidden: {task.activity} in {task.environment}, touching {touches}"
    if kind == "predecessor":
        if graph is None or task.id not in graph or task.id in (preceded or ()):
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


def blocking_breaks(
    catalog: Catalog,
    gates: Iterable[Gate],
    *,
    levels: Mapping[str, str],
    graph: nx.DiGraph | None = None,
    scenario: Scenario | None = None,
) -> dict[str, GateBreak]:
    """The first gate in ``blocking`` mode each task breaks (a task that breaks none: absent).

    Such a task cannot be selected; plans leave it out and graphs exclude it.
    """
    broken: dict[str, GateBreak] = {}
    blocking = [gate for gate in gates if gate.blocking]
    for item in check_gates(catalog, blocking, levels=levels, graph=graph, scenario=scenario):
        broken.setdefault(item.task, item)
    return broken


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
