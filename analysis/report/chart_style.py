"""The house look of every chart, charts as plain data, and the renderer of a report.

A chart is a :class:`Chart`: plotly's figure as plain data, what
``go.Figure(...).to_dict()`` would give, built without plotly's validation
(the tests check every chart against plotly instead). One plain layout
(white background, light grid, sans-serif) set as layout properties on
plotly's default template, hover text escaped and wrapped, and
:func:`use_report_renderer` for the weekly report: plotly's HTML form
(:func:`report_html`), so nbconvert keeps the charts (see the offline
template).

Text a chart draws is meant to be read: at least :data:`MIN_TEXT_PX` pixels
(bar text that would need less is hidden, ``uniformtext``), titles and long
labels wrapped to lines that fit a chart in a :data:`REPORT_WINDOW`-pixel
window (:func:`titled`, :func:`lines`, with widths estimated by
:func:`text_width`), never cut short with an ellipsis.
"""

from __future__ import annotations

import functools
import html
import json
import re
import sys
import unicodedata
import uuid
import warnings
from collections.abc import Mapping
from importlib import resources

__all__ = [
    "NEUTRAL",
    "BLUES",
    "MIN_TEXT_PX",
    "REPORT_WINDOW",
    "CHART_WIDTH",
    "TEXT_PX",
    "LINE_PX",
    "LAYOUT",
    "GRID",
    "AXIS",
    "STYLE",
    "REPORT_CONFIG",
    "Chart",
    "UNDERSCORED",
    "report_html",
    "new_figure",
    "use_report_renderer",
    "hover_text",
    "wrap",
    "issue_label",
    "text_width",
    "lines",
    "titled",
]

NEUTRAL = "#90a4ae"

#: Plotly's sequential ``Blues`` (ColorBrewer's), what plotly makes of ``colorscale="Blues"``
#: (plotly.js's own ``Blues`` is another scale).
BLUES = (
    "rgb(247,251,255)",
    "rgb(222,235,247)",
    "rgb(198,219,239)",
    "rgb(158,202,225)",
    "rgb(107,174,214)",
    "rgb(66,146,198)",
    "rgb(33,113,181)",
    "rgb(8,81,156)",
    "rgb(8,48,107)",
)

#: The smallest text a chart draws, in pixels (plotly hides bar text that would need less).
MIN_TEXT_PX = 10

#: The narrowest browser window (CSS pixels wide) charts are laid out for: a chart in the
#: report is then about 960 pixels wide (1,214 in a 1,280-pixel window). Wider is fine;
#: narrower, names placed to fit may crowd.
REPORT_WINDOW = 1024

#: The width (pixels) a chart has in such a window, less a little: what labels are placed for.
CHART_WIDTH = 940

#: Plotly's text size (pixels) for tick labels, legends and labels on bars and points.
TEXT_PX = 12

#: The height (pixels) of a line of :data:`TEXT_PX` text, as Chromium draws it.
LINE_PX = 15

#: Titles: plotly's size (pixels), and the widest line (pixels) before a title wraps.
_TITLE_PX = 17
_TITLE_WIDTH = 880

LAYOUT = {"font": {"family": "sans-serif"}}

GRID = "#EBF0F8"

AXIS = {"gridcolor": GRID, "linecolor": GRID, "zerolinecolor": GRID}

#: The house look, plotly_white's white plot and light grid, as plain layout
#: properties on plotly's default template.
STYLE = {
    "plot_bgcolor": "white",
    "xaxis": AXIS,
    "yaxis": AXIS,
    "uniformtext": {"minsize": MIN_TEXT_PX, "mode": "hide"},
}

REPORT_CONFIG = {"displaylogo": False, "responsive": True}


#: Plotly's default template (``plotly``), as plotly ships it: what ``go.Figure`` puts in
#: every figure's layout, read once as text (7 kB, well under a millisecond to parse).
_TEMPLATE = "package_data/templates/plotly.json"

#: Property names with an underscore in plotly's schema (the others are paths): every one
#: there is (the tests read plotly's schema for more).
UNDERSCORED = frozenset(
    {"copy_ystyle", "copy_zstyle", "error_x", "error_y", "error_z", "paper_bgcolor", "plot_bgcolor"}
)


@functools.cache
def _template_text() -> str:
    return resources.files("plotly").joinpath(_TEMPLATE).read_text(encoding="utf-8")


def _template() -> dict:
    """The template ``go.Figure`` would use now: plotly's default, or the one a session
    set (``plotly.io.templates.default``, which needs ``plotly.io`` imported)."""
    pio = sys.modules.get("plotly.io")
    if pio is None or pio.templates.default == "plotly":
        return json.loads(_template_text())
    name = pio.templates.default
    return {} if not name or name == "none" else pio.templates[name].to_plotly_json()


def _path(key: str) -> list[str]:
    """A property name as plotly's magic underscores read it: ``xaxis_title_text``."""
    parts = key.split("_")
    out: list[str] = []
    for part in parts:
        if out and f"{out[-1]}_{part}" in UNDERSCORED:
            out[-1] = f"{out[-1]}_{part}"
        else:
            out.append(part)
    return out


def _merge(target: dict, updates: dict) -> dict:
    """``updates`` merged into ``target`` as plotly's ``update`` does: nested properties
    merged, anything else (values, lists) replaced; underscores in names are paths."""
    for key, value in updates.items():
        *parents, name = _path(key)
        place = target
        for parent in parents:
            place = place.setdefault(parent, {})
        if isinstance(value, dict):
            _merge(place.setdefault(name, {}), value)
        else:
            place[name] = value
    return target


class Chart(dict):
    """A plotly figure as plain data: ``{"data": [traces], "layout": {...}}``.

    What ``go.Figure(...).to_dict()`` gives for the same properties (plotly's
    default template included), built without plotly's validation: each
    property checked and copied costs milliseconds, and loading the checks
    most of a second in a fresh kernel. The tests check every chart the
    package draws against plotly (:meth:`figure` changes nothing in it).

    It shows itself as plotly figures do (:func:`plotly.io.show`, whichever
    renderer is set), or as an HTML fragment in a report
    (:func:`use_report_renderer`); :meth:`figure` makes it a ``go.Figure``
    to change further with plotly's API. Builder methods (``add_bar``,
    ``update_layout`` ...) take plotly's property names, underscores for
    nested ones (``xaxis_title_text``), and return the chart.
    """

    def __init__(self, layout: dict | None = None) -> None:
        template = _template()
        super().__init__(data=[], layout={"template": template} if template else {})
        _merge(self["layout"], STYLE)
        if layout:
            _merge(self["layout"], layout)

    def add_trace(self, kind: str, **properties: object) -> Chart:
        """A trace of plotly type ``kind`` (``bar``, ``scatter``, ``heatmap`` ...)."""
        self["data"].append(_merge({"type": kind}, properties))
        return self

    def add_bar(self, **properties: object) -> Chart:
        return self.add_trace("bar", **properties)

    def add_scatter(self, **properties: object) -> Chart:
        return self.add_trace("scatter", **properties)

    def add_annotation(self, **properties: object) -> Chart:
        self["layout"].setdefault("annotations", []).append(_merge({}, properties))
        return self

    def add_shape(self, **properties: object) -> Chart:
        self["layout"].setdefault("shapes", []).append(_merge({}, properties))
        return self

    def add_vline(self, x: float, **properties: object) -> Chart:
        """A line across the plot at ``x``, as plotly's ``add_vline`` draws it: ``line_*``
        properties, and ``annotation_text`` at its top right."""
        text = properties.pop("annotation_text", None)
        self.add_shape(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", **properties)
        if text is not None:
            self.add_annotation(
                text=text,
                x=x,
                xref="x",
                y=1,
                yref="y domain",
                showarrow=False,
                xanchor="left",
                yanchor="top",
            )
        return self

    def update_layout(self, properties: dict | None = None, **more: object) -> Chart:
        _merge(self["layout"], {**(properties or {}), **more})
        return self

    def figure(self):  # -> plotly.graph_objects.Figure (not imported until asked for)
        """A ``go.Figure`` of this chart, checked by plotly (``ValueError`` if a property is
        not plotly's)."""
        import plotly.graph_objects as go

        with warnings.catch_warnings():
            # Plotly 6.0's own default template has scattermapbox defaults, which its
            # checks then call deprecated (it loads the template unchecked itself).
            warnings.filterwarnings("ignore", r"\*scattermapbox\*", DeprecationWarning)
            return go.Figure(self)

    def to_html(self, **options: object) -> str:
        """The chart as plotly writes a page of it (:func:`plotly.io.to_html`'s options)."""
        import plotly.io as pio

        return pio.to_html(self, validate=False, **options)

    def _ipython_display_(self) -> None:
        """As a plotly figure shows itself in a notebook (whichever renderer is set)."""
        import plotly.io as pio

        if pio.renderers.render_on_display and pio.renderers.default:
            pio.show(self, validate=False)
        else:
            print(repr(self))


def report_html(chart: Mapping) -> str:
    """A chart as an HTML fragment that expects plotly.js on the page (no CDN, no MathJax).

    The element and script :func:`plotly.io.to_html` writes (``include_plotlyjs=False,
    full_html=False``), written here: plotly's JSON encoder loads narwhals and its
    validators (0.06 s of a report's kernel) for data that is plain already.
    """
    div = str(uuid.uuid4())
    layout = chart.get("layout", {})
    template = layout.get("template", {}).get("layout", {})
    width, height = (layout.get(k, template.get(k, "100%")) for k in ("width", "height"))
    width, height = (f"{v}px" if isinstance(v, int | float) else v for v in (width, height))
    script = (
        f'if (document.getElementById("{div}")) {{'
        f'Plotly.newPlot("{div}", {_script_json(chart.get("data", []))}, '
        f"{_script_json(layout)}, {json.dumps(REPORT_CONFIG)})}};"
    )
    return (
        f'<div style="height:{height}; width:{width};">'
        f'<div id="{div}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
        f"<script>window.PLOTLYENV=window.PLOTLYENV || {{}};{script}</script></div>"
    )


def _script_json(value: object) -> str:
    """Strict JSON (NaN and infinities as null, as plotly writes them), safe in a script
    element: ``<``, ``>`` and ``/`` escaped, as plotly escapes them."""
    text = json.dumps(value, separators=(",", ":"))
    if "NaN" in text or "Infinity" in text:  # as plotly's encoder: also strings, then no change
        text = json.dumps(json.loads(text, parse_constant=lambda _: None), separators=(",", ":"))
    for unsafe, safe in (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f")):
        text = text.replace(unsafe, safe)
    return text


def new_figure(*traces: dict, **layout: object) -> Chart:
    """A :class:`Chart` in the house look, with ``traces`` (plotly dicts, ``type`` in each)
    and ``layout`` properties.

    The house look is :data:`STYLE` on plotly's default template, as plain
    properties: not ``template="plotly_white"``, which plotly would merge into
    every figure.
    """
    chart = Chart(layout)
    chart["data"].extend(_merge({}, trace) for trace in traces)
    return chart


def use_report_renderer() -> None:
    """Show charts as HTML fragments, for an HTML export (call it only in a report).

    Plotly's own notebook renderer would inline plotly.js into the notebook and
    load Jupyter's schema checks into the kernel (about two seconds); the report
    template carries plotly.js once instead. Plotly's own figures (``go.Figure``)
    made in a report's cells are shown the same way.
    """
    from IPython import get_ipython
    from IPython.display import HTML, display

    shell = get_ipython()
    if shell is None:
        return
    # Plotly figures display themselves (_ipython_display_); this printer goes first.
    formatter = shell.display_formatter.ipython_display_formatter
    formatter.for_type(Chart, lambda chart: display(HTML(report_html(chart))))
    formatter.for_type_by_name(
        "plotly.graph_objs._figure",
        "Figure",
        lambda figure: display(HTML(report_html(json.loads(figure.to_json())))),
    )


def hover_text(value: object) -> str:
    """Catalog text made safe for plotly's HTML-like labels."""
    return html.escape(str(value), quote=False)


def wrap(text: str, width: int = 70) -> str:
    """Catalog text escaped, in lines of at most about ``width`` characters."""
    words, parts, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            parts.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    parts.append(line)
    return "<br>".join(hover_text(part) for part in parts)


def text_width(text: str, size: float = TEXT_PX) -> float:
    """About how wide (pixels) one line of plotly text is drawn at ``size`` pixels.

    ``text`` is as plotly gets it (tags and HTML entities count as what they
    show). Wide (East Asian) characters take a full ``size``, others 0.62 of it:
    a little more than sans-serif's average, so a label placed to fit does.

    >>> text_width("Mesh", 10), text_width("設計", 10), text_width("a &amp; <b>b</b>", 10)
    (24.8, 20.0, 31.0)
    """
    shown = html.unescape(re.sub(r"<[^>]*>", "", text))
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in shown)
    return round(size * (wide + 0.62 * (len(shown) - wide)), 2)


def lines(text: str, width: float, size: float = TEXT_PX) -> list[str]:
    """Plotly text (escaped) broken at spaces into lines about ``width`` pixels wide at most.

    A word wider than ``width`` is a line of its own, whole: nothing is cut.

    >>> lines("Cloud-Native Infrastructure Ultra Marathon", 150)
    ['Cloud-Native', 'Infrastructure Ultra', 'Marathon']
    """
    out: list[str] = []
    for given in str(text).split("<br>"):
        line = ""
        for word in given.split():
            longer = f"{line} {word}" if line else word
            if line and text_width(longer, size) > width:
                out.append(line)
                line = word
            else:
                line = longer
        out.append(line)
    return out


def titled(title: str, **layout: object) -> dict:
    """Layout properties: ``title`` (escaped) in lines that fit, room above the plot for them.

    Plotly draws a title's first line at a fixed place in the top margin and
    the others below it; the margin grows with the lines (100 pixels hold two).
    """
    parts = lines(title, _TITLE_WIDTH, _TITLE_PX)
    margin = dict(layout.pop("margin", None) or {})  # type: ignore[call-overload]
    margin.setdefault("t", max(100, 60 + 24 * len(parts)))
    return {"title": {"text": "<br>".join(parts)}, "margin": margin, **LAYOUT, **layout}


def issue_label(number: int) -> str:
    return f"#{number}"
