"""The house look of every chart, and the renderer that puts charts in a report.

One plain layout (white background, light grid, sans-serif) set as layout
properties rather than a named plotly template (copying and checking a
template costs 12 ms a figure), hover text escaped and wrapped, and
:func:`use_report_renderer` for the weekly report: plotly's HTML form, so
nbconvert keeps the charts (see the offline template).

Text a chart draws is meant to be read: at least :data:`MIN_TEXT_PX` pixels
(bar text that would need less is hidden, ``uniformtext``), titles and long
labels wrapped to lines that fit a chart in a :data:`REPORT_WINDOW`-pixel
window (:func:`titled`, :func:`lines`, with widths estimated by
:func:`text_width`), never cut short with an ellipsis.
"""

from __future__ import annotations

import html
import re
import unicodedata

import plotly.graph_objects as go

__all__ = [
    "NEUTRAL",
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


def report_html(figure: go.Figure) -> str:
    """A chart as an HTML fragment that expects plotly.js on the page (no CDN, no MathJax)."""
    return figure.to_html(include_plotlyjs=False, full_html=False, config=REPORT_CONFIG)


def new_figure(*args, **kwargs) -> go.Figure:
    """A ``go.Figure`` in the house look.

    Not ``template="plotly_white"``: plotly copies and checks a template named
    in a layout on every figure (about 12 ms each, 0.1 s for the first), while
    these few properties cost about 1 ms, or less given to the constructor (an
    update goes through plotly's relayout machinery: 2.8 ms against 0.6 ms).
    """
    if args or "layout" in kwargs:
        figure = go.Figure(*args, **kwargs)
        figure.update_layout(STYLE)
        return figure
    return go.Figure(layout=STYLE, **kwargs)


def use_report_renderer() -> None:
    """Show charts as HTML fragments, for an HTML export (call it only in a report).

    Plotly's own notebook renderer would inline plotly.js into the notebook and
    load Jupyter's schema checks into the kernel (about two seconds); the report
    template carries plotly.js once instead.
    """
    from IPython import get_ipython
    from IPython.display import HTML, display

    shell = get_ipython()
    if shell is None:
        return
    # Plotly figures display themselves (_ipython_display_); this printer goes first.
    shell.display_formatter.ipython_display_formatter.for_type(
        go.Figure, lambda figure: display(HTML(report_html(figure)))
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
