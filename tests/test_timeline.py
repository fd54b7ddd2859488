"""Plan timelines on the seed: schedules, Gantt rows, two lanes, schedule risk, CSV columns."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import replace

import pytest

from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.scenario import parse_scenario, read_scenario
from analysis.model import RiskSettings
from analysis.plan.risk import schedule_risk
from analysis.plan.scenarios import assess, compare
from analysis.report.formats.plan import format_plan
from analysis.report.frames import gantt_rows
from tests.conftest import SCENARIOS_DIR
from tests.test_selection_properties import TITLES

SCENARIOS = SCENARIOS_DIR


@pytest.fixture(scope="module")
def limits(seed_catalog, rubric, graph_rules):
    return assess(seed_catalog, read_scenario(SCENARIOS / "seed-limits.yaml"), rubric, graph_rules)


class TestSeedSchedule:
    def test_the_optimal_selection_fits_the_seed_phases(self, limits):
        timeline = limits.timeline
        assert timeline.status == "optimal"
        assert timeline.grid_minutes == 1.5  # 7.5 and 9 minute tasks, exactly
        assert timeline.makespan_hours == pytest.approx(3.15)  # one lane: the work itself
        boxes = {p.name: p.hours for p in timeline.phases}
        previous = 0.0
        for name, start, end in timeline.phase_windows:
            assert start >= previous - 1e-9 and end - start <= boxes[name] + 1e-9
            previous = end

    def test_one_change_at_a_time_on_the_dev_cluster(self, limits):
        changes = [s for s in limits.timeline.slots if "dev-cluster" in s.uses]
        assert len(changes) == 6  # the six MEDIUM changes in dev or verification
        spans = sorted((s.start_hours, s.end_hours) for s in changes)
        pairs = itertools.pairwise(spans)
        assert all(a_end <= b_start + 1e-9 for (_, a_end), (b_start, _) in pairs)
        assert "one component at a time" in limits.timeline.notes[0]

    def test_design_first(self, limits):
        first = [s for s in limits.timeline.slots if s.phase == "P1"]
        tasks = limits.catalog.task_by_id
        assert first and all(tasks[s.job].activity in ("design", "document") for s in first)

    def test_gantt_rows(self, limits):
        rows = gantt_rows(limits.timeline, limits.catalog, limits.audit.scores)
        assert list(rows.columns[:8]) == [
            "phase",
            "lane",
            "task",
            "title",
            "start",
            "end",
            "hours",
            "level",
        ]
        assert len(rows) == 30  # every selected task, merged copies included
        assert set(rows["task"]) == set(limits.selection.selected)
        assert (rows["end"] > rows["start"]).all()
        dr = rows[rows["task"].isin(["384-T17", "381-T11", "348-disaster-recovery-plan"])]
        assert dr["start"].nunique() == 1  # one piece of work closes the three copies
        assert "Disaster Recovery Planning (文書化)" in set(rows["title"])

    def test_the_hand_made_plan_does_not_fit_and_says_why(self, seed_catalog, rubric, graph_rules):
        plan = assess(
            seed_catalog, read_scenario(SCENARIOS / "seed-plan.yaml"), rubric, graph_rules
        )
        assert plan.timeline.status == "infeasible"
        assert plan.risk is None
        assert plan.timeline.explanations == (
            "phase P4 overflows: 49.5 min of work on 1 lane(s) needs 49.5 min, its box is 30 min "
            "(over by 19.5 min)",
            "item 14 'CI/CD Pipeline (開発環境)' is in phase P2 but needs item 29 'Pipeline "
            "Optimization', which is in the later phase P4",
            "4.7 h of work on 1 lane(s) needs 4.7 h, more than the 4 h available",
        )


class TestTwoLanes:
    def test_two_lanes_let_more_work_into_one_hour(self, seed_catalog, rubric, graph_rules):
        one = assess(seed_catalog, read_scenario(SCENARIOS / "seed-1h.yaml"), rubric, graph_rules)
        two = assess(
            seed_catalog, read_scenario(SCENARIOS / "seed-1h-two-lanes.yaml"), rubric, graph_rules
        )
        assert (one.selection.status, two.selection.status) == ("optimal", "optimal")
        assert (one.selection.objective, two.selection.objective) == (30, 53)
        assert two.timeline.makespan_hours <= 1 + 1e-9  # wall-clock budget
        assert two.selection.totals.hours == pytest.approx(2)  # two hours of work in one
        assert {s.lane for s in two.timeline.slots} == {0, 1}
        comparison = compare(one, two)
        assert comparison.better["value"] == "b" and comparison.better["finish"] == "tie"
        assert two.selection.tie_breaks[1].startswith("then fewest hours")  # proven, then ties


class TestRisk:
    def test_reproducible_and_ordered(self, limits):
        again = schedule_risk(limits.timeline, RiskSettings(), {"dev-cluster": 1})
        risk = limits.risk
        assert again == risk
        assert risk.planned <= risk.p50 <= risk.p80 <= risk.p95
        assert risk.within_budget == 1.0  # even P95 (3.4 h) is well inside 4 h
        assert set(risk.phase_overflow) == {"P1", "P2", "P3", "P4"}
        # P1 is planned exactly full (8 x 7.5 min): it overflows whenever work runs long.
        assert risk.phase_overflow["P1"] > 0.5 and risk.phase_overflow["P4"] == 0

    def test_a_different_seed_gives_other_draws(self, limits):
        other = schedule_risk(limits.timeline, RiskSettings(seed=1), {"dev-cluster": 1})
        assert other.p50 != limits.risk.p50
        assert other.p50 == pytest.approx(limits.risk.p50, rel=0.01)

    def test_no_spread_means_no_risk(self, limits):
        exact = schedule_risk(limits.timeline, RiskSettings(samples=50, point_range=(1, 1)))
        assert exact.p50 == exact.p95 == pytest.approx(limits.timeline.makespan_hours)

    def test_three_point_estimates_on_a_chain(self, rubric, graph_rules):
        catalog = parse_catalog(
            {
                "tasks": [
                    {
                        "id": "A",
                        "issue": 1,
                        "title": "alpha",
                        "activity": "design",
                        "environment": "none",
                        "effort": {"optimistic": 1, "likely": 2, "pessimistic": 6},
                    },
                    {
                        "id": "B",
                        "issue": 1,
                        "title": "bravo",
                        "activity": "design",
                        "environment": "none",
                        "depends_on": ["A"],
                        "effort": {"optimistic": 1, "likely": 1, "pessimistic": 1},
                    },
                ]
            }
        )
        scenario = parse_scenario(
            {
                "appetite": "LOW",
                "lanes": 2,
                "budget_hours": 4,
                "risk": {"samples": 20000, "seed": 3},
            }
        )
        result = assess(catalog, scenario, rubric, graph_rules)
        risk = result.risk
        # PERT mean of A is (1 + 4*2 + 6) / 6 = 2.5 h. B has one figure (1 h), given the
        # default range x0.75 to x1.5: (0.75 + 4 + 1.5) / 6 = 1.0417 h.
        assert risk.mean == pytest.approx(2.5 + 6.25 / 6, abs=0.02)
        assert risk.three_point_jobs == 1
        assert 0 < risk.within_budget < 1

    def test_bad_risk_settings(self):
        from analysis.errors import ScenarioError

        with pytest.raises(ScenarioError, match="optimistic <= 1 <= pessimistic"):
            parse_scenario({"appetite": "LOW", "risk": {"point_range": [1.2, 1.5]}})


def test_plan_csv_has_the_schedule_columns(assess):
    result = assess("plan", "--scenario", SCENARIOS / "seed-limits.yaml", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[-4:] == ["phase", "lane", "start", "end"]
    chosen = [r for r in rows if r["selected"] == "yes"]
    assert all(r["phase"] and r["start"] and r["end"] for r in chosen)
    assert all(not r["phase"] for r in rows if r["selected"] == "no")


def test_plan_table_prints_schedule_and_risk(assess):
    result = assess("plan", "--scenario", SCENARIOS / "seed-limits.yaml")
    assert "Schedule: optimal; 1 lane(s); phases P1 1 h, P2 2 h, P3 1 h, P4 30 min" in result.stdout
    assert "finishes at 3:09 (budget 4 h)" in result.stdout
    assert "Schedule risk (10000 samples, seed 0" in result.stdout


def test_no_schedule_without_phases_lanes_or_resources(seed_catalog, rubric, graph_rules):
    scenario = parse_scenario({"appetite": "MEDIUM", "budget_hours": 4})
    result = assess(seed_catalog, scenario, rubric, graph_rules)
    assert result.timeline is None and result.risk is None
    lanes = assess(seed_catalog, replace(scenario, lanes=2), rubric, graph_rules)
    assert lanes.timeline is not None and lanes.timeline.ok


def test_two_lanes_and_a_budget_below_every_task(seed_catalog, rubric, graph_rules):
    scenario = parse_scenario({"appetite": "HIGH", "budget_hours": 0.1, "lanes": 2})
    result = assess(seed_catalog, scenario, rubric, graph_rules)
    assert result.timeline is not None and result.timeline.ok
    assert result.timeline.slots == () and result.timeline.makespan_hours == 0


def designs(*hours: float, chain: bool = False):
    """Design tasks T1, T2, ... of these hours, value 1 each; a chain T1 -> T2 -> ... if asked."""
    return parse_catalog(
        {
            "tasks": [
                {
                    "id": f"T{i}",
                    "issue": 1,
                    "title": f"work {TITLES[i - 1]}",
                    "activity": "design",
                    "environment": "none",
                    "topic": f"topic-{i}",
                    "effort": h,
                    "value": 1,
                    **({"depends_on": [f"T{i - 1}"]} if chain and i > 1 else {}),
                }
                for i, h in enumerate(hours, start=1)
            ]
        }
    )


TWO_BOXES = [{"name": "P1", "hours": 1}, {"name": "P2", "hours": 1}]


class TestSelectionFitsTheBoxes:
    """What the selection takes, its schedule holds: one lane as several."""

    def run(self, catalog, rubric, graph_rules, **scenario):
        data = {"appetite": "LOW", "budget_hours": 10, "phases": TWO_BOXES, **scenario}
        return assess(catalog, parse_scenario(data), rubric, graph_rules)

    def test_one_lane_selects_no_more_than_the_boxes_hold(self, rubric, graph_rules):
        result = self.run(designs(*[0.25] * 12, chain=True), rubric, graph_rules)
        selection = result.selection
        assert selection.status == "optimal"
        assert selection.selected == tuple(f"T{i}" for i in range(1, 9))  # 2 h of boxes
        assert result.timeline.status == "optimal"
        assert result.timeline.makespan_hours == pytest.approx(2)
        assert selection.baseline.totals.tasks == 8 and selection.gain_over_greedy == 0
        t9 = selection.reason_for("T9")
        assert t9.kind == "phases"
        assert t9.reason.startswith(
            "did not fit the phases' time boxes: needs 15 min, 0 min of their 2 h left "
            "(short by 15 min)"
        )

    def test_one_lane_packs_whole_tasks_into_boxes(self, rubric, graph_rules):
        # 1.8 h fits the 2 h of boxes in sum, but only one 36 min task fits each box.
        catalog = designs(0.6, 0.6, 0.6)
        result = self.run(catalog, rubric, graph_rules, include=["T1", "T2"])
        selection = result.selection
        assert selection.selected == ("T1", "T2")
        assert result.timeline.ok
        t3 = selection.reason_for("T3")
        assert t3.kind == "phases"
        assert t3.reason == (
            "did not fit the phases' time boxes: needs 36 min; 48 min is left in them, but no "
            "phase it may go in (not before its prerequisites') has that much room; forcing it "
            "in makes the scenario infeasible"
        )

    def test_the_budget_binds_when_it_is_tighter_than_the_boxes(self, rubric, graph_rules):
        result = self.run(designs(*[0.25] * 12), rubric, graph_rules, budget_hours=1.5)
        assert len(result.selection.selected) == 6
        assert result.selection.reason_for("T7").kind == "budget"

    def test_two_lanes_name_the_boxes_and_the_full_resource(self, rubric, graph_rules):
        resources = [{"name": "rig", "capacity": 1, "used_by": {"activity": ["design"]}}]
        result = self.run(
            designs(*[0.25] * 12, chain=True), rubric, graph_rules, lanes=2, resources=resources
        )
        assert len(result.selection.selected) == 8 and result.timeline.ok
        t9 = result.selection.reason_for("T9")
        assert t9.kind == "phases"
        assert t9.reason.startswith(
            "did not fit the phases' time boxes (2 h in all, less than the 10 h budget) on 2 "
            "lanes: needs 15 min of work; rig (capacity 1) is busy 2 h of those 2 h"
        )

    def test_includes_over_the_boxes_are_infeasible_and_say_so(self, rubric, graph_rules):
        result = self.run(designs(*[0.5] * 5, chain=True), rubric, graph_rules, include=["T5"])
        selection = result.selection
        assert selection.status == "infeasible"
        assert [v.message for v in selection.violations] == [
            "the included tasks and their prerequisites need 2.5 h, more than the phases' "
            "time boxes hold (2 h in all)"
        ]
        assert {item.kind for item in selection.left_out} == {"infeasible"}

    def test_two_lanes_cannot_shorten_a_chain_of_includes(self, rubric, graph_rules):
        catalog = designs(*[0.5] * 5, chain=True)
        result = self.run(catalog, rubric, graph_rules, include=["T5"], lanes=2)
        assert result.selection.status == "infeasible"
        assert [v.message for v in result.selection.violations] == [
            "the included tasks need the chain T1 -> T2 -> T3 -> T4 -> T5, 2.5 h one after "
            "another, more than the phases' time boxes (2 h in all, less than the 10 h budget)"
        ]

    def test_a_task_needing_more_of_a_resource_than_there_is(self, rubric, graph_rules):
        rig = {"name": "rig", "capacity": 1, "units": 2, "used_by": {"activity": ["design"]}}
        resources = [rig]
        result = self.run(designs(0.25), rubric, graph_rules, resources=resources)
        assert result.selection.selected == ()
        reason = result.selection.reason_for("T1")
        assert (reason.kind, reason.reason) == (
            "resource",
            "needs 2 of rig at once, which has capacity 1: no schedule can run it",
        )


def test_two_lanes_with_nothing_to_choose(rubric, graph_rules):
    """Regression: 'feasible' with no bound, and the table crashed on it (exit 3)."""
    scenario = parse_scenario({"appetite": "LOW", "exclude": ["T1"], "lanes": 2})
    result = assess(designs(0.25), scenario, rubric, graph_rules)
    assert (result.selection.status, result.selection.bound, result.selection.gap) == (
        "optimal",
        0,
        0,
    )
    assert "objective 0, bound 0, gap 0.00%" in format_plan(result, "table")


def test_lanes_are_numbered_from_one_wherever_they_are_shown(seed_catalog, rubric, graph_rules):
    """Inside, lanes count from 0; the terminal, the report, CSV and JSON number them from 1."""
    from analysis.report.figures import schedule_figures
    from analysis.report.formats.plan import plan_to_data
    from analysis.report.frames import selection_frame

    two = assess(
        seed_catalog, read_scenario(SCENARIOS / "seed-1h-two-lanes.yaml"), rubric, graph_rules
    )
    assert {s.lane for s in two.timeline.slots} == {0, 1}
    rows = gantt_rows(two.timeline, two.catalog, two.audit.scores)
    assert set(rows["lane"]) == {1, 2}
    assert set(selection_frame(two)["lane"]) == {1, 2}
    assert {s["lane"] for s in plan_to_data(two)["schedule"]["slots"]} == {1, 2}
    table = list(csv.DictReader(io.StringIO(format_plan(two, "csv"))))
    assert {r["lane"] for r in table if r["selected"] == "yes"} == {"1", "2"}
    text = format_plan(two, "table").splitlines()
    schedule = text[text.index(next(line for line in text if line.startswith("PHASE  LANE"))) + 1 :]
    assert {line.split()[1] for line in schedule if line.startswith("P1 ")} == {"1", "2"}
    gantt = schedule_figures(two)[0].figure()
    bars = {y for trace in gantt.data for y in trace.y[0]}  # (phase · lane, work) per bar
    assert bars == {"P1 · lane 1", "P1 · lane 2"}


def test_terminal_tables_write_durations_as_h_mm(assess):
    result = assess("plan", "--scenario", SCENARIOS / "seed-limits.yaml")
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith("384-T01 "))
    assert row.split()[2:5] == ["LOW", "0:07.5", "3"]  # level, hours (h:mm), value
    assert any(line.split()[:4] == ["P1", "1", "0:00", "0:07.5"] for line in lines)
