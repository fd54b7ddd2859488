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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.errors import CatalogError, ScenarioError
from analysis.files import read_text
from analysis.inputs.records import (
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
    describe,
    load_yaml_text,
    optional_text,
)
from analysis.model import (
    Catalog,
    Phase,
    PlanItem,
    Resource,
    RiskSettings,
    Scenario,
    SolverSettings,
)
from analysis.resources import DEFAULT_SCENARIO
from analysis.vocabulary import LEVELS, OBJECTIVES, OUTCOME_AREAS, UNKNOWN, Vocabulary

__all__ = [
    "SCENARIO_KEYS",
    "parse_scenario",
    "read_scenario",
    "check_scenario",
    "default_scenarios",
]

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
    check_mapping(data, where, None, "a mapping with 'appetite'")
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


def _load(path: Path, seen: tuple[Path, ...]) -> Any:
    """The scenario's data with ``extends`` resolved (child keys win).

    As the YAML gives it when that is not a mapping: :func:`parse_scenario` says why.
    """
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
    inherited = _load(parent_path, (*seen, path))
    if not isinstance(inherited, Mapping):
        raise where.fail(
            f"{parent_path} is not a scenario (expected a mapping with 'appetite', "
            f"got {describe(inherited)})",
            "extends",
        )
    merged = dict(inherited)
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


def default_scenarios(catalog: Catalog, path: str | os.PathLike | None = None) -> list[Path]:
    """The scenarios used when none is given: the catalog's own, else the generic default.

    A catalog that names scenario files (``catalog.scenarios``) gets those,
    relative to the folder of its file ``path`` (the working folder when there
    is none); the first is the limits to optimise under. Any other catalog gets
    the one default bundled with the package (``analysis/data/default-scenario.yaml``:
    nothing above MEDIUM, no budget, cap, phases, coverage or resources), never
    a scenario written for another catalog.

    Raises
    ------
    CatalogError
        When a file the catalog names is missing, naming the catalog file and
        the field ``scenarios``.
    """
    if not catalog.scenarios:
        return [DEFAULT_SCENARIO]
    folder = Path(path).parent if path is not None else Path()
    found = []
    for name in catalog.scenarios:
        scenario = folder / name
        if not scenario.is_file():
            problem = "is a folder, not a file" if scenario.is_dir() else "no such file"
            raise CatalogError(
                f"{name}: {problem}: {scenario.resolve()}",
                source=None if path is None else str(path),
                record="catalog",
                field="scenarios",
            )
        found.append(scenario)
    return found
