"""Units of work: what may be chosen, and the pieces the selection chooses among.

:func:`availability` leaves out, with a reason, every task that cannot be
chosen (done, cancelled or blocked, excluded, above the appetite, too big for
a resource, breaking a blocking gate, or blocked by one of those).
:func:`build_units` turns the rest into units: a task, or a set of duplicates
done once (closing every copy), never merged into a cycle. :func:`unit_jobs`
gives the scheduler's jobs for units.

Examples
--------
>>> value_scale([3, 2, 1]), value_scale([0.5, 2]), value_scale([0.001, 0.0015])
(1, 10, 10000)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import networkx as nx

from analysis.assess.gates import blocking_breaks
from analysis.assess.graph import GraphFacts, blocked_by
from analysis.assess.scoring import Score
from analysis.inputs.gate_rules import Gate
from analysis.model import Catalog, Scenario
from analysis.plan.jobs import Job, choose_grid, to_grid
from analysis.plan.results import LeftOut, Totals, Unit
from analysis.vocabulary import DEFAULT_VOCABULARY, LEVELS, level_rank

__all__ = [
    "SECONDS",
    "to_seconds",
    "value_scale",
    "totals_of",
    "availability",
    "appetite_left_out",
    "build_units",
    "unit_edges",
    "unit_jobs",
    "scenario_grid",
    "advancing_units",
    "left_in_order",
]

SECONDS = 3600
#: Values are scaled by the smallest power of ten up to this that makes them whole.
_MAX_VALUE_DIGITS = 6
_MAX_WEIGHT = 2**53
_UNAVAILABLE_STATUS = {"cancelled": "cancelled", "blocked": "status-blocked"}


def to_seconds(hours: float) -> int:
    return round(hours * SECONDS)


def value_scale(values: Iterable[float]) -> int:
    """The factor that turns task values into the solver's whole numbers, exactly if it can.

    The smallest power of ten (at most a million) that makes every value a whole
    number; values finer than a millionth are rounded to one. Objective, bound
    and gap are divided back, so they are in the user's units either way.

    >>> value_scale([3, 2, 1]), value_scale([0.5, 2]), value_scale([0.001, 0.0015])
    (1, 10, 10000)
    >>> value_scale([1 / 3])
    1000000
    """
    values = [abs(v) for v in values]
    total = sum(values)
    scale = 1
    for digits in range(_MAX_VALUE_DIGITS + 1):
        if total * 10**digits > _MAX_WEIGHT:
            break  # the sum must stay a number the solver (and a float) holds exactly
        scale = 10**digits
        if all(abs(v * scale - round(v * scale)) <= 1e-9 * max(1.0, v * scale) for v in values):
            break
    return scale


def totals_of(catalog: Catalog, scores: Mapping[str, Score], units: Iterable[Unit]) -> Totals:
    units = list(units)
    tasks = [task for unit in units for task in unit.tasks]
    return Totals(
        hours=sum(unit.hours for unit in units),
        tasks=len(tasks),
        units=len(units),
        value=sum(catalog.task_by_id[t].value for t in tasks),
        risk={level: sum(scores[t].level == level for t in tasks) for level in LEVELS},
    )


def availability(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    scenario: Scenario,
    gates: Iterable[Gate] = (),
) -> tuple[list[str], dict[str, LeftOut]]:
    """Tasks that may be chosen, and a reason for each that may not."""
    limit = level_rank(scenario.appetite)
    excluded = set(scenario.exclude)
    levels = {task: score.level for task, score in scores.items()}
    broken = blocking_breaks(catalog, gates, levels=levels, graph=facts.graph, scenario=scenario)
    left: dict[str, LeftOut] = {}
    for task in catalog.tasks:
        score = scores[task.id]
        if task.status == "done":
            left[task.id] = LeftOut(task.id, "done", "already done")
        elif task.status in _UNAVAILABLE_STATUS:
            left[task.id] = LeftOut(
                task.id, _UNAVAILABLE_STATUS[task.status], f"status is {task.status}"
            )
        elif task.id in excluded:
            left[task.id] = LeftOut(task.id, "excluded", "excluded by the scenario")
        elif level_rank(score.level) > limit:
            left[task.id] = appetite_left_out(score, scenario.appetite)
        elif too_big := [r for r in scenario.resources if r.uses(task) and r.units > r.capacity]:
            resource = too_big[0]
            left[task.id] = LeftOut(
                task.id,
                "resource",
                f"needs {resource.units} of {resource.name} at once, which has capacity "
                f"{resource.capacity}: no schedule can run it",
                {"resource": resource.name, "units": resource.units, "capacity": resource.capacity},
            )
        elif task.id in broken:
            item = broken[task.id]
            left[task.id] = LeftOut(
                task.id,
                "gate",
                f"breaks the blocking gate {item.gate.id} ({item.gate.wording}): {item.missing}",
                {"gate": item.gate.id, "missing": item.missing},
            )
    roots = [t for t, item in left.items() if item.kind != "done"]
    for task_id, chain in _blocked(
        facts.graph, roots, done={t for t, i in left.items() if i.kind == "done"}
    ).items():
        if task_id in left:
            continue
        root = left[chain[0]]
        left[task_id] = LeftOut(
            task_id,
            "blocked",
            f"blocked by {chain[0]} ({root.kind}: {root.reason.split(':')[0]}): "
            + " -> ".join(chain),
            {"chain": list(chain), "root": chain[0], "root_kind": root.kind},
        )
    return [t.id for t in catalog.tasks if t.id not in left], left


def appetite_left_out(score: Score, appetite: str) -> LeftOut:
    """Why a task whose level (its worst case) is above the appetite is left out.

    ``needs-facts`` when the level is not computable and its best case is
    within the appetite: stating the unknown facts may let it in. Otherwise
    ``above-appetite``, with the facts behind the level.
    """
    details = {
        "level": score.level,
        "lowest_level": score.best_level,
        "appetite": appetite,
        "reasons": score.reason_texts(),
    }
    if not score.computed and level_rank(score.best_level) <= level_rank(appetite):
        facts = ", ".join(score.rests_on_unknown)
        verb = "is" if len(score.rests_on_unknown) == 1 else "are"
        return LeftOut(
            score.task,
            "needs-facts",
            f"needs facts: {facts} ({score.level} only while {facts} {verb} unknown; "
            f"{score.best_level} at best, within the appetite {appetite})",
            {**details, "not_computable_because": list(score.rests_on_unknown)},
        )
    return LeftOut(
        score.task,
        "above-appetite",
        f"{score.level} is above the appetite {appetite}: {score.main_reason}",
        details,
    )


def _blocked(graph: nx.DiGraph, roots: list[str], done: set[str]) -> dict[str, tuple[str, ...]]:
    """Chains from unavailable tasks; a done task is a satisfied link and stops a chain."""
    if not roots:
        return {}
    open_work = graph.subgraph(node for node in graph if node not in done)
    return blocked_by(open_work, roots)


def build_units(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    candidates: Iterable[str],
    merge: bool,
) -> tuple[list[Unit], dict[str, str]]:
    """Units of work over the candidate tasks, and the unit of each candidate.

    With ``merge``, each mergeable duplicate set whose copies are all candidates
    becomes one unit, unless merging it would make the unit graph cyclic.
    """
    wanted = set(candidates)  # once: a set made per task grew with tasks x candidates
    candidates = [t for t in catalog.task_by_id if t in wanted]
    position = {task.id: i for i, task in enumerate(catalog.tasks)}
    groups: list[tuple[str, ...]] = []
    if merge:
        pool = set(candidates)
        groups = [
            dup.tasks
            for cluster in facts.clusters
            for dup in cluster.duplicates
            if dup.mergeable and set(dup.tasks) <= pool
        ]
    while True:
        unit_of = {task: task for task in candidates}
        for group in groups:
            for task in group:
                unit_of[task] = group[0]
        cyclic = _cyclic_units(facts.graph, unit_of)
        if not cyclic:
            break
        groups = [g for g in groups if g[0] not in cyclic]
    members: dict[str, list[str]] = {}
    for task in candidates:
        members.setdefault(unit_of[task], []).append(task)
    units = []
    for unit_id, tasks in members.items():
        records = [catalog.task_by_id[t] for t in tasks]
        units.append(
            Unit(
                id=unit_id,
                tasks=tuple(tasks),
                hours=max(r.effort.hours for r in records),
                value=sum(r.value for r in records),
                level=max((scores[t].level for t in tasks), key=level_rank),
                position=min(position[t] for t in tasks),
            )
        )
    units.sort(key=lambda u: u.position)
    return units, unit_of


def unit_edges(graph: nx.DiGraph, unit_of: Mapping[str, str]) -> set[tuple[str, str]]:
    """``(unit, prerequisite unit)`` pairs between candidate units."""
    edges = set()
    for before, after in graph.edges:
        if before in unit_of and after in unit_of and unit_of[before] != unit_of[after]:
            edges.add((unit_of[after], unit_of[before]))
    return edges


def _cyclic_units(graph: nx.DiGraph, unit_of: Mapping[str, str]) -> set[str]:
    unit_graph = nx.DiGraph(list(unit_edges(graph, unit_of)))
    return {
        u for comp in nx.strongly_connected_components(unit_graph) if len(comp) > 1 for u in comp
    }


def unit_jobs(
    catalog: Catalog,
    units: Iterable[Unit],
    needs: Mapping[str, Iterable[str]],
    scenario: Scenario,
    grid_minutes: float,
    *,
    optional: bool = False,
    weights: Mapping[str, int] | None = None,
    forced: Iterable[str] = (),
) -> tuple[Job, ...]:
    """Scheduler jobs for units of work: durations on the grid, resource use, order.

    A unit uses a resource when its (first) task does; design and documentation
    ask for early phases.
    """
    forced = set(forced)
    jobs = []
    for unit in units:
        task = catalog.task_by_id[unit.tasks[0]]
        jobs.append(
            Job(
                id=unit.id,
                duration=to_grid(unit.hours, grid_minutes),
                predecessors=tuple(needs.get(unit.id, ())),
                demands={r.name: r.units for r in scenario.resources if r.uses(task)},
                early=task.activity in DEFAULT_VOCABULARY.early,
                optional=optional,
                value=(weights or {}).get(unit.id, 0),
                forced=unit.id in forced,
            )
        )
    return tuple(jobs)


def scenario_grid(scenario: Scenario, hours: Iterable[float]) -> float:
    """The grid step (minutes) for these durations; boxes and budget are rounded down onto it."""
    return choose_grid([h * 60 for h in hours])


def advancing_units(catalog: Catalog, units: Iterable[Unit], area: str) -> frozenset[str]:
    """Units with a task that advances the outcome ``area``."""
    return frozenset(
        u.id for u in units if any(area in catalog.task_by_id[t].outcomes for t in u.tasks)
    )


def left_in_order(catalog: Catalog, left: Mapping[str, LeftOut]) -> list[LeftOut]:
    return [left[t.id] for t in catalog.tasks if t.id in left]
