"""Hostile files: pipes, devices, huge files and numbers, invisible ids, NUL bytes, folders.

Each is refused in one line with exit 2, before anything runs, and never
hangs (the commands that could wait on a pipe run in a subprocess with a
timeout).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from analysis.files import INPUT_LIMIT_VARIABLE
from tests.conftest import ROOT

TASK = "{id: T1, issue: 1, title: x, activity: implement, environment: dev, effort: %s}"


def _catalog(tmp_path, effort="1", name="c.yaml"):
    path = tmp_path / name
    path.write_text("tasks:\n- " + TASK % effort + "\n", encoding="utf-8")
    return path


def _one_line(result) -> str:
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("assess: error: ")
    return line


@pytest.fixture(autouse=True)
def _limit_restored(monkeypatch):
    """``--max-input-mb`` sets the environment; each test gets it back as it was."""
    monkeypatch.delenv(INPUT_LIMIT_VARIABLE, raising=False)


@pytest.mark.parametrize("command", ["audit", "import-markdown"])
def test_a_named_pipe_is_refused_without_waiting(tmp_path, command):
    pipe = tmp_path / "f.yaml"
    os.mkfifo(pipe)
    done = subprocess.run(
        [sys.executable, "-m", "analysis.cli", command, str(pipe)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"assess: error: {pipe}: is a named pipe (FIFO), not a regular file"
    )


def test_a_link_to_a_device_is_refused(assess, tmp_path):
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    assert _one_line(assess("audit", link)).endswith("is a character device, not a regular file")


def test_a_file_over_the_limit_and_the_option_that_raises_it(assess, tmp_path):
    path = _catalog(tmp_path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("# " + "x" * (2 << 20) + "\n")
    line = _one_line(assess("--max-input-mb", "1", "audit", path))
    assert "is over the input limit of 1 MiB (raise it with assess --max-input-mb" in line
    assert assess("--max-input-mb", "3", "audit", path).exit_code == 0


def test_a_nul_byte_is_one_line(assess, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"id,issue,title,activity,environment,effort\nT1,1,a\x00b,design,none,1\n")
    assert "a NUL character at offset" in _one_line(assess("audit", path))


@pytest.mark.parametrize(
    ("effort", "shown"),
    [("1" + "0" * 400, "100000… (401 digits)"), ("1.0e+308", "1e+308"), ("2000000", "2000000")],
)
def test_numbers_out_of_range_are_refused_before_any_arithmetic(assess, tmp_path, effort, shown):
    path = _catalog(tmp_path, effort)
    for command in ("audit", "plan"):
        line = _one_line(assess(command, path))
        assert f"field 'effort': must be at most 1,000,000, got {shown}" in line


def test_a_csv_cell_longer_than_the_csv_modules_limit(assess, tmp_path):
    path = tmp_path / "c.csv"
    title = "x" * 200_000
    path.write_text(
        f"id,issue,title,activity,environment,effort\nT1,1,{title},design,none,1\n",
        encoding="utf-8",
    )
    result = assess("audit", path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert title in result.stdout


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\u2066", "\ufeff", "\u00ad"])
def test_ids_refuse_invisible_and_bidirectional_characters(assess, tmp_path, char):
    path = tmp_path / "c.yaml"
    path.write_text("tasks:\n- " + TASK.replace("T1", f"T{char}1") % "1" + "\n", encoding="utf-8")
    line = _one_line(assess("audit", path))
    assert f"an id may not hold U+{ord(char):04X}" in line


def test_titles_keep_every_visible_character(assess, tmp_path):
    title = "Zero\u200dWidth 🧑\u200d💻 ‏עברית‎ and ＦＵＬＬ"
    path = tmp_path / "c.yaml"
    path.write_text(
        "tasks:\n- {id: T1, issue: 1, activity: design, environment: none, effort: 1, "
        f'title: "{title}"}}\n',
        encoding="utf-8",
    )
    result = assess("audit", path, "--format", "json")
    assert result.exit_code == 0 and title in result.stdout


def test_import_into_a_folder_is_one_line_and_writes_nothing(assess, tmp_path):
    document = tmp_path / "doc.md"
    document.write_text("# Ops\n- 🔴 Drop table\n", encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    line = _one_line(assess("import-markdown", document, "-o", folder))
    assert line.endswith(
        "field '--output': is a folder: give the catalog's file name (.yaml, .yml or .csv)"
    )
    assert list(folder.iterdir()) == []


def test_a_markdown_line_over_the_limit_is_refused_before_parsing(assess, tmp_path):
    document = tmp_path / "doc.md"
    document.write_text("# Ops\n- 🔴 " + "`" * 20_000 + "\n", encoding="utf-8")
    line = _one_line(assess("import-markdown", document))
    assert line.endswith(
        "doc.md:2: 20,004 characters on one line: a markdown assessment's lines are at most 10,000"
    )


def test_outputs_name_no_local_absolute_path(assess):
    """Bundled files by a fixed name, the user's files as typed (here, relative)."""
    audit = assess("audit", "--format", "json")
    plan = assess("plan", "--format", "json")
    for result in (audit, plan):
        assert result.exit_code == 0, result.output
        assert str(ROOT) not in result.stdout
    assert '"source": "bundled:rubric.yaml"' in audit.stdout
    assert '"source": "data/scenarios/seed-limits.yaml"' in plan.stdout


def _report(assess, tmp_path, history):
    return assess("report", "--out", tmp_path / "out", "--history", history)


def test_history_that_is_not_a_regular_file_is_refused_before_anything_runs(assess, tmp_path):
    link = tmp_path / "h.sqlite"
    link.symlink_to("/dev/null")
    line = _one_line(_report(assess, tmp_path, link))
    assert line.endswith("option --history: is not a regular file: give a history file (SQLite)")
    assert not (tmp_path / "out").exists()


def test_an_sqlite_file_of_something_else_is_refused_and_left_alone(assess, tmp_path):
    import sqlite3
    from contextlib import closing

    path = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE snapshots (a, b)")
    before = path.read_bytes()
    line = _one_line(_report(assess, tmp_path, path))
    assert "an SQLite file, but not this suite's history (tables: snapshots(a, b))" in line
    assert path.read_bytes() == before and not (tmp_path / "out").exists()


def test_a_history_records_its_schema_version(assess, tmp_path):
    import sqlite3
    from contextlib import closing

    from analysis.report.history import SCHEMA_VERSION

    path = tmp_path / "h.sqlite"
    assert _report(assess, tmp_path, path).exit_code == 0
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
