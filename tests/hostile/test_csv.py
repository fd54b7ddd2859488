"""CSV that is safe to open in a spreadsheet, and that reads back to the same text.

Text cells starting with a formula trigger (``=``, ``+``, ``-``, ``@``, a tab,
a carriage return) get a leading ``'`` (OWASP), a leading ``'`` is doubled,
and the suite's CSV reader undoes it: a catalog written as CSV reads back to
the same titles. One writer serves ``assess plan --format csv`` and the
report's ``plan.csv``, so their bytes are equal.
"""

from __future__ import annotations

import csv
import io

import pytest

from analysis.inputs.catalog import read_catalog, write_catalog
from analysis.inputs.catalog_records import parse_catalog

TITLES = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "'quoted",
    "''twice",
    "\tTabbed",
    "\rReturn",
    "line\r\nbreak",
    "plain = fine",
]


def _catalog():
    return parse_catalog(
        {
            "defaults": {"effort_hours": {"design": 1}},
            "tasks": [
                {
                    "id": f"T{n}",
                    "issue": 1,
                    "title": title,
                    "activity": "design",
                    "environment": "none",
                }
                for n, title in enumerate(TITLES, start=1)
            ],
        },
        name="hostile",
    )


def test_a_catalog_written_as_csv_reads_back_to_the_same_titles(tmp_path):
    path = tmp_path / "hostile.csv"
    write_catalog(_catalog(), path)
    assert [t.title for t in read_catalog(path).tasks] == TITLES


def test_no_cell_starts_a_formula(tmp_path):
    path = tmp_path / "hostile.csv"
    write_catalog(_catalog(), path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    record, title = rows[0].index("record"), rows[0].index("title")
    titles = [row[title] for row in rows[1:] if row[record] == "task"]
    assert titles[0] == "'" + TITLES[0] and titles[4] == "''quoted" and titles[-1] == "plain = fine"


@pytest.fixture
def hostile_catalog(tmp_path):
    path = tmp_path / "hostile.yaml"
    write_catalog(_catalog(), path)
    return path


def test_the_plan_csv_of_the_cli_and_of_the_report_are_the_same_bytes(
    assess, tmp_path, hostile_catalog
):
    result = assess("plan", hostile_catalog, "--format", "csv")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    report = assess("report", hostile_catalog, "--out", out, "--history", tmp_path / "h.sqlite")
    assert report.exit_code == 0, report.output
    (written,) = out.glob("*/*/plan.csv")
    assert written.read_bytes() == result.stdout_bytes
    assert "'=HYPERLINK" in written.read_text(encoding="utf-8")
    # the report names the catalog and the week; its plan.json, no local absolute path
    page = (written.parent / "weekly-report.html").read_text(encoding="utf-8")
    assert f"<title>hostile — weekly report {written.parent.name}</title>" in page
    plan = (written.parent / "plan.json").read_text(encoding="utf-8")
    assert '"source": "bundled:default-scenario.yaml"' in plan
