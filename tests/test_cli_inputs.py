"""Every command that reads the rubric, the rules or the gates takes the same options for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main

from analysis.cli import app
from tests.conftest import SEED_CATALOG, SEED_SCENARIO

#: What each command reads (import-markdown checks no gates).
READS = {
    "audit": {"--rubric", "--rules", "--gates"},
    "graph": {"--rubric", "--rules", "--gates"},
    "plan": {"--rubric", "--rules", "--gates"},
    "compare": {"--rubric", "--rules", "--gates"},
    "report": {"--rubric", "--rules", "--gates"},
    "sweep": {"--rubric", "--rules", "--gates"},
    "import-markdown": {"--rubric", "--rules"},
}

ROLLBACK_BLOCKS = """\
gates:
  - id: rollback
    wording: "ロールバック準備"
    meaning: a rollback is recorded for every change
    applies_to:
      activity: [configure, implement, deploy, experiment, migrate]
    requires:
      field: rollback
    mode: blocking
"""


def options_of(command: str) -> set[str]:
    click_app = typer.main.get_command(app)
    found = click_app.commands[command]  # type: ignore[attr-defined]
    return {name for param in found.params for name in param.opts if name.startswith("--")}


@pytest.mark.parametrize("command", sorted(READS))
def test_the_same_input_options(command):
    assert options_of(command) & {"--rubric", "--rules", "--gates"} == READS[command]


def test_every_command_is_listed():
    assert set(typer.main.get_command(app).commands) == set(READS)  # type: ignore[attr-defined]


@pytest.fixture
def blocking_gates(tmp_path) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(ROLLBACK_BLOCKS, encoding="utf-8")
    return path


def test_graph_excludes_tasks_that_break_a_blocking_gate(assess, blocking_gates):
    def excluded(*options):
        result = assess("graph", str(SEED_CATALOG), "--format", "json", *options)
        assert result.exit_code == 0, result.output
        return set(json.loads(result.stdout)["excluded"])

    default, strict = excluded(), excluded("--gates", str(blocking_gates))
    assert default < strict  # the seed records no rollback: every change is now excluded
    assert "347-service-mesh" in strict - default  # a MEDIUM change with no rollback


@pytest.mark.parametrize("option", ["--rubric", "--rules", "--gates"])
@pytest.mark.parametrize("command", ["audit", "graph", "plan", "report"])
def test_a_bad_input_file_is_one_line_and_exit_2(assess, tmp_path, command, option):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- not: [a mapping\n", encoding="utf-8")
    args = [command, str(SEED_CATALOG), option, str(bad)]
    if command == "plan":
        args += ["--scenario", str(SEED_SCENARIO)]
    if command == "report":
        args += ["--out", str(tmp_path / "out"), "--history", str(tmp_path / "h.sqlite")]
    result = assess(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("assess: error: ") and str(bad) in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_report_uses_the_gates_it_is_given(assess, tmp_path, blocking_gates):
    result = assess(
        "report",
        str(SEED_CATALOG),
        "--scenario",
        str(SEED_SCENARIO),
        "--week",
        "2026-W48",
        "--out",
        str(tmp_path / "out"),
        "--history",
        str(tmp_path / "h.sqlite"),
        "--gates",
        str(blocking_gates),
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(
        (tmp_path / "out" / "cc03-ultra-marathon" / "2026-W48" / "plan.json").read_text("utf-8")
    )
    kinds = {item["id"]: item["kind"] for item in plan["excluded"]}
    assert kinds["347-service-mesh"] == "gate"
    assert [gate["id"] for gate in plan["gates"]] == ["rollback"]


@pytest.mark.parametrize("command", ["audit", "graph", "report"])
def test_outside_a_checkout_the_missing_example_is_named(assess, tmp_path, monkeypatch, command):
    """An installed package run in another folder: defaults that are not there say so."""
    monkeypatch.chdir(tmp_path)
    result = assess(command)
    assert result.exit_code == 2
    assert result.stderr == (
        "assess: error: no catalog given, and the example "
        f"data/catalogs/cc03-ultra-marathon.yaml is not in the working folder {tmp_path}: "
        "give a catalog file\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_outside_a_checkout_a_catalog_finds_its_own_scenarios(assess, tmp_path, monkeypatch):
    """The seed names its scenarios relative to its own file, not to the working folder."""
    monkeypatch.chdir(tmp_path)
    result = assess("plan", str(SEED_CATALOG), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scenario"]["name"] == "seed-limits" and len(data["selected"]) == 30
    assert list(tmp_path.iterdir()) == []


def test_outside_a_checkout_a_catalog_without_scenarios_gets_the_bundled_default(
    assess, tmp_path, monkeypatch
):
    catalog = tmp_path / "team.yaml"
    catalog.write_text(
        "defaults: {effort_hours: {design: 1}}\n"
        "tasks: [{id: T1, issue: 1, title: x, activity: design, environment: none}]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = assess("plan", "team.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scenario"]["name"] == "default" and data["selected"] == ["T1"]
