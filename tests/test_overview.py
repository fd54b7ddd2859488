"""The report's first screen: the work in order, what is left out, what changed, at a glance."""

from __future__ import annotations

import pytest

from analysis.inputs.scenario import parse_scenario
from analysis.plan.scenarios import assess, assess_files
from analysis.report import limits
from analysis.report.overview import at_a_glance, work_frame
from analysis.report.tables import readable
from tests.conftest import SCENARIOS_DIR, SEED_CATALOG
from tests.test_report_scale import large  # noqa: F401  # a 2,000-task catalog, assessed


@pytest.fixture(scope="module")
def seed():
    names = ("seed-limits.yaml", "seed-plan.yaml", "seed-1h-two-lanes.yaml")
    return assess_files(SEED_CATALOG, [SCENARIOS_DIR / name for name in names])


def test_the_work_comes_in_the_order_it_runs(seed):
    limits = seed[0]
    work = work_frame(limits)
    assert list(work.columns) == ["#", "phase", "start", "hours", "risk", "work", "title"]
    assert list(work["#"]) == list(range(1, len(limits.selection.units) + 1))
    assert list(work["start"]) == sorted(work["start"])
    assert work["hours"].sum() == pytest.approx(limits.selection.totals.hours)
    assert list(dict.fromkeys(work["phase"])) == ["P1", "P2", "P3"]
    done_once = work[work["work"] == "384-T08\n381-T06"].iloc[0]  # duplicates done once
    assert (
        done_once["title"] == "Monitoring Infrastructure Design (Prometheus設計)\nMetrics Stack設計"
    )
    tasks = [t for cell in work["work"] for t in cell.split("\n")]
    assert sorted(tasks) == sorted(limits.selection.selected)
    # A level that rests on unknown facts is shown as the catalog shows it.
    assert work.set_index("work").loc["384-T06", "risk"] == "not computable (LOW–MEDIUM)"


def test_two_lanes_show_the_lane_numbered_from_one(seed):
    work = work_frame(seed[2])
    assert "lane" in work.columns and set(work["lane"]) == {1, 2}
    assert list(work.iloc[:2]["lane"]) == [1, 2]  # same start: lane 1 first


def test_without_a_schedule_the_selection_keeps_its_order(seed_catalog, rubric, graph_rules):
    plan = assess(seed_catalog, parse_scenario({"appetite": "MEDIUM"}), rubric, graph_rules)
    work = work_frame(plan)
    assert list(work.columns) == ["#", "hours", "risk", "work", "title"]
    assert list(work["work"].str.split("\n").str[0]) == [u.tasks[0] for u in plan.selection.units]


def test_a_hand_made_plan_lists_its_items_with_their_phase(seed):
    work = work_frame(seed[1])
    assert len(work) == 30 and list(work["#"]) == list(range(1, 31))
    assert work.iloc[0][["phase", "work", "title"]].tolist() == [
        "P1",
        "384-T01",
        "K8s Architecture Design",
    ]
    assert "catalog risk" in work.columns  # the plan does some tasks at another level


def test_the_first_lines_answer_the_three_questions(seed):
    text = at_a_glance(seed[0], "Since 2026-W09: 1 new, 1 done.")
    lines = text.splitlines()
    assert len(lines) == 4 and all(line.startswith("- **") for line in lines)
    do, left, changed, attention = lines
    assert "do the work listed below, in order" in do
    for words in ("30 tasks in 24 pieces of work", "3.15 h of work", "value 70"):
        assert words in do
    assert "24 LOW, 6 MEDIUM, 0 HIGH (3 not computable, counted at their worst)" in do
    assert "budget 4 h, cap 30" in do and "Finishes at 3.15 h" in do
    assert left == (
        "- **Left out: 13 tasks**, each with its one reason below "
        "(12 needs facts, 1 above appetite)."
    )
    assert changed == "- **What changed:** Since 2026-W09: 1 new, 1 done."
    assert "3 violation(s) of the plan (3 gate)" in attention
    assert "facts to add: activity, environment, reversibility" in attention


def test_a_hand_made_plan_says_it_does_work_at_other_levels(seed):
    text = at_a_glance(seed[1], "No history yet.")
    assert "The plan does 7 task(s) at another level than the catalog's" in text
    assert "**No schedule fits**: phase P4 overflows: 49.5 min of work" in text
    assert "(2 more reason(s) under the plan in figures)" in text
    assert "A hand-made plan, checked" in text


def test_on_a_large_catalog_the_work_is_grouped_by_level(large):  # noqa: F811
    """Beyond the report's row limit, the first screen's list groups the work by level."""
    work = work_frame(large)
    assert len(work) > limits.MAX_ROWS
    grouped = limits.capped(work, "risk", what="pieces of work", first="work", sums=["hours"])
    assert isinstance(grouped, limits.GroupedTable)
    assert grouped.table["pieces of work"].sum() == len(work)
    assert grouped.table["hours"].sum() == pytest.approx(work["hours"].sum(), abs=0.05)
    html = readable(grouped, what="pieces of work", unfolded=True).html
    assert "more than the 300 a table of this report lists" in html
    assert html.count("<tr>") == len(grouped.table) + 1
