"""Catalog records: the YAML-shaped data of a catalog, validated into a ``Catalog``.

:func:`parse_catalog` works on in-memory data (the shape of the YAML file);
:func:`catalog_to_data` is its inverse. Every problem raises
:class:`~analysis.errors.CatalogError` naming the record, the task and the
field (the file and line are added by the reader).

Examples
--------
>>> catalog = parse_catalog({
...     "defaults": {"effort_hours": {"design": 0.125}},
...     "tasks": [{"id": "T1", "issue": 1, "title": "設計 (design)",
...                "activity": "design", "environment": "none"}],
... })
>>> catalog.tasks[0].effort.hours, catalog.tasks[0].effort_source
(0.125, 'default')
>>> catalog.tasks[0].touches
('unknown',)
>>> parse_catalog({"tasks": [{"id": "T1", "issue": 1, "title": "x",
...                "activity": "design", "environment": "prod"}]})
Traceback (most recent call last):
...
analysis.errors.CatalogError: <memory>: task T1: field 'environment': 'prod' is not one of none, ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from analysis.errors import CatalogError
from analysis.inputs.records import (
    Located,
    Where,
    check_choice,
    check_ident,
    check_keys,
    check_mapping,
    check_name,
    check_number,
    check_record,
    check_text,
    check_whole,
    describe,
    number_text_hint,
    optional_text,
)
from analysis.model import Catalog, DeclaredCounts, Defaults, Effort, Issue, Target, Task
from analysis.vocabulary import (
    DEFAULT_VOCABULARY,
    LEVELS,
    OUTCOME_AREAS,
    SAFEGUARDS,
    STATUSES,
    UNKNOWN,
    Vocabulary,
)

__all__ = [
    "TOP_KEYS",
    "TARGET_KEYS",
    "META_KEYS",
    "DECLARED_KEYS",
    "CLAIM_KEYS",
    "ISSUE_KEYS",
    "DEFAULTS_KEYS",
    "EFFORT_KEYS",
    "TASK_FIELDS",
    "REQUIRED_TASK_FIELDS",
    "EVIDENCE_FIELDS",
    "parse_catalog",
    "catalog_to_data",
    "scale_efforts",
]

TOP_KEYS = ("catalog", "defaults", "issues", "targets", "tasks")
TARGET_KEYS = ("area", "target", "from", "to")
META_KEYS = ("name", "title", "source", "declared", "scenarios")
DECLARED_KEYS = ("total", *LEVELS)
#: What a catalog's ``declared`` may state beyond counts: claims, with their sentences.
CLAIM_KEYS = ("safe", "safe_of", "effort_hours", "as_stated")
ISSUE_KEYS = ("number", "title", "declared", "note")
DEFAULTS_KEYS = ("effort_hours", "value", "value_by_priority")
EFFORT_KEYS = ("optimistic", "likely", "pessimistic")
#: Fields of a task, in the order writers emit them.
TASK_FIELDS = (
    "id",
    "issue",
    "title",
    "activity",
    "environment",
    "touches",
    "reversibility",
    "effort",
    "value",
    "priority",
    "depends_on",
    "topic",
    "outcomes",
    "status",
    "declared_risk",
    "declared_note",
    "declared_label",
    *SAFEGUARDS,
    "evidence",
)
REQUIRED_TASK_FIELDS = ("id", "issue", "title", "activity", "environment")
#: Fields whose value a task may explain with the words that led to it.
EVIDENCE_FIELDS = (
    "activity",
    "environment",
    "touches",
    "reversibility",
    "effort",
    "value",
    "outcomes",
)

_PRIORITY_PATTERN = re.compile(r"^P[0-9]$")
_LIST_SPLIT = re.compile(r"[,;\s]+")


def parse_catalog(
    data: Any,
    *,
    source: str = "<memory>",
    name: str | None = None,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> Catalog:
    """Build a validated :class:`Catalog` from YAML-shaped data.

    Parameters
    ----------
    data : mapping
        ``{"catalog": {...}, "defaults": {...}, "issues": [...], "tasks": [...]}``;
        only ``tasks`` is required.
    source : str
        Names the input in error messages.
    name : str, optional
        The catalog's name when ``catalog.name`` is not given (a file's stem).
    vocabulary : Vocabulary
        Allowed activities and touched areas (a rubric may add some).

    Raises
    ------
    CatalogError
        Naming the source, line, task and field of the first problem found.
    """
    top = Where(source, mapping=data)
    if data is None:
        raise CatalogError("empty file: expected a catalog with 'tasks'", source=source)
    check_mapping(data, top, None, "a mapping with 'tasks'")
    check_keys(data, TOP_KEYS, top)
    meta = data.get("catalog") or {}
    meta_where = Where(source, record="catalog", mapping=meta)
    check_mapping(meta, meta_where, "catalog")
    check_keys(meta, META_KEYS, meta_where)
    defaults = _parse_defaults(data.get("defaults") or {}, source, vocabulary)
    issues_raw = data.get("issues") or []
    if not isinstance(issues_raw, list):
        raise top.fail(f"expected a list of issues, got {describe(issues_raw)}", "issues")
    issues = tuple(_parse_issue(raw, i, source) for i, raw in enumerate(issues_raw))
    tasks_raw = data.get("tasks")
    if tasks_raw is None:
        raise top.fail("missing (required): a catalog lists its tasks", "tasks")
    if not isinstance(tasks_raw, list):
        raise top.fail(f"expected a list of tasks, got {describe(tasks_raw)}", "tasks")
    if not tasks_raw:
        raise top.fail("a catalog needs at least one task", "tasks")
    tasks = tuple(
        _parse_task(raw, i, source, defaults, vocabulary) for i, raw in enumerate(tasks_raw)
    )
    targets = _parse_targets(data.get("targets") or [], source)
    catalog_name = meta.get("name") or name or "catalog"  # an empty name: the file's
    try:
        return Catalog(
            name=check_name(
                catalog_name, meta_where, "name", from_file=not meta.get("name") and bool(name)
            ),
            title=optional_text(meta, "title", meta_where),
            source=optional_text(meta, "source", meta_where),
            declared=_parse_declared(meta.get("declared"), meta_where, claims=True),
            defaults=defaults,
            issues=issues,
            tasks=tasks,
            targets=targets,
            scenarios=_parse_scenario_paths(meta.get("scenarios"), meta_where),
        )
    except CatalogError as exc:
        raise _locate(exc, source, issues_raw, tasks_raw) from exc


def _locate(exc: CatalogError, source: str, issues_raw: list, tasks_raw: list) -> CatalogError:
    """Add the file and line to a cross-reference error raised by :class:`Catalog`."""
    line = None
    for raw in tasks_raw:
        if isinstance(raw, Located) and exc.task is not None and str(raw.get("id")) == exc.task:
            line = raw.line_of(exc.field or "id")
    for raw in issues_raw:
        if isinstance(raw, Located) and exc.record == f"issue #{raw.get('number')}":
            line = raw.line_of(exc.field or "number")
    return exc.with_context(source=source, line=line)


def _parse_scenario_paths(raw: Any, where: Where) -> tuple[str, ...]:
    """``catalog.scenarios``: paths of scenario files, relative to the catalog's folder."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise where.fail(f"expected a list of scenario files, got {describe(raw)}", "scenarios")
    paths = tuple(check_text(item, where, "scenarios") for item in raw)
    for path in paths:
        if ";" in path:  # it separates the paths in a CSV cell
            raise where.fail(f"a path may not contain ';', got {path!r}", "scenarios")
    return paths


def _parse_declared(raw: Any, where: Where, claims: bool = False) -> DeclaredCounts:
    """Counts (and, for the catalog, claims) a document declares, kept as declared."""
    if raw is None:
        return DeclaredCounts()
    check_mapping(raw, where, "declared")
    check_keys(raw, DECLARED_KEYS + (CLAIM_KEYS if claims else ()), where, "declared.")

    def whole(key: str) -> int | None:
        value = raw.get(key)
        return None if value is None else check_whole(value, where, f"declared.{key}", 0)

    as_stated = raw.get("as_stated") or {}
    check_mapping(as_stated, where, "declared.as_stated")
    check_keys(as_stated, ("total", "safe", "effort_hours"), where, "declared.as_stated.")
    effort = raw.get("effort_hours")
    return DeclaredCounts(
        total=whole("total"),
        by_level={
            level: check_whole(raw[level], where, f"declared.{level}", 0)
            for level in LEVELS
            if raw.get(level) is not None
        },
        safe=whole("safe"),
        safe_of=whole("safe_of"),
        effort_hours=None
        if effort is None
        else check_number(effort, where, "declared.effort_hours", positive=False),
        as_stated={
            key: check_text(as_stated[key], where, f"declared.as_stated.{key}") for key in as_stated
        },
    )


def _parse_defaults(raw: Any, source: str, vocabulary: Vocabulary) -> Defaults:
    where = Where(source, record="defaults", mapping=raw)
    check_mapping(raw, where, "defaults")
    check_keys(raw, DEFAULTS_KEYS, where)
    effort_raw = raw.get("effort_hours") or {}
    check_mapping(effort_raw, where, "effort_hours")
    effort = {}
    for activity, hours in effort_raw.items():
        field = f"effort_hours.{activity}"
        check_choice(activity, (*vocabulary.activity, UNKNOWN), where, field)
        effort[activity] = check_number(hours, where, field, positive=True)
    by_priority_raw = raw.get("value_by_priority") or {}
    check_mapping(by_priority_raw, where, "value_by_priority")
    by_priority = {}
    for priority, value in by_priority_raw.items():
        field = f"value_by_priority.{priority}"
        if not isinstance(priority, str) or not _PRIORITY_PATTERN.match(priority):
            raise where.fail(f"expected a priority P0 to P9, got {describe(priority)}", field)
        by_priority[priority] = check_number(value, where, field, positive=False)
    value = raw.get("value")
    return Defaults(
        effort_hours=effort,
        value=1.0 if value is None else check_number(value, where, "value", positive=False),
        value_by_priority=by_priority,
    )


def _parse_issue(raw: Any, index: int, source: str) -> Issue:
    where = Where(source, record=f"issue #{index + 1} in the list", mapping=raw)
    check_mapping(raw, where, None)
    if raw.get("number") is None:
        raise where.fail("missing (required)", "number")
    number = check_whole(raw["number"], where, "number", 1)
    where = Where(source, record=f"issue #{number}", mapping=raw)
    check_keys(raw, ISSUE_KEYS, where)
    return Issue(
        number=number,
        title=optional_text(raw, "title", where),
        declared=_parse_declared(raw.get("declared"), where),
        note=optional_text(raw, "note", where),
    )


def _parse_task(
    raw: Any, index: int, source: str, defaults: Defaults, vocabulary: Vocabulary
) -> Task:
    where = Where(source, record=f"task #{index + 1} in the list", mapping=raw)
    check_mapping(raw, where, None)
    if raw.get("id") is None:
        raise where.fail("missing (required)", "id")
    task_id = check_ident(raw["id"], where, "id")
    where = Where(source, task=task_id, mapping=raw)
    check_keys(raw, TASK_FIELDS, where)
    for key in REQUIRED_TASK_FIELDS:
        if raw.get(key) is None:
            raise where.fail("missing (required)", key)
    # Fields are checked in the order they are documented, so the first error is stable.
    issue = check_whole(raw["issue"], where, "issue", 1)
    title = check_text(raw["title"], where, "title")
    activity = check_choice(raw["activity"], (*vocabulary.activity, UNKNOWN), where, "activity")
    environment = check_choice(
        raw["environment"], (*vocabulary.environment, UNKNOWN), where, "environment"
    )
    touches = _parse_touches(raw.get("touches", UNKNOWN), vocabulary, where)
    reversibility = check_choice(
        raw.get("reversibility", UNKNOWN),
        (*vocabulary.reversibility, UNKNOWN),
        where,
        "reversibility",
    )
    effort, effort_source = _parse_effort(raw.get("effort"), activity, defaults, where)
    priority = raw.get("priority")
    if priority is not None and (
        not isinstance(priority, str) or not _PRIORITY_PATTERN.match(priority)
    ):
        raise where.fail(f"expected a priority P0 to P9, got {describe(priority)}", "priority")
    value, value_source = _parse_value(raw.get("value"), priority, defaults, where)
    declared_risk = raw.get("declared_risk")
    return Task(
        id=task_id,
        issue=issue,
        title=title,
        activity=activity,
        environment=environment,
        touches=touches,
        reversibility=reversibility,
        effort=effort,
        effort_source=effort_source,
        value=value,
        value_source=value_source,
        priority=priority,
        depends_on=_parse_ids(raw.get("depends_on"), where, "depends_on"),
        topic=optional_text(raw, "topic", where),
        outcomes=_parse_outcomes(raw.get("outcomes"), where),
        status=check_choice(raw.get("status", "todo"), STATUSES, where, "status"),
        declared_risk=None
        if declared_risk is None
        else check_choice(declared_risk, LEVELS, where, "declared_risk"),
        declared_note=optional_text(raw, "declared_note", where),
        declared_label=optional_text(raw, "declared_label", where),
        **{key: optional_text(raw, key, where) for key in SAFEGUARDS},
        evidence=_parse_evidence(raw.get("evidence"), where),
    )


def _parse_effort(raw: Any, activity: str, defaults: Defaults, where: Where) -> tuple[Effort, str]:
    if raw is None:
        if activity == UNKNOWN and UNKNOWN not in defaults.effort_hours and defaults.effort_hours:
            # The activity is unknown: assume the longest default, never a shorter one.
            return Effort.point(max(defaults.effort_hours.values())), "default"
        if activity not in defaults.effort_hours:
            raise where.fail(
                "the task gives no effort, and the catalog gives no defaults.effort_hours "
                f"for its activity '{activity}'",
                "effort",
            )
        return Effort.point(defaults.effort_hours[activity]), "default"
    if isinstance(raw, Mapping):
        check_keys(raw, EFFORT_KEYS, where, "effort.")
        points = []
        for key in EFFORT_KEYS:
            if raw.get(key) is None:
                raise where.fail("missing (required in a three-point estimate)", f"effort.{key}")
            points.append(check_number(raw[key], where, f"effort.{key}", positive=True))
        if not points[0] <= points[1] <= points[2]:
            raise where.fail(
                "expected optimistic <= likely <= pessimistic, got "
                + " / ".join(f"{p:g}" for p in points),
                "effort",
            )
        return Effort(*points), "task"
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise where.fail(
            "expected hours or {optimistic, likely, pessimistic}, got "
            f"{describe(raw)}{number_text_hint(raw)}",
            "effort",
        )
    return Effort.point(check_number(raw, where, "effort", positive=True)), "task"


def _parse_value(
    raw: Any, priority: str | None, defaults: Defaults, where: Where
) -> tuple[float, str]:
    if raw is not None:
        return check_number(raw, where, "value", positive=False), "task"
    if priority is not None:
        if priority not in defaults.value_by_priority:
            raise where.fail(
                f"the catalog's defaults give no value for priority '{priority}'", "priority"
            )
        return defaults.value_by_priority[priority], "priority"
    return defaults.value, "default"


def _parse_touches(raw: Any, vocabulary: Vocabulary, where: Where) -> tuple[str, ...]:
    allowed = (*vocabulary.touches, UNKNOWN)
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise where.fail(f"expected a list of areas or 'unknown', got {describe(raw)}", "touches")
    if not items:
        raise where.fail("must name at least one area, or be 'unknown'", "touches")
    chosen = {check_choice(item, allowed, where, "touches") for item in items}
    return tuple(area for area in allowed if area in chosen)


def _parse_ids(raw: Any, where: Where, field: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, (str, int)) and not isinstance(raw, bool) else raw
    if not isinstance(items, list):
        raise where.fail(f"expected a list of task ids, got {describe(raw)}", field)
    return tuple(dict.fromkeys(check_ident(item, where, field) for item in items))


def _parse_outcomes(raw: Any, where: Where) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise where.fail(f"expected a list of outcome areas, got {describe(raw)}", "outcomes")
    chosen = {check_choice(item, OUTCOME_AREAS, where, "outcomes") for item in items}
    return tuple(area for area in OUTCOME_AREAS if area in chosen)


def _parse_targets(raw: Any, source: str) -> tuple[Target, ...]:
    if not isinstance(raw, list):
        raise CatalogError(
            f"expected a list of targets, got {describe(raw)}", source=source, field="targets"
        )
    targets = []
    for index, item in enumerate(raw):
        where = Where(source, record=f"target #{index + 1}", mapping=item)
        check_record(item, where, TARGET_KEYS, ("area", "target"))
        targets.append(
            Target(
                area=check_choice(item["area"], (*OUTCOME_AREAS, "overall"), where, "area"),
                target=check_text(item["target"], where, "target"),
                start=optional_text(item, "from", where),
                goal=optional_text(item, "to", where),
            )
        )
    return tuple(targets)


def _parse_evidence(raw: Any, where: Where) -> dict[str, str]:
    if raw is None:
        return {}
    check_mapping(raw, where, "evidence")
    check_keys(raw, EVIDENCE_FIELDS, where, "evidence.")
    return {
        key: check_text(raw[key], where, f"evidence.{key}") for key in EVIDENCE_FIELDS if key in raw
    }


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _declared_to_data(declared: DeclaredCounts) -> dict[str, Any]:
    out: dict[str, Any] = {} if declared.total is None else {"total": declared.total}
    out.update({level: declared.by_level[level] for level in LEVELS if level in declared.by_level})
    for key in ("safe", "safe_of"):
        if getattr(declared, key) is not None:
            out[key] = getattr(declared, key)
    if declared.effort_hours is not None:
        out["effort_hours"] = _plain(declared.effort_hours)
    if declared.as_stated:
        out["as_stated"] = dict(declared.as_stated)
    return out


def catalog_to_data(catalog: Catalog) -> dict[str, Any]:
    """The YAML-shaped data of ``catalog``: ``parse_catalog`` gives it back unchanged."""
    meta: dict[str, Any] = {"name": catalog.name}
    for key in ("title", "source"):
        if getattr(catalog, key) is not None:
            meta[key] = getattr(catalog, key)
    if catalog.declared:
        meta["declared"] = _declared_to_data(catalog.declared)
    if catalog.scenarios:
        meta["scenarios"] = list(catalog.scenarios)
    defaults = catalog.defaults
    out: dict[str, Any] = {
        "catalog": meta,
        "defaults": {
            "effort_hours": {k: _plain(v) for k, v in defaults.effort_hours.items()},
            "value": _plain(defaults.value),
            "value_by_priority": {k: _plain(v) for k, v in defaults.value_by_priority.items()},
        },
    }
    if catalog.issues:
        out["issues"] = [_issue_to_data(issue) for issue in catalog.issues]
    if catalog.targets:
        out["targets"] = [
            {
                "area": t.area,
                "target": t.target,
                **({"from": t.start} if t.start is not None else {}),
                **({"to": t.goal} if t.goal is not None else {}),
            }
            for t in catalog.targets
        ]
    out["tasks"] = [_task_to_data(task) for task in catalog.tasks]
    return out


def _issue_to_data(issue: Issue) -> dict[str, Any]:
    row: dict[str, Any] = {"number": issue.number}
    if issue.title is not None:
        row["title"] = issue.title
    if issue.declared:
        row["declared"] = _declared_to_data(issue.declared)
    if issue.note is not None:
        row["note"] = issue.note
    return row


def _task_to_data(task: Task) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": task.id,
        "issue": task.issue,
        "title": task.title,
        "activity": task.activity,
        "environment": task.environment,
        "touches": UNKNOWN if task.touches == (UNKNOWN,) else list(task.touches),
        "reversibility": task.reversibility,
    }
    if task.effort_source == "task":
        effort = task.effort
        row["effort"] = (
            _plain(effort.hours)
            if effort.is_point
            else {key: _plain(getattr(effort, key)) for key in EFFORT_KEYS}
        )
    if task.value_source == "task":
        row["value"] = _plain(task.value)
    optional = {
        "priority": task.priority,
        "depends_on": list(task.depends_on) or None,
        "topic": task.topic,
        "outcomes": list(task.outcomes) or None,
        "status": None if task.status == "todo" else task.status,
        "declared_risk": task.declared_risk,
        "declared_note": task.declared_note,
        "declared_label": task.declared_label,
        **{key: getattr(task, key) for key in SAFEGUARDS},
        "evidence": dict(task.evidence) or None,
    }
    row.update({key: value for key, value in optional.items() if value is not None})
    return row


def scale_efforts(catalog: Catalog, factor: float) -> Catalog:
    """The same catalog with every effort (each of its three points) times ``factor``.

    For what-ifs such as "every estimate is 30 % optimistic" (``factor=1.3``).

    Raises
    ------
    ValueError
        When ``factor`` is not positive.
    """
    if not factor > 0:
        raise ValueError(f"an effort factor must be positive, got {factor}")
    tasks = tuple(
        replace(
            task,
            effort=Effort(*(getattr(task.effort, k) * factor for k in EFFORT_KEYS)),
        )
        for task in catalog.tasks
    )
    defaults = replace(
        catalog.defaults,
        effort_hours={k: v * factor for k, v in catalog.defaults.effort_hours.items()},
    )
    return replace(catalog, tasks=tasks, defaults=defaults)
