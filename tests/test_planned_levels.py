"""Every level shown is the level of the work planned, the catalog's beside it where it differs.

The seed's hand-made plan does design tasks as implementation (item 10
'Monitoring Infrastructure Design + 実装' on 384-T08, a LOW design task): the
work is MEDIUM, and every output says MEDIUM, with LOW as the catalog's level.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from analysis.inputs.scenario import parse_scenario, read_scenario
from analysis.plan.scenarios import assess
from analysis.report.formats.plan import format_plan
from analysis.report.frames import gantt_rows, selection_frame
from analysis.report.overview import work_frame
from analysis.report.tables import readable
from tests.conftest import SCENARIOS_DIR


@pytest.fixture(scope="module")
def hand_made(seed_catalog, rubric, graph_rules):
    scenario = read_scenario(SCENARIOS_DIR / "seed-plan.yaml")
    return assess(seed_catalog, scenario, rubric, graph_rules)


def test_the_plan_records_the_level_of_the_work_it_does(hand_made):
    assert hand_made.audit.scores["384-T08"].level == "LOW"
    assert hand_made.selection.levels["384-T08"] == "MEDIUM"
    assert hand_made.level_of("384-T08") == "MEDIUM"
    assert hand_made.level_texts(("384-T08",)) == ("MEDIUM", "LOW")
    # A task done as the catalog says keeps the catalog's level, as the catalog shows it.
    assert "384-T06" not in hand_made.selection.levels
    assert hand_made.level_texts(("384-T06",)) == ("not computable (LOW–MEDIUM)", "")
    # Stating the environment (dev) settles a level the catalog cannot compute.
    assert hand_made.level_texts(("348-health-checks",)) == (
        "MEDIUM",
        "not computable (MEDIUM–HIGH)",
    )
    # The summary counts the work as planned, as the tables now show it.
    selected = hand_made.selection.selected
    medium = sum(hand_made.level_of(t) == "MEDIUM" for t in selected)
    assert hand_made.selection.totals.risk["MEDIUM"] == medium


def test_terminal_csv_json_and_markdown_agree(hand_made):
    table = format_plan(hand_made, "table")
    row = next(line for line in table.splitlines() if line.startswith("384-T08 "))
    assert "MEDIUM (catalog LOW)" in row
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(format_plan(hand_made, "csv")))}
    assert (rows["384-T08"]["risk"], rows["384-T08"]["catalog_risk"]) == ("MEDIUM", "LOW")
    assert (rows["384-T01"]["risk"], rows["384-T01"]["catalog_risk"]) == ("LOW", "LOW")
    data = json.loads(format_plan(hand_made, "json"))
    assert {"id": "384-T08", "risk": "MEDIUM", "catalog_risk": "LOW"} in data["planned_risk"]
    unit = next(u for u in data["units"] if "384-T08" in u["tasks"])
    assert unit["risk"] == "MEDIUM"
    markdown = format_plan(hand_made, "markdown")
    assert "Monitoring Infrastructure Design (Prometheus設計) (MEDIUM; catalog LOW)" in markdown


def test_report_tables_show_the_planned_level(hand_made):
    frame = selection_frame(hand_made).set_index("id")
    assert frame.loc["384-T08", ["risk", "catalog risk"]].tolist() == ["MEDIUM", "LOW"]
    assert frame.loc["384-T01", ["risk", "catalog risk"]].tolist() == ["LOW", ""]
    work = work_frame(hand_made)  # no schedule fits: the plan's items in order
    item = work[work["work"] == "384-T08"].iloc[0]
    expected = (10, "P2", "MEDIUM", "LOW")
    assert (item["#"], item["phase"], item["risk"], item["catalog risk"]) == expected
    assert item["title"] == "Monitoring Infrastructure Design + 実装"
    html = readable(work).html
    assert (
        '<span class="lvl lvl-MEDIUM">MEDIUM</span></td><td><span class="lvl lvl-LOW">LOW' in html
    )


def test_the_schedule_shows_the_work_as_planned(seed_catalog, rubric, graph_rules):
    item = {
        "item": "Monitoring Infrastructure Design + 実装",
        "phase": "P1",
        "activity": ["design", "implement"],
        "environment": "dev",
        "tasks": ["384-T08"],
    }
    scenario = parse_scenario(
        {"appetite": "HIGH", "phases": [{"name": "P1", "hours": 1}], "plan": [item]}
    )
    plan = assess(seed_catalog, scenario, rubric, graph_rules)
    assert plan.timeline is not None and plan.timeline.ok
    rows = gantt_rows(plan.timeline, plan.catalog, plan.audit.scores, plan.selection.levels)
    assert rows.set_index("task").loc["384-T08", "level"] == "MEDIUM"
    work = work_frame(plan)
    assert work[["#", "phase", "start", "risk", "catalog risk", "work"]].values.tolist() == [
        [1, "P1", 0.0, "MEDIUM", "LOW", "384-T08"]
    ]
    assert work["hours"].iloc[0] == pytest.approx(plan.selection.units[0].hours)
