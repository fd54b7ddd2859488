"""Tables made for reading: the HTML a report shows for a frame (analysis.report.tables)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.plan.scenarios import assess_files
from analysis.report import frames, limits
from analysis.report.tables import FOLD_ROWS, readable
from tests.conftest import SCENARIOS_DIR, SEED_CATALOG

LONG_REASON = (
    "HIGH is above the appetite MEDIUM: production-core: a change to production network, "
    "architecture or data (本番影響大); "
) * 3 + "and the last words of a reason three hundred characters long stay"


def html_of(frame, **options) -> str:
    return readable(frame, **options).html


def cells(html: str) -> list[list[str]]:
    """The text of every body cell, row by row (tags removed)."""
    body = html.split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows
    ]


def headers(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", html)]


class TestRules:
    def test_no_index_column_and_one_header_per_column(self):
        frame = pd.DataFrame({"id": ["T1", "T2"], "title": ["a", "b"]}, index=[7, 8])
        html = html_of(frame)
        assert headers(html) == ["id", "title"]
        assert cells(html) == [["T1", "a"], ["T2", "b"]]
        assert "<th></th>" not in html and ">7<" not in html

    def test_a_long_reason_is_shown_whole_and_wrapped(self):
        assert len(LONG_REASON) > 300
        html = html_of(pd.DataFrame({"id": ["T1"], "reason": [LONG_REASON]}))
        assert cells(html) == [["T1", LONG_REASON]]
        assert "..." not in html and "…" not in html
        assert "white-space:nowrap" not in html  # the style sheet is apart; cells wrap

    def test_nothing_is_written_as_a_dash_never_nan(self):
        frame = pd.DataFrame(
            {"declared": [42.0, float("nan")], "phase": ["P1", None], "end": [1.5, None]}
        )
        html = html_of(frame)
        assert "NaN" not in html and "nan" not in html and "None" not in html
        assert cells(html) == [["42", "P1", "1:30"], ["–", "–", "–"]]

    def test_numbers_are_written_alike_in_each_column(self):
        frame = pd.DataFrame({"value": [70.0, 82.0], "score": [3.0, 2.5], "n": [1, 1200]})
        assert cells(html_of(frame)) == [["70", "3.0", "1"], ["82", "2.5", "1,200"]]
        assert html_of(frame).count('class="rt-n"') == 3 * 3  # right-aligned, headers too

    def test_durations_are_h_mm_with_the_unit_in_the_header(self):
        frame = pd.DataFrame({"start": [0.0, 2.625], "hours": [0.125, 26.5]})
        html = html_of(frame)
        assert headers(html) == ["start (h:mm)", "hours (h:mm)"]
        assert cells(html) == [["0:00", "0:07.5"], ["2:37.5", "26:30"]]

    def test_levels_are_words_in_coloured_labels(self):
        frame = pd.DataFrame(
            {
                "risk": ["LOW", "not computable (MEDIUM–HIGH)", "HIGH"],
                "catalog risk": ["", "", "LOW"],
                "declared": ["LOW, HIGH", "MEDIUM", ""],
            }
        )
        html = html_of(frame)
        assert '<span class="lvl lvl-LOW">LOW</span>' in html
        assert '<span class="lvl lvl-nc">not computable (MEDIUM–HIGH)</span>' in html
        assert (
            '<td><span class="lvl lvl-HIGH">HIGH</span></td><td><span class="lvl lvl-LOW">' in html
        )
        # A column holding nothing but levels gets labels too; the words stay readable.
        assert '<span class="lvl lvl-LOW">LOW</span> <span class="lvl lvl-HIGH">HIGH</span>' in html
        assert cells(html)[1] == ["not computable (MEDIUM–HIGH)", "", "MEDIUM"]

    def test_a_risk_score_is_a_number(self):
        html = html_of(pd.DataFrame({"risk": [84, 140]}))  # a sweep's risk score
        assert "lvl" not in html and cells(html) == [["84"], ["140"]] and 'class="rt-n"' in html

    def test_a_change_of_level_is_text(self):
        frame = pd.DataFrame({"change": ["level", "status"], "detail": ["HIGH → MEDIUM", ""]})
        assert "lvl" not in html_of(frame)
        assert cells(html_of(frame)) == [["level", "HIGH → MEDIUM"], ["status", ""]]

    def test_true_and_false_read_yes_and_no_and_issues_have_their_hash(self):
        frame = pd.DataFrame({"issue": [384, 381], "agrees": [True, False]})
        assert cells(html_of(frame)) == [["#384", "yes"], ["#381", "no"]]

    def test_catalog_text_is_escaped_and_its_line_breaks_kept(self):
        frame = pd.DataFrame({"title": ["<script>alert(1)</script>", "one\ntwo"]})
        html = html_of(frame)
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "one<br>two" in html

    def test_an_empty_table_is_a_sentence(self):
        html = html_of(pd.DataFrame(columns=["change", "task"]), empty="No history yet.")
        assert "<table" not in html and "No history yet." in html and "<th" not in html

    def test_columns_empty_in_every_row_stay_out(self):
        frame = pd.DataFrame({"id": ["T1"], "catalog risk": [""], "lane": [None]})
        assert headers(html_of(frame)) == ["id"]

    @pytest.mark.parametrize("unfolded", [False, True])
    def test_a_long_table_folds_under_details_and_says_what_it_holds(self, unfolded):
        rows = FOLD_ROWS + 1
        kinds = ["a" if i % 2 == 0 else "b" for i in range(rows)]
        frame = pd.DataFrame({"id": [f"T{i}" for i in range(rows)], "kind": kinds})
        html = html_of(frame, what="tasks left out", count_by="kind", unfolded=unfolded)
        opening = '<details class="rt-fold" open>' if unfolded else '<details class="rt-fold">'
        assert opening in html
        counts = f"{kinds.count('a')} a, {kinds.count('b')} b"
        assert f"<summary>{rows} tasks left out: {counts}</summary>" in html
        assert len(cells(html)) == rows
        short = html_of(frame.iloc[:FOLD_ROWS])
        assert "<details" not in short

    def test_a_grouped_table_shows_its_note_then_its_groups(self):
        frame = pd.DataFrame(
            {
                "id": [f"T{i}" for i in range(limits.MAX_ROWS + 1)],
                "risk": ["LOW", "MEDIUM", "HIGH"] * 100 + ["LOW"],
                "hours": [0.5] * (limits.MAX_ROWS + 1),
            }
        )
        grouped = limits.capped(frame, "risk", sums=["hours"])
        html = readable(grouped).html
        assert html.index("more than the 300 a table of this report lists") < html.index("<table")
        assert headers(html) == ["risk", "tasks", "hours (h:mm)", "first tasks"]
        assert cells(html)[0] == ["LOW", "101", "50:30", "T0, T3, T6, T9, T12, …"]
        assert grouped._repr_html_() == html


@pytest.fixture(scope="module")
def seed_plans():
    names = ("seed-limits.yaml", "seed-plan.yaml")
    return assess_files(SEED_CATALOG, [SCENARIOS_DIR / name for name in names])


def test_the_seeds_report_tables_read_well(seed_plans):
    limits_plan, hand_made = seed_plans
    tables = {
        "plan": frames.plan_summary(limits_plan),
        "left out": frames.left_out_frame(limits_plan),
        "selected": frames.selection_frame(hand_made),
        "counts": frames.counts_frame(limits_plan.audit),
        "findings": frames.findings_frame(limits_plan.audit.findings),
        "measures": frames.measures_frame(seed_plans),
        "gates": frames.gates_frame(limits_plan),
        "outcomes": frames.outcomes_frame(limits_plan.outcomes),
        "violations": frames.violations_frame(seed_plans),
        "clusters": frames.clusters_frame(limits_plan.graph),
    }
    for name, frame in tables.items():
        html = readable(frame).html
        text = re.sub(r"<[^>]+>", " ", html)
        for bad in ("NaN", "None", "...", "True", "False"):
            assert bad not in text, (name, bad)
        assert headers(html)[0] == str(frame.columns[0])  # no index column before it
    measures = cells(readable(tables["measures"]).html)
    assert ["finish (h:mm)", "3:09", "no schedule fits"] in measures
    assert ["value", "70", "82"] in measures
    left = cells(readable(tables["left out"]).html)
    multi_region = next(row for row in left if row[0] == "348-multi-region-deployment")
    reason = limits_plan.selection.reason_for("348-multi-region-deployment").reason
    assert multi_region[-1] == reason and "production-core: a change to production" in reason
    plan = dict(row for row in cells(readable(tables["plan"]).html))
    assert plan["hours of work (h:mm)"] == "3:09" and plan["budget (h:mm)"] == "4:00"


def test_report_tables_let_pandas_cut_no_text():
    limits.use_report_tables()
    try:
        assert pd.get_option("display.max_colwidth") is None
        frame = pd.DataFrame({"reason": [LONG_REASON]})
        assert LONG_REASON in frame._repr_html_()
    finally:
        pd.reset_option("display.max_colwidth")
        pd.reset_option("display.max_rows")
        pd.reset_option("display.min_rows")
