"""Scenarios: the limits a selection must respect, read from YAML and checked.

A scenario names the risk appetite, the budget and task cap, tasks to include
or exclude, the objective, whether duplicates count as one unit of work, the
inference rules to switch off, and the phases, lanes and resources the
scheduler will use. ``extends: other.yaml`` starts from another scenario
(paths are relative to the file) and overrides its keys. A scenario with
``plan`` items is a hand-made selection, checked rather than optimised.

Examples
--------
>>> scenario = parse_scenario({"appetite": "MEDIUM", "budget_hours": 4, "task_cap": 30})
>>> scenario.appetite, scenario.budget_hours, scenario.objective
('MEDIUM', 4.0, 'value')
>>> parse_scenario({"appetite": "MEDIUM", "budget_hours": -1})
Traceback (most recent call last):
...
analysis.errors.ScenarioError: <memory>: scenario: field 'budget_hours': must not be negative, ...
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analysis.audit import Audit, audit_catalog
from analysis.catalog import read_catalog, scale_efforts
from analysis.errors import InputError, ScenarioError
from analysis.gates import DEFAULT_GATES, Gate, check_gates, gate_findings, read_gates, with_modes
from analysis.graph import (
    DEFAULT_GRAPH_RULES,
    GraphFacts,
    GraphRules,
    analyse_graph,
    build_graph,
    read_graph_rules,
)
from analysis.model import (
    LEVELS,
    OUTCOME_AREAS,
    UNKNOWN,
    Catalog,
    Finding,
    Phase,
    PlanItem,
    Resource,
    RiskSettings,
    Scenario,
    SolverSettings,
    Vocabulary,
    level_rank,
)
from analysis.outcomes import OutcomeCoverage, outcome_coverage
from analysis.paths import DEFAULT_RUBRIC, SEED_CATALOG, SEED_SCENARIO, resolve
from analysis.records import (
    Located,
    Where,
    check_choice,
    check_ident,
    check_keys,
    check_mapping,
    check_number,
    check_record,
    check_text,
    check_whole,
    load_yaml_text,
    optional_text,
    read_text,
)
from analysis.scoring import Rubric, read_rubric, score_catalog
from analysis.selection import Selection, check_plan, select_tasks
from analysis.timeline import ScheduleRisk, Timeline, schedule_risk, schedule_selection

__all__ = [
    "OBJECTIVES",
    "parse_scenario",
    "read_scenario",
    "check_scenario",
    "Assessment",
    "assess",
    "Comparison",
    "MEASURES",
    "measures",
    "compare",
    "default_scenarios",
    "check_files",
    "assess_files",
    "vary",
]

OBJECTIVES = ("value", "count")
SCENARIO_KEYS = (
    "name",
    "description",
    "extends",
    "appetite",
    "budget_hours",
    "task_cap",
    "include",
    "exclude",
    "objective",
    "merge_duplicates",
    "rules_off",
    "phases",
    "lanes",
    "resources",
    "plan",
    "solver",
    "risk",
    "gates",
    "coverage",
)
_PHASE_KEYS = ("name", "title", "hours")
_RESOURCE_KEYS = ("name", "capacity", "used_by", "units", "note")
_USED_BY_KEYS = ("activity", "environment", "touches_any")
_ITEM_KEYS = ("item", "tasks", "activity", "phase", "environment")
_SOLVER_KEYS = ("seed", "workers", "deterministic_time", "time_limit")
_RISK_KEYS = ("samples", "seed", "point_range")


def _ids(raw: Any, where: Where, field: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise where.fail(f"expected a list of task ids, got {type(raw).__name__}", field)
    return tuple(dict.fromkeys(check_ident(item, where, field) for item in raw))


def _names(raw: Any, where: Where, field: str) -> tuple[str, ...]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not values:
        raise where.fail("expected a value or a non-empty list of values", field)
    return tuple(check_text(value, where, field) for value in values)


def parse_scenario(data: Any, *, source: str = "<memory>", name: str | None = None) -> Scenario:
    """Build a :class:`Scenario` from YAML-shaped data (``extends`` already resolved).

    Raises
    ------
    ScenarioError
        On an unknown key, a missing appetite, an unknown level or objective,
        a negative budget, a task both included and excluded, and the like.
    """
    where = Where(source, record="scenario", mapping=data, error=ScenarioError)
    if data is None:
        raise ScenarioError("empty file: expected a scenario with 'appetite'", source=source)
    check_mapping(data, where, None, "a mapping with 'appetite'")  # type: ignore[arg-type]
    check_keys(data, SCENARIO_KEYS, where)
    if data.get("appetite") is None:
        raise where.fail("missing (required): the highest level allowed", "appetite")
    budget = data.get("budget_hours")
    cap = data.get("task_cap")
    include = _ids(data.get("include"), where, "include")
    exclude = _ids(data.get("exclude"), where, "exclude")
    both = [task for task in include if task in exclude]
    if both:
        raise where.fail(f"task '{both[0]}' is both included and excluded", "exclude")
    merge = data.get("merge_duplicates", True)
    if not isinstance(merge, bool):
        raise where.fail("expected true or false", "merge_duplicates")
    phases = tuple(_parse_phase(raw, i, source) for i, raw in enumerate(data.get("phases") or []))
    phase_names = [phase.name for phase in phases]
    for phase_name in phase_names:
        if phase_names.count(phase_name) > 1:
            raise where.fail(f"duplicate phase name '{phase_name}'", "phases")
    plan_raw = data.get("plan")
    plan = None
    if plan_raw is not None:
        if not isinstance(plan_raw, list):
            raise where.fail("expected a list of plan items", "plan")
        plan = tuple(_parse_item(raw, i, source, phase_names) for i, raw in enumerate(plan_raw))
    scenario_name = data.get("name", name) or "scenario"
    return Scenario(
        name=check_ident(scenario_name, where, "name"),
        description=optional_text(data, "description", where),
        appetite=check_choice(data["appetite"], LEVELS, where, "appetite"),
        budget_hours=None
        if budget is None
        else check_number(budget, where, "budget_hours", positive=False),
        task_cap=None if cap is None else check_whole(cap, where, "task_cap", 0),
        include=include,
        exclude=exclude,
        objective=check_choice(data.get("objective", "value"), OBJECTIVES, where, "objective"),
        merge_duplicates=merge,
        rules_off=tuple(
            check_ident(rule, where, "rules_off") for rule in data.get("rules_off") or []
        ),
        phases=phases,
        lanes=check_whole(data.get("lanes", 1), where, "lanes", 1),
        resources=tuple(
            _parse_resource(raw, i, source) for i, raw in enumerate(data.get("resources") or [])
        ),
        plan=plan,
        solver=_parse_solver(data.get("solver") or {}, source),
        risk=_parse_risk(data.get("risk") or {}, source),
        gate_modes=_parse_gate_modes(data.get("gates") or {}, where),
        coverage=_parse_coverage(data.get("coverage") or {}, where),
        source=source,
    )


def _parse_phase(raw: Any, index: int, source: str) -> Phase:
    where = Where(source, record=f"phase #{index + 1}", mapping=raw, error=ScenarioError)
    check_record(raw, where, _PHASE_KEYS, ("name", "hours"))
    return Phase(
        name=check_text(str(raw["name"]), where, "name"),
        hours=check_number(raw["hours"], where, "hours", positive=True),
        title=optional_text(raw, "title", where),
    )


def _parse_resource(raw: Any, index: int, source: str) -> Resource:
    where = Where(source, record=f"resource #{index + 1}", mapping=raw, error=ScenarioError)
    check_record(raw, where, _RESOURCE_KEYS, ("name", "capacity"))
    used_raw = raw.get("used_by") or {}
    check_mapping(used_raw, where, "used_by")
    check_keys(used_raw, _USED_BY_KEYS, where, "used_by.")
    return Resource(
        name=check_text(str(raw["name"]), where, "name"),
        capacity=check_whole(raw["capacity"], where, "capacity", 1),
        used_by={k: _names(v, where, f"used_by.{k}") for k, v in used_raw.items()},
        units=check_whole(raw.get("units", 1), where, "units", 1),
        note=optional_text(raw, "note", where),
    )


def _parse_item(raw: Any, index: int, source: str, phases: list[str]) -> PlanItem:
    where = Where(source, record=f"plan item #{index + 1}", mapping=raw, error=ScenarioError)
    check_record(raw, where, _ITEM_KEYS, ("item", "activity"))
    phase = raw.get("phase")
    if phase is not None:
        phase = str(phase)
        if phases and phase not in phases:
            raise where.fail(f"'{phase}' is not one of the phases {', '.join(phases)}", "phase")
    return PlanItem(
        name=check_text(raw["item"], where, "item"),
        tasks=_ids(raw.get("tasks"), where, "tasks"),
        activities=_names(raw["activity"], where, "activity"),
        phase=phase,
        environment=optional_text(raw, "environment", where),
    )


def _parse_solver(raw: Any, source: str) -> SolverSettings:
    where = Where(source, record="solver", mapping=raw, error=ScenarioError)
    check_mapping(raw, where, "solver")
    check_keys(raw, _SOLVER_KEYS, where)
    default = SolverSettings()
    return SolverSettings(
        seed=check_whole(raw.get("seed", default.seed), where, "seed", 0),
        workers=check_whole(raw.get("workers", default.workers), where, "workers", 1),
        deterministic_time=check_number(
            raw.get("deterministic_time", default.deterministic_time),
            where,
            "deterministic_time",
            positive=True,
        ),
        time_limit=check_number(
            raw.get("time_limit", default.time_limit), where, "time_limit", positive=True
        ),
    )


def _parse_gate_modes(raw: Any, where: Where) -> dict[str, str]:
    check_mapping(raw, where, "gates")
    return {
        str(gate): check_choice(mode, ("advisory", "blocking"), where, f"gates.{gate}")
        for gate, mode in raw.items()
    }


def _parse_coverage(raw: Any, where: Where) -> dict[str, int]:
    check_mapping(raw, where, "coverage")
    coverage = {}
    for area, minimum in raw.items():
        check_choice(area, OUTCOME_AREAS, where, "coverage")
        coverage[area] = check_whole(minimum, where, f"coverage.{area}", 0)
    return coverage


def _parse_risk(raw: Any, source: str) -> RiskSettings:
    where = Where(source, record="risk", mapping=raw, error=ScenarioError)
    check_mapping(raw, where, "risk")
    check_keys(raw, _RISK_KEYS, where)
    default = RiskSettings()
    point_range = raw.get("point_range", list(default.point_range))
    if not isinstance(point_range, list) or len(point_range) != 2:
        raise where.fail("expected [optimistic, pessimistic] multipliers", "point_range")
    low, high = (check_number(v, where, "point_range", positive=True) for v in point_range)
    if not low <= 1 <= high:
        raise where.fail(
            f"expected optimistic <= 1 <= pessimistic, got {low:g} and {high:g}", "point_range"
        )
    return RiskSettings(
        samples=check_whole(raw.get("samples", default.samples), where, "samples", 1),
        seed=check_whole(raw.get("seed", default.seed), where, "seed", 0),
        point_range=(low, high),
    )


def _load(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """The scenario's data with ``extends`` resolved (child keys win)."""
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"'extends' goes round in a circle: {chain}", source=str(path))
    data = load_yaml_text(read_text(path, error=ScenarioError), str(path), error=ScenarioError)
    if not isinstance(data, Mapping):
        return data
    parent = data.get("extends")
    if parent is None:
        return data
    where = Where(str(path), record="scenario", mapping=data, error=ScenarioError)
    parent_path = (path.parent / check_text(parent, where, "extends")).resolve()
    if not parent_path.is_file():  # said here: this file and line refer to it
        problem = "is a folder, not a file" if parent_path.is_dir() else "no such file"
        raise where.fail(f"{problem}: {parent_path}", "extends")
    merged = dict(_load(parent_path, (*seen, path)))
    merged.pop("name", None)
    merged.pop("description", None)
    own = Located({k: v for k, v in data.items() if k != "extends"})
    own.line = getattr(data, "line", None)
    own.key_lines = getattr(data, "key_lines", {})
    merged.update(own)
    result = Located(merged)
    result.line, result.key_lines = own.line, own.key_lines
    return result


def read_scenario(path: str | os.PathLike) -> Scenario:
    """Read a scenario file (YAML), following ``extends``.

    Raises
    ------
    ScenarioError
        When the file (or one it extends) is missing, malformed or invalid.
    """
    path = Path(path).resolve() if Path(path).exists() else Path(path)
    return parse_scenario(_load(path, ()), source=str(path), name=path.stem)


def check_scenario(
    scenario: Scenario, catalog: Catalog, vocabulary: Vocabulary | None = None
) -> None:
    """Check the scenario's references against a catalog.

    Raises
    ------
    ScenarioError
        When ``include``, ``exclude`` or a plan item names a task the catalog
        does not have, or a plan item or resource names an unknown activity.
    """
    known = catalog.task_by_id

    def fail(problem: str, field: str, record: str = "scenario") -> ScenarioError:
        return ScenarioError(problem, source=scenario.source, record=record, field=field)

    for field in ("include", "exclude"):
        for task in getattr(scenario, field):
            if task not in known:
                raise fail(f"unknown task id '{task}' (not in catalog '{catalog.name}')", field)
    activities = (*(vocabulary.activity if vocabulary else ()), UNKNOWN)
    for index, item in enumerate(scenario.plan or ()):
        record = f"plan item #{index + 1} ({item.name})"
        for task in item.tasks:
            if task not in known:
                raise fail(
                    f"unknown task id '{task}' (not in catalog '{catalog.name}')", "tasks", record
                )
        if vocabulary is not None:
            for activity in item.activities:
                if activity not in activities:
                    raise fail(
                        f"'{activity}' is not one of {', '.join(activities)}", "activity", record
                    )


# --------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class Assessment:
    """A scenario run on a catalog: scores and findings, graph facts, the selection."""

    catalog: Catalog
    scenario: Scenario
    audit: Audit
    graph: GraphFacts
    selection: Selection
    timeline: Timeline | None = None
    risk: ScheduleRisk | None = None
    gates: tuple[Gate, ...] = ()
    outcomes: tuple[OutcomeCoverage, ...] = ()
    graph_rules: GraphRules | None = None

    def enforcing(self, gate: Gate) -> tuple[str, ...]:
        """Resources of capacity 1 that enforce a serialising gate in this scenario."""
        if "resource" not in gate.requires:
            return ()
        return tuple(r.name for r in self.scenario.resources if r.capacity == 1)


def assess(
    catalog: Catalog,
    scenario: Scenario,
    rubric: Rubric,
    graph_rules: GraphRules,
    explain_limit: int = 200,
    simulate: bool = True,
    gates: tuple[Gate, ...] = (),
) -> Assessment:
    """Run ``scenario`` on ``catalog``: audit, graph, selection (or plan check), schedule, risk.

    The schedule is made when the scenario has phases, several lanes or shared
    resources; its Monte Carlo risk unless ``simulate`` is false.

    Raises
    ------
    ScenarioError
        When the scenario names tasks or rules the catalog or rules lack.
    DependencyCycleError
        When declared and inferred dependencies form a cycle.
    """
    check_scenario(scenario, catalog, rubric.vocabulary)
    audit = audit_catalog(catalog, rubric)
    try:
        rules = graph_rules.without(scenario.rules_off)
    except InputError as exc:
        raise ScenarioError(exc.problem, source=scenario.source, field="rules_off") from exc
    limit = level_rank(scenario.appetite)
    excluded = [
        t.id
        for t in catalog
        if level_rank(audit.scores[t.id].level) > limit or t.id in scenario.exclude
    ]
    facts = analyse_graph(catalog, audit.scores, rules, excluded)
    try:
        gates = with_modes(gates, scenario.gate_modes, scenario.source)
    except InputError as exc:
        raise ScenarioError(exc.problem, source=scenario.source, field=exc.field) from exc
    if scenario.is_plan:
        selection = check_plan(catalog, audit.scores, facts, scenario, rubric)
    else:
        selection = select_tasks(catalog, audit.scores, facts, scenario, explain_limit, gates)
    levels = {task: score.level for task, score in audit.scores.items()}
    breaks = check_gates(
        catalog,
        gates,
        levels=levels,
        graph=facts.graph,
        scenario=scenario,
        tasks=selection.selected,
        as_done=selection.as_done,
    )
    outcomes = outcome_coverage(catalog, selection.selected)
    extra = list(gate_findings(breaks))
    if scenario.is_plan:
        extra += _coverage_violations(outcomes, scenario)
    selection = replace(selection, violations=(*selection.violations, *extra))
    timeline = risk = None
    if scenario.schedules and selection.status != "infeasible":
        timeline = schedule_selection(catalog, audit.scores, facts, scenario, selection)
        if timeline.ok and simulate:
            capacities = {r.name: r.capacity for r in scenario.resources}
            risk = schedule_risk(timeline, scenario.risk, capacities)
    return Assessment(
        catalog, scenario, audit, facts, selection, timeline, risk, gates, outcomes, graph_rules
    )


def _coverage_violations(
    outcomes: tuple[OutcomeCoverage, ...], scenario: Scenario
) -> list[Finding]:
    """Outcome areas a hand-made plan covers less than the scenario asks."""
    out = []
    for row in outcomes:
        minimum = scenario.coverage.get(row.area, 0)
        if len(row.selected) < minimum:
            out.append(
                Finding(
                    "coverage",
                    f"coverage of {row.area} asks for at least {minimum} task(s); the plan "
                    f"covers {len(row.selected)}",
                    row.selected,
                    {"area": row.area, "minimum": minimum, "selected": len(row.selected)},
                )
            )
    return out


@dataclass(frozen=True)
class Comparison:
    """Two assessments of one catalog side by side."""

    a: Assessment
    b: Assessment
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    both: tuple[str, ...]
    better: Mapping[str, str]  # measure -> "a", "b" or "tie"


#: Measures compared, and whether more is better.
MEASURES = {
    "value": True,
    "tasks": True,
    "hours": False,
    "finish": False,
    "HIGH tasks": False,
    "MEDIUM tasks": False,
    "violations": False,
}


def measures(assessment: Assessment) -> dict[str, float | None]:
    """The figures two selections are compared on.

    ``hours`` is the work; ``finish`` the wall-clock end of the schedule (the
    work itself when nothing is scheduled; None when no schedule fits).
    """
    selection = assessment.selection
    totals = selection.totals
    timeline = assessment.timeline
    if timeline is None:
        finish = round(totals.hours, 6)
    else:
        finish = round(timeline.makespan_hours, 6) if timeline.ok else None
    return {
        "value": totals.value,
        "tasks": totals.tasks,
        "hours": round(totals.hours, 6),
        "finish": finish,
        "HIGH tasks": totals.risk.get("HIGH", 0),
        "MEDIUM tasks": totals.risk.get("MEDIUM", 0),
        "violations": len(selection.violations),
    }


def compare(a: Assessment, b: Assessment) -> Comparison:
    """Tasks only in A, only in B, in both, and which is better on each measure.

    Raises
    ------
    ValueError
        When the two assessments are of different catalogs.
    """
    if a.catalog != b.catalog:
        raise ValueError("compare needs two assessments of the same catalog")
    in_a, in_b = set(a.selection.selected), set(b.selection.selected)
    order = [t.id for t in a.catalog]
    ma, mb = measures(a), measures(b)
    better = {}
    for name, more_is_better in MEASURES.items():
        if ma[name] is None or mb[name] is None:
            better[name] = "n/a"
        elif ma[name] == mb[name]:
            better[name] = "tie"
        else:
            better[name] = "a" if (ma[name] > mb[name]) == more_is_better else "b"
    return Comparison(
        a=a,
        b=b,
        only_a=tuple(t for t in order if t in in_a and t not in in_b),
        only_b=tuple(t for t in order if t in in_b and t not in in_a),
        both=tuple(t for t in order if t in in_a and t in in_b),
        better=better,
    )


def vary(scenario: Scenario, **changes: Any) -> Scenario:
    """The scenario with some fields changed, named after the change (for what-ifs).

    >>> base = parse_scenario({"name": "base", "appetite": "LOW"})
    >>> vary(base, budget_hours=3, lanes=2).name
    'base+budget_hours=3+lanes=2'
    """
    suffix = "".join(f"+{key}={value}" for key, value in changes.items())
    return replace(scenario, name=changes.pop("name", scenario.name + suffix), **changes)


def default_scenarios(catalog: str | os.PathLike | None) -> list[Path]:
    """The seed's limits; for the bundled seed catalog, its hand-made plan too."""
    if catalog is None or resolve(catalog).resolve() == SEED_CATALOG.resolve():
        return [SEED_SCENARIO, SEED_SCENARIO.with_name("seed-plan.yaml")]
    return [SEED_SCENARIO]


def check_files(
    catalog: str | os.PathLike | None = None,
    scenarios: Iterable[str | os.PathLike] = (),
    *,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
) -> tuple[Catalog, list[Scenario]]:
    """Read and check every input without solving anything (fast; for early errors).

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first problem,
        including a dependency cycle made by an inference rule.
    """
    scoring = read_rubric(resolve(rubric or DEFAULT_RUBRIC))
    catalog_path = resolve(catalog or SEED_CATALOG)
    tasks = read_catalog(catalog_path, vocabulary=scoring.vocabulary)
    graph_rules = read_graph_rules(resolve(rules or DEFAULT_GRAPH_RULES))
    checks = read_gates(resolve(gates or DEFAULT_GATES))
    scores = score_catalog(tasks, scoring)
    read = []
    for path in list(scenarios) or [SEED_SCENARIO]:
        scenario = read_scenario(resolve(path))
        check_scenario(scenario, tasks, scoring.vocabulary)
        try:
            with_modes(checks, scenario.gate_modes, scenario.source)
            chosen_rules = graph_rules.without(scenario.rules_off)
        except InputError as exc:
            raise ScenarioError(exc.problem, source=scenario.source, field=exc.field) from exc
        try:
            build_graph(tasks, scores, chosen_rules)
        except InputError as exc:
            raise exc.with_context(source=str(catalog_path)) from exc
        read.append(scenario)
    return tasks, read


def assess_files(
    catalog: str | os.PathLike | None = None,
    scenarios: Iterable[str | os.PathLike] = (),
    *,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
    simulate: bool = True,
    effort_factor: float = 1.0,
) -> list[Assessment]:
    """Read the inputs (the bundled ones by default) and assess every scenario.

    Relative paths that do not exist from the working directory are taken from
    the repository, so notebooks can name ``data/...``.

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first problem.
    """
    scoring = read_rubric(resolve(rubric or DEFAULT_RUBRIC))
    catalog_path = resolve(catalog or SEED_CATALOG)
    tasks = read_catalog(catalog_path, vocabulary=scoring.vocabulary)
    if effort_factor != 1.0:
        tasks = scale_efforts(tasks, effort_factor)
    graph_rules = read_graph_rules(resolve(rules or DEFAULT_GRAPH_RULES))
    checks = read_gates(resolve(gates or DEFAULT_GATES))
    results = []
    for path in list(scenarios) or [SEED_SCENARIO]:
        scenario = read_scenario(resolve(path))
        try:
            results.append(
                assess(tasks, scenario, scoring, graph_rules, gates=checks, simulate=simulate)
            )
        except InputError as exc:
            raise exc.with_context(source=str(catalog_path)) from exc
    return results
