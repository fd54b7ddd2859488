"""Weekly reports: rendered with papermill, opened in headless Chromium, history deltas."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.errors import HistoryError, InputError, ReportError
from analysis.files import check_folder
from analysis.inputs.catalog import read_catalog
from analysis.report.history import check_history, check_week, previous_snapshot, save_snapshot
from analysis.report.notebook import run_notebook
from analysis.report.render import render_report
from analysis.resources import WEEKLY_NOTEBOOK
from tests.conftest import ROOT, SEED_CATALOG

CHROMIUM = "/usr/bin/chromium"


def chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("ASSESS_REQUIRE_TOOLS"):
            pytest.fail("Chromium is required here (ASSESS_REQUIRE_TOOLS is set)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")


#: Headless Chromium, offline: nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def open_in_browser(path: Path) -> dict:
    """Load a page in headless Chromium and report what happened."""
    from playwright.sync_api import sync_playwright

    seen = {"errors": [], "console": [], "requests": [], "dialogs": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        page = browser.new_page()
        page.on("pageerror", lambda error: seen["errors"].append(str(error)))
        page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
        page.on(
            "request",
            lambda r: (
                seen["requests"].append(r.url)
                if not r.url.startswith(("file:", "data:", "blob:"))
                else None
            ),
        )
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.plotly-graph-div').length === "
            "document.querySelectorAll('.js-plotly-plot').length",
            timeout=30_000,
        )
        seen["charts"] = page.locator(".js-plotly-plot").count()
        seen["drawn"] = page.locator(".js-plotly-plot").evaluate_all(
            "plots => plots.filter(p => p.querySelector('svg.main-svg')).length"
        )
        seen["text"] = page.inner_text("body")
        browser.close()
    return seen


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    report = render_report(week="2026-W47", out=out, history=out / "history.sqlite")
    return report


def figure_count(html: str) -> int:
    return len(re.findall(r'class="plotly-graph-div"', html))


class TestSeedReport:
    def test_files_where_the_readme_says(self, seed_report):
        assert seed_report.html.parts[-3:] == (
            "cc03-ultra-marathon",
            "2026-W47",
            "weekly-report.html",
        )
        plan = json.loads(seed_report.plan_json.read_text(encoding="utf-8"))
        assert plan["status"] == "optimal" and len(plan["selected"]) == 30
        assert seed_report.plan_csv.read_text(encoding="utf-8").startswith("id,issue,title")
        assert oct(seed_report.html.stat().st_mode & 0o777) == oct(0o666 & ~_umask())

    def test_html_hides_code_and_loads_nothing(self, seed_report):
        html = seed_report.html.read_text(encoding="utf-8")
        assert "assess_files(" not in html  # no code cells
        assert not re.search(r"<script[^>]+src=\"https?://", html)
        assert "require.min.js" not in html and "MathJax.js" not in html
        assert figure_count(html) == 9

    def test_opens_offline_in_chromium(self, seed_report):
        chromium_or_skip()
        seen = open_in_browser(seed_report.html)
        assert seen["errors"] == [] and seen["console"] == [] and seen["requests"] == []
        expected = figure_count(seed_report.html.read_text(encoding="utf-8"))
        assert seen["charts"] == seen["drawn"] == expected
        catalog = read_catalog(SEED_CATALOG)
        japanese = [t.title for t in catalog if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t.title)]
        missing = [title for title in japanese if title not in seen["text"]]
        assert len(japanese) > 20 and missing == []

    def test_the_first_screen_answers_the_three_questions(self, seed_report):
        html = seed_report.html.read_text(encoding="utf-8")
        body = html[html.index("<body") :]
        first_chart = body.index('class="plotly-graph-div"')
        for heading in (
            "This week at a glance",
            "The work, in order",
            "Left out, and why",
            "What changed since the last report",
        ):
            assert body.index(heading) < first_chart, heading
        assert "30 tasks in 24 pieces of work" in body[:first_chart]
        # Reasons whole, tables without pandas' index, cut cells or NaN.
        reason = "production-core: a change to production network, architecture or data"
        assert reason in body[:first_chart]
        assert "...</td>" not in body and ">NaN<" not in body and "<th></th>" not in body
        assert '<span class="lvl lvl-MEDIUM">MEDIUM</span>' in body

    def test_the_same_inputs_give_the_same_bytes(self, seed_report, tmp_path):
        again = render_report(week="2026-W47", out=tmp_path, history=tmp_path / "history.sqlite")
        assert seed_report.html.read_bytes() == again.html.read_bytes()
        assert seed_report.plan_csv.read_bytes() == again.plan_csv.read_bytes()
        assert seed_report.plan_json.read_bytes() == again.plan_json.read_bytes()
        assert 'id="chart-9"' in again.html.read_text(encoding="utf-8")

    def test_snapshot_saved(self, seed_report):
        history = seed_report.html.parents[2] / "history.sqlite"
        found = previous_snapshot(history, "cc03-ultra-marathon", "seed-limits", "2026-W48")
        assert found is not None and found[0] == "2026-W47"
        assert len(found[1]["selected"]) == 30


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def edited_seed(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "cc03-ultra-marathon.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_two_weeks_give_the_right_deltas(tmp_path, monkeypatch):
    out, history = tmp_path / "out", tmp_path / "history.sqlite"
    first = edited_seed(tmp_path, lambda data: None)
    scenario = "data/scenarios/seed-limits.yaml"
    # Paths relative to where the user stands (the kernel runs elsewhere, in notebooks/).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "limits.yaml").write_bytes((ROOT / scenario).read_bytes())
    render_report(first.name, ["limits.yaml"], week="2026-W47", out=out, history=history)

    def next_week(data):
        tasks = {t["id"]: t for t in data["tasks"]}
        tasks["384-T01"]["status"] = "done"  # finished last week
        tasks["381-T10"]["environment"] = "dev"  # now stated: HIGH -> MEDIUM, selectable
        data["tasks"].append(
            {
                "id": "384-T21",
                "issue": 384,
                "title": "Backup Policy設計",
                "activity": "design",
                "environment": "none",
                "touches": ["data"],
                "outcomes": ["reliability"],
            }
        )
        data["catalog"]["declared"]["total"] = 44

    second = edited_seed(tmp_path, next_week)
    report = render_report(second, [ROOT / scenario], week="2026-W48", out=out, history=history)
    text = report.html.read_text(encoding="utf-8")
    assert (
        "Since 2026-W47: 1 new, 1 done, 1 level change(s), 2 now selected, 1 no longer selected."
        in text
    )
    for expected in ("384-T21", "Backup Policy設計", "HIGH → MEDIUM"):
        assert expected in text


def test_a_failing_cell_keeps_last_weeks_report_and_is_named(tmp_path, seed_report):
    target = tmp_path / "out" / "cc03-ultra-marathon" / "2026-W47"
    target.mkdir(parents=True)
    for name in ("weekly-report.html", "plan.csv", "plan.json"):
        (target / name).write_text(f"last week's {name}\n", encoding="utf-8")
    broken = nbformat.read(WEEKLY_NOTEBOOK, as_version=4)
    broken.cells.insert(4, nbformat.v4.new_code_cell("raise RuntimeError('chart data missing')"))
    notebook = tmp_path / "broken.ipynb"
    nbformat.write(broken, notebook)
    with pytest.raises(ReportError) as info:
        render_report(week="2026-W47", out=tmp_path / "out", notebook=notebook)
    assert "broken.ipynb: cell" in str(info.value)
    assert (
        "(raise RuntimeError('chart data missing')) failed: RuntimeError: chart data missing"
        in (str(info.value))
    )
    assert info.value.cell is not None
    for name in ("weekly-report.html", "plan.csv", "plan.json"):
        assert (target / name).read_text(encoding="utf-8") == f"last week's {name}\n"
    assert sorted(p.name for p in target.iterdir()) == [
        "plan.csv",
        "plan.json",
        "weekly-report.html",
    ]


def test_unknown_parameters_are_refused(tmp_path):
    with pytest.raises(ReportError, match="has no parameter colour"):
        run_notebook(WEEKLY_NOTEBOOK, tmp_path / "x.ipynb", {"colour": "red"})


def test_bad_input_fails_before_anything_runs(assess, tmp_path):
    result = assess(
        "report",
        tmp_path / "missing.yaml",
        "--out",
        tmp_path / "out",
        "--history",
        tmp_path / "h.sqlite",
    )
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()  # one line, no progress before it
    assert line.endswith("missing.yaml: no such file")
    assert not (tmp_path / "out").exists() and not (tmp_path / "h.sqlite").exists()
    bad_week = assess("report", "--week", "2026-W60", "--out", tmp_path / "out")
    assert bad_week.exit_code == 2 and "'2026-W60' is not an ISO week" in bad_week.stderr


def test_catalog_text_is_escaped(tmp_path):
    data = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
    data["catalog"]["title"] = "<b>Team</b> <script>alert('title')</script>"
    data["tasks"][0]["title"] = "<script>alert(1)</script>"
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = render_report(
        path, ["data/scenarios/seed-limits.yaml"], week="2026-W47", out=tmp_path / "out"
    )
    html = report.html.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "alert('title')</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    chromium_or_skip()
    seen = open_in_browser(report.html)
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert "<script>alert(1)</script>" in seen["text"]  # shown as text


@pytest.mark.parametrize("week", ["0000-W01", "2026-W54", "2021-W53"])
def test_a_week_that_is_not_an_iso_week_is_bad_input(week):
    with pytest.raises(HistoryError, match=f"'{week}' is not an ISO week"):
        check_week(week)


@pytest.mark.parametrize("mode", ["catalog", "catalog-dir"])
def test_cli_names_the_week_option(assess, tmp_path, mode):
    given = [SEED_CATALOG] if mode == "catalog" else ["--catalog-dir", SEED_CATALOG.parent]
    result = assess("report", *given, "--week", "0000-W01", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == (
        "assess: error: option --week: '0000-W01' is not an ISO week such as 2026-W48\n"
    )
    assert list(tmp_path.iterdir()) == []


class TestOutputFolder:
    def test_a_folder_that_can_be_made_is_left_as_it_was(self, tmp_path):
        assert check_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
        assert check_folder(tmp_path) == tmp_path
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize(
        ("where", "words"),
        [
            ("file", "file.txt: is a file, not a folder"),
            ("file/sub", "file.txt/sub: {tmp}/file.txt is a file, not a folder"),
            ("/proc/assess-x", "/proc/assess-x: cannot create the folder: "),
        ],
    )
    def test_a_place_that_cannot_hold_reports_is_named(self, tmp_path, where, words):
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")
        path = tmp_path / where.replace("file", "file.txt")
        with pytest.raises(InputError) as caught:
            check_folder(path)
        assert words.format(tmp=tmp_path) in str(caught.value)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]

    def test_render_refuses_before_any_kernel_starts(self, tmp_path, monkeypatch):
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")

        def no_kernel(*args, **kwargs):
            raise AssertionError("a kernel started")

        monkeypatch.setattr("analysis.report.render.run_notebook", no_kernel)
        with pytest.raises(InputError, match=r"file\.txt is a file, not a folder"):
            render_report(week="2026-W47", out=tmp_path / "file.txt", history=None)

    def test_cli_names_the_out_option(self, assess, tmp_path):
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")
        history = tmp_path / "h.sqlite"
        result = assess("report", "--out", tmp_path / "file.txt" / "sub", "--history", history)
        assert result.exit_code == 2
        assert result.stderr == (
            f"assess: error: {tmp_path}/file.txt/sub: option --out: "
            f"{tmp_path}/file.txt is a file, not a folder\n"
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


class TestHistoryFile:
    def test_a_history_or_a_place_for_one_is_accepted_and_left_alone(self, tmp_path):
        history = tmp_path / "h.sqlite"
        assert check_history(tmp_path / "new" / "h.sqlite") == tmp_path / "new" / "h.sqlite"
        assert list(tmp_path.iterdir()) == []
        save_snapshot(history, "c", "s", "2026-W01", {"tasks": {}, "selected": []})
        before = history.read_bytes()
        assert check_history(history) == history and history.read_bytes() == before

    @pytest.mark.parametrize(
        ("make", "words"),
        [
            (lambda p: p.write_text("text\n", encoding="utf-8"), ": not a history file (SQLite)"),
            (lambda p: p.mkdir(), ": is a folder, not a history file"),
        ],
    )
    def test_what_is_not_a_history_is_named(self, tmp_path, make, words):
        make(tmp_path / "h.sqlite")
        with pytest.raises(HistoryError) as caught:
            check_history(tmp_path / "h.sqlite")
        assert str(caught.value).startswith(f"{tmp_path}/h.sqlite: ")
        assert words in str(caught.value)

    def test_cli_refuses_it_before_anything_runs(self, assess, tmp_path):
        history = tmp_path / "notdb.sqlite"
        history.write_text("not a database, just text\n", encoding="utf-8")
        result = assess("report", "--out", tmp_path / "out", "--history", history)
        assert result.exit_code == 2
        assert result.stderr == (
            f"assess: error: {history}: option --history: "
            "not a history file (SQLite): file is not a database\n"
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notdb.sqlite"]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--workers", "3"], "--workers applies only to --catalog-dir"),
        (["--scheduler", "tcp://h:1"], "--scheduler applies only to --catalog-dir"),
        (["--workers", "2", "--scheduler", "tcp://h:1"], "--workers and --scheduler apply only"),
    ],
)
def test_batch_options_without_catalog_dir_are_refused(assess, tmp_path, options, words):
    result = assess("report", SEED_CATALOG, *options, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"assess: error: {words}") and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
