"""Sweeps: the same table whichever way they run, failures recorded, resume, the frontier."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import InputError, SweepError
from analysis.inputs.sweep import MAX_COMBINATIONS, combinations, parse_sweep, read_sweep
from analysis.plan.frontier import (
    AXES,
    dominated_by,
    dominates,
    frontier_points,
    pareto_frontier,
    place,
)
from analysis.plan.sweep_results import latest_sweep, read_sweep_result, sweep_info
from analysis.plan.sweeps import run_sweep
from analysis.report.render import render_report
from analysis.run.executors import check_scheduler
from tests.conftest import ROOT, SCENARIOS_DIR, SEED_CATALOG

SMALL = {
    "name": "small",
    "base": str(SCENARIOS_DIR / "seed-limits.yaml"),
    "vary": {"budget_hours": [1, 4], "lanes": [1, 2], "appetite": ["LOW", "MEDIUM"]},
    "compare_with": [str(SCENARIOS_DIR / "seed-plan.yaml")],
}


def small_sweep(**changes) -> object:
    return parse_sweep({**SMALL, **changes})


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return run_sweep(SEED_CATALOG, small_sweep(), workers=1, out=tmp_path_factory.mktemp("serial"))


class TestFile:
    def test_lists_and_ranges(self):
        sweep = parse_sweep(
            {"base": "x.yaml", "vary": {"budget_hours": {"from": 1, "to": 2, "step": 0.5}}}
        )
        assert sweep.vary["budget_hours"] == (1.0, 1.5, 2.0)
        assert [c["budget_hours"] for c in combinations(sweep)] == [1.0, 1.5, 2.0]

    def test_the_bundled_sweep_has_200_combinations(self):
        sweep = read_sweep(Path("data/sweeps/seed-what-ifs.yaml").resolve())
        assert len(combinations(sweep)) == 200
        assert sweep.base.resolve() == (SCENARIOS_DIR / "seed-limits.yaml").resolve()
        assert [p.name for p in sweep.compare_with] == ["seed-plan.yaml"]

    @pytest.mark.parametrize(
        ("vary", "field", "words"),
        [
            ({"appetite": ["LOW", "EXTREME"]}, "vary.appetite", "EXTREME"),
            ({"lanes": [0]}, "vary.lanes", "must be at least 1, got 0"),
            ({"budget_hours": {"from": 3, "to": 1}}, "vary.budget_hours", "below"),
            ({"colour": [1]}, "vary.colour", "cannot vary"),
            ({"effort_factor": [0]}, "vary.effort_factor", "positive"),
        ],
    )
    def test_bad_values_name_the_field(self, vary, field, words):
        with pytest.raises(SweepError) as caught:
            parse_sweep({"base": "x.yaml", "vary": vary}, source="s.yaml")
        assert caught.value.field == field and words in str(caught.value)
        assert "s.yaml" in str(caught.value)

    @pytest.mark.parametrize("name", ["../up", "a/b", "a\\b", "..", ".", "a\x00b"])
    def test_a_name_that_cannot_name_a_folder(self, name):
        with pytest.raises(SweepError) as caught:
            parse_sweep({**SMALL, "name": name}, source="s.yaml")
        assert caught.value.field == "name" and "cannot name a folder" in str(caught.value)

    def test_a_file_name_that_cannot_name_a_folder(self, tmp_path):
        path = tmp_path / "...yaml"
        unnamed = {k: v for k, v in SMALL.items() if k != "name"}
        path.write_text(yaml.safe_dump(unnamed), encoding="utf-8")
        with pytest.raises(SweepError, match=r"'\.\.' cannot name a folder .*file's name"):
            read_sweep(path)

    @pytest.mark.parametrize(
        ("vary", "field", "words"),
        [
            ({"budget_hours": []}, "vary.budget_hours", "needs at least one value"),
            ({"lanes": [1, 0, -2]}, "vary.lanes", "must be at least 1, got 0"),
            ({"mc_seeds": [0]}, "vary.mc_seeds", "must be at least 1, got 0"),
            ({"task_cap": [5, -1]}, "vary.task_cap", "must be at least 0, got -1"),
            ({"capacity.dev-cluster": [0]}, "vary.capacity.dev-cluster", "at least 1, got 0"),
            ({"lanes": [1.0, 2]}, "vary.lanes", "expected a whole number, got number 1.0"),
            (
                {"lanes": {"from": 1, "to": 2, "step": 0.5}},
                "vary.lanes",
                "expected a whole number, got number 1.5",
            ),
            ({"budget_hours": [1, 1, 1.0]}, "vary.budget_hours", "the value 1 is given twice"),
            ({"budget_hours": [2, 1, 1.0]}, "vary.budget_hours", "twice (1 and 1.0)"),
            ({"appetite": ["LOW", "LOW"]}, "vary.appetite", "the value 'LOW' is given twice"),
            (
                {"budget_hours": {"from": 0, "to": 1e-9, "step": 1e-12}},
                "vary.budget_hours",
                "the value 0.0 is given twice",
            ),
        ],
    )
    def test_bad_axes_name_the_axis(self, vary, field, words):
        with pytest.raises(SweepError) as caught:
            parse_sweep({"base": "x.yaml", "vary": vary}, source="s.yaml")
        assert caught.value.field == field and words in str(caught.value)

    def test_whole_number_ranges_give_whole_numbers(self):
        sweep = parse_sweep(
            {
                "base": "x.yaml",
                "vary": {
                    "lanes": {"from": 1, "to": 3, "step": 1},
                    "task_cap": {"from": 0, "to": 10, "step": 5.0},
                    "mc_seeds": {"from": 1, "to": 2},
                },
            }
        )
        assert sweep.vary == {"lanes": (1, 2, 3), "task_cap": (0, 5, 10), "mc_seeds": (1, 2)}
        assert all(type(v) is int for values in sweep.vary.values() for v in values)

    def test_an_error_names_the_axis_line(self, tmp_path):
        path = tmp_path / "s.yaml"
        path.write_text("base: x.yaml\nvary:\n  appetite: [LOW]\n  lanes: [1, 0]\n")
        with pytest.raises(SweepError, match=r"s\.yaml:4: sweep: field 'vary\.lanes': must be"):
            read_sweep(path)

    def test_a_grid_too_large_is_refused_before_it_is_built(self):
        vary = {
            "budget_hours": {"from": 0.01, "to": 1000, "step": 0.01},
            "effort_factor": {"from": 0.1, "to": 10, "step": 0.01},
            "lanes": list(range(1, 11)),
        }
        with pytest.raises(SweepError) as caught:
            parse_sweep({"base": "x.yaml", "vary": vary}, source="s.yaml")
        assert caught.value.field == "vary"
        assert (
            "991,000,000 combinations (budget_hours 100,000 x effort_factor 991 x lanes 10), "
            f"more than the {MAX_COMBINATIONS:,} a sweep may have"
        ) in str(caught.value)
        for stop, step, count in (
            (1, 1e-12, "has 1,000,000,000,001 values"),
            (1, 1e-300, "has about 1.0e+300 values"),
            (1e308, 1e-10, "must be at most 1,000,000, got 1e+308"),  # range first
        ):
            huge = {"budget_hours": {"from": 0, "to": stop, "step": step}}
            with pytest.raises(SweepError, match=re.escape(count)):
                parse_sweep({"base": "x.yaml", "vary": huge}, source="s.yaml")

    def test_a_sweep_built_in_code_is_checked_too(self, tmp_path):
        sweep = replace(small_sweep(), vary={"lanes": (1, 1)})
        with pytest.raises(SweepError, match="an axis gives a value twice"):
            run_sweep(SEED_CATALOG, sweep, workers=1, out=tmp_path)
        grid = replace(small_sweep(), vary={"lanes": tuple(range(1, 1001)), "task_cap": range(101)})
        with pytest.raises(SweepError, match="101,000 combinations"):
            run_sweep(SEED_CATALOG, grid, workers=1, out=tmp_path)
        assert list(tmp_path.iterdir()) == []

    def test_cli_refuses_a_value_given_twice(self, assess, tmp_path):
        bad = tmp_path / "dup.yaml"
        base = SCENARIOS_DIR / "seed-limits.yaml"
        bad.write_text(f"base: {base}\nvary:\n  budget_hours: [1, 1, 1.0]\n", encoding="utf-8")
        result = assess("sweep", SEED_CATALOG, bad, "--out", tmp_path / "out")
        assert result.exit_code == 2
        assert result.stderr == (
            f"assess: error: {bad}:3: sweep: field 'vary.budget_hours': "
            "the value 1 is given twice\n"
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["dup.yaml"]

    @pytest.mark.parametrize(("field", "line"), [("base", 1), ("compare_with", 3)])
    def test_a_missing_base_or_compared_plan_names_the_sweep(self, assess, tmp_path, field, line):
        base = SCENARIOS_DIR / "seed-limits.yaml"
        files = {"base": base, "compare_with": base, field: tmp_path / "nope.yaml"}
        sweep = tmp_path / "sweep.yaml"
        text = f"base: {files['base']}\nvary: {{lanes: [1]}}\n"
        sweep.write_text(text + f"compare_with: [{files['compare_with']}]\n", encoding="utf-8")
        result = assess("sweep", SEED_CATALOG, sweep, "--out", tmp_path / "out")
        assert result.exit_code == 2
        assert result.stderr == (
            f"assess: error: {sweep}:{line}: sweep: field '{field}': "
            f"no such file: {tmp_path / 'nope.yaml'}\n"
        )

    def test_unknown_resource_is_refused_before_anything_runs(self, tmp_path):
        sweep = small_sweep(vary={"capacity.gpu": [1, 2]})
        with pytest.raises(SweepError, match="no resource 'gpu'"):
            run_sweep(SEED_CATALOG, sweep, workers=1, out=tmp_path)
        assert list(tmp_path.iterdir()) == []

    def test_cli_bad_sweep_exits_2_with_one_line(self, assess, tmp_path):
        bad = tmp_path / "bad.yaml"
        bad.write_text("base: x.yaml\nvary: {lanes: [one]}\n", encoding="utf-8")
        result = assess("sweep", SEED_CATALOG, bad, "--out", tmp_path / "out")
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and "bad.yaml" in result.output
        assert "vary.lanes" in result.output
        assert not (tmp_path / "out").exists()

    def test_an_out_folder_that_cannot_be_written_is_refused_first(self, assess, tmp_path):
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")
        with pytest.raises(InputError, match=r"file\.txt: is a file, not a folder"):
            run_sweep(SEED_CATALOG, small_sweep(), workers=1, out=tmp_path / "file.txt")
        sweep = Path("data/sweeps/seed-what-ifs.yaml").resolve()
        result = assess("sweep", SEED_CATALOG, sweep, "--out", tmp_path / "file.txt")
        assert result.exit_code == 2
        assert result.stderr == (
            f"assess: error: {tmp_path}/file.txt: option --out: is a file, not a folder\n"
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]

    @pytest.mark.parametrize(
        ("address", "words"),
        [
            ("localhost", "missing port number"),
            ("not a url", "missing port number"),
            ("tcp://host:99999", "port 99999 is out of range"),
            ("foo://host:1", "unknown address scheme 'foo'"),
        ],
    )
    def test_a_scheduler_that_is_not_an_address_is_bad_input(self, address, words):
        with pytest.raises(InputError) as caught:
            check_scheduler(address)
        assert caught.value.field == "scheduler" and words in str(caught.value)

    def test_an_address_is_accepted_as_given(self):
        assert check_scheduler("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
        assert check_scheduler("10.0.0.1:8786") == "10.0.0.1:8786"

    def test_cli_names_the_scheduler_option(self, assess, tmp_path):
        sweep = Path("data/sweeps/seed-what-ifs.yaml").resolve()
        out = tmp_path / "out"
        result = assess("sweep", SEED_CATALOG, sweep, "--scheduler", "localhost", "--out", out)
        assert result.exit_code == 2
        assert result.stderr == (
            "assess: error: option --scheduler: 'localhost' is not a Dask scheduler address "
            "such as tcp://HOST:8786 (missing port number in address 'localhost')\n"
        )
        assert list(tmp_path.iterdir()) == []

    def test_workers_and_scheduler_together_are_refused(self, assess, tmp_path):
        sweep = Path("data/sweeps/seed-what-ifs.yaml").resolve()
        options = ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]
        result = assess("sweep", SEED_CATALOG, sweep, *options, "--out", tmp_path / "out")
        assert result.exit_code == 2
        assert result.stderr == "assess: error: give --workers or --scheduler, not both\n"
        assert list(tmp_path.iterdir()) == []


class TestRun:
    def test_a_whole_number_range_runs_and_is_numbered_from_0(self, tmp_path):
        sweep = small_sweep(vary={"lanes": {"from": 1, "to": 2, "step": 1}}, compare_with=[])
        table = run_sweep(SEED_CATALOG, sweep, workers=1, out=tmp_path).table
        assert list(table["combination"]) == [0, 1] and list(table["lanes"]) == [1, 2]
        assert set(table["status"]) == {"optimal"}

    def test_table_shape_and_files(self, serial):
        table = serial.table
        assert len(table) == 8 and serial.ran == 8 and serial.failed == 0
        assert list(table["combination"]) == list(range(8))
        assert {"budget_hours", "lanes", "appetite", "value", "finish_hours", "p80_hours"} <= set(
            table.columns
        )
        assert pd.read_parquet(serial.parquet).equals(table)
        assert pd.read_csv(serial.csv).shape == table.shape
        # more time or a second lane never lowers the best value
        by = table.set_index(["budget_hours", "lanes", "appetite"])["value"]
        assert by[(4, 1, "MEDIUM")] >= by[(1, 1, "MEDIUM")]
        assert by[(1, 2, "LOW")] >= by[(1, 1, "LOW")]
        assert by[(4, 1, "MEDIUM")] == 70  # the seed optimum, as `assess plan` finds it

    def test_same_table_with_local_workers(self, serial, tmp_path):
        parallel = run_sweep(SEED_CATALOG, small_sweep(), workers=2, out=tmp_path)
        pd.testing.assert_frame_equal(parallel.table, serial.table)

    def test_same_table_on_a_dask_cluster(self, serial, tmp_path):
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            on_dask = run_sweep(
                SEED_CATALOG, small_sweep(), scheduler=cluster.scheduler_address, out=tmp_path
            )
        pd.testing.assert_frame_equal(on_dask.table, serial.table)

    def test_a_failing_combination_is_recorded_and_the_rest_run(self, monkeypatch, tmp_path):
        import analysis.plan.scenarios

        real = analysis.plan.scenarios.assess

        def flaky(catalog, scenario, *args, **kwargs):
            if scenario.lanes == 2 and scenario.budget_hours == 4:
                raise RuntimeError("disk on fire")
            return real(catalog, scenario, *args, **kwargs)

        monkeypatch.setattr(analysis.plan.scenarios, "assess", flaky)
        result = run_sweep(SEED_CATALOG, small_sweep(), workers=1, out=tmp_path)
        failed = result.table[result.table["status"] == "error"]
        assert result.failed == 2 and len(failed) == 2
        assert set(failed["lanes"]) == {2} and set(failed["budget_hours"]) == {4}
        assert all(failed["error"] == "RuntimeError: disk on fire")
        assert (result.table["status"] != "error").sum() == 6
        # the next run retries only the failures
        monkeypatch.setattr(analysis.plan.scenarios, "assess", real)
        again = run_sweep(SEED_CATALOG, small_sweep(), workers=1, out=tmp_path)
        assert (again.ran, again.resumed, again.failed) == (2, 6, 0)

    def test_resume_skips_finished_combinations(self, serial, tmp_path):
        checkpoint = serial.csv.parent / "progress.jsonl"
        lines = checkpoint.read_text(encoding="utf-8").splitlines()
        (tmp_path / "progress.jsonl").write_text(
            "\n".join(lines[:5]) + "\n" + lines[5][:40],
            encoding="utf-8",  # cut short
        )
        resumed = run_sweep(SEED_CATALOG, small_sweep(), workers=1, out=tmp_path)
        assert (resumed.ran, resumed.resumed) == (3, 5)
        pd.testing.assert_frame_equal(resumed.table, serial.table)
        again = run_sweep(SEED_CATALOG, small_sweep(), workers=1, out=tmp_path)
        assert (again.ran, again.resumed) == (0, 8)

    def test_changed_inputs_are_not_resumed(self, serial, tmp_path):
        out = tmp_path / "out"
        out.mkdir()
        (out / "progress.jsonl").write_bytes((serial.csv.parent / "progress.jsonl").read_bytes())
        data = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
        data["tasks"][0]["value"] = 9  # one task's value changed
        catalog = tmp_path / "cc03-ultra-marathon.yaml"
        catalog.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        changed = run_sweep(catalog, small_sweep(), workers=1, out=out)
        assert (changed.ran, changed.resumed) == (8, 0)
        assert sweep_info(out)["current"] is True
        catalog.write_text(catalog.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        assert sweep_info(out)["current"] is False

    def test_rows_from_other_code_are_not_resumed(self, serial, tmp_path, monkeypatch):
        """An edited module may change answers while the version string stays the same."""
        import analysis.plan.sweep_results

        (tmp_path / "progress.jsonl").write_bytes(
            (serial.csv.parent / "progress.jsonl").read_bytes()
        )
        monkeypatch.setattr(analysis.plan.sweep_results, "_code_digest", lambda: b"edited code")
        rerun = run_sweep(SEED_CATALOG, small_sweep(), workers=1, out=tmp_path)
        assert (rerun.ran, rerun.resumed) == (8, 0)
        pd.testing.assert_frame_equal(rerun.table, serial.table)


class TestFrontier:
    def test_the_seed_plan_is_placed(self, serial):
        (placement,) = place(serial.references, serial.table)
        assert placement.name == "seed-plan"
        row = placement.row
        # the hand-made plan buys more value with HIGH tasks and over-budget hours
        assert row["value"] > serial.table["value"].max() and row["HIGH"] > 0
        assert placement.best is None and "no combination beats it" in placement.verdict

    def test_a_worse_plan_is_beaten_and_the_best_named(self, serial):
        worse = {"value": 10, "finish_hours": 3.5, "hours": 3.5, "risk_score": 500}
        beaten = dominated_by(worse, serial.table)
        assert len(beaten) > 0
        assert all(dominates(tuple(r[list(AXES)]), (10, 3.5, 500)) for _, r in beaten.iterrows())

    def test_points_group_ties(self, serial):
        points = frontier_points(serial.table)
        frontier = pareto_frontier(serial.table)
        assert points["reached_by"].sum() == len(frontier)
        assert not points.duplicated(list(AXES)).any()


def rows(draw_values):
    return pd.DataFrame(
        [
            {
                "combination": i,
                "key": str(i),
                "status": status,
                "value": v,
                "finish_hours": f,
                "risk_score": r,
            }
            for i, (status, v, f, r) in enumerate(draw_values)
        ],
        columns=["combination", "key", "status", *AXES],
    )


point = st.tuples(
    st.sampled_from(["optimal", "optimal", "feasible", "infeasible", "error"]),
    st.integers(0, 8),
    st.one_of(st.sampled_from([0.5, 1.0, 1.5, 2.0]), st.just(math.nan)),
    st.integers(0, 6),
)


@settings(deadline=None, max_examples=200)
@given(st.lists(point, max_size=25))
def test_frontier_has_no_dominated_point_and_covers_the_rest(values):
    table = rows(values)
    frontier = pareto_frontier(table)
    usable = table[
        table["status"].isin(["optimal", "feasible"]) & table[list(AXES)].notna().all(axis=1)
    ]
    assert set(frontier.index) <= set(usable.index)
    for i, row in frontier.iterrows():
        mine = tuple(row[list(AXES)])
        assert not any(
            dominates(tuple(other[list(AXES)]), mine) for _, other in usable.iterrows()
        ), i
    for i, row in usable.iterrows():
        if i not in frontier.index:
            mine = tuple(row[list(AXES)])
            assert any(dominates(tuple(f[list(AXES)]), mine) for _, f in frontier.iterrows())


class TestReport:
    def test_weekly_report_shows_the_latest_saved_sweep_and_never_runs_one(self, serial, tmp_path):
        out = tmp_path / "reports"
        none = render_report(week="2026-W40", out=out, history=None)
        assert "No sweep saved for this catalog" in none.html.read_text(encoding="utf-8")
        assert latest_sweep("cc03-ultra-marathon", out) is None  # rendering ran none
        saved = out / "cc03-ultra-marathon" / "sweeps" / "small"
        saved.mkdir(parents=True)
        for file in serial.csv.parent.iterdir():
            (saved / file.name).write_bytes(file.read_bytes())
        assert latest_sweep("cc03-ultra-marathon", out) == saved
        page = render_report(week="2026-W41", out=out, history=None).html.read_text(
            encoding="utf-8"
        )
        assert "Trade-off frontier" in page and "computed from the current inputs" in page
        assert "seed-plan: value 82" in page
        table, compared = read_sweep_result(saved)
        assert len(table) == 8 and list(compared["reference"]) == ["seed-plan"]
        assert json.loads((saved / "sweep.json").read_text(encoding="utf-8"))["combinations"] == 8


class TestFilesWritten:
    def test_sweep_json_names_inputs_as_typed_and_bundled_files_by_name(self, serial):
        """No local absolute path: files under the working folder are relative to it."""
        about = json.loads((serial.csv.parent / "sweep.json").read_text(encoding="utf-8"))
        assert str(ROOT) not in json.dumps(about, ensure_ascii=False)
        assert about["inputs"][0] == "data/catalogs/cc03-ultra-marathon.yaml"
        assert "bundled:rubric.yaml" in about["inputs"]
        assert about["compare_with"] == ["data/scenarios/seed-plan.yaml"]
        assert sweep_info(serial.csv.parent)["current"] is True

    def test_csv_cells_are_escaped_and_read_back(self, tmp_path):
        plan = yaml.safe_load((SCENARIOS_DIR / "seed-plan.yaml").read_text(encoding="utf-8"))
        plan["name"] = "=HYPERLINK(1)"
        plan["extends"] = str(SCENARIOS_DIR / plan["extends"])
        scenario = tmp_path / "formula.yaml"
        scenario.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
        sweep = small_sweep(vary={"budget_hours": [4]}, compare_with=[str(scenario)])
        result = run_sweep(SEED_CATALOG, sweep, workers=1, out=tmp_path / "out")
        written = (tmp_path / "out" / "references.csv").read_bytes()
        assert b"\r\n'=HYPERLINK(1)," in written
        assert list(read_sweep_result(tmp_path / "out")[1]["reference"]) == ["=HYPERLINK(1)"]
        assert result.csv.read_bytes().endswith(b"\r\n")
        assert pd.read_csv(result.csv).shape == result.table.shape


def test_an_edited_catalog_is_read_again_in_the_same_process(tmp_path):
    data = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
    catalog = tmp_path / "cc03-ultra-marathon.yaml"
    catalog.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    sweep = small_sweep(vary={"budget_hours": [4]}, compare_with=[])
    before = run_sweep(catalog, sweep, workers=1, out=tmp_path / "a").table
    for task in data["tasks"]:
        task["value"] = 1  # every task worth the same
    catalog.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    after = run_sweep(catalog, sweep, workers=1, out=tmp_path / "a").table
    assert before["value"].iloc[0] == 70 and after["value"].iloc[0] == after["tasks"].iloc[0]
