"""Catalogs as one spreadsheet: CSV rows to the YAML shape, and back.

A ``record`` column says what a row holds (``catalog``, ``default``,
``issue``, ``target`` or ``task``; a sheet without it is all tasks). Lists
are separated by commas or semicolons, a three-point effort takes three
columns, evidence one column per fact. Rows keep their line numbers, so
errors name the row.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Mapping
from typing import Any

from analysis.errors import CatalogError
from analysis.files import csv_uncell
from analysis.inputs.catalog_records import (
    _LIST_SPLIT,
    EFFORT_KEYS,
    EVIDENCE_FIELDS,
    TARGET_KEYS,
    TASK_FIELDS,
    catalog_to_data,
)
from analysis.inputs.records import Located, Where, located
from analysis.model import Catalog
from analysis.vocabulary import LEVELS, UNKNOWN

__all__ = [
    "CSV_COLUMNS",
    "csv_to_data",
    "catalog_to_rows",
]

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
    "scenarios",
    "note",
    "area",
    "target",
    "from",
    "to",
)
_CSV_RECORDS = ("catalog", "default", "issue", "target", "task")
_COLUMNS_BY_RECORD = {
    "catalog": ("title", "name", "source", "scenarios", *_DECLARED_COLUMNS),
    "default": ("activity", "effort", "priority", "value"),
    "issue": ("issue", "title", "note", *_DECLARED_COLUMNS),
    "target": TARGET_KEYS,
    "task": _task_columns(),
}
_WHOLE_COLUMNS = {"issue", *_DECLARED_COLUMNS}
_NUMBER_COLUMNS = {"effort", "effort_optimistic", "effort_likely", "effort_pessimistic", "value"}


def _clip(text: str, size: int = 40) -> str:
    """Text for an error line: at most ``size`` characters."""
    return text if len(text) <= size else f"{text[:size]}… ({len(text):,} characters)"


def _csv_cell(column: str, text: str, where: Where) -> Any:
    if column in _WHOLE_COLUMNS:
        try:
            return int(text)
        except ValueError:
            raise where.fail(f"expected a whole number, got {_clip(text)!r}", column) from None
    if column in _NUMBER_COLUMNS:
        try:
            return float(text)
        except ValueError:
            raise where.fail(f"expected a number, got {_clip(text)!r}", column) from None
    if column == "scenarios":  # paths: only semicolons separate them
        return [item.strip() for item in text.split(";") if item.strip()]
    if column in ("depends_on", "outcomes"):
        return [item for item in _LIST_SPLIT.split(text) if item]
    if column == "touches":
        items = [item for item in _LIST_SPLIT.split(text) if item]
        return UNKNOWN if items == [UNKNOWN] else items
    return text


def csv_to_data(text: str, source: str) -> dict[str, Any]:
    """Turn the CSV form into the YAML shape, keeping each row's line number."""
    # a cell may be as long as the file (within the input limit), not the csv module's 128 KiB
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _read_rows(reader, source)
    except csv.Error as exc:
        raise CatalogError(
            f"not a readable CSV: {exc}", source=source, line=reader.line_num
        ) from None


def _read_rows(reader: csv.DictReader, source: str) -> dict[str, Any]:
    header = reader.fieldnames or []
    head = Where(source, record="header", mapping=located(1))
    for index, column in enumerate(header):
        if column in header[:index]:
            first = header.index(column) + 1
            raise head.fail(f"duplicate column (columns {first} and {index + 1})", column)
        if column not in CSV_COLUMNS:
            hint = difflib.get_close_matches(column, CSV_COLUMNS, n=1)
            more = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise head.fail(f"unknown column{more}", _clip(column))
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
        # a cell the suite's writer escaped ('=..., ''...) reads back as written
        cells = {k: csv_uncell(v) for k, v in row.items() if v is not None and v != ""}
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
        meta = Located(
            {k: values[k] for k in ("name", "title", "source", "scenarios") if k in values}
        )
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


def catalog_to_rows(catalog: Catalog) -> list[dict[str, Any]]:
    data = catalog_to_data(catalog)
    rows: list[dict[str, Any]] = []
    meta = data["catalog"]
    rows.append(
        {
            "record": "catalog",
            **{k: meta[k] for k in ("name", "title", "source") if k in meta},
            **({"scenarios": "; ".join(meta["scenarios"])} if "scenarios" in meta else {}),
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
