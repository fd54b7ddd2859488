"""Weekly history: one snapshot per catalog, scenario and week, in SQLite.

A snapshot keeps what a weekly report needs to say what changed: every task's
title, status, issue and level, the selection, and the schedule. Saving a
week replaces that week's snapshots (of every scenario) in one transaction.
:func:`changes` compares two snapshots: new and removed tasks, tasks done,
levels and statuses that changed, tasks that came into or went out of the
selection.

Examples
--------
>>> before = {"tasks": {"A": {"title": "a", "status": "todo", "level": "LOW", "issue": 1}},
...           "selected": ["A"]}
>>> after = {"tasks": {"A": {"title": "a", "status": "done", "level": "LOW", "issue": 1},
...                    "B": {"title": "b", "status": "todo", "level": "HIGH", "issue": 1}},
...          "selected": []}
>>> delta = changes(before, after)
>>> delta.new, delta.done, delta.left_selection
(('B',), ('A',), ('A',))
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.errors import HistoryError, InputError
from analysis.files import check_folder

__all__ = [
    "iso_week",
    "check_week",
    "SCHEMA_VERSION",
    "check_history",
    "snapshot_of",
    "save_snapshot",
    "save_snapshots",
    "previous_snapshot",
    "Changes",
    "changes",
]

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
#: The version of the history's schema, kept in SQLite's ``user_version``: a later version of
#: the suite reads it to migrate an older file. 0 is a file made before versions were kept.
SCHEMA_VERSION = 1
_COLUMNS = ("catalog", "scenario", "week", "data")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    catalog TEXT NOT NULL,
    scenario TEXT NOT NULL,
    week TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (catalog, scenario, week)
)
"""


def iso_week(day: dt.date | None = None) -> str:
    """The ISO week of ``day`` (today by default), as ``YYYY-Www``.

    >>> iso_week(dt.date(2026, 11, 29))
    '2026-W48'
    """
    year, week, _ = (day or dt.date.today()).isocalendar()
    return f"{year}-W{week:02d}"


def check_week(week: str) -> str:
    """``week`` if it is a real ISO week such as ``2026-W48``.

    Raises
    ------
    HistoryError
        When it is not.

    >>> check_week("2026-W48")
    '2026-W48'
    >>> check_week("0000-W01")
    Traceback (most recent call last):
    ...
    analysis.errors.HistoryError: field 'week': '0000-W01' is not an ISO week such as 2026-W48
    """
    match = _WEEK.match(week)
    if match:
        year, number = int(match.group(1)), int(match.group(2))
        if dt.MINYEAR <= year <= dt.MAXYEAR:  # no week of year 0
            last = dt.date(year, 12, 28).isocalendar()[1]
            if 1 <= number <= last:
                return week
    raise HistoryError(f"'{week}' is not an ISO week such as 2026-W48", field="week")


def check_history(path: str | os.PathLike) -> Path:
    """``path`` if it is this suite's history file (SQLite), or one can be made there.

    Checked before anything runs, and nothing is written: a folder, a pipe, a
    device (``/dev/null``), a file that is not SQLite, an SQLite file of
    something else (no ``snapshots`` table of this suite's columns, or other
    tables), or one of a later schema version, is refused in one line.

    Raises
    ------
    HistoryError
        Naming the file and what it is instead.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        try:
            check_folder(path.parent)
        except InputError as exc:
            raise HistoryError(f"cannot make the history here: {exc}", source=str(path)) from None
        return path
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise HistoryError(f"cannot read: {exc.strerror}", source=str(path)) from None
    if stat.S_ISDIR(mode):
        raise HistoryError("is a folder, not a history file (SQLite)", source=str(path))
    if not stat.S_ISREG(mode):
        raise HistoryError("is not a regular file: give a history file (SQLite)", source=str(path))
    if path.stat().st_size == 0:
        return path  # an empty file: SQLite makes the history in it
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=60)) as connection:
            tables = {
                name: [c[1] for c in connection.execute(f"PRAGMA table_info({name})")]
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
            version = connection.execute("PRAGMA user_version").fetchone()[0]
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"not a history file (SQLite): {exc}", source=str(path)) from None
    if tables and (set(tables) != {"snapshots"} or tuple(tables["snapshots"]) != _COLUMNS):
        raise HistoryError(
            "an SQLite file, but not this suite's history (tables: "
            + ", ".join(f"{t}({', '.join(c)})" for t, c in sorted(tables.items()))
            + "): give another --history",
            source=str(path),
        )
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"a history of schema version {version}, newer than this suite's "
            f"({SCHEMA_VERSION}): update the suite",
            source=str(path),
        )
    return path


def snapshot_of(assessment: Any) -> dict[str, Any]:
    """What a week's report keeps of an assessment (plain, JSON-ready data)."""
    catalog, scores = assessment.catalog, assessment.audit.scores
    slots = {}
    if assessment.timeline is not None:
        for slot in assessment.timeline.slots:
            for task in slot.tasks:
                slots[task] = {
                    "phase": slot.phase,
                    "start": slot.start_hours,
                    "end": slot.end_hours,
                }
    return {
        "tasks": {
            task.id: {
                "title": task.title,
                "issue": task.issue,
                "status": task.status,
                "level": scores[task.id].level,
            }
            for task in catalog.tasks
        },
        "selected": list(assessment.selection.selected),
        "status": assessment.selection.status,
        "schedule": slots,
    }


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=60)  # batch reports write side by side
        connection.execute("PRAGMA busy_timeout = 60000")
        connection.execute("PRAGMA journal_mode = WAL")  # readers never wait on a writer
        connection.execute(_SCHEMA)
        if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"cannot open the history: {exc}", source=str(path)) from exc
    return connection


def save_snapshot(
    path: str | os.PathLike, catalog: str, scenario: str, week: str, snapshot: Mapping[str, Any]
) -> None:
    """Store (or replace) one week's snapshot, in one transaction."""
    save_snapshots(path, week, [{"catalog": catalog, "scenario": scenario, "snapshot": snapshot}])


def save_snapshots(
    path: str | os.PathLike,
    week: str,
    items: Iterable[Mapping[str, Any]],
    *,
    changed_only: bool = False,
) -> int:
    """Store (or replace) a week's snapshots in one transaction; the number written.

    ``items`` are mappings with ``catalog``, ``scenario`` and ``snapshot`` (as a
    week's report publishes them). With ``changed_only``, a row that already
    holds the same snapshot is left as it is (and when none differs, nothing is
    written and a missing history is not made): how a render brings the history
    in line with the files a killed render published.
    """
    check_week(week)
    rows = [(item["catalog"], item["scenario"], week, _data(item["snapshot"])) for item in items]
    if changed_only:
        stored = {} if not Path(path).exists() else _stored(Path(path), week)
        rows = [row for row in rows if stored.get(row[:2]) != row[3]]
    if not rows:
        return 0
    with closing(_connect(Path(path))) as connection, connection:
        connection.executemany(
            "INSERT OR REPLACE INTO snapshots (catalog, scenario, week, data) VALUES (?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def _data(snapshot: Mapping[str, Any]) -> str:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True)


def _stored(path: Path, week: str) -> dict[tuple[str, str], str]:
    """A week's rows: (catalog, scenario) -> data."""
    with closing(_connect(path)) as connection:
        return {
            (catalog, scenario): data
            for catalog, scenario, data in connection.execute(
                "SELECT catalog, scenario, data FROM snapshots WHERE week = ?", (week,)
            )
        }


def previous_snapshot(
    path: str | os.PathLike, catalog: str, scenario: str, week: str
) -> tuple[str, dict[str, Any]] | None:
    """The latest snapshot before ``week`` of this catalog and scenario, with its week."""
    path = Path(path)
    if not path.exists():
        return None
    with closing(_connect(path)) as connection:
        row = connection.execute(
            "SELECT week, data FROM snapshots WHERE catalog = ? AND scenario = ? AND week < ? "
            "ORDER BY week DESC LIMIT 1",
            (catalog, scenario, check_week(week)),
        ).fetchone()
    return None if row is None else (row[0], json.loads(row[1]))


@dataclass(frozen=True)
class Changes:
    """What changed between two snapshots (task ids, in the later snapshot's order)."""

    new: tuple[str, ...]
    removed: tuple[str, ...]
    done: tuple[str, ...]
    status_changed: tuple[tuple[str, str, str], ...]  # (task, before, after)
    level_changed: tuple[tuple[str, str, str], ...]
    joined_selection: tuple[str, ...]
    left_selection: tuple[str, ...]

    @property
    def any(self) -> bool:
        return any(
            (
                self.new,
                self.removed,
                self.done,
                self.status_changed,
                self.level_changed,
                self.joined_selection,
                self.left_selection,
            )
        )


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """What changed from the ``before`` snapshot to the ``after`` one."""
    old, new = before["tasks"], after["tasks"]
    order = list(new) + [t for t in old if t not in new]
    was, now = set(before["selected"]), set(after["selected"])
    common = [t for t in order if t in old and t in new]
    return Changes(
        new=tuple(t for t in order if t in new and t not in old),
        removed=tuple(t for t in order if t in old and t not in new),
        done=tuple(t for t in common if new[t]["status"] == "done" and old[t]["status"] != "done"),
        status_changed=tuple(
            (t, old[t]["status"], new[t]["status"])
            for t in common
            if old[t]["status"] != new[t]["status"]
        ),
        level_changed=tuple(
            (t, old[t]["level"], new[t]["level"])
            for t in common
            if old[t]["level"] != new[t]["level"]
        ),
        joined_selection=tuple(t for t in order if t in now and t not in was),
        left_selection=tuple(t for t in order if t in was and t not in now),
    )
