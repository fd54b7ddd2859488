"""Renders killed at every point: a week's folder holds the old set or the new one, never a mix.

The seed's report is rendered once (the old set); then, at the points of
:func:`analysis.report.publish.kill_point` (while staging: with one file staged,
and with all of them) and once from outside while the notebook runs, ``assess
report`` renders the seed with one task done (the new set: another plan, other
snapshots) and is killed (SIGKILL) there. The week's folder must then hold
exactly the old set or the new one, byte for byte (a clean render of each is the
reference). The next run (killed in turn once it has put things right; or only
its first step, called here) must leave no staged, moved-aside or trash folder,
no scratch folder of the killed render in the temporary folder, and a history
whose rows for the week are the folder's snapshots. (A next run killed once it
has put things right leaves its own scratch folder, where its kernel was
launched first; the run after it removes that one.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from analysis.files import write_text_atomic
from analysis.report.publish import (
    KILL_VARIABLE,
    LOCK,
    SNAPSHOTS,
    catalog_lock,
    publish,
    put_right,
    recover,
    remove_stale_scratch,
    stage,
)
from analysis.resources import WORKDIR_VARIABLE
from tests.conftest import SCENARIOS_DIR, SEED_CATALOG

WEEK = "2026-W47"
NAME = "cc03-ultra-marathon"
TIMEOUT = 300  # seconds: stops a hang; a render takes a few
SET = ["plan.csv", "plan.json", "weekly-report.html", SNAPSHOTS]
# Where folders cannot be exchanged in one step: the old set is moved aside first.
NO_EXCHANGE = (
    "import sys, analysis.report.publish as p; p._renameat2 = lambda: None; "
    "from analysis.cli import main; sys.argv[0] = 'assess'; main()"
)


def seed_yaml(done: bool) -> str:
    """The seed catalog (its scenarios by absolute path); ``done``: one task finished since."""
    data = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
    data["catalog"]["scenarios"] = [
        str(SCENARIOS_DIR / "seed-limits.yaml"),
        str(SCENARIOS_DIR / "seed-plan.yaml"),
    ]
    if done:
        next(t for t in data["tasks"] if t["id"] == "384-T01")["status"] = "done"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def command(folder: Path, kill: str | None = None, *, exchange: bool = True) -> tuple:
    """``assess report`` of ``folder/seed.yaml`` into ``folder/out``, with its history."""
    start = ["-m", "analysis.cli"] if exchange else ["-c", NO_EXCHANGE]
    args = [sys.executable, *start, "report", "seed.yaml", "--week", WEEK]
    args += ["--out", "out", "--history", "history.sqlite"]
    env = {k: v for k, v in os.environ.items() if k not in (KILL_VARIABLE, WORKDIR_VARIABLE)}
    env["TMPDIR"] = str(folder / "tmp")
    if kill:
        env[KILL_VARIABLE] = kill
    return args, {"cwd": folder, "env": env, "capture_output": True, "text": True}


def render(folder: Path, kill: str | None = None, *, exchange: bool = True) -> int:
    args, options = command(folder, kill, exchange=exchange)
    done = subprocess.run(args, timeout=TIMEOUT, check=False, **options)
    if kill is None:
        assert done.returncode == 0, done.stderr[-3000:]
    return done.returncode


def kill_in_notebook(folder: Path) -> int:
    """Kill the render from outside once its kernel has written the plan into the scratch."""
    args, options = command(folder)
    options.pop("capture_output")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    process = subprocess.Popen(args, **quiet, **options)
    deadline = time.monotonic() + TIMEOUT
    try:
        while not list((folder / "tmp").glob("assess-report-*/plan.csv")):
            assert process.poll() is None, "the render ended before it was killed"
            assert time.monotonic() < deadline, "no plan written in the scratch folder"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=TIMEOUT)
    return process.returncode


def week_set(folder: Path) -> dict[str, bytes] | None:
    week = folder / "out" / NAME / WEEK
    if not week.exists():
        return None
    return {p.name: p.read_bytes() for p in sorted(week.iterdir())}


def history_rows(folder: Path) -> dict[tuple[str, str], str]:
    with sqlite3.connect(folder / "history.sqlite") as connection:
        rows = connection.execute(
            "SELECT catalog, scenario, data FROM snapshots WHERE week = ?", (WEEK,)
        ).fetchall()
    connection.close()
    return {(catalog, scenario): data for catalog, scenario, data in rows}


def published_rows(files: dict[str, bytes]) -> dict[tuple[str, str], str]:
    return {
        (i["catalog"], i["scenario"]): json.dumps(i["snapshot"], ensure_ascii=False, sort_keys=True)
        for i in json.loads(files[SNAPSHOTS])
    }


def scratch_folders(folder: Path) -> set[str]:
    return {p.name for p in (folder / "tmp").iterdir() if p.name.startswith("assess-report-")}


def leftovers(folder: Path) -> list[str]:
    """What the folder holds besides the week's set, its lock and the history."""
    catalog = folder / "out" / NAME
    found = [p.name for p in catalog.iterdir() if p.name not in (WEEK, LOCK)]
    found += [p.name for p in (folder / "tmp").iterdir() if p.name.startswith("assess-report-")]
    return found + [p.name for p in folder.glob("history.sqlite-*")]


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """The old set (rendered first: the starting point of every case) and the new one."""
    root = tmp_path_factory.mktemp("kills")
    old = root / "old"
    (old / "tmp").mkdir(parents=True)
    (old / "seed.yaml").write_text(seed_yaml(done=False), encoding="utf-8")
    render(old)
    assert leftovers(old) == []
    new = root / "new"
    shutil.copytree(old, new)
    (new / "seed.yaml").write_text(seed_yaml(done=True), encoding="utf-8")
    render(new)
    assert leftovers(new) == []
    found = {"old": week_set(old), "new": week_set(new), "start": old}
    assert found["old"] is not None and found["new"] is not None
    assert sorted(found["old"]) == sorted(found["new"]) == sorted(SET)
    for name in SET:  # so that a mix of the two is seen
        assert found["old"][name] != found["new"][name], name
    assert history_rows(old) == published_rows(found["old"])
    assert history_rows(new) == published_rows(found["new"])
    return found


# (point, the set the week's folder holds right after the kill, after the next run)
POINTS = [
    ("recovered", "old", "old"),
    ("scratch", "old", "old"),
    ("kernel", "old", "old"),
    ("notebook", "old", "old"),  # killed from outside
    # Staging: one file, and all of them (complete, not yet swapped in). The points
    # staging (no file yet), staged:plan.csv and staged:plan.json leave what
    # staged:weekly-report.html does: an incomplete staged set beside the old one.
    ("staged:weekly-report.html", "old", "old"),
    (f"staged:{SNAPSHOTS}", "old", "old"),
    ("moved-aside", None, "new"),  # no exchange: the week's folder is missing until the next run
    ("published", "new", "new"),
    ("history", "new", "new"),
]


#: Points whose next run is ``assess report`` (killed once it has put things right); for the
#: others, to save a process start each, the next run's first step is called here
#: (:func:`put_right`, which is what a render does before anything else).
NEXT_RUN_BY_COMMAND = {"notebook", "moved-aside"}


@pytest.mark.parametrize(("point", "after_kill", "after_next"), POINTS, ids=[p[0] for p in POINTS])
def test_a_killed_render_leaves_one_complete_set(
    sets, tmp_path, monkeypatch, point, after_kill, after_next
):
    folder = tmp_path / "case"
    shutil.copytree(sets["start"], folder)
    (folder / "seed.yaml").write_text(seed_yaml(done=True), encoding="utf-8")
    # What an earlier version left after a kill while writing: the next render removes it.
    (folder / "out" / NAME / WEEK / ".weekly-report.html.k2j4x9.tmp").write_bytes(b"")
    if point == "notebook":
        code = kill_in_notebook(folder)
    else:
        code = render(folder, point, exchange=point != "moved-aside")
    assert code == -signal.SIGKILL
    assert week_set(folder) == (sets[after_kill] if after_kill else None)
    written = "new" if point == "history" else "old"  # the history is written last
    assert history_rows(folder) == published_rows(sets[written])

    monkeypatch.setattr(tempfile, "tempdir", str(folder / "tmp"))
    if point in NEXT_RUN_BY_COMMAND:  # the next run puts things right
        killed = scratch_folders(folder)
        assert render(folder, "recovered") == -signal.SIGKILL
        # It launched its kernel, in a scratch folder of its own, before it put things
        # right: that one, and only that one, is left (a dead process's, as after any kill).
        own = scratch_folders(folder) - killed
        assert scratch_folders(folder) & killed == set()
        assert len(own) == 1
        remove_stale_scratch()  # what the run after it does first
    else:
        put_right(folder / "out" / NAME / WEEK, WEEK, folder / "history.sqlite")
    assert week_set(folder) == sets[after_next]
    assert leftovers(folder) == []
    assert history_rows(folder) == published_rows(sets[after_next])


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **_quiet())
    return int(done.stdout)


def _quiet() -> dict:
    return {"capture_output": True, "text": True, "check": True, "timeout": TIMEOUT}


def test_recovery_leaves_live_and_other_machines_sets_alone(tmp_path, monkeypatch):
    catalog = tmp_path / "out" / "c"
    week = catalog / WEEK
    files = {"weekly-report.html": "<p>new</p>", "plan.csv": "a\r\n", SNAPSHOTS: "[]"}
    live = stage(week, files)  # this process's, not published yet
    dead, other_host = _dead_pid(), catalog / f".{WEEK}.new-elsewhere-1-abcd1234"
    monkeypatch.setattr(os, "getpid", lambda: dead)
    incomplete = stage(week, files)
    (incomplete / SNAPSHOTS).unlink()  # killed before its last file
    complete = stage(week, files)
    monkeypatch.undo()
    other_host.mkdir()
    with catalog_lock(catalog):
        recover(catalog)
    # The week was missing: the dead render's complete set is the week now.
    assert sorted(p.name for p in catalog.iterdir()) == sorted(
        [LOCK, WEEK, live.name, other_host.name]
    )
    assert not complete.exists() and not incomplete.exists()
    assert (week / "weekly-report.html").read_text(encoding="utf-8") == "<p>new</p>"
    with catalog_lock(catalog):
        recover(catalog)
        publish(live, week)
    assert sorted(p.name for p in catalog.iterdir()) == sorted([LOCK, WEEK, other_host.name])


def test_stale_scratch_folders_of_dead_processes_go(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    dead = tmp_path / f"assess-report-{_dead_pid()}-abc_12xy"
    live = tmp_path / f"assess-report-{os.getpid()}-abc_12xy"
    unknown = tmp_path / "assess-report-abc_12xy"  # an earlier version's: whose is unknown
    for folder in (dead, live, unknown):
        folder.mkdir()
        write_text_atomic(folder / "inputs.pickle", "x")
    remove_stale_scratch()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, unknown.name])
