"""Figures: titles, axis labels, one colour per level, reasons on hover, escaped catalog text."""

from __future__ import annotations

import html
import itertools
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.scenario import parse_scenario, read_scenario
from analysis.plan.results import Assessment
from analysis.plan.scenarios import assess
from analysis.plan.sweep_results import COLUMNS
from analysis.report import chart_style, figures
from analysis.report.chart_style import Chart
from analysis.report.frames import gantt_rows
from analysis.vocabulary import LEVEL_COLOURS, LEVELS
from tests.conftest import ROOT, SCENARIOS_DIR, tiny_data


def as_plotly_reads_it(chart: Chart) -> go.Figure:
    """The chart as a ``go.Figure``, after checking that plotly finds every property valid
    and changes none: the chart is what plotly would have made of the same properties.
    Plain JSON data too (no NumPy or pandas values, no NaN)."""
    assert isinstance(chart, Chart), type(chart)
    plain = json.loads(json.dumps(chart, allow_nan=False))
    figure = chart.figure()
    assert json.loads(figure.to_json()) == plain
    return figure


def checked(draw: Callable[..., Any]) -> Callable[..., Any]:
    """A figure function whose charts come back as :func:`as_plotly_reads_it` gives them."""

    def drawn(*args: Any, **kwargs: Any) -> Any:
        out = draw(*args, **kwargs)
        return (
            [as_plotly_reads_it(c) for c in out]
            if isinstance(out, list)
            else as_plotly_reads_it(out)
        )

    return drawn


# Every chart these tests look at is checked against plotly first.
comparison_figure = checked(figures.comparison_figure)
declared_vs_computed_figure = checked(figures.declared_vs_computed_figure)
dependency_figure = checked(figures.dependency_figure)
finish_risk_figure = checked(figures.finish_risk_figure)
frontier_figure = checked(figures.frontier_figure)
gantt_figure = checked(figures.gantt_figure)
outcome_coverage_figure = checked(figures.outcome_coverage_figure)
phase_overflow_figure = checked(figures.phase_overflow_figure)
risk_by_activity_figure = checked(figures.risk_by_activity_figure)
risk_mix_figure = checked(figures.risk_mix_figure)
schedule_figures = checked(figures.schedule_figures)


def report_html(figure: go.Figure) -> str:
    return chart_style.report_html(json.loads(figure.to_json()))


#: A colour for each category of the risk charts: the levels, and levels not computable.
COLOURS = {**LEVEL_COLOURS, "not computable": figures.NOT_COMPUTABLE_COLOUR}


def category(audit, task_id: str) -> str:
    """A task's computed level, or ``not computable``."""
    score = audit.scores[task_id]
    return score.level if score.computed else "not computable"


EVIL = "<script>alert(1)</script>"
EVIL_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"
ISSUE_TITLE = "Issue <b>& more"
ISSUE_SHOWN = "Issue &lt;b&gt;&amp; more"

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Inputs:
    """Everything the figures are built from: a scheduled selection, a plan, a sweep."""

    limits: Assessment  # scheduled, with schedule risk
    plan: Assessment  # no schedule fits
    sweep: pd.DataFrame
    references: pd.DataFrame


SWEEP_PARAMETERS = ["lanes", "appetite"]

#: (status, value, finish_hours, risk_score) per combination, in combination order.
SWEEP_ROWS = [
    ("optimal", 10, 2.0, 5),  # 0: frontier
    ("optimal", 10, 3.0, 5),  # 1: beaten by 0 (later)
    ("optimal", 8, 1.0, 5),  # 2: frontier (earliest at value 8)
    ("feasible", 12, 4.0, 9),  # 3: frontier (most value)
    ("feasible", 10, 2.0, 5),  # 4: the same point as 0
    ("infeasible", 20, 1.0, 0),  # 5: not a plan (would beat every other row)
    ("error", math.nan, math.nan, math.nan),  # 6: not a plan
    ("optimal", 9, math.nan, 1),  # 7: no schedule fits, not a plan
    ("optimal", 7, 1.0, 3),  # 8: frontier (least risk)
    ("optimal", 7, 1.5, 3),  # 9: beaten by 8 (later)
    ("optimal", 6, 1.0, 4),  # 10: beaten by 8 (less value, more risk)
]
PLAN_ROWS = [0, 1, 2, 3, 4, 8, 9, 10]
#: The Pareto-optimal points (finish, value, risk), by finish then value.
PARETO = [(1.0, 7, 3), (1.0, 8, 5), (2.0, 10, 5), (4.0, 12, 9)]


def sweep_table(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    """A sweep table in the shape :func:`analysis.plan.sweeps.run_sweep` writes."""
    records = [
        {
            "combination": combination,
            "key": f"k{combination}",
            "lanes": 1 + combination % 2,
            "appetite": "MEDIUM",
            "status": status,
            "schedule": "infeasible" if math.isnan(finish) else "optimal",
            "value": value,
            "hours": 3.0,
            "tasks": 4,
            "units": 4,
            "LOW": 2,
            "MEDIUM": 1,
            "HIGH": 1,
            "risk_score": risk,
            "finish_hours": finish,
            "p80_hours": finish + 0.5,
            "p80_spread": 0.5,
            "within_budget": 1.0,
            "violations": 0,
            "error": "boom" if status == "error" else None,
        }
        for combination, (status, value, finish, risk) in enumerate(rows)
    ]
    return pd.DataFrame(records, columns=["combination", "key", *SWEEP_PARAMETERS, *COLUMNS[2:]])


def reference_table(name: str) -> pd.DataFrame:
    """One compared plan whose schedule does not fit (placed at its 4.5 h of work)."""
    row = {
        "reference": name,
        "status": "fixed",
        "schedule": "infeasible",
        "value": 11,
        "hours": 4.5,
        "tasks": 5,
        "units": 5,
        "LOW": 2,
        "MEDIUM": 2,
        "HIGH": 1,
        "risk_score": 6,
        "finish_hours": math.nan,
        "p80_hours": math.nan,
        "p80_spread": math.nan,
        "within_budget": math.nan,
        "violations": 3,
        "error": None,
    }
    return pd.DataFrame([row], columns=["reference", *COLUMNS[2:]])


@pytest.fixture(scope="module")
def seed(seed_catalog, rubric, graph_rules) -> Inputs:
    limits = assess(
        seed_catalog, read_scenario(SCENARIOS_DIR / "seed-limits.yaml"), rubric, graph_rules
    )
    plan = assess(
        seed_catalog, read_scenario(SCENARIOS_DIR / "seed-plan.yaml"), rubric, graph_rules
    )
    return Inputs(limits, plan, sweep_table(SWEEP_ROWS), reference_table("seed-plan"))


@pytest.fixture(scope="module")
def evil(rubric, graph_rules) -> Inputs:
    """The tiny catalog with markup in a task title, an issue title and a target."""
    data = tiny_data()
    data["issues"][0]["title"] = ISSUE_TITLE
    data["tasks"][1]["title"] = EVIL  # T2, MEDIUM: selected and scheduled
    data["tasks"][1]["outcomes"] = ["security"]
    data["targets"] = [{"area": "security", "target": f"Zero trust {EVIL}"}]
    catalog = parse_catalog(data, vocabulary=rubric.vocabulary)
    scheduled = parse_scenario(
        {"name": "evil", "appetite": "MEDIUM", "lanes": 2, "phases": [{"name": "P1", "hours": 4}]}
    )
    unfit = parse_scenario(
        {
            "name": "evil-plan",
            "appetite": "HIGH",
            "budget_hours": 0.5,
            "phases": [{"name": "P1", "hours": 0.25}],
            "plan": [
                {"item": EVIL, "phase": "P1", "activity": "implement", "tasks": ["T2"]},
                {"item": "rollout", "phase": "P1", "activity": "deploy", "tasks": ["T3"]},
            ],
        }
    )
    limits = assess(catalog, scheduled, rubric, graph_rules)
    plan = assess(catalog, unfit, rubric, graph_rules)
    assert limits.timeline.ok and limits.risk is not None and "T2" in limits.selection.selected
    assert not plan.timeline.ok
    return Inputs(limits, plan, sweep_table(SWEEP_ROWS), reference_table(EVIL))


def rows_of(assessment: Assessment) -> pd.DataFrame:
    return gantt_rows(assessment.timeline, assessment.catalog, assessment.audit.scores)


#: One figure per public function (and per case of it), built from :class:`Inputs`.
BUILDERS: dict[str, Callable[[Inputs], go.Figure]] = {
    "risk_mix": lambda i: risk_mix_figure(i.limits.audit),
    "risk_by_activity": lambda i: risk_by_activity_figure(i.limits.audit),
    "declared_vs_computed": lambda i: declared_vs_computed_figure(i.limits.audit),
    "dependency": lambda i: dependency_figure(i.limits.graph),
    "dependency_all_tasks": lambda i: dependency_figure(i.limits.graph, connected_only=False),
    "gantt": lambda i: gantt_figure(rows_of(i.limits)),
    "finish_risk": lambda i: finish_risk_figure(i.limits.risk, i.limits.scenario.budget_hours),
    "phase_overflow": lambda i: phase_overflow_figure(i.limits.risk),
    "outcome_coverage": lambda i: outcome_coverage_figure(i.limits.outcomes),
    "comparison": lambda i: comparison_figure([i.limits, i.plan]),
    "schedule_figures_gantt": lambda i: schedule_figures(i.limits)[0],
    "schedule_figures_no_fit": lambda i: schedule_figures(i.plan)[0],
    "frontier": lambda i: frontier_figure(i.sweep, i.references),
}

#: Axes without a title, and why (read from figures.py; checked in TestAxisExceptions).
NO_AXIS_TITLE = {
    "schedule_figures_no_fit": {"x", "y"},  # text only, both axes hidden
    "dependency": {"y"},  # y is only the layout's spread within a wave, ticks hidden
    "dependency_all_tasks": {"y"},
    "finish_risk": {"y"},  # categories planned / P50 / P80 / P95 label themselves
}

#: Figures that show the catalog's (or plan's) text, so the escaped form must be there.
SHOWS_EVIL = {
    "risk_mix",
    "risk_by_activity",
    "dependency",
    "dependency_all_tasks",
    "gantt",
    "outcome_coverage",
    "schedule_figures_gantt",
    "schedule_figures_no_fit",
    "frontier",
}


def strings(node: Any) -> Iterator[str]:
    """Every string in a decoded figure (data and layout)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def texts(figure: go.Figure) -> list[str]:
    return list(strings(json.loads(figure.to_json())))


def unescape_json(page: str) -> str:
    r"""The page with JSON's ``\uXXXX`` escapes decoded (plotly writes ``<`` as ``\u003c``)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), page)


def one_line(text: str) -> str:
    """Hover text with line breaks and runs of spaces as single spaces."""
    return " ".join(text.replace("<br>", " ").split())


def assert_house_look(figure: go.Figure, name: str = "") -> None:
    """plotly_white's white plot and light grid, set on the figure itself."""
    white = pio.templates["plotly_white"].layout
    layout = figure.layout
    assert layout.plot_bgcolor == white.plot_bgcolor == "white", name
    for axis in ("xaxis", "yaxis"):
        for part in ("gridcolor", "linecolor", "zerolinecolor"):
            assert layout[axis][part] == white[axis][part], (name, axis, part)


def trace(figure: go.Figure, name: str) -> Any:
    (found,) = [t for t in figure.data if t.name == name]
    return found


def level_traces(figure: go.Figure) -> list[Any]:
    return [t for t in figure.data if t.name in LEVELS]


# --------------------------------------------------------------------------- every figure


class TestEveryFigure:
    @pytest.mark.parametrize("name", BUILDERS)
    def test_a_figure_with_a_title(self, seed, name):
        figure = BUILDERS[name](seed)
        assert isinstance(figure, go.Figure)
        assert figure.layout.title.text and figure.layout.title.text.strip()

    @pytest.mark.parametrize("name", BUILDERS)
    def test_axis_titles(self, seed, name):
        figure = BUILDERS[name](seed)
        exempt = NO_AXIS_TITLE.get(name, set())
        for axis in {"x", "y"} - exempt:
            title = figure.layout[f"{axis}axis"].title.text
            assert title and title.strip(), f"{name}: no {axis} axis title"

    @pytest.mark.parametrize("name", BUILDERS)
    def test_in_the_house_look(self, seed, name):
        assert_house_look(BUILDERS[name](seed), name)

    @pytest.mark.parametrize("name", BUILDERS)
    def test_the_same_figure_twice(self, seed, name):
        assert BUILDERS[name](seed).to_json() == BUILDERS[name](seed).to_json()

    def test_every_public_figure_function_is_covered(self):
        public = {n for n in figures.__all__ if n.endswith(("_figure", "_figures"))}
        covered = {f"{n}_figure" for n in BUILDERS} | {"schedule_figures"}
        assert public <= covered


class TestAxisExceptions:
    """The charts left without an axis title are the ones that need none."""

    def test_dependency_y_is_layout_only(self, seed):
        axis = dependency_figure(seed.limits.graph).layout.yaxis
        assert axis.showticklabels is False and axis.showgrid is False

    def test_finish_risk_categories_name_themselves(self, seed):
        figure = finish_risk_figure(seed.limits.risk)
        assert list(figure.data[0].y) == ["planned", "P50", "P80", "P95"]

    def test_no_schedule_fits_hides_both_axes(self, seed):
        figure = schedule_figures(seed.plan)[0]
        assert figure.layout.xaxis.visible is False and figure.layout.yaxis.visible is False


# --------------------------------------------------------------------------- colour per level


class TestLevelColours:
    def test_three_distinct_colours(self):
        assert set(LEVEL_COLOURS) == set(LEVELS)
        assert len(set(LEVEL_COLOURS.values())) == len(LEVELS)
        assert figures.LEVEL_COLOURS is LEVEL_COLOURS

    def test_risk_mix_one_trace_per_level_in_its_colour(self, seed):
        audit = seed.limits.audit
        figure = risk_mix_figure(audit)
        assert [t.name for t in figure.data] == [*LEVELS, "not computable"]
        for level_trace in figure.data:
            assert level_trace.marker.color == COLOURS[level_trace.name]
        counts = {t.name: sum(t.x) for t in figure.data}
        # Levels that rest on unknown facts are a category apart, never counted as HIGH.
        assert counts == audit.computed_counts()
        assert counts == {"LOW": 24, "MEDIUM": 3, "HIGH": 1, "not computable": 15}

    def test_risk_mix_counts_per_issue(self, seed):
        audit = seed.limits.audit
        figure = risk_mix_figure(audit)
        for level_trace in figure.data:
            for label, count in zip(level_trace.y, level_trace.x, strict=True):
                tasks = audit.catalog.tasks_of(int(label.removeprefix("#")))
                expected = sum(category(audit, t.id) == level_trace.name for t in tasks)
                assert count == expected, (label, level_trace.name)

    def test_risk_by_activity_counts_per_activity_in_their_colour(self, seed):
        audit = seed.limits.audit
        figure = risk_by_activity_figure(audit)
        assert [t.name for t in figure.data] == [*LEVELS, "not computable"]
        # The rubric's order, then activities it does not know (unknown) last.
        rows = list(figure.data[0].y)
        assert rows == [
            "design",
            "document",
            "template",
            "configure",
            "implement",
            "deploy",
            "experiment",
            "unknown",
        ]
        for level_trace in figure.data:
            assert level_trace.marker.color == COLOURS[level_trace.name]
            for activity, count in zip(level_trace.y, level_trace.x, strict=True):
                tasks = [t for t in audit.catalog.tasks if t.activity == activity]
                expected = sum(category(audit, t.id) == level_trace.name for t in tasks)
                assert count == expected, (activity, level_trace.name)
        assert {t.name: sum(t.x) for t in figure.data} == audit.computed_counts()

    def test_dependency_nodes_in_their_level_colour(self, seed):
        facts, scores = seed.limits.graph, seed.limits.audit.scores
        figure = dependency_figure(facts)
        assert [t.name for t in level_traces(figure)] == list(LEVELS)
        drawn = []
        for level_trace in level_traces(figure):
            assert level_trace.marker.color == LEVEL_COLOURS[level_trace.name]
            for node in level_trace.customdata:
                assert scores[node].level == level_trace.name, node
                drawn.append(node)
        connected = [n for n in facts.graph if facts.graph.degree(n)]
        assert sorted(drawn) == sorted(connected)

    def test_dependency_all_tasks_draws_every_task(self, seed):
        figure = dependency_figure(seed.limits.graph, connected_only=False)
        drawn = [n for t in level_traces(figure) for n in t.customdata]
        assert sorted(drawn) == sorted(t.id for t in seed.limits.catalog.tasks)
        assert "not drawn" not in figure.layout.title.text

    def test_gantt_bars_in_their_tasks_level_colour(self, seed):
        rows = rows_of(seed.limits)
        scores = seed.limits.audit.scores
        figure = gantt_figure(rows)
        bars = 0
        for level_trace in figure.data[1:]:  # the first names the rows in order
            assert level_trace.name in LEVELS
            assert level_trace.marker.color == LEVEL_COLOURS[level_trace.name]
            for start in level_trace.base:
                tasks = rows.loc[rows["start"] == start, "task"]
                assert len(tasks) and all(scores[t].level == level_trace.name for t in tasks)
                bars += 1
        assert bars == rows["job"].nunique()

    def test_a_plan_item_with_a_high_task_is_not_drawn_low(self, rubric, graph_rules):
        catalog = parse_catalog(tiny_data(), vocabulary=rubric.vocabulary)
        scenario = parse_scenario(
            {
                "name": "mixed",
                "appetite": "HIGH",
                "budget_hours": 10,
                "phases": [{"name": "P1", "hours": 10}],
                "plan": [
                    {"item": "both", "phase": "P1", "activity": "design", "tasks": ["T1", "T3"]}
                ],
            }
        )
        assessment = assess(catalog, scenario, rubric, graph_rules)
        levels = {assessment.audit.scores[t].level for t in ("T1", "T3")}
        assert levels == {"LOW", "HIGH"}
        figure = gantt_figure(rows_of(assessment))
        bars = [(t.name, t.marker.color) for t in figure.data if t.type == "bar"]
        assert bars == [("HIGH", LEVEL_COLOURS["HIGH"])]

    def test_frontier_colour_scale_runs_through_the_level_colours(self, seed):
        figure = frontier_figure(seed.sweep, seed.references)
        scale = [
            (0.0, LEVEL_COLOURS["LOW"]),
            (0.5, LEVEL_COLOURS["MEDIUM"]),
            (1.0, LEVEL_COLOURS["HIGH"]),
        ]
        for scatter in figure.data:
            assert [tuple(step) for step in scatter.marker.colorscale] == scale, scatter.name


# --------------------------------------------------------------------------- hover reasons


class TestHoverReasons:
    def test_risk_by_activity_hover_lists_the_tasks(self, seed):
        audit = seed.limits.audit
        unknown = trace(risk_by_activity_figure(audit), "not computable")
        hover = unknown.hovertext[list(unknown.y).index("deploy")]
        assert hover == "none"
        hover = unknown.hovertext[list(unknown.y).index("implement")].split("<br>")
        assert "381-T10: Helm Charts実装 (MEDIUM–HIGH)" in hover
        assert len(hover) == 6

    def test_risk_mix_rows_are_named_with_the_issue_title(self, seed):
        catalog = seed.limits.catalog
        axis = risk_mix_figure(seed.limits.audit).layout.yaxis
        names = dict(zip(axis.tickvals, axis.ticktext, strict=True))
        for number, issue in catalog.issue_by_number.items():
            shown = f"#{number} " + html.escape(issue.title, quote=False)
            assert one_line(names[f"#{number}"]) == shown

    def test_dependency_hover_gives_facts_and_exclusion(self, seed):
        figure = dependency_figure(seed.limits.graph)
        high = trace(figure, "HIGH")
        index = list(high.customdata).index("347-zero-trust-network")
        hover = high.hovertext[index]
        assert "Zero Trust Network (本番ネットワーク変更)" in hover
        assert "in production" in hover and "<i>excluded</i>" in hover
        assert high.marker.symbol[index] == "x"

    def test_dependency_hover_names_the_blocking_chain(self, rubric, graph_rules):
        catalog = parse_catalog(tiny_data(), vocabulary=rubric.vocabulary)
        scenario = parse_scenario({"appetite": "MEDIUM", "exclude": ["T1"]})
        facts = assess(catalog, scenario, rubric, graph_rules).graph
        medium = trace(dependency_figure(facts), "MEDIUM")
        assert list(medium.customdata) == list(medium.text) == ["T2"]
        assert "blocked: T1 → T2" in medium.hovertext[0]
        assert list(medium.marker.symbol) == ["circle-open"]

    @pytest.mark.parametrize("task", ["384-T16", "347-service-mesh", "347-zero-trust-network"])
    def test_dependency_hover_gives_the_main_reason(self, seed, task):
        score = seed.limits.audit.scores[task]
        level_trace = trace(dependency_figure(seed.limits.graph), score.level)
        hover = level_trace.hovertext[list(level_trace.customdata).index(task)]
        assert one_line(html.escape(score.main_reason, quote=False)) in one_line(hover)

    def test_declared_against_computed_has_a_not_computable_column(self, seed):
        audit = seed.limits.audit
        heatmap = declared_vs_computed_figure(audit).data[0]
        assert list(heatmap.x) == [*LEVELS, "not computable"]
        by_cell = {
            (declared, computed): heatmap.z[i][j]
            for i, declared in enumerate(heatmap.y)
            for j, computed in enumerate(heatmap.x)
        }
        # The eight MEDIUM changes in no stated environment are not counted as HIGH.
        assert by_cell[("MEDIUM", "HIGH")] == 0
        assert by_cell[("MEDIUM", "not computable")] == 11
        assert by_cell[("HIGH", "not computable")] == 4
        assert "384-T05 (MEDIUM–HIGH)" in heatmap.hovertext[1][3]

    def test_risk_mix_hover_lists_the_tasks(self, seed):
        high = trace(risk_mix_figure(seed.limits.audit), "HIGH")
        hover = high.hovertext[list(high.y).index("#347")]
        assert hover == "none"  # #347's only HIGH at worst is not computable
        unknown = trace(risk_mix_figure(seed.limits.audit), "not computable")
        hover = unknown.hovertext[list(unknown.y).index("#347")]
        assert (
            "347-zero-trust-network: Zero Trust Network (本番ネットワーク変更) (LOW–HIGH)"
            in hover.split("<br>")
        )
        assert "347-helm-charts" not in hover  # LOW

    def test_gantt_hover_lists_every_task_a_piece_covers(self, seed):
        figure = gantt_figure(rows_of(seed.limits))
        low = trace(figure, "LOW")
        (hover,) = [h for h in low.hovertext if h.startswith("<b>Disaster Recovery Planning")]
        assert "384-T17 LOW, 381-T11 LOW, 348-disaster-recovery-plan LOW" in hover


# --------------------------------------------------------------------------- escaping


class TestEscaping:
    @pytest.mark.parametrize("name", BUILDERS)
    def test_catalog_text_is_escaped_in_the_figure(self, evil, name):
        shown = texts(BUILDERS[name](evil))
        assert not [s for s in shown if "<script>alert(1)" in s]
        assert not [s for s in shown if ISSUE_TITLE in s]
        assert not [s for s in shown if "&amp;lt;" in s]  # escaped once, not twice
        if name in SHOWS_EVIL:
            assert [s for s in shown if EVIL_SHOWN in s]

    @pytest.mark.parametrize("name", BUILDERS)
    def test_catalog_text_is_escaped_in_the_html(self, evil, name):
        page = unescape_json(report_html(BUILDERS[name](evil)))
        assert "<script>alert(1)" not in page
        if name in SHOWS_EVIL:
            assert EVIL_SHOWN in page

    def test_issue_title_is_escaped(self, evil):
        shown = texts(risk_mix_figure(evil.limits.audit))
        assert [s for s in shown if ISSUE_SHOWN in one_line(s)]

    def test_report_html_is_a_fragment_without_plotly_js(self, seed):
        page = report_html(risk_mix_figure(seed.limits.audit))
        assert "<html" not in page and "cdn.plot.ly" not in page
        assert '"displaylogo": false' in page or '"displaylogo":false' in page


# --------------------------------------------------------------------------- charts as data


def _newplot_arguments(page: str) -> tuple[list[str], list[Any]]:
    """The elements' sizes (but 100 % by 100 %; plotly 6.0 sizes the inner element, later
    ones the outer) and the arguments given to ``Plotly.newPlot`` in a fragment."""
    sizes = [s for s in re.findall(r'style="([^"]*)"', page) if s != "height:100%; width:100%;"]
    start = page.index("Plotly.newPlot(") + len("Plotly.newPlot(")
    decoder, values, at = json.JSONDecoder(), [], start
    for _ in range(4):  # id, data, layout, config
        at = len(page) - len(page[at:].lstrip(" ,\n"))
        value, at = decoder.raw_decode(page, at)
        values.append(value)
    return sizes, values[1:]


class TestCharts:
    def test_the_underscored_names_are_plotlys(self):
        """Every property name with an underscore in plotly's schema (the others are paths):
        its validators: one JSON file in plotly 7, a module per property in plotly 6.0."""
        validators = Path(go.__file__).parent.parent / "validators"
        if (validators / "_validators.json").exists():
            schema = json.loads((validators / "_validators.json").read_text(encoding="utf-8"))
            names = {part for path in schema for part in path.split(".")}
        else:
            names = {p.stem[1:] for p in validators.rglob("_*.py") if p.stem != "__init__"}
        assert len(names) > 500  # the schema was read (785 names in plotly 7.1, 865 in 6.0)
        assert {name for name in names if "_" in name} == chart_style.UNDERSCORED

    def test_underscores_are_paths_as_plotly_reads_them(self):
        chart = chart_style.new_figure(
            {"type": "bar", "x": [1], "y": [2], "error_y_array": [0.5], "marker_color": "red"},
            plot_bgcolor="white",
            xaxis_title_text="x",
        )
        assert chart["data"][0]["error_y"] == {"array": [0.5]}
        assert chart["layout"]["plot_bgcolor"] == "white"
        assert chart["layout"]["xaxis"]["title"] == {"text": "x"}
        as_plotly_reads_it(chart)

    def test_a_vertical_line_as_plotly_draws_it(self):
        plotlys = go.Figure(go.Bar(x=[1], y=["a"], orientation="h"))
        plotlys.add_vline(x=4, line_dash="dash", annotation_text="budget")
        ours = chart_style.new_figure().add_vline(x=4, line_dash="dash", annotation_text="budget")
        layout = json.loads(plotlys.to_json())["layout"]
        assert ours["layout"]["shapes"] == layout["shapes"]
        assert ours["layout"]["annotations"] == layout["annotations"]

    def test_the_heatmap_scale_is_plotlys_blues(self):
        from plotly.colors import sequential

        assert list(chart_style.BLUES) == sequential.Blues

    def test_a_fragment_as_plotly_writes_it(self, seed):
        """Same element size, data, layout and options as plotly.io.to_html gives."""
        for chart in (
            figures.risk_mix_figure(seed.limits.audit),  # a height of its own
            chart_style.new_figure({"type": "bar", "x": [1], "y": [float("nan")], "name": "</"}),
        ):
            ours = chart_style.report_html(chart)
            plotlys = pio.to_html(
                chart,
                validate=False,
                include_plotlyjs=False,
                full_html=False,
                config=chart_style.REPORT_CONFIG,
            )
            assert _newplot_arguments(ours) == _newplot_arguments(plotlys)
            assert "</" not in ours.split("<script>", 1)[1].replace("</script></div>", "")

    def test_a_chart_shows_itself_as_plotly_figures_do(self, seed, monkeypatch):
        shown = []
        monkeypatch.setattr(pio, "show", lambda figure, **options: shown.append((figure, options)))
        monkeypatch.setattr(pio.renderers, "render_on_display", True)
        monkeypatch.setattr(pio.renderers, "default", "json")
        chart = figures.comparison_figure([seed.limits, seed.plan])
        chart._ipython_display_()
        assert shown == [(chart, {"validate": False})]
        assert chart.to_html(include_plotlyjs=False).count("plotly-graph-div") == 1

    def test_the_report_renderer_shows_charts_and_plotlys_figures_as_fragments(self, seed):
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        published: list[dict] = []
        try:
            shell.display_pub.publish = lambda data, *args, **kwargs: published.append(data)
            chart_style.use_report_renderer()
            chart = figures.risk_mix_figure(seed.limits.audit)
            for shown in (chart, go.Figure(chart)):
                published.clear()
                assert shell.display_formatter.format(shown) == ({}, {})  # shown by the printer
                (data,) = published
                assert list(data) == ["text/plain", "text/html"], type(shown)
                assert (
                    _newplot_arguments(data["text/html"])[1][1]["height"]
                    == chart["layout"]["height"]
                )
        finally:
            InteractiveShell.clear_instance()


# --------------------------------------------------------------------------- readable text


def drawn_strings(figure: go.Figure) -> list[str]:
    """The text a figure draws on the page (not its hovers): titles, names, labels, ticks."""
    layout = figure.layout
    out = [layout.title.text or "", *(a.text or "" for a in layout.annotations)]
    for axis in (layout.xaxis, layout.yaxis):
        out += [axis.title.text or "", *(axis.ticktext or ())]
    for data in figure.data:
        out.append(data.name or "")
        text = data.text if isinstance(data.text, tuple | list) else [data.text or ""]
        out += [str(t) for t in text]
        if data.type == "bar" and data.y is not None:
            out += [str(y) for y in data.y]
    return out


class TestReadable:
    """Text is drawn at 10 px or more, wrapped rather than cut, and placed where it fits."""

    @pytest.mark.parametrize("name", BUILDERS)
    def test_bar_text_that_would_be_under_ten_pixels_is_hidden(self, seed, name):
        uniform = BUILDERS[name](seed).layout.uniformtext
        assert (uniform.minsize, uniform.mode) == (chart_style.MIN_TEXT_PX, "hide")

    @pytest.mark.parametrize("name", BUILDERS)
    def test_no_text_is_drawn_under_ten_pixels(self, seed, name):
        for data in BUILDERS[name](seed).data:
            size = getattr(getattr(data, "textfont", None), "size", None)
            assert size is None or size >= chart_style.MIN_TEXT_PX, (name, data.name)

    @pytest.mark.parametrize("name", BUILDERS)
    def test_nothing_is_cut_short_with_an_ellipsis(self, evil, seed, name):
        for inputs in (seed, evil):
            drawn = drawn_strings(BUILDERS[name](inputs))
            assert not [t for t in drawn if t.rstrip().endswith(("…", "..."))], name

    def test_a_long_title_wraps_into_lines_that_fit_and_the_margin_grows(self):
        words = [f"word{i}" for i in range(60)]
        layout = chart_style.titled(" ".join(words))
        parts = layout["title"]["text"].split("<br>")
        assert len(parts) > 2 and " ".join(parts).split() == words
        assert all(chart_style.text_width(part, 17) <= 880 for part in parts)
        assert layout["margin"]["t"] > 100
        assert chart_style.titled("Short")["margin"]["t"] == 100

    def test_lines_keep_every_word_whole(self):
        text = "a-very-long-word-that-is-wider-than-the-line and short words after"
        assert chart_style.lines(text, 60)[0] == "a-very-long-word-that-is-wider-than-the-line"
        assert " ".join(chart_style.lines(text, 60)).split() == text.split()

    def test_wide_characters_count_as_wide(self):
        assert chart_style.text_width("設計", 10) == 20.0
        assert chart_style.text_width("ab", 10) == pytest.approx(12.4)
        assert chart_style.text_width("a &amp; <b>b</b>", 10) == chart_style.text_width("a & b", 10)


class TestGanttNames:
    def test_each_piece_has_a_row_named_after_it_in_the_order_work_starts(self, seed):
        rows = rows_of(seed.limits)
        figure = gantt_figure(rows)
        order = figure.data[0]  # names every row once, in order, and draws nothing
        assert order.type == "scatter" and order.showlegend is False
        groups, names = order.y
        pieces = rows.drop_duplicates("job")
        assert len(names) == len(pieces)
        assert sorted(one_line(n) for n in names) == sorted(
            html.escape(label, quote=False) for label in pieces["label"]
        )
        starts = dict(zip(pieces["label"], pieces["start"], strict=True))
        for group in dict.fromkeys(groups):
            times = [
                starts[html.unescape(one_line(n))]
                for g, n in zip(groups, names, strict=True)
                if g == group
            ]
            assert times == sorted(times), group
        for bars in figure.data[1:]:
            assert bars.text is None  # the name is on the axis, beside its bar
            assert list(bars.y[1]) == [names[list(names).index(n)] for n in bars.y[1]]

    def test_beyond_the_row_limit_names_go_on_the_bars_where_they_fit(self, seed):
        rows = rows_of(seed.limits)
        figure = gantt_figure(rows, max_rows=5)
        assert all(t.type == "bar" for t in figure.data)
        for bars in figure.data:
            assert bars.textposition == "inside" and bars.textangle == 0
            assert all(" · lane " in row for row in bars.y)
        shown = [t for bars in figure.data for t in bars.text]
        assert "Disaster Recovery Planning (文書化)" in shown

    def test_a_long_name_wraps_on_the_axis(self, seed):
        rows = rows_of(seed.limits).copy()
        long = "Migrate every cluster to the new network in one careful weekend of work"
        rows.loc[rows["job"] == rows["job"].iloc[0], "label"] = long
        names = gantt_figure(rows).data[0].y[1]
        wrapped = [n for n in names if "<br>" in n]
        assert len(wrapped) == 1 and one_line(wrapped[0]) == long


class TestDependencyNames:
    def test_names_never_share_space_and_stay_inside(self):
        from analysis.report.dependency_chart import LABEL_PX, place_labels

        # One column of markers 8 px apart: a name (about 14 px high) fits every other row or so.
        points = {f"n{i}": (20.0, 10.0 + 8 * i) for i in range(40)}
        names = {node: f"task-{node}" for node in points}
        sides = place_labels(points, names, list(points), (320, 340))
        assert 0 < len(sides) < len(points) and set(sides.values()) == {"middle right"}
        named = sorted(points[node][1] for node in sides)
        assert min(b - a for a, b in itertools.pairwise(named)) >= 1.3 * LABEL_PX
        assert all(y - 1.3 * LABEL_PX / 2 >= 0 and y + 1.3 * LABEL_PX / 2 <= 340 for y in named)
        assert sides == place_labels(points, names, list(points), (320, 340))
        # No room on the right (the plot's edge): the left, if there is room there.
        assert place_labels({"a": (300, 50)}, {"a": "A name"}, ["a"], (320, 100)) == {
            "a": "middle left"
        }
        far = place_labels(
            {"a": (10, 50), "b": (300, 50)},
            {"a": "A", "b": "B"},
            ["a", "b"],
            (400, 100),
            left_side=frozenset({"b"}),
        )
        assert far == {"a": "middle right", "b": "middle left"}

    def test_the_last_wave_is_named_on_its_left_and_every_name_fits(self, seed):
        figure = dependency_figure(seed.limits.graph)
        last = set(seed.limits.graph.generations[-1])
        for level_trace in level_traces(figure):
            for node, text, side in zip(
                level_trace.customdata, level_trace.text, level_trace.textposition, strict=True
            ):
                assert text == node  # the seed's names all fit
                assert side == ("middle left" if node in last else "middle right"), node
        assert "hover only" not in figure.layout.title.text
        assert all(t.textfont.size >= chart_style.MIN_TEXT_PX for t in level_traces(figure))


# --------------------------------------------------------------------------- template


class TestTemplate:
    """The house look is the figure's own; plotly's global default template is left alone."""

    def test_the_default_template_is_left_alone(self, seed, monkeypatch):
        monkeypatch.setattr(pio.templates, "default", "seaborn")
        assert go.Figure().layout.template.layout.plot_bgcolor != "white"  # seaborn's grey
        built = {name: build(seed) for name, build in BUILDERS.items()}
        assert pio.templates.default == "seaborn"
        for name, figure in built.items():
            assert_house_look(figure, name)

    def test_the_default_is_unchanged_when_the_figure_fails(self, monkeypatch):
        monkeypatch.setattr(pio.templates, "default", "seaborn")
        with pytest.raises(ValueError, match="bogus"):
            chart_style.new_figure(bogus=1).figure()
        assert pio.templates.default == "seaborn"


# --------------------------------------------------------------------------- edge inputs


class TestScheduleEdges:
    def test_schedule_figures_of_a_schedule(self, seed):
        limits = seed.limits
        out = schedule_figures(limits)
        expected = [
            gantt_figure(rows_of(limits), "Plan of seed-limits by phase and lane"),
            finish_risk_figure(limits.risk, limits.scenario.budget_hours),
            phase_overflow_figure(limits.risk),
        ]
        assert [f.to_json() for f in out] == [f.to_json() for f in expected]

    def test_finish_risk_draws_the_budget(self, seed):
        risk = seed.limits.risk
        with_budget = finish_risk_figure(risk, 4)
        assert [s.x0 for s in with_budget.layout.shapes] == [4]
        assert [a.text for a in with_budget.layout.annotations] == ["budget"]
        assert "within budget" in with_budget.layout.title.text
        assert not finish_risk_figure(risk).layout.shapes

    def test_no_schedule_fits_says_why(self, seed):
        timeline = seed.plan.timeline
        (figure,) = schedule_figures(seed.plan)
        assert figure.layout.title.text == "No schedule fits"
        assert not figure.data
        notes = [one_line(a.text) for a in figure.layout.annotations]
        assert notes == [one_line(html.escape(e, quote=False)) for e in timeline.explanations]
        assert any("more than the 4 h available" in n for n in notes)

    def test_nothing_scheduled_is_said_in_the_title(self, rubric, graph_rules):
        catalog = parse_catalog(tiny_data(), vocabulary=rubric.vocabulary)
        scenario = parse_scenario(
            {"name": "nothing", "appetite": "MEDIUM", "task_cap": 0, "lanes": 2}
        )
        assessment = assess(catalog, scenario, rubric, graph_rules)
        assert assessment.timeline.ok and not assessment.timeline.slots
        gantt = schedule_figures(assessment)[0]
        assert gantt.layout.title.text == "Plan of nothing by phase and lane: nothing scheduled"
        assert not gantt.data

    def test_empty_gantt_rows(self, seed):
        empty = rows_of(seed.limits).iloc[0:0]
        figure = gantt_figure(empty, "My plan")
        assert figure.layout.title.text == "My plan: nothing scheduled" and not figure.data

    def test_no_timeline_no_figures(self, rubric, graph_rules):
        catalog = parse_catalog(tiny_data(), vocabulary=rubric.vocabulary)
        assessment = assess(catalog, parse_scenario({"appetite": "MEDIUM"}), rubric, graph_rules)
        assert assessment.timeline is None
        assert schedule_figures(assessment) == []


class TestFrontier:
    def test_every_plan_and_only_plans(self, seed):
        every = trace(frontier_figure(seed.sweep), "every combination")
        plans = seed.sweep.loc[PLAN_ROWS]
        assert list(every.x) == list(plans["finish_hours"])
        assert list(every.y) == list(plans["value"])
        assert list(every.marker.color) == list(plans["risk_score"])

    def test_the_frontier_is_exactly_the_pareto_optimal_points(self, seed):
        figure = frontier_figure(seed.sweep)
        (frontier,) = [t for t in figure.data if t.name.startswith("frontier")]
        points = list(zip(frontier.x, frontier.y, frontier.marker.color, strict=True))
        assert points == PARETO
        tied = frontier.hovertext[PARETO.index((2.0, 10, 5))]
        assert (
            tied.startswith("#0 lanes=1 appetite=MEDIUM") and "reached by 2 combination(s)" in tied
        )

    def test_colour_range_from_plans_and_references(self, seed):
        alone = frontier_figure(seed.sweep).data[0].marker
        assert (alone.cmin, alone.cmax) == (3, 9)  # the infeasible row's risk 0 is no plan
        compared = frontier_figure(seed.sweep, reference_table("r")).data[0].marker
        assert (compared.cmin, compared.cmax) == (3, 9)
        low = reference_table("r").assign(risk_score=1)
        assert frontier_figure(seed.sweep, low).data[0].marker.cmin == 1

    def test_a_reference_without_a_schedule_is_placed_at_its_hours(self, seed):
        star = trace(frontier_figure(seed.sweep, seed.references), "seed-plan")
        assert (list(star.x), list(star.y)) == ([4.5], [11])
        assert list(star.text) == ["seed-plan (no schedule fits)"]
        assert star.marker.symbol == "star"
        assert "3 violation(s)" in star.hovertext[0] and "no schedule fits" in star.hovertext[0]

    def test_a_sweep_without_plans(self, seed):
        table = sweep_table([("infeasible", 5, 1.0, 1), ("error", math.nan, math.nan, math.nan)])
        figure = frontier_figure(table, title="Nothing runs")
        assert figure.layout.title.text == "Nothing runs"
        assert [t.name for t in figure.data] == ["every combination"]
        assert len(figure.data[0].x) == 0


# --------------------------------------------------------------------------- across processes

_HASHES = """
import hashlib, json
from analysis.plan.scenarios import assess_files
from analysis.inputs.bundle import read_inputs
from analysis.inputs.scenario import default_scenarios
from analysis.report import figures as f
seed = read_inputs()
limits, plan = assess_files(None, default_scenarios(seed.catalog, seed.catalog_path))
built = {
    "risk_mix": f.risk_mix_figure(limits.audit),
    "risk_by_activity": f.risk_by_activity_figure(limits.audit),
    "declared_vs_computed": f.declared_vs_computed_figure(limits.audit),
    "dependency": f.dependency_figure(limits.graph),
    "dependency_all_tasks": f.dependency_figure(limits.graph, connected_only=False),
    "outcome_coverage": f.outcome_coverage_figure(limits.outcomes),
    "comparison": f.comparison_figure([limits, plan]),
    "schedule": f.schedule_figures(limits)[0],
    "no_fit": f.schedule_figures(plan)[0],
}
print(json.dumps({k: hashlib.sha256(json.dumps(v).encode()).hexdigest() for k, v in built.items()}))
"""


@pytest.fixture(scope="module")
def hashes_by_seed() -> list[dict[str, str]]:
    """Each seed figure's hash, built in two processes with different string hashing."""
    out = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", _HASHES],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        out.append(json.loads(done.stdout))
    return out


class TestAcrossProcesses:
    def test_figures_do_not_depend_on_string_hashing(self, hashes_by_seed):
        first, second = hashes_by_seed
        stable = [k for k in first if not k.startswith("dependency")]
        assert {k: first[k] for k in stable} == {k: second[k] for k in stable}

    def test_dependency_figure_does_not_depend_on_string_hashing(self, hashes_by_seed):
        first, second = hashes_by_seed
        assert first["dependency"] == second["dependency"]
        assert first["dependency_all_tasks"] == second["dependency_all_tasks"]
