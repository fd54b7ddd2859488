"""An executed notebook as an HTML page that opens offline.

nbconvert with a small template that extends ``lab`` and loads nothing from
the network: code hidden, plotly.js inlined once, MathJax tags removed, and
charts numbered in page order instead of plotly's random ids, so the same
inputs give the same bytes.

nbconvert's HTML exporter reads the page it renders back with BeautifulSoup and
writes it out again, to give outputs a ``tabindex`` and images an ``alt``; the
exporter here makes those two changes itself, on the page nbconvert renders
before the cells' HTML (tables, charts) is in it: that HTML goes through
nbconvert as a marker each and is put in place afterwards, as the kernel sent
it, as plotly.js is. So the two changes touch only nbconvert's own elements,
and nbconvert copies and checks a notebook without the cells' HTML.
"""

from __future__ import annotations

import contextlib
import functools
import re
import secrets
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
    mark = f"analysis-output-{secrets.token_hex(8)}-"  # text in the notebook cannot guess it
    skeleton, shown = _set_aside(notebook, mark)
    # plotly.js (4.8 MB) and the cells' HTML go in last (the module's docstring says why).
    body, _ = exporter.from_notebook_node(
        skeleton, resources={"plotly_js": _PLOTLY_JS_MARK if charts else ""}
    )
    body = re.sub(f"<!--{mark}(\\d+)-->", lambda found: shown[int(found[1])], body)
    page = _stable_chart_ids(_MATHJAX_TAG.sub("", body))
    return page.replace(_PLOTLY_JS_MARK, get_plotlyjs(), 1) if charts else page


def _set_aside(notebook: NotebookNode, mark: str) -> tuple[NotebookNode, list[str]]:
    """A copy of ``notebook`` whose HTML outputs are markers (``<!--{mark}{n}-->``, n
    from 0), and the HTML they stand for.

    The copy shares all but what it changes with ``notebook``, which is left as it was.
    """
    from nbformat import NotebookNode

    shown: list[str] = []
    cells = []
    for cell in notebook.cells:
        cell = NotebookNode(cell)
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id
        if "outputs" in cell:
            cell["outputs"] = [_marked(NotebookNode(o), mark, shown) for o in cell["outputs"]]
        cells.append(cell)
    return NotebookNode({**notebook, "cells": cells}), shown


def _marked(output: NotebookNode, mark: str, shown: list[str]) -> NotebookNode:
    """``output`` with its HTML (if any) replaced by a marker; the HTML goes to ``shown``."""
    from nbformat import NotebookNode

    data = output.get("data")
    if data is None or "text/html" not in data:
        return output
    html = data["text/html"]
    shown.append(html if isinstance(html, str) else "".join(html))
    output["data"] = NotebookNode({**data, "text/html": f"<!--{mark}{len(shown) - 1}-->"})
    return output


#: Where plotly.js goes in the page, once nbconvert is done with it.
_PLOTLY_JS_MARK = "/* plotly.js, inlined after conversion */"


#: The random id plotly gives each chart's element (a UUID4), as plotly writes the element.
_CHART_ID = re.compile(r'<div id="([0-9a-f-]{36})" class="plotly-graph-div"')


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
    from nbconvert.exporters import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class OfflineExporter(HTMLExporter):
        """nbconvert's HTML exporter, less the pass that reads its page back with BeautifulSoup.

        That pass gives outputs (and code, shown or not) a ``tabindex`` and images
        without one an ``alt``; done here with two patterns on the page it renders
        (the cells' HTML is not in it yet, see :func:`to_offline_html`). The pass
        compiled soupsieve's selectors: a fifth of a second of every report's
        process, spent while its kernel runs the notebook beside it.
        """

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            # HTMLExporter registers these per notebook. Code is not shown (never
            # highlighted), and widgets are not drawn offline (no state: skipped).
            self.register_filter("highlight_code", Highlight2HTML(parent=self))
            self.register_filter(
                "filter_data_type", WidgetsDataTypeFilter(notebook_metadata={}, parent=self)
            )

        def from_notebook_node(self, nb, resources=None, **kw):
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            page = _FOCUSABLE.sub(r'\1 tabindex="0"', page)
            return _NO_ALT.sub(f'<img alt="{_ALT}"', page), resources

    exporter = OfflineExporter(
        template_name="offline-report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        optimistic_validation=True,  # the notebook checked once, not after each preprocessor
    )
    exporter.environment.bytecode_cache = _template_cache()
    return exporter


def _template_cache():
    """Jinja's cache of compiled templates, kept between processes (0.13 s of the first page
    of each), in jinja's folder for this user in the temporary folder (made private, or not
    used); None where there is no such folder. A cache that cannot be read or written is as
    no cache: the templates are compiled again."""
    import jinja2

    class TemplateCache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):  # a full or read-only disk
                super().dump_bytecode(bucket)

    try:
        return TemplateCache()
    except (OSError, RuntimeError):  # jinja cannot make its folder, or not a private one
        return None


#: The start tags HTMLExporter makes focusable: outputs and code (the cells' own HTML is not
#: among them, it comes later).
_FOCUSABLE = re.compile(
    r'(<div class="[^"]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"]*"[^>]*?)(?=>)'
)

#: An image without alternative text (as HTMLExporter words it), e.g. a PNG output's.
_NO_ALT = re.compile(r"<img(?![^>]*\salt=)")
_ALT = "No description has been provided for this image"
