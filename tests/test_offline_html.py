"""The executed notebook as an offline page: the cells' HTML as sent, charts numbered."""

from __future__ import annotations

import copy
import os
import re

import nbformat
import pytest

from analysis.errors import ReportError
from analysis.report.offline_html import _exporter, to_offline_html
from analysis.resources import TEMPLATES

CHART_ID = "0b9d6c1e-58b1-4f6a-9a3e-2f4c8d7e6a51"
#: A chart as plotly's HTML fragment writes it (the element, then the call that draws it).
CHART = (
    f'<div> <div id="{CHART_ID}" class="plotly-graph-div" style="height:100%;"></div>'
    f' <script type="text/javascript">Plotly.newPlot("{CHART_ID}", [], {{}})</script> </div>'
)
#: HTML that BeautifulSoup would write differently (``open=""``, ``<br/>``).
TABLE = '<details class="rt-fold" open>\n<summary>3 rows</summary>a<br>b\n</details>'


def html_output(html: str | list[str]) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={"text/html": html})


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=list(cells))


def code(*outputs: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell("shown()", outputs=list(outputs))


def test_the_cells_html_is_on_the_page_as_the_kernel_sent_it():
    node = notebook(
        nbformat.v4.new_markdown_cell("# Heading"),
        code(html_output(TABLE), html_output(["<p>one ", "line</p>"])),
    )
    page = to_offline_html(node)
    assert page.count(TABLE) == 1
    assert "<p>one line</p>" in page  # an output saved as a list of lines, joined
    assert page.index("Heading") < page.index(TABLE) < page.index("<p>one line</p>")
    assert "analysis-output" not in page  # every marker was replaced
    # Each output is focusable, as nbconvert's HTML exporter makes it.
    assert page.count('data-mime-type="text/html" tabindex="0"') == 2


def test_the_notebook_given_is_left_as_it_was():
    node = notebook(code(html_output(TABLE)), code(html_output(CHART)))
    node.cells[0].metadata["tags"] = ["injected-parameters"]
    before = copy.deepcopy(node)
    to_offline_html(node)
    assert node == before


def test_text_that_looks_like_a_marker_brings_in_no_output():
    """A markdown cell (text from a catalog, say) cannot pull a table into its place."""
    guesses = "".join(f"<!--analysis-output-{n}-->" for n in range(3))
    node = notebook(
        nbformat.v4.new_markdown_cell(f"before {guesses} after"), code(html_output(TABLE))
    )
    page = to_offline_html(node)
    assert page.count(TABLE) == 1
    assert page.index("after") < page.index(TABLE)


def test_charts_are_numbered_in_page_order_and_plotly_js_is_inlined_once():
    node = notebook(code(html_output(CHART)), code(html_output(CHART.replace("0b9d", "1c8e"))))
    page = to_offline_html(node)
    assert CHART_ID not in page
    assert re.findall(r'<div id="(chart-\d+)" class="plotly-graph-div"', page) == [
        "chart-1",
        "chart-2",
    ]
    assert 'Plotly.newPlot("chart-1"' in page and 'Plotly.newPlot("chart-2"' in page
    assert page.count("plotly.js v") == 1  # the library's banner
    assert to_offline_html(node) == page  # the same notebook, the same bytes


def test_a_chart_saved_only_as_plotly_json_is_refused():
    output = nbformat.v4.new_output(
        "display_data", data={"application/vnd.plotly.v1+json": {"data": []}}
    )
    with pytest.raises(ReportError, match="chart with no HTML form"):
        to_offline_html(notebook(code(output)))


#: A one-pixel PNG.
PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
    "hQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_the_page_is_the_one_nbconvert_makes():
    """The exporter leaves out HTMLExporter's BeautifulSoup pass and makes its two changes
    itself (outputs focusable, images with alternative text): read back the same way, the
    page is HTMLExporter's, with the same template. A new nbconvert that changes more shows
    here."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    node = notebook(
        nbformat.v4.new_markdown_cell("# Title\n\nSome *text* and a [link](#Title)."),
        code(
            html_output(TABLE),
            nbformat.v4.new_output("display_data", data={"image/png": PIXEL}),
            nbformat.v4.new_output("stream", name="stdout", text="printed\n"),
            nbformat.v4.new_output("display_data", data={"text/markdown": "**bold**"}),
        ),
    )
    ours, _ = _exporter().from_notebook_node(node)
    theirs, _ = HTMLExporter(
        template_name="offline-report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    ).from_notebook_node(node)

    def read_back(page: str) -> str:
        return str(BeautifulSoup(page, features="html.parser"))

    assert read_back(ours) == read_back(theirs)
    assert 'jp-OutputArea-output " tabindex="0"' in ours
    assert 'alt="No description has been provided for this image"' in ours


@pytest.fixture
def fresh_exporter(tmp_path, monkeypatch):
    """The page's exporter made again, with ``tmp_path / "tmp"`` as the temporary folder."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    _exporter.cache_clear()
    yield tmp_path / "tmp"
    _exporter.cache_clear()


def test_compiled_templates_are_kept_for_the_next_process(fresh_exporter):
    fresh_exporter.mkdir()
    node = notebook(code(html_output(TABLE)))
    page = to_offline_html(node)
    kept = list(fresh_exporter.glob("_jinja2-cache-*/__jinja2_*.cache"))
    assert kept, "no compiled template kept"
    assert oct((kept[0].parent).stat().st_mode & 0o777) == oct(0o700)  # this user's only
    _exporter.cache_clear()  # as a new process: the templates come from the cache
    assert to_offline_html(node) == page


@pytest.mark.parametrize("where", ["not a folder", "a link to another folder"])
def test_a_temporary_folder_unfit_for_the_cache_costs_only_time(fresh_exporter, where):
    """Jinja keeps compiled templates only in a private folder of this user's own."""
    if where == "not a folder":
        fresh_exporter.write_text("a file")
    else:
        elsewhere = fresh_exporter.parent / "elsewhere"
        elsewhere.mkdir()
        fresh_exporter.mkdir()
        (fresh_exporter / f"_jinja2-cache-{os.getuid()}").symlink_to(elsewhere)
    page = to_offline_html(notebook(code(html_output(TABLE))))
    assert page.count(TABLE) == 1
    assert _exporter().environment.bytecode_cache is None
