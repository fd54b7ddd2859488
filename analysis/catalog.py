"""Task catalogs: parse and validate YAML and CSV, and write them back.

``parse_catalog`` works on in-memory data (the YAML shape); ``parse_catalog_text``
turns YAML or CSV text into that shape first; ``read_catalog`` only reads a
file and hands off. The writers are their exact inverses: any valid catalog
survives a YAML or a CSV round trip unchanged.

Every problem raises :class:`~analysis.errors.CatalogError` naming the file,
the line when known, the task and the field.

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

import csv
import difflib
import io
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from analysis.errors import CatalogError, InputError
from analysis.model import (
    DEFAULT_VOCABULARY,
    LEVELS,
    OUTCOME_AREAS,
    SAFEGUARDS,
    STATUSES,
    UNKNOWN,
    Catalog,
    DeclaredCounts,
    Defaults,
    Effort,
    Issue,
    Target,
    Task,
    Vocabulary,
)
from analysis.records import (
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
    dump_yaml,
    load_yaml_text,
    located,
    number_text_hint,
    optional_text,
    read_text,
    write_text_atomic,
)

__all__ = [
    "TASK_FIELDS",
    "CSV_COLUMNS",
    "parse_catalog",
    "parse_catalog_text",
    "read_catalog",
    "catalog_to_data",
    "format_catalog",
    "write_catalog",
    "scale_efforts",
    "load_yaml_text",
    "read_text",
]

TOP_KEYS = ("catalog", "defaults", "issues", "targets", "tasks")
TARGET_KEYS = ("area", "target", "from", "to")
META_KEYS = ("name", "title", "source", "declared")
DECLARED_KEYS = ("total", *LEVELS)
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
_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
#: File name endings read as catalogs.
CATALOG_SUFFIXES = tuple(_FORMATS)


# --------------------------------------------------------------------------- parse (pure)


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
    check_mapping(data, top, None, "a mapping with 'tasks'")  # type: ignore[arg-type]
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
            declared=_parse_declared(meta.get("declared"), meta_where),
            defaults=defaults,
            issues=issues,
            tasks=tasks,
            targets=targets,
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
    return exc.with_context(source=source, line=line)  # type: ignore[return-value]


def _parse_declared(raw: Any, where: Where) -> DeclaredCounts:
    if raw is None:
        return DeclaredCounts()
    check_mapping(raw, where, "declared")
    check_keys(raw, DECLARED_KEYS, where, "declared.")
    total = raw.get("total")
    return DeclaredCounts(
        total=None if total is None else check_whole(total, where, "declared.total", 0),
        by_level={
            level: check_whole(raw[level], where, f"declared.{level}", 0)
            for level in LEVELS
            if raw.get(level) is not None
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
    check_mapping(raw, where, None)  # type: ignore[arg-type]
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
    check_mapping(raw, where, None)  # type: ignore[arg-type]
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


# --------------------------------------------------------------------------- back to data


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _declared_to_data(declared: DeclaredCounts) -> dict[str, int]:
    out = {} if declared.total is None else {"total": declared.total}
    out.update({level: declared.by_level[level] for level in LEVELS if level in declared.by_level})
    return out


def catalog_to_data(catalog: Catalog) -> dict[str, Any]:
    """The YAML-shaped data of ``catalog``: ``parse_catalog`` gives it back unchanged."""
    meta: dict[str, Any] = {"name": catalog.name}
    for key in ("title", "source"):
        if getattr(catalog, key) is not None:
            meta[key] = getattr(catalog, key)
    if catalog.declared:
        meta["declared"] = _declared_to_data(catalog.declared)
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
        **{key: getattr(task, key) for key in SAFEGUARDS},
        "evidence": dict(task.evidence) or None,
    }
    row.update({key: value for key, value in optional.items() if value is not None})
    return row


# --------------------------------------------------------------------------- CSV

_DECLARED_COLUMNS = ("declared_total", *(f"declared_{level}" for level in LEVELS))


def _task_columns() -> tuple[str, ...]:
    """Task fields as CSV columns: a three-point effort and evidence spread over columns."""
    columns: list[str] = []
    for name in TASK_FIELDS:
        if name == "effort":
            columns += ["effort", *(f"effort_{key}" for key in EFFORT_KEYS)]
        elif name == "evidence":
            columns += [f"evidence_{key}" for key in EVIDENCE_FIELDS]
        else:
            columns.append(name)
    return tuple(columns)


#: Columns of the CSV form, in order. ``record`` says what a row holds.
CSV_COLUMNS = (
    "record",
    *_task_columns(),
    *_DECLARED_COLUMNS,
    "name",
    "source",
    "note",
    "area",
    "target",
    "from",
    "to",
)
_CSV_RECORDS = ("catalog", "default", "issue", "target", "task")
_COLUMNS_BY_RECORD = {
    "catalog": ("title", "name", "source", *_DECLARED_COLUMNS),
    "default": ("activity", "effort", "priority", "value"),
    "issue": ("issue", "title", "note", *_DECLARED_COLUMNS),
    "target": TARGET_KEYS,
    "task": _task_columns(),
}
_WHOLE_COLUMNS = {"issue", *_DECLARED_COLUMNS}
_NUMBER_COLUMNS = {"effort", "effort_optimistic", "effort_likely", "effort_pessimistic", "value"}


def _csv_cell(column: str, text: str, where: Where) -> Any:
    if column in _WHOLE_COLUMNS:
        try:
            return int(text)
        except ValueError:
            raise where.fail(f"expected a whole number, got {text!r}", column) from None
    if column in _NUMBER_COLUMNS:
        try:
            return float(text)
        except ValueError:
            raise where.fail(f"expected a number, got {text!r}", column) from None
    if column in ("depends_on", "outcomes"):
        return [item for item in _LIST_SPLIT.split(text) if item]
    if column == "touches":
        items = [item for item in _LIST_SPLIT.split(text) if item]
        return UNKNOWN if items == [UNKNOWN] else items
    return text


def _csv_to_data(text: str, source: str) -> dict[str, Any]:
    """Turn the CSV form into the YAML shape, keeping each row's line number."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    head = Where(source, record="header", mapping=located(1))
    for index, column in enumerate(header):
        if column in header[:index]:
            first = header.index(column) + 1
            raise head.fail(f"duplicate column (columns {first} and {index + 1})", column)
        if column not in CSV_COLUMNS:
            hint = difflib.get_close_matches(column, CSV_COLUMNS, n=1)
            more = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise head.fail(f"unknown column{more}", column)
    if "id" not in header and "record" not in header:
        raise head.fail("missing column: a CSV catalog needs at least 'id'", "id")
    data: dict[str, Any] = {"catalog": {}, "defaults": {}, "issues": [], "targets": [], "tasks": []}
    for row in reader:
        line = reader.line_num
        if None in row:
            raise CatalogError(
                f"row has {len(header) + len(row[None])} cells, the header {len(header)}",
                source=source,
                line=line,
            )
        cells = {k: v for k, v in row.items() if v is not None and v != ""}
        if not cells:
            continue
        kind = cells.pop("record", "task")
        label = f"{kind} row" if "id" not in cells else None
        where = Where(source, record=label, task=cells.get("id"), mapping=located(line))
        if kind not in _CSV_RECORDS:
            raise where.fail(f"{kind!r} is not one of {', '.join(_CSV_RECORDS)}", "record")
        for column in cells:
            if column not in _COLUMNS_BY_RECORD[kind]:
                raise where.fail(f"does not apply to {kind} rows", column)
        values = Located({c: _csv_cell(c, v, where) for c, v in cells.items()})
        values.line = line
        _add_csv_row(data, kind, values, where)
    return {key: value for key, value in data.items() if value}


def _declared_from_row(values: Mapping) -> dict[str, int] | None:
    declared = {c.removeprefix("declared_"): values[c] for c in _DECLARED_COLUMNS if c in values}
    return declared or None


def _add_csv_row(data: dict[str, Any], kind: str, values: Located, where: Where) -> None:
    if kind == "catalog":
        if data["catalog"]:
            raise where.fail("a CSV catalog has at most one catalog row", "record")
        meta = Located({k: values[k] for k in ("name", "title", "source") if k in values})
        meta.line = values.line  # errors about the catalog name its row
        declared = _declared_from_row(values)
        if declared:
            meta["declared"] = declared
        data["catalog"] = meta
    elif kind == "default":
        defaults = data["defaults"]
        if "activity" in values and set(values) == {"activity", "effort"}:
            defaults.setdefault("effort_hours", {})[values["activity"]] = values["effort"]
        elif "priority" in values and set(values) == {"priority", "value"}:
            defaults.setdefault("value_by_priority", {})[values["priority"]] = values["value"]
        elif set(values) == {"value"}:
            defaults["value"] = values["value"]
        else:
            raise where.fail(
                "a default row holds activity + effort, priority + value, or value alone",
                "record",
            )
    elif kind == "target":
        data["targets"].append(values)
    elif kind == "issue":
        issue = Located({"number": values.get("issue")})
        issue.line = values.line
        for key in ("title", "note"):
            if key in values:
                issue[key] = values[key]
        declared = _declared_from_row(values)
        if declared:
            issue["declared"] = declared
        data["issues"].append(issue)
    else:
        data["tasks"].append(_task_from_row(values, where))


def _task_from_row(values: Located, where: Where) -> Located:
    task = Located()
    task.line = values.line
    three = {k: values[f"effort_{k}"] for k in EFFORT_KEYS if f"effort_{k}" in values}
    if three and "effort" in values:
        raise where.fail("give effort, or effort_optimistic/likely/pessimistic, not both", "effort")
    for column, value in values.items():
        if column.startswith("effort_"):
            continue
        if column.startswith("evidence_"):
            task.setdefault("evidence", {})[column.removeprefix("evidence_")] = value
        else:
            task[column] = value
    if three:
        task["effort"] = three
    return task


def _catalog_to_rows(catalog: Catalog) -> list[dict[str, Any]]:
    data = catalog_to_data(catalog)
    rows: list[dict[str, Any]] = []
    meta = data["catalog"]
    rows.append(
        {
            "record": "catalog",
            **{k: meta[k] for k in ("name", "title", "source") if k in meta},
            **{f"declared_{k}": v for k, v in meta.get("declared", {}).items()},
        }
    )
    defaults = data["defaults"]
    for activity, hours in defaults["effort_hours"].items():
        rows.append({"record": "default", "activity": activity, "effort": hours})
    for priority, value in defaults["value_by_priority"].items():
        rows.append({"record": "default", "priority": priority, "value": value})
    rows.append({"record": "default", "value": defaults["value"]})
    for issue in data.get("issues", []):
        row = {"record": "issue", "issue": issue["number"]}
        row.update({k: issue[k] for k in ("title", "note") if k in issue})
        row.update({f"declared_{k}": v for k, v in issue.get("declared", {}).items()})
        rows.append(row)
    for target in data.get("targets", []):
        rows.append({"record": "target", **target})
    for task in data["tasks"]:
        row = {"record": "task"}
        for key, value in task.items():
            if key == "effort" and isinstance(value, dict):
                row.update({f"effort_{k}": v for k, v in value.items()})
            elif key == "evidence":
                row.update({f"evidence_{k}": v for k, v in value.items()})
            elif isinstance(value, list):
                row[key] = ", ".join(str(item) for item in value)
            else:
                row[key] = value
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- text and files


def parse_catalog_text(
    text: str,
    fmt: str,
    *,
    source: str = "<memory>",
    name: str | None = None,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> Catalog:
    """Parse a catalog from YAML (``fmt="yaml"``) or CSV (``fmt="csv"``) text."""
    if not text.strip():
        raise CatalogError("empty file: expected a catalog with 'tasks'", source=source)
    if fmt == "yaml":
        data = load_yaml_text(text, source)
    elif fmt == "csv":
        data = _csv_to_data(text, source)
    else:
        raise CatalogError(f"unknown catalog format {fmt!r} (yaml or csv)", source=source)
    return parse_catalog(data, source=source, name=name, vocabulary=vocabulary)


def format_catalog(catalog: Catalog, fmt: str) -> str:
    """The text of ``catalog`` as YAML or CSV; parsing it gives the catalog back."""
    if fmt == "yaml":
        return dump_yaml(catalog_to_data(catalog))
    if fmt == "csv":
        out = io.StringIO(newline="")
        # CRLF rows (RFC 4180): a carriage return inside a cell is then always quoted.
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(_catalog_to_rows(catalog))
        return out.getvalue()
    raise ValueError(f"unknown catalog format {fmt!r} (yaml or csv)")


def catalog_format(path: Path, error: type[InputError] = CatalogError) -> str:
    """``yaml`` or ``csv``, from the file's suffix."""
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        raise error(
            f"unsupported file type '{path.suffix}' (expected .yaml, .yml or .csv)",
            source=str(path),
        ) from None


def read_catalog(
    path: str | os.PathLike, *, vocabulary: Vocabulary = DEFAULT_VOCABULARY
) -> Catalog:
    """Read a catalog file (``.yaml``, ``.yml`` or ``.csv``), validated.

    The catalog's name defaults to the file's stem.

    Raises
    ------
    CatalogError
        When the file is missing, empty, not UTF-8, malformed or invalid.
    """
    path = Path(path)
    fmt = catalog_format(path)
    text = read_text(path)
    return parse_catalog_text(text, fmt, source=str(path), name=path.stem, vocabulary=vocabulary)


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


def write_catalog(catalog: Catalog, path: str | os.PathLike) -> Path:
    """Write ``catalog`` as YAML or CSV (by suffix), atomically: all or nothing."""
    path = Path(path)
    text = format_catalog(catalog, catalog_format(path))
    write_text_atomic(path, text)
    return path
