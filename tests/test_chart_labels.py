"""Chart text people can read, checked where people read it: the rendered report in Chromium.

Every SVG ``text`` of every chart (titles, axis and tick labels, legends,
labels on bars and points) must lie inside its chart (a label on the data:
inside the plot area), overlap no other visible text of the chart, be drawn
at 10 px or more (after any scaling plotly applies to make it fit), and not
end in an ellipsis unless the catalog's own text does. The seed's report and
a 1,000-task synthetic report are rendered into ``tmp_path`` and read at the
width the report is laid out for (a 1,280-pixel window); the checker itself is
first shown to catch each fault on a page built to have them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from analysis.report.chart_style import MIN_TEXT_PX, REPORT_WINDOW
from analysis.report.render import render_report
from tests.conftest import SCENARIOS_DIR, SEED_CATALOG
from tests.test_report_scale import _synthetic
from tests.test_reporting import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip, figure_count

#: How far (px) a box may reach past its area, or into another, before it counts.
EPSILON = 1.0

ELLIPSES = ("…", "...")

#: Every SVG text of every chart on the page, as the browser lays it out.
COLLECT = r"""
() => {
  const out = [];
  const box = (r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const shown = (node) => {
    if (!node.checkVisibility({opacityProperty: true, visibilityProperty: true})) return false;
    for (let n = node; n && n.nodeName !== 'svg'; n = n.parentNode) {
      const style = getComputedStyle(n);
      if (style.display === 'none' || parseFloat(style.fillOpacity) === 0) return false;
    }
    return true;
  };
  document.querySelectorAll('.js-plotly-plot').forEach((plot, chart) => {
    const svgs = plot.querySelectorAll('svg.main-svg');
    if (!svgs.length) return;
    const paper = box(svgs[0].getBoundingClientRect());
    const title = plot.layout && plot.layout.title;
    const name = (title && (title.text || title)) || `chart ${chart + 1}`;
    svgs.forEach((svg) => svg.querySelectorAll('text').forEach((text) => {
      const content = text.textContent;
      const rect = text.getBoundingClientRect();
      const matrix = text.getScreenCTM();
      const scale = matrix ? Math.hypot(matrix.c, matrix.d) : 1;
      // A label on the data belongs in its subplot's plot area; anything else on the paper.
      let area = paper;
      let where = 'paper';
      const subplot = text.closest('.cartesianlayer > .subplot');
      if (subplot && text.closest('.overplot, .plot')) {
        const id = [...subplot.classList].find((c) => c !== 'subplot');
        const drag = plot.querySelector(`.draglayer .${id} .nsewdrag`);
        if (drag) { area = box(drag.getBoundingClientRect()); where = 'plot area'; }
      }
      out.push({
        chart, name: String(name).replace(/<br>/g, ' '), text: content,
        visible: content.trim() !== '' && rect.width > 0 && rect.height > 0 && shown(text),
        px: parseFloat(getComputedStyle(text).fontSize) * scale,
        box: box(rect), area, where,
      });
    }));
  });
  return out;
}
"""


@dataclass(frozen=True)
class Label:
    """One SVG text of a chart as Chromium drew it (boxes in CSS pixels)."""

    chart: int
    name: str
    text: str
    visible: bool
    px: float
    box: dict[str, float]
    area: dict[str, float]
    where: str

    def __str__(self) -> str:
        return f"chart {self.chart + 1} ({self.name[:60]}): {self.text[:60]!r}"


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    wide = min(a["right"], b["right"]) - max(a["left"], b["left"])
    high = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return wide > EPSILON and high > EPSILON


def _outside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] < outer["left"] - EPSILON
        or inner["top"] < outer["top"] - EPSILON
        or inner["right"] > outer["right"] + EPSILON
        or inner["bottom"] > outer["bottom"] + EPSILON
    )


def problems(labels: list[Label], own_text: str = "") -> list[str]:
    """What makes a chart's text hard to read: one line per fault, none when all is well.

    ``own_text`` is the catalog's (and scenarios') text: an ellipsis that ends
    a label is the report's own cut unless that text holds the same ending.
    """
    found = []
    shown = [label for label in labels if label.visible]
    for label in shown:
        if label.px < MIN_TEXT_PX - 0.05:
            found.append(f"{label}: {label.px:.1f} px, under {MIN_TEXT_PX} px")
        if _outside(label.box, label.area):
            found.append(f"{label}: outside its {label.where}")
        ending = label.text.rstrip()
        if ending.endswith(ELLIPSES) and ending[-12:] not in own_text:
            found.append(f"{label}: ends in an ellipsis the catalog does not have")
    by_chart: dict[int, list[Label]] = {}
    for label in shown:
        by_chart.setdefault(label.chart, []).append(label)
    for chart in by_chart.values():
        chart.sort(key=lambda label: label.box["left"])
        for index, label in enumerate(chart):  # a sweep along x: only boxes that reach
            for other in chart[index + 1 :]:
                if other.box["left"] >= label.box["right"] - EPSILON:
                    break
                if _overlap(label.box, other.box):
                    found.append(f"{label} overlaps {other.text[:60]!r}")
    return found


#: The windows (CSS pixels wide) a report is read at: the narrowest charts are laid out for,
#: and a common laptop's.
WIDTHS = (REPORT_WINDOW, 1280)


def read_labels(page_path: Path, widths: tuple[int, ...] = WIDTHS) -> dict[int, list[Label]]:
    """Every chart's text on a page, opened in headless Chromium in a window of each width."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        try:
            for width in widths:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_path.as_uri())
                page.wait_for_function(
                    "document.querySelectorAll('.js-plotly-plot').length > 0 && "
                    "document.querySelectorAll('.plotly-graph-div').length === "
                    "document.querySelectorAll('.js-plotly-plot').length && "
                    "[...document.querySelectorAll('.js-plotly-plot')]"
                    ".every(p => p.querySelector('svg.main-svg'))",
                    timeout=60_000,
                )
                page.evaluate("document.fonts.ready")
                found[width] = [Label(**item) for item in page.evaluate(COLLECT)]
                page.close()
        finally:
            browser.close()
    return found


# --------------------------------------------------------------------------- the checker


def _page(tmp_path: Path, *figures: go.Figure) -> Path:
    """A page of charts the way the report holds them: plotly.js once, each chart a div."""
    divs = "\n".join(
        '<div style="width: 1214px">'
        + f.to_html(include_plotlyjs=False, full_html=False, default_height=450)
        + "</div>"
        for f in figures
    )
    path = tmp_path / "page.html"
    path.write_text(
        f"<html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script></head>"
        f"<body>{divs}</body></html>",
        encoding="utf-8",
    )
    return path


def _clean() -> go.Figure:
    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], text=["one", "two"]))
    figure.update_layout(title="A clean chart", xaxis_title="x", yaxis_title="y")
    return figure


def _squeezed() -> go.Figure:
    """Bar text plotly shrinks to fit its bar (no ``uniformtext`` to hide it instead)."""
    figure = go.Figure(
        go.Bar(
            y=["a", "b"],
            x=[1, 30],
            orientation="h",
            text=["a label far too long", "fits"],
            textposition="inside",
            textangle=0,
        )
    )
    figure.update_layout(title="Squeezed", showlegend=False)
    return figure


def _broken() -> go.Figure:
    """One fault of each kind, each on its own label."""
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 1, 2, 4],
        y=[0, 3, 3, 0],
        mode="markers+text",
        text=["tiny", "first of two", "second of two", "beyond the edge of the plot"],
        textposition=["top right", "middle right", "middle right", "middle right"],
        textfont={"size": [8, 12, 12, 12]},
        cliponaxis=False,
    )
    figure.update_layout(title="Cut short...", xaxis={"range": [-0.5, 4.2]}, showlegend=False)
    figure.add_annotation(x=1.02, y=3, text="first of two, again", showarrow=False)
    return figure


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> dict[str, list[str]]:
    chromium_or_skip()
    folder = tmp_path_factory.mktemp("checker")
    (labels,) = read_labels(_page(folder, _clean(), _broken(), _squeezed()), (1280,)).values()
    charts = [[label for label in labels if label.chart == n] for n in range(3)]
    return {
        "clean": problems(charts[0]),
        "broken": problems(charts[1]),
        "allowed": problems(charts[1], own_text="A title Cut short..."),
        "squeezed": problems(charts[2]),
    }


class TestTheChecker:
    def test_a_clean_chart_passes(self, checked):
        assert checked["clean"] == []

    def test_a_small_label_is_caught(self, checked):
        assert [p for p in checked["broken"] if "'tiny'" in p and "under 10 px" in p]

    def test_a_label_past_the_plot_area_is_caught(self, checked):
        assert [p for p in checked["broken"] if "beyond the edge" in p and "plot area" in p]

    def test_overlapping_labels_are_caught(self, checked):
        assert [p for p in checked["broken"] if "overlaps" in p and "first of two" in p]

    def test_an_ellipsis_of_the_reports_own_is_caught(self, checked):
        assert [p for p in checked["broken"] if "'Cut short...'" in p and "ellipsis" in p]
        assert not [p for p in checked["allowed"] if "ellipsis" in p]

    def test_text_shrunk_to_fit_is_measured_as_drawn(self, checked):
        assert [p for p in checked["squeezed"] if "far too long" in p and "under 10 px" in p]
        assert not [p for p in checked["squeezed"] if "'fits'" in p]


# --------------------------------------------------------------------------- the reports

#: The large catalog: 1,000 tasks in 42 issues; 377 pieces of work in 3 phases × 3 lanes, drawn as
#: 228 bars (back to back, same level). A budget share of 0.1 takes the solver minutes.
LARGE = {"tasks": 1000, "seed": 7, "budget_share": 0.2, "lanes": 3, "phases": 3}


@dataclass(frozen=True)
class Rendered:
    """A rendered report, its charts' text at each width read, and the inputs' own text."""

    html: Path
    labels: dict[int, list[Label]]
    own_text: str


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Rendered]:
    chromium_or_skip()
    out = tmp_path_factory.mktemp("reports")
    synthetic = _synthetic()
    data = synthetic.catalog_data(LARGE["tasks"], seed=LARGE["seed"])
    catalog = synthetic.write_catalog(data, out / "large.yaml")
    scenario = synthetic.write_scenario(
        synthetic.scenario_data(
            data,
            budget_share=LARGE["budget_share"],
            lanes=LARGE["lanes"],
            phases=LARGE["phases"],
        ),
        out / "large-limits.yaml",
    )
    seed_scenarios = [SCENARIOS_DIR / "seed-limits.yaml", SCENARIOS_DIR / "seed-plan.yaml"]
    inputs = {"seed": (SEED_CATALOG, seed_scenarios), "large": (catalog, [scenario])}
    rendered = {}
    for name, (catalog_path, scenarios) in inputs.items():
        report = render_report(
            catalog_path, scenarios, week="2026-W47", out=out, history=out / "history.sqlite"
        )
        own = "\n".join(p.read_text(encoding="utf-8") for p in [catalog_path, *scenarios])
        rendered[name] = Rendered(report.html, read_labels(report.html), own)
    return rendered


@pytest.mark.parametrize("name", ["seed", "large"])
class TestReportCharts:
    @pytest.mark.parametrize("width", WIDTHS)
    def test_every_chart_is_read(self, reports, name, width):
        report = reports[name]
        charts = figure_count(report.html.read_text(encoding="utf-8"))
        assert charts >= 6 and {label.chart for label in report.labels[width]} == set(range(charts))

    @pytest.mark.parametrize("width", WIDTHS)
    def test_every_label_is_readable(self, reports, name, width):
        report = reports[name]
        assert problems(report.labels[width], report.own_text) == []

    def test_the_page_stays_small(self, reports, name):
        assert reports[name].html.stat().st_size < 15_000_000
