"""Batch reports: one report per catalog, an index page, warm kernels, Dask."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import nbformat
import pytest
import yaml

from analysis.errors import InputError, ReportError
from analysis.report.batch import _same_names, find_catalogs, render_reports
from analysis.report.notebook import WarmKernel
from analysis.vocabulary import DEFAULT_VOCABULARY
from tests.conftest import SCENARIOS_DIR, SEED_CATALOG, tiny_data


def seed_data() -> dict:
    """The seed catalog's data, naming its scenarios by absolute path (it is copied elsewhere)."""
    data = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
    data["catalog"]["scenarios"] = [
        str(SCENARIOS_DIR / "seed-limits.yaml"),
        str(SCENARIOS_DIR / "seed-plan.yaml"),
    ]
    return data


def copy_seed(folder: Path, name: str) -> Path:
    """The seed catalog copied into ``folder``."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(seed_data(), allow_unicode=True), encoding="utf-8")
    return path


def team_catalogs(folder: Path) -> Path:
    """Three catalogs: the seed, a renamed copy with markup in its title, and a bad one."""
    copy_seed(folder, "a-seed.yaml")
    data = seed_data()
    data["catalog"].update(name="team-b", title="チームB <script>alert(1)</script>")
    (folder / "b-team.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    data["catalog"]["name"] = "team-c"
    data["tasks"][2]["effort"] = -1
    (folder / "c-bad.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (folder / "notes.txt").write_text("not a catalog", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    folder = team_catalogs(root / "catalogs")
    return render_reports(folder, week="2026-W45", out=root / "out", history=None, workers=1)


def test_one_report_per_good_catalog_and_the_bad_one_named(batch):
    statuses = [(Path(r["catalog_file"]).name, r["status"]) for r in batch.rows]
    assert statuses == [("a-seed.yaml", "ok"), ("b-team.yaml", "ok"), ("c-bad.yaml", "bad input")]
    (bad,) = batch.failed
    assert "c-bad.yaml" in bad["error"] and "effort" in bad["error"]
    assert re.search(r"task \S+", bad["error"])
    for row in batch.rows[:2]:
        assert Path(row["html"]).exists() and row["value"] == 70


def test_index_links_every_report_and_escapes_titles(batch):
    page = batch.index.read_text(encoding="utf-8")
    assert batch.index.name == "index-2026-W45.html"
    assert (batch.index.parent / "index.html").read_text(encoding="utf-8") == page
    links = re.findall(r'href="([^"]+)"', page)
    assert len(links) == 2
    assert all((batch.index.parent / link).exists() for link in links)
    assert "<script>alert" not in page and "チームB &lt;script&gt;" in page
    assert "bad input" in page and "c-bad.yaml" in page


def test_cli_exits_2_when_a_catalog_is_bad(assess, tmp_path):
    folder = team_catalogs(tmp_path / "catalogs")
    (folder / "a-seed.yaml").unlink()
    (folder / "b-team.yaml").unlink()
    result = assess(
        "report",
        "--catalog-dir",
        folder,
        "--out",
        tmp_path / "out",
        "--workers",
        "1",
        "--history",
        tmp_path / "history.sqlite",
    )
    assert result.exit_code == 2
    assert "c-bad.yaml" in result.output and "effort" in result.output


def test_an_out_folder_that_cannot_be_written_is_refused_first(assess, tmp_path):
    folder = team_catalogs(tmp_path / "catalogs")
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"file\.txt: is a file, not a folder"):
        render_reports(folder, out=tmp_path / "file.txt", workers=1)
    result = assess("report", "--catalog-dir", folder, "--out", tmp_path / "file.txt" / "sub")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "option --out: " in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalogs", "file.txt"]


def test_a_scheduler_that_is_not_an_address_is_refused_first(assess, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --history (data/history.sqlite) is checked first
    folder = team_catalogs(tmp_path / "catalogs")
    with pytest.raises(InputError, match="missing port number"):
        render_reports(folder, out=tmp_path / "out", scheduler="localhost")
    result = assess(
        "report", "--catalog-dir", folder, "--out", tmp_path / "out", "--scheduler", "not a url"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("assess: error: option --scheduler: 'not a url' is not")
    assert result.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalogs"]


def test_a_history_that_is_not_sqlite_is_refused_first(tmp_path):
    folder = team_catalogs(tmp_path / "catalogs")
    history = tmp_path / "notdb.sqlite"
    history.write_text("not a database\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a history file"):
        render_reports(folder, out=tmp_path / "out", history=history, workers=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalogs", "notdb.sqlite"]


def test_workers_and_scheduler_together_are_refused(assess, tmp_path):
    folder = team_catalogs(tmp_path / "catalogs")
    options = ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]
    result = assess("report", "--catalog-dir", folder, *options, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == "assess: error: give --workers or --scheduler, not both\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalogs"]


def test_a_second_catalog_of_the_same_name_is_bad_input_and_the_first_renders(assess, tmp_path):
    folder = tmp_path / "catalogs"
    copy_seed(folder, "a.yaml")
    data = seed_data()
    data["catalog"]["title"] = "SECOND FILE"  # the same catalog.name
    (folder / "b.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (folder / "cc03-ultra-marathon.csv").write_text("id\n", encoding="utf-8")  # bad: no task
    out = tmp_path / "out"
    result = assess(
        "report",
        "--catalog-dir",
        folder,
        "--out",
        out,
        "--workers",
        "1",
        "--history",
        tmp_path / "history.sqlite",
    )
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("assess: error:")]
    assert errors[0] == (
        f"assess: error: {folder / 'b.yaml'}: catalog: field 'name': 'cc03-ultra-marathon' is "
        f"also the name of {folder / 'a.yaml'}, and a catalog's name is its report's folder: "
        "give each catalog its own name"
    )
    assert "a.yaml: ok" in result.stderr and "b.yaml: ok" not in result.stderr
    assert len(errors) == 2 and "cc03-ultra-marathon.csv" in errors[1]
    (report,) = out.glob("*/*/weekly-report.html")
    assert "SECOND FILE" not in report.read_text(encoding="utf-8")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count("bad input") == 2 and "is also the name of" in page


def test_names_alike_in_another_unicode_form_are_the_same_name(tmp_path):
    """Composed and decomposed ガイド look the same, and are one folder on some systems."""
    for file, form in (("a.yaml", "NFC"), ("b.yaml", "NFD")):
        data = tiny_data()
        data["catalog"]["name"] = unicodedata.normalize(form, "ガイド")
        (tmp_path / file).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (row,) = _same_names(find_catalogs(tmp_path), DEFAULT_VOCABULARY)
    assert row["catalog_file"].endswith("b.yaml") and "is also the name of" in row["error"]


def test_hidden_files_are_not_catalogs(tmp_path):
    for name in ("a.yaml", ".a.yaml", ".~lock.b.csv"):
        (tmp_path / name).write_text("tasks: []\n", encoding="utf-8")
    assert [p.name for p in find_catalogs(tmp_path)] == ["a.yaml"]


def test_scenario_files_are_not_catalogs(tmp_path):
    """Files named *.scenario.yaml, and files a catalog of the folder names, are scenarios."""
    data = tiny_data()
    data["catalog"]["scenarios"] = ["limits.yaml", "sub/plan.yaml", "../outside.yaml"]
    (tmp_path / "team.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    for name in ("limits.yaml", "x.scenario.yaml", "Y.Scenario.YML", "other.yaml"):
        (tmp_path / name).write_text("appetite: MEDIUM\n", encoding="utf-8")
    (tmp_path / "broken.csv").write_text("id\n", encoding="utf-8")  # names nothing
    found = [p.name for p in find_catalogs(tmp_path)]
    assert found == ["broken.csv", "other.yaml", "team.yaml"]  # other.yaml is named by none
    (tmp_path / "team.yaml").unlink()
    assert "limits.yaml" in [p.name for p in find_catalogs(tmp_path)]


def test_a_folder_without_catalogs_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="holds no catalog"):
        find_catalogs(tmp_path)
    with pytest.raises(InputError, match="is not a folder"):
        find_catalogs(tmp_path / "missing")


def small_notebook(path: Path, source: str) -> Path:
    cells = [nbformat.v4.new_code_cell("name = None"), nbformat.v4.new_code_cell(source)]
    cells[0].metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


def test_warm_kernel_forgets_variables_between_notebooks(tmp_path):
    kernel = WarmKernel()
    try:
        first = small_notebook(tmp_path / "first.ipynb", "import os\nleftover = name\nos.getpid()")
        second = small_notebook(
            tmp_path / "second.ipynb", "import os\nassert 'leftover' not in globals()\nos.getpid()"
        )
        failing = small_notebook(tmp_path / "failing.ipynb", "raise ValueError(name)")
        kernel.run(first, tmp_path / "out1.ipynb", {"name": "x"})
        kernel.run(second, tmp_path / "out2.ipynb", {"name": "y"})
        executed = nbformat.read(tmp_path / "out2.ipynb", as_version=4)
        assert "name = 'y'" in executed.cells[1].source  # the injected parameters
        pids = [
            nbformat.read(tmp_path / out, as_version=4).cells[-1].outputs[0]["data"]["text/plain"]
            for out in ("out1.ipynb", "out2.ipynb")
        ]
        assert pids[0] == pids[1]  # one kernel process for both notebooks
        with pytest.raises(
            ReportError, match=r"cell 3 \(raise ValueError\(name\)\).*ValueError: z"
        ):
            kernel.run(failing, tmp_path / "out3.ipynb", {"name": "z"})
        assert not (tmp_path / "out3.ipynb").exists()
        with pytest.raises(ReportError, match="has no parameter colour"):
            kernel.run(first, tmp_path / "out4.ipynb", {"colour": "red"})
    finally:
        kernel.close()


def test_reports_render_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    folder = team_catalogs(tmp_path / "catalogs")
    (folder / "c-bad.yaml").unlink()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = render_reports(
            folder,
            week="2026-W45",
            out=tmp_path / "out",
            history=None,
            scheduler=cluster.scheduler_address,
        )
    assert [r["status"] for r in result.rows] == ["ok", "ok"]
    assert all(Path(r["html"]).stat().st_size > 1_000_000 for r in result.rows)


def test_warm_kernel_recovers_after_a_timeout(tmp_path):
    kernel = WarmKernel()
    try:
        slow = small_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(30)")
        with pytest.raises(ReportError, match="CellTimeoutError"):
            kernel.run(slow, tmp_path / "out1.ipynb", {}, timeout=2)
        quick = small_notebook(tmp_path / "quick.ipynb", "1 + 1")
        kernel.run(quick, tmp_path / "out2.ipynb", {})
        assert (tmp_path / "out2.ipynb").exists()
    finally:
        kernel.close()
