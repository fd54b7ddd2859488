"""The weekly report at scale: tables list a stated number of rows, then group; charts aggregate.

A 2,000-task catalog from ``bench/synthetic.py`` (seeded) goes through the
frames and figures the report's cells call; the seed's tables stay complete.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys

import pandas as pd
import pytest

from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.scenario import parse_scenario, read_scenario
from analysis.plan.results import Assessment
from analysis.plan.scenarios import assess
from analysis.report import figures, frames, limits
from analysis.vocabulary import LEVELS
from tests.conftest import ROOT, SEED_SCENARIO


def _synthetic():
    """``bench/synthetic.py`` as a module (bench/ is not a package)."""
    if "synthetic" in sys.modules:
        return sys.modules["synthetic"]
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "bench" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def large(rubric, graph_rules) -> Assessment:
    synthetic = _synthetic()
    data = synthetic.catalog_data(2000, seed=3)
    catalog = parse_catalog(data, vocabulary=rubric.vocabulary)
    scenario = parse_scenario(synthetic.scenario_data(data, budget_share=0.3))
    # No re-solves for the reasons of tasks left out: the tables' shape is what matters.
    return assess(catalog, scenario, rubric, graph_rules, explain_limit=0)


@pytest.fixture(scope="module")
def seed(seed_catalog, rubric, graph_rules) -> Assessment:
    return assess(seed_catalog, read_scenario(SEED_SCENARIO), rubric, graph_rules)


def test_synthetic_catalogs_are_the_same_for_the_same_seed():
    synthetic = _synthetic()
    assert synthetic.catalog_data(300, seed=5) == synthetic.catalog_data(300, seed=5)
    assert synthetic.catalog_data(300, seed=5) != synthetic.catalog_data(300, seed=6)
    chain = synthetic.catalog_data(50, seed=5, chain=True)["tasks"]
    for before, after in itertools.pairwise(chain):
        assert before["id"] in after["depends_on"]


def test_capped_keeps_a_short_table_and_groups_a_long_one():
    frame = pd.DataFrame(
        {
            "id": [f"T{i}" for i in range(8)],
            "risk": ["HIGH", "LOW", "MEDIUM", "LOW", "LOW", "HIGH", "LOW", "MEDIUM"],
            "hours": [1.0] * 8,
        }
    )
    assert limits.capped(frame, "risk", limit=8) is frame
    grouped = limits.capped(frame, "risk", sums=["hours"], limit=7)
    assert isinstance(grouped, limits.GroupedTable)
    table = grouped.table
    assert list(table["risk"]) == ["LOW", "MEDIUM", "HIGH"]  # levels in their order
    assert list(table["tasks"]) == [4, 2, 2]
    assert list(table["hours"]) == [4.0, 2.0, 2.0]
    assert table["first tasks"].iloc[0] == "T1, T3, T4, T6"
    assert "8 tasks" in grouped.note and "more than the 7" in grouped.note
    assert 'href="plan.csv"' in grouped.note and 'href="plan.json"' in grouped.note
    page = grouped._repr_html_()
    assert '<p class="rt-note">8 tasks' in page
    assert page.index("8 tasks") < page.index("<table")  # the note, then the groups


def test_at_most_five_first_values_are_named():
    frame = pd.DataFrame({"id": [f"T{i}" for i in range(9)], "kind": ["budget"] * 9})
    grouped = limits.capped(frame, "kind", limit=3, where=None)
    assert isinstance(grouped, limits.GroupedTable)
    assert grouped.table["first tasks"].iloc[0] == "T0, T1, T2, T3, T4, …"
    assert "Every one" not in grouped.note


def _grouped(table) -> pd.DataFrame:
    assert isinstance(table, limits.GroupedTable), "a long table is grouped"
    assert len(table.table) <= limits.MAX_ROWS
    return table.table


def test_long_report_tables_are_grouped_by_level_and_reason(large):
    selection, left_out = large.selection.selected, large.selection.left_out
    assert len(selection) > limits.MAX_ROWS and len(left_out) > limits.MAX_ROWS
    full = frames.selection_frame(large)
    chosen = _grouped(limits.capped(full, "risk", sums=["hours", "value"]))
    assert chosen["tasks"].sum() == len(selection)
    # Levels first, in order, then levels that are not computable (as the tables show them).
    shown = list(chosen["risk"])
    plain = [level for level in LEVELS if level in shown]
    assert shown[: len(plain)] == plain
    assert all(level.startswith("not computable (") for level in shown[len(plain) :])
    assert chosen["hours"].sum() == pytest.approx(full["hours"].sum(), abs=0.05)
    assert chosen["value"].sum() == pytest.approx(full["value"].sum())
    left = _grouped(limits.capped(frames.left_out_frame(large), "kind"))
    assert left["tasks"].sum() == len(left_out)
    assert set(left["kind"]) == {item.kind for item in left_out}
    findings = large.audit.findings  # about one in ten tasks: grouped above a lower limit
    assert len(findings) > 100
    found = frames.findings_frame(findings)
    found = limits.capped(found, "kind", what="findings", first="message", limit=100)
    found = _grouped(found)
    assert found["findings"].sum() == len(findings)
    assert set(found["kind"]) == {f.kind for f in findings}


def test_long_counts_add_up_per_measure(large):
    full = frames.counts_frame(large.audit)
    assert len(full) > limits.MAX_ROWS
    table = _grouped(frames.counts_table(large.audit))
    whole = table[table["scope"] == "all"].set_index("measure")
    issues = table[table["scope"] == "issues"].set_index("measure")
    assert list(whole.index) == list(full[full["scope"] == "all"]["measure"])
    for measure, row in issues.iterrows():
        assert row["listed"] == whole.loc[measure, "listed"]  # the issues partition the tasks
        assert row["computed"] == whole.loc[measure, "computed"]
    disagree = sum(1 for row in large.audit.counts if row.scope != "all" and not row.agrees)
    assert issues["disagree"].sum() == disagree


def _size(figure) -> int:
    return len(json.dumps(figure.to_plotly_json(), default=str))


def test_charts_aggregate_on_a_large_catalog(large):
    audit, facts = large.audit, large.graph
    issues = len(large.catalog.issue_by_number)
    assert issues > limits.MAX_ISSUES_DRAWN
    mix = figures.risk_mix_figure(audit).figure()
    assert all(len(bar.y) == limits.MAX_ISSUES_DRAWN for bar in mix.data)
    assert mix.data[0].y[-1] == f"{issues - limits.MAX_ISSUES_DRAWN + 1} other issues"
    assert sum(sum(bar.x) for bar in mix.data) == len(large.catalog)
    for bar in mix.data:
        for hover in bar.hovertext:
            assert hover.count("<br>") <= limits.HOVER_TASKS
    by_activity = figures.risk_by_activity_figure(audit).figure()
    assert sum(sum(bar.x) for bar in by_activity.data) == len(large.catalog)
    graph = figures.dependency_figure(facts).figure()
    drawn = sum(len(trace.x) for trace in graph.data if trace.mode == "markers+text")
    assert drawn == limits.MAX_TASKS_DRAWN
    assert f"{limits.MAX_TASKS_DRAWN} of" in graph.layout.title.text
    markers = {t for trace in graph.data if trace.mode == "markers+text" for t in trace.customdata}
    assert set(facts.critical_path[: limits.MAX_TASKS_DRAWN]) <= markers
    heatmap = figures.declared_vs_computed_figure(audit).figure()
    for row in heatmap.data[0].hovertext:
        assert all(cell.count(", ") <= limits.HOVER_TASKS for cell in row)
    for figure in (mix, by_activity, graph, heatmap):
        assert _size(figure) < 500_000


def test_a_long_gantt_draws_back_to_back_work_as_one_bar():
    pieces = 2 * limits.MAX_TASKS_DRAWN
    rows = pd.DataFrame(
        {
            "phase": ["P1"] * pieces,
            "lane": [i % 2 for i in range(pieces)],
            "task": [f"T{i}" for i in range(pieces)],
            "title": [f"task {i}" for i in range(pieces)],
            "start": [float(i // 2) for i in range(pieces)],
            "end": [float(i // 2 + 1) for i in range(pieces)],
            "hours": [1.0] * pieces,
            "level": ["LOW" if (i // 2) % 100 < 50 else "MEDIUM" for i in range(pieces)],
            "issue": [1] * pieces,
            "activity": ["implement"] * pieces,
            "job": [f"T{i}" for i in range(pieces)],
            "label": [f"task {i}" for i in range(pieces)],
            "uses": [""] * pieces,
        }
    )
    figure = figures.gantt_figure(rows).figure()
    bars = sum(len(trace.x) for trace in figure.data)
    # Two lanes, each LOW for 50 hours then MEDIUM for 50, three times over.
    assert bars == 2 * 6
    assert sum(sum(trace.x) for trace in figure.data) == pytest.approx(pieces)
    assert f"{pieces:,} pieces of work as 12 bars" in figure.layout.title.text
    assert (
        figures.gantt_figure(rows.iloc[: limits.MAX_TASKS_DRAWN]).figure().data[0].x.__len__() > 12
    )


def test_the_seeds_tables_are_complete(seed):
    """Under the limit every table is the frame itself, every row of it."""
    selection, left_out = seed.selection.selected, seed.selection.left_out
    shown = limits.capped(frames.selection_frame(seed), "risk", sums=["hours", "value"])
    assert isinstance(shown, pd.DataFrame) and list(shown["id"]) == list(selection)
    left = limits.capped(frames.left_out_frame(seed), "kind")
    assert isinstance(left, pd.DataFrame) and list(left["id"]) == [i.task for i in left_out]
    found = frames.findings_frame(seed.audit.findings)
    found = limits.capped(found, "kind", what="findings", first="message")
    assert isinstance(found, pd.DataFrame) and len(found) == len(seed.audit.findings)
    counts = frames.counts_table(seed.audit)
    assert isinstance(counts, pd.DataFrame) and len(counts) == len(seed.audit.counts)
    clusters = frames.clusters_frame(seed.graph)
    clusters = limits.capped(clusters, "mixed risk", what="clusters", first="cluster")
    assert isinstance(clusters, pd.DataFrame) and len(clusters) == len(seed.graph.clusters)
    mix = figures.risk_mix_figure(seed.audit).figure()
    assert list(mix.data[0].y) == [f"#{n}" for n in seed.catalog.issue_by_number]


def test_report_tables_show_every_row_up_to_the_limit():
    frame = pd.DataFrame({"id": range(limits.MAX_ROWS)})
    try:
        limits.use_report_tables()
        page = frame._repr_html_()
    finally:
        pd.reset_option("display.max_rows")
        pd.reset_option("display.min_rows")
    assert len(re.findall(r"<tr>", page)) == limits.MAX_ROWS  # the header's has a style
    assert "…" not in page and "..." not in page
