"""Scenarios: the file format and its errors, the seed's scenarios, plan and compare commands."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import yaml

from analysis.errors import CatalogError, ScenarioError
from analysis.inputs.catalog import read_catalog, write_catalog
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.scenario import (
    check_scenario,
    default_scenarios,
    parse_scenario,
    read_scenario,
)
from analysis.plan.scenarios import assess, check_files, compare
from analysis.resources import DEFAULT_SCENARIO
from analysis.vocabulary import LEVELS
from tests.conftest import SCENARIOS_DIR, SEED_CATALOG, tiny_data

SCENARIOS = SCENARIOS_DIR
LIMITS = SCENARIOS / "seed-limits.yaml"
PLAN = SCENARIOS / "seed-plan.yaml"


@pytest.fixture(scope="module")
def seed_limits(seed_catalog, rubric, graph_rules):
    return assess(seed_catalog, read_scenario(LIMITS), rubric, graph_rules)


@pytest.fixture(scope="module")
def seed_plan(seed_catalog, rubric, graph_rules):
    return assess(seed_catalog, read_scenario(PLAN), rubric, graph_rules)


class TestFormat:
    def test_seed_limits_say_what_the_seed_says(self):
        scenario = read_scenario(LIMITS)
        assert (scenario.appetite, scenario.budget_hours, scenario.task_cap) == ("MEDIUM", 4, 30)
        assert [(p.name, p.hours) for p in scenario.phases] == [
            ("P1", 1),
            ("P2", 2),
            ("P3", 1),
            ("P4", 0.5),
        ]
        assert scenario.merge_duplicates and not scenario.is_plan

    def test_seed_plan_extends_the_limits_and_lists_30_items(self):
        plan = read_scenario(PLAN)
        assert plan.name == "seed-plan"
        assert (plan.appetite, plan.budget_hours, plan.task_cap) == ("MEDIUM", 4, 30)
        assert len(plan.plan) == 30
        per_phase = [sum(item.phase == p for item in plan.plan) for p in ("P1", "P2", "P3", "P4")]
        assert per_phase == [8, 10, 6, 6]  # "8タスク", "10タスク", "6タスク", "6タスク"

    def write(self, tmp_path, data, name="s.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (
                {"appetite": "MEDIUM", "budget": 4},
                "field 'budget': unknown field (did you mean 'budget_hours'?)",
            ),
            (
                {"appetite": "CRITICAL"},
                "field 'appetite': 'CRITICAL' is not one of LOW, MEDIUM, HIGH",
            ),
            ({"appetite": "LOW", "budget_hours": -2}, "field 'budget_hours': must not be negative"),
            ({"budget_hours": 2}, "field 'appetite': missing (required)"),
            ({"appetite": "LOW", "task_cap": 2.5}, "field 'task_cap': expected a whole number"),
            ({"appetite": "LOW", "objective": "profit"}, "'profit' is not one of value, count"),
            (
                {"appetite": "LOW", "include": ["A"], "exclude": ["A"]},
                "task 'A' is both included and excluded",
            ),
            ({"appetite": "LOW", "lanes": 0}, "field 'lanes': must be at least 1"),
            ({"appetite": "LOW", "phases": [{"name": "P1"}]}, "phase #1: field 'hours': missing"),
            (
                {
                    "appetite": "LOW",
                    "phases": [{"name": "P1", "hours": 1}],
                    "plan": [{"item": "x", "activity": "design", "phase": "P9"}],
                },
                "plan item #1: field 'phase': 'P9' is not one of the phases P1",
            ),
        ],
    )
    def test_bad_scenarios_get_one_line(self, assess_cli, tmp_path, data, expected):
        path = self.write(tmp_path, data)
        result = assess_cli("plan", "--scenario", path)
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.splitlines()
        assert str(path.name) in line and expected in line, line

    def test_unknown_task_id_names_the_catalog(self, assess_cli, tmp_path):
        path = self.write(tmp_path, {"appetite": "MEDIUM", "include": ["384-T99"]})
        result = assess_cli("plan", "--scenario", path)
        assert result.exit_code == 2
        assert (
            "field 'include': unknown task id '384-T99' (not in catalog 'cc03-ultra-marathon')"
            in result.stderr
        )

    def test_unknown_inference_rule(self, assess_cli, tmp_path):
        path = self.write(tmp_path, {"appetite": "MEDIUM", "rules_off": ["no-such-rule"]})
        result = assess_cli("plan", "--scenario", path)
        assert result.exit_code == 2
        assert "field 'rules_off': no inference rule no-such-rule" in result.stderr

    def test_extends_resolves_relative_paths_and_overrides(self, tmp_path):
        self.write(tmp_path, {"appetite": "LOW", "budget_hours": 3, "task_cap": 5}, "base.yaml")
        child = self.write(tmp_path, {"extends": "base.yaml", "budget_hours": 1}, "child.yaml")
        scenario = read_scenario(child)
        assert (scenario.name, scenario.appetite, scenario.budget_hours, scenario.task_cap) == (
            "child",
            "LOW",
            1,
            5,
        )

    @pytest.mark.parametrize(
        ("target", "problem"), [("gone", "no such file"), ("dir", "is a folder")]
    )
    def test_extends_a_file_that_is_not_there(self, assess_cli, tmp_path, target, problem):
        (tmp_path / "dir").mkdir()
        path = tmp_path / "child.yaml"
        path.write_text(f"appetite: LOW\nextends: {target}\n", encoding="utf-8")
        result = assess_cli("plan", "--scenario", path)
        assert result.exit_code == 2
        assert result.stderr == (
            f"assess: error: {path}:2: scenario: field 'extends': {problem}"
            f"{', not a file' if target == 'dir' else ''}: {tmp_path / target}\n"
        )

    @pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n"])
    def test_extends_a_file_that_is_not_a_scenario(self, assess_cli, tmp_path, text):
        (tmp_path / "parent.yaml").write_text(text, encoding="utf-8")
        path = tmp_path / "child.yaml"
        path.write_text("appetite: LOW\nextends: parent.yaml\n", encoding="utf-8")
        result = assess_cli("plan", "--scenario", path)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(
            f"assess: error: {path}:2: scenario: field 'extends': {tmp_path / 'parent.yaml'} "
            "is not a scenario"
        )
        assert result.stderr.count("\n") == 1

    def test_extends_in_a_circle(self, tmp_path):
        self.write(tmp_path, {"extends": "b.yaml", "appetite": "LOW"}, "a.yaml")
        self.write(tmp_path, {"extends": "a.yaml", "appetite": "LOW"}, "b.yaml")
        with pytest.raises(ScenarioError, match="goes round in a circle"):
            read_scenario(tmp_path / "a.yaml")

    def test_plan_item_with_unknown_activity(self, seed_catalog, rubric):
        scenario = parse_scenario(
            {"appetite": "LOW", "plan": [{"item": "x", "activity": "dance", "tasks": ["384-T01"]}]}
        )
        with pytest.raises(ScenarioError, match="'dance' is not one of"):
            check_scenario(scenario, seed_catalog, rubric.vocabulary)


@pytest.fixture
def assess_cli(assess):
    return assess


class TestSeedLimits:
    """The best selection a machine can prove under the seed's own limits."""

    def test_every_task_within_the_appetite_fits(self, seed_limits):
        selection = seed_limits.selection
        assert selection.status == "optimal"
        assert selection.gap == 0
        # 24 LOW + 6 MEDIUM tasks are within MEDIUM; five DR/SLO/monitoring/helm/cost
        # duplicate sets make 24 units of work, 3.15 h: neither 4 h nor 30 units binds.
        assert selection.totals.tasks == 30
        assert selection.totals.units == 24
        assert selection.totals.hours == pytest.approx(3.15)
        assert dict(selection.totals.risk) == {"LOW": 24, "MEDIUM": 6, "HIGH": 0}
        assert selection.objective == 70

    def test_every_high_task_is_left_out_with_its_facts(self, seed_limits):
        left = {item.task: item for item in seed_limits.selection.left_out}
        assert len(left) == 13
        # One is HIGH from what it states; twelve are HIGH only while a fact is unknown.
        assert [t for t, item in left.items() if item.kind == "above-appetite"] == [
            "348-multi-region-deployment"
        ]
        assert {item.kind for item in left.values()} == {"above-appetite", "needs-facts"}
        assert left["381-T10"].reason == (
            "needs facts: environment (HIGH only while environment is unknown; "
            "MEDIUM at best, within the appetite MEDIUM)"
        )
        assert "production-core" in left["348-multi-region-deployment"].reason

    def test_greedy_baseline_is_reported(self, seed_limits):
        selection = seed_limits.selection
        assert selection.baseline.totals.value == 70
        assert selection.gain_over_greedy == 0

    def test_a_tighter_budget_binds_and_explains(self, seed_catalog, rubric, graph_rules):
        scenario = parse_scenario({"appetite": "MEDIUM", "budget_hours": 1, "task_cap": 30})
        selection = assess(seed_catalog, scenario, rubric, graph_rules).selection
        assert selection.status == "optimal"
        assert selection.totals.hours <= 1
        kinds = {item.kind for item in selection.left_out}
        assert "budget" in kinds
        budget = next(i for i in selection.left_out if i.kind == "budget")
        assert budget.details["needs_hours"] > budget.details["left_hours"]
        assert "did not fit the budget" in budget.reason and "short by" in budget.reason


class TestSeedPlan:
    """The seed's hand-made plan, checked against its own limits."""

    def kinds(self, assessment):
        out = {}
        for violation in assessment.selection.violations:
            out.setdefault(violation.kind, []).append(violation.tasks)
        return out

    def test_violations(self, seed_plan):
        kinds = self.kinds(seed_plan)
        # Six items turn a design into an implementation ("Design + 実装", "Multi-Stage
        # Build実装" on a 設計 range, "Cost Monitoring Framework実装" on a (設計) task).
        assert kinds["riskier-activity"] == [
            ("384-T08",),
            ("384-T09",),
            ("384-T10",),
            ("381-T05",),
            ("381-T09",),
            ("384-T14",),
        ]
        # Five items of phases 3 and 4 never say where they run: scored HIGH.
        assert kinds["above-appetite"] == [
            ("384-T05",),
            ("347-container-security",),
            ("381-T15",),
            ("381-T13",),
            ("347-log-aggregation",),
        ]
        assert kinds["item-without-task"] == [()]  # 包括的ドキュメント生成
        # Health Checks実装 (#348) comes after its design, which only #381 lists and
        # the plan leaves out; CI/CD (phase 2) comes after its pipeline design (phase 4).
        assert kinds["missing-dependency"] == [("348-health-checks", "381-T12")]
        assert kinds["uncovered-task"] == [("381-T12",)]
        assert kinds["dependency-order"] == [("384-T06", "347-pipeline-optimization")]
        # 282 min of work against 4 h; time boxes of 4.5 h; phase 4: 49.5 min in 30.
        assert [
            v.details["hours"] for v in seed_plan.selection.violations if v.kind == "over-budget"
        ] == [pytest.approx(4.7)]
        assert "phases-over-budget" in kinds
        overflow = [v for v in seed_plan.selection.violations if v.kind == "phase-overflow"]
        assert [(v.details["phase"], round(v.details["hours"] * 60, 1)) for v in overflow] == [
            ("P4", 49.5)
        ]
        assert "over-cap" not in kinds and "covered-twice" not in kinds
        assert len(seed_plan.selection.violations) == 18

    def test_plan_totals(self, seed_plan):
        selection = seed_plan.selection
        assert selection.status == "fixed"
        assert selection.totals.units == 30
        # 29 tasks named by items, plus 6 duplicates they close.
        assert selection.totals.tasks == 35

    def test_compare_hand_made_with_optimum(self, seed_plan, seed_limits):
        comparison = compare(seed_plan, seed_limits)
        assert comparison.only_b == ("381-T12",)
        assert set(comparison.only_a) == {
            "384-T05",
            "381-T13",
            "381-T15",
            "347-container-security",
            "347-log-aggregation",
            "348-health-checks",
        }
        assert comparison.better["HIGH tasks"] == "b"
        assert comparison.better["violations"] == "b"
        assert comparison.better["hours"] == "b"
        # The plan's items implement what the catalog lists as design: more MEDIUM work.
        assert comparison.better["MEDIUM tasks"] == "b"

    def test_risk_mix_is_the_work_the_items_do(self, seed_plan):
        """Each task counts at the level of the riskiest work an item does on it."""
        selection = seed_plan.selection
        raised = {
            v.tasks[0]: v.details["level"]
            for v in selection.violations
            if v.kind == "above-appetite"
        }
        assert raised  # the seed's plan puts tasks above its appetite
        by_unit: dict[str, str] = {}
        for unit in selection.units:
            for task in unit.tasks:
                level = by_unit.get(task, unit.level)
                by_unit[task] = max(level, unit.level, key=LEVELS.index)
        for task, level in raised.items():
            assert by_unit[task] == level
        named = [t for t in selection.selected if t in by_unit]
        counted = {level: sum(by_unit[t] == level for t in named) for level in LEVELS}
        closed = [t for t in selection.selected if t not in by_unit]  # duplicates closed
        for task in closed:
            counted[seed_plan.audit.scores[task].level] += 1
        assert selection.totals.risk == counted


class TestCommands:
    def test_plan_json(self, assess_cli):
        result = assess_cli("plan", "--scenario", LIMITS, "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert {"status", "selected", "excluded", "totals", "violations"} <= set(data)
        assert data["status"] == "optimal" and len(data["selected"]) == 30
        assert all({"id", "reason"} <= set(item) for item in data["excluded"])
        assert data["solver"]["seed"] == 0 and data["solver"]["workers"] == 1
        assert data["solver"]["tie_breaks"] == "applied"
        assert data["tie_breaks"][1] == "then fewest hours"

    def test_plan_csv_has_a_row_per_task(self, assess_cli, seed_catalog):
        result = assess_cli("plan", "--scenario", LIMITS, "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert len(rows) == len(seed_catalog)
        assert {"id", "title", "risk", "selected", "reason"} <= set(rows[0])
        assert sum(r["selected"] == "yes" for r in rows) == 30
        assert rows[0]["title"] == "K8s Architecture Design (設計のみ)"

    def test_plan_table_and_strict(self, assess_cli):
        result = assess_cli("plan", "--scenario", PLAN)
        assert result.exit_code == 0
        # 18 of its own (see TestSeedPlan) and 6 gate findings on the work it plans.
        assert "Violations (24):" in result.stdout
        assert assess_cli("plan", "--scenario", PLAN, "--strict").exit_code == 1
        # The optimum breaks only advisory gates (no rollback recorded, ...): strict says so.
        assert assess_cli("plan", "--scenario", LIMITS, "--strict").exit_code == 1

    @pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
    def test_compare_formats(self, assess_cli, fmt):
        result = assess_cli("compare", "--scenario", PLAN, "--scenario", LIMITS, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert "381-T12" in result.stdout
        if fmt == "json":
            data = json.loads(result.stdout)
            assert data["only_b"] == ["381-T12"]
            assert data["measures"]["violations"] == {"a": 24, "b": 3, "better": "b"}

    def test_compare_needs_two_scenarios(self, assess_cli):
        result = assess_cli("compare", "--scenario", LIMITS)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            "assess: error: compare takes exactly two --scenario options, got 1"
        ]

    @pytest.mark.parametrize(
        "args",
        [("plan", "--scenario", LIMITS), ("compare", "--scenario", PLAN, "--scenario", LIMITS)],
    )
    def test_json_output_is_the_same_bytes_every_run(self, assess_cli, args):
        first = assess_cli(*args, "--format", "json")
        second = assess_cli(*args, "--format", "json")
        assert first.exit_code == second.exit_code == 0
        assert first.stdout == second.stdout
        assert "solve_seconds" not in first.stdout  # wall-clock time is not an output


def team_catalog(folder, scenarios=None, name="team.yaml"):
    """The three-task catalog (LOW, MEDIUM, HIGH) in ``folder``, naming ``scenarios`` if given."""
    folder.mkdir(parents=True, exist_ok=True)
    data = tiny_data()
    if scenarios is not None:
        data["catalog"]["scenarios"] = scenarios
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


class TestTheCatalogsOwnScenarios:
    """With no --scenario: the scenarios a catalog names, else the bundled generic default."""

    def test_a_catalog_without_scenarios_gets_the_generic_default(self, assess_cli, tmp_path):
        path = team_catalog(tmp_path)
        assert default_scenarios(read_catalog(path), path) == [DEFAULT_SCENARIO]
        default = read_scenario(DEFAULT_SCENARIO)
        assert (default.name, default.appetite, default.objective) == ("default", "MEDIUM", "value")
        assert default.merge_duplicates and default.budget_hours is None
        assert default.task_cap is None and not default.schedules and not default.coverage
        result = assess_cli("plan", path, "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["scenario"]["name"] == "default"
        assert (data["scenario"]["appetite"], data["scenario"]["budget_hours"]) == ("MEDIUM", None)
        assert data["status"] == "optimal" and data["selected"] == ["T1", "T2"]
        assert [(item["id"], item["kind"]) for item in data["excluded"]] == [
            ("T3", "above-appetite")
        ]
        # The report reads every default scenario: here the one.
        _, read = check_files(path, every_default=True)
        assert [s.name for s in read] == ["default"]

    def test_a_catalog_uses_its_own_scenarios_relative_to_its_file(
        self, assess_cli, tmp_path, monkeypatch
    ):
        team = tmp_path / "team"
        team_catalog(team, ["limits.scenario.yaml", "plans/plan.scenario.yaml"])
        (team / "limits.scenario.yaml").write_text(
            "appetite: LOW\nbudget_hours: 2\n", encoding="utf-8"
        )
        (team / "plans").mkdir()
        (team / "plans" / "plan.scenario.yaml").write_text(
            "extends: ../limits.scenario.yaml\nname: hand\n"
            "plan: [{item: design, activity: design, tasks: [T1]}]\n",
            encoding="utf-8",
        )
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)
        result = assess_cli("plan", "../team/team.yaml", "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["scenario"]["name"] == "limits.scenario"  # the first only
        assert (data["scenario"]["appetite"], data["scenario"]["budget_hours"]) == ("LOW", 2)
        assert data["selected"] == ["T1"]
        _, read = check_files("../team/team.yaml", every_default=True)
        assert [s.name for s in read] == ["limits.scenario", "hand"]
        assert [s.source for s in read] == [
            str(team / "limits.scenario.yaml"),
            str(team / "plans" / "plan.scenario.yaml"),
        ]
        # A scenario given on the command line wins over the catalog's own.
        given = assess_cli("plan", "../team/team.yaml", "--scenario", LIMITS, "--format", "json")
        assert json.loads(given.stdout)["scenario"]["name"] == "seed-limits"

    @pytest.mark.parametrize("command", ["plan", "report"])
    def test_a_missing_scenario_names_the_catalog_and_the_field(
        self, assess_cli, tmp_path, command
    ):
        path = team_catalog(tmp_path / "team", ["gone.yaml"])
        out = tmp_path / "out"
        options = ["--out", out, "--history", tmp_path / "h.sqlite"] if command == "report" else []
        result = assess_cli(command, path, *options)
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"assess: error: {path}: catalog: field 'scenarios': gone.yaml: no such file: "
            f"{tmp_path / 'team' / 'gone.yaml'}\n"
        )
        assert not out.exists()
        # A command that needs no scenario reads the catalog as it is.
        assert assess_cli("audit", path).exit_code == 0

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("limits.yaml", "field 'scenarios': expected a list of scenario files, got text"),
            ([""], "field 'scenarios': must not be empty"),
            ([3], "field 'scenarios': expected text, got"),
            (["a;b.yaml"], "field 'scenarios': a path may not contain ';'"),
        ],
    )
    def test_bad_scenarios_field(self, tmp_path, value, expected):
        data = tiny_data()
        data["catalog"]["scenarios"] = value
        with pytest.raises(CatalogError, match=re.escape(expected)):
            parse_catalog(data)

    @pytest.mark.parametrize("fmt", ["yaml", "csv"])
    def test_the_field_survives_a_round_trip(self, tmp_path, fmt):
        data = tiny_data()
        data["catalog"]["scenarios"] = ["../scenarios/limits.yaml", "my plan.yaml"]
        catalog = parse_catalog(data)
        assert catalog.scenarios == ("../scenarios/limits.yaml", "my plan.yaml")
        path = write_catalog(catalog, tmp_path / f"team.{fmt}")
        assert read_catalog(path) == catalog
        if fmt == "csv":
            (row,) = [
                r
                for r in csv.DictReader(io.StringIO(path.read_text("utf-8")))
                if r["record"] == "catalog"
            ]
            assert row["scenarios"] == "../scenarios/limits.yaml; my plan.yaml"
        no_field = parse_catalog(tiny_data())
        assert no_field.scenarios == ()
        assert read_catalog(write_catalog(no_field, tmp_path / f"plain.{fmt}")) == no_field

    def test_the_seed_names_its_limits_and_its_plan(self, seed_catalog):
        assert seed_catalog.scenarios == (
            "../scenarios/seed-limits.yaml",
            "../scenarios/seed-plan.yaml",
        )
        found = default_scenarios(seed_catalog, SEED_CATALOG)
        assert [p.resolve() for p in found] == [LIMITS.resolve(), PLAN.resolve()]


def test_readme_scenario_example_is_valid():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, flags=re.S) if "team-q3" in b)
    data = yaml.safe_load(block)
    data.pop("extends")
    scenario = parse_scenario(data)
    assert (scenario.name, scenario.appetite, scenario.rules_off) == (
        "team-q3",
        "MEDIUM",
        ("dev-before-production",),
    )
    assert scenario.resources[0].capacity == 1
