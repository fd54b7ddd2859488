"""An executed notebook as an HTML page that opens offline.

nbconvert with a small template that extends ``lab`` and loads nothing from
the network: code hidden, plotly.js inlined once, MathJax tags removed, and
charts numbered in page order instead of plotly's random ids, so the same
inputs give the same bytes.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from analysis.errors import ReportError
from analysis.resources import TEMPLATES

if TYPE_CHECKING:  # nbformat costs about a second to import: only when rendering
    from nbformat import NotebookNode

__all__ = [
    "to_offline_html",
    "prepare_conversion",
]

_PLOTLY_JSON = "application/vnd.plotly.v1+json"
#: Script tags that would fetch MathJax from a CDN (plotly adds one per figure).
_MATHJAX_TAG = re.compile(r"<script[^>]*src=\"[^\"]*mathjax[^\"]*\"[^>]*>\s*</script>", re.I)


def to_offline_html(notebook: NotebookNode) -> str:
    """HTML of an executed notebook that opens offline: no code, no CDN, charts drawn.

    Raises
    ------
    ReportError
        When a chart was saved only as plotly JSON, which the HTML would drop.
    """
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _PLOTLY_JSON in data and "text/html" not in data:
                raise ReportError(
                    f"cell {cell.get('execution_count') or index} has a chart with no HTML "
                    "form; render it with analysis.report.chart_style.use_report_renderer()",
                    cell=cell.get("execution_count"),
                )
    from plotly.offline import get_plotlyjs

    exporter = _exporter()
    charts = any(
        "Plotly.newPlot" in output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    for cell in notebook.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id
    # plotly.js (4.8 MB) goes in last: nbconvert parses and rewrites the whole page
    # with BeautifulSoup, which took most of the conversion when it held the library.
    body, _ = exporter.from_notebook_node(
        notebook, resources={"plotly_js": _PLOTLY_JS_MARK if charts else ""}
    )
    page = _stable_chart_ids(_MATHJAX_TAG.sub("", body))
    return page.replace(_PLOTLY_JS_MARK, get_plotlyjs(), 1) if charts else page


#: Where plotly.js goes in the page, once nbconvert is done with it.
_PLOTLY_JS_MARK = "/* plotly.js, inlined after conversion */"


#: The random id plotly gives each chart's element (a UUID4).
_CHART_ID = re.compile(r'class="plotly-graph-div" id="([0-9a-f-]{36})"')


def _stable_chart_ids(page: str) -> str:
    """Charts numbered in page order instead of random ids: the same inputs, the same bytes."""
    for number, chart in enumerate(dict.fromkeys(_CHART_ID.findall(page)), start=1):
        page = page.replace(chart, f"chart-{number}")
    return page


def prepare_conversion() -> None:
    """Load what :func:`to_offline_html` needs (nbformat, nbconvert, its compiled
    templates, plotly.js) ahead of time, e.g. while a kernel runs the notebook."""
    import nbformat
    from plotly.offline import get_plotlyjs

    cell = nbformat.v4.new_code_cell(
        outputs=[nbformat.v4.new_output("display_data", data={"text/html": "<p>x</p>"})]
    )
    sample = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x"), cell])
    _exporter().from_notebook_node(sample)  # jinja compiles the templates on first use
    get_plotlyjs()


@functools.lru_cache(maxsize=1)
def _exporter():
    """One HTML exporter per process: its templates compile once."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="offline-report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
