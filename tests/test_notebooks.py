"""The notebooks as git stores them: names, parameters, kernels, imports from analysis
only, no bare reprs, no outputs; a save from JupyterLab goes into git as it was; the sweep
notebook on a small sweep; kernels and progress bars that keep stderr quiet.

nbval runs every notebook as part of the test suite, each as git would commit it, in a
scratch copy of the checkout (notebooks/conftest.py): what a working copy holds (outputs
saved while exploring, reports an earlier run left) changes no result.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess

import nbformat
import pytest

from analysis.inputs.sweep import read_sweep
from analysis.plan.sweeps import run_sweep
from analysis.report.notebook import notebook_parameters, run_notebook
from analysis.resources import WEEKLY_NOTEBOOK
from tests.conftest import NOTEBOOKS_DIR, SEED_CATALOG
from tests.notebook_copies import ROOT, committed, scratch_checkout

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
ALLOWED_IMPORTS = ("analysis", "IPython.display", "ipywidgets", "pandas")
#: A cell ending in one of these shows a bare repr: show a table or a figure instead.
BARE_REPRS = (
    ast.Tuple,
    ast.List,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
)


def test_the_suite_is_there():
    names = [path.stem for path in NOTEBOOKS]
    assert names == [
        "1.0-catalog",
        "2.0-dependencies",
        "3.0-plan",
        "4.0-compare",
        "5.0-weekly-report",
        "6.0-sweep",
    ]
    assert all(re.fullmatch(r"\d+\.\d+-[a-z-]+", name) for name in names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_shape(path):
    """Checked as git would store it: outputs saved while exploring do not count."""
    notebook = nbformat.reads(committed(path.read_bytes()).decode("utf-8"), as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one parameters cell"
    assert notebook_parameters(path), "papermill sees the parameters"
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module.startswith(ALLOWED_IMPORTS), node.module
            elif isinstance(node, ast.Import):
                assert all(a.name.startswith(ALLOWED_IMPORTS) for a in node.names)
        last = tree.body[-1] if tree.body else None
        bare = isinstance(last, ast.Expr) and isinstance(last.value, BARE_REPRS)
        assert not bare, f"a bare repr, not a table or a figure: {cell.source!r}"


def defaults(path) -> dict[str, str]:
    """Each parameter's default as written in the notebook (papermill's reading of it)."""
    import papermill

    return {name: p["default"] for name, p in papermill.inspect_notebook(str(path)).items()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_default_to_the_bundled_seed_data(path):
    """Defaults are paths relative to notebooks/, where Jupyter and nbval start the kernel."""
    found = defaults(path)
    assert ast.literal_eval(found["catalog"]) == "../data/catalogs/cc03-ultra-marathon.yaml"
    for name, default in found.items():
        value = ast.literal_eval(default)
        files = value if isinstance(value, list) else [value]
        for file in files:
            if isinstance(file, str) and file.endswith((".yaml", ".csv")):
                assert (NOTEBOOKS_DIR / file).is_file(), f"{name}: {file}"
    assert found.get("history", "None") == "None"


def test_the_report_notebook_has_one_source():
    """notebooks/ links to the notebook the package ships, so both run the same cells."""
    link = NOTEBOOKS_DIR / "5.0-weekly-report.ipynb"
    assert link.is_symlink()
    assert link.resolve() == WEEKLY_NOTEBOOK.resolve()


def test_the_sweep_notebook_writes_where_it_is_told(tmp_path):
    """nbval skips it (its default sweep is 200 what-ifs): here, on four, as committed."""
    import papermill

    sweep = tmp_path / "small.yaml"
    base = (NOTEBOOKS_DIR / "../data/scenarios/seed-limits.yaml").resolve()
    sweep.write_text(
        f"name: small\nbase: {base}\nvary:\n  budget_hours: [1, 2]\n  lanes: [1, 2]\n",
        encoding="utf-8",
    )
    folder = scratch_checkout(tmp_path / "checkout", [NOTEBOOKS_DIR / "6.0-sweep.ipynb"])
    papermill.execute_notebook(
        str(folder / "6.0-sweep.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"sweep": str(sweep), "reports": str(tmp_path / "reports"), "workers": 1},
        kernel_name="python3",
        cwd=str(folder),
        progress_bar=False,
        execution_timeout=600,
    )
    table = tmp_path / "reports" / "cc03-ultra-marathon" / "sweeps" / "small" / "results.csv"
    assert len(table.read_text(encoding="utf-8").splitlines()) == 1 + 4
    assert not any((folder.parent / "reports").iterdir()), "only where it is told"


def git(*args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, input=stdin, capture_output=True)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8")


def stored_notebooks() -> dict[str, str]:
    """Every notebook file in git's index (what the next commit holds), path -> blob id."""
    try:
        listing = git("ls-files", "--stage", "-z", "--", "*.ipynb")
    except (OSError, AssertionError):
        if os.environ.get("ASSESS_REQUIRE_TOOLS"):
            raise
        pytest.skip("not a git checkout")
    found = {}
    for entry in filter(None, listing.split("\0")):
        mode, blob, _, path = entry.replace("\t", " ", 1).split(" ", 3)
        if mode != "120000":  # notebooks/5.0-weekly-report.ipynb: a link, stored as one
            found[path] = blob
    return found


def test_git_stores_the_notebooks_without_outputs():
    """What is committed (the index: what the next commit holds) has no outputs, no
    execution counts and nothing else nbstripout drops: the filter leaves it unchanged."""
    stored = stored_notebooks()
    assert {"notebooks/1.0-catalog.ipynb", "analysis/data/weekly-report.ipynb"} <= set(stored)
    for path, blob in stored.items():
        text = git("cat-file", "blob", blob).encode("utf-8")
        cells = json.loads(text)["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert not any(c["outputs"] or c["execution_count"] for c in code), f"{path}: outputs"
        assert committed(text) == text, f"{path}: not as nbstripout stores it"


def test_a_save_from_jupyterlab_goes_into_git_as_it_was():
    """Run every cell in JupyterLab and save: git's filter (set up by `make`) takes away
    what the save added, so git status stays clean. The save is imitated here: outputs,
    execution counts, the kernel's display name and Python version, widget state."""
    if not git("config", "--default", "", "filter.nbstripout.clean").strip():
        if os.environ.get("ASSESS_REQUIRE_TOOLS"):
            pytest.fail("the nbstripout git filter is not set up: run make")
        pytest.skip("the nbstripout git filter is not set up: run make")
    from jupyter_client.kernelspec import KernelSpecManager

    kernel = KernelSpecManager().get_kernel_spec("python3").display_name
    for path, blob in stored_notebooks().items():
        assert git("check-attr", "filter", "--", path).endswith(": nbstripout\n"), path
        notebook = json.loads(git("cat-file", "blob", blob))
        for count, cell in enumerate(c for c in notebook["cells"] if c["cell_type"] == "code"):
            cell["execution_count"] = count + 1
            cell["outputs"] = [
                {
                    "data": {"text/plain": ["42"]},
                    "execution_count": count + 1,
                    "metadata": {},
                    "output_type": "execute_result",
                },
                {"name": "stderr", "output_type": "stream", "text": ["a warning\n"]},
            ]
            cell["metadata"]["execution"] = {"iopub.status.idle": "2026-12-01T10:00:00Z"}
        notebook["metadata"]["kernelspec"]["display_name"] = kernel
        notebook["metadata"]["language_info"] = {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
            "version": "3.11.7",
        }
        notebook["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
        saved = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        stores = git("hash-object", "--stdin", "--path", path, stdin=saved.encode("utf-8"))
        assert stores.strip() == blob, f"{path}: a save from JupyterLab would change it in git"


def test_kernels_start_quietly_and_bars_stay_off_a_log(tmp_path, capfd):
    """No 'Kernel is running over TCP without encryption' from ipykernel, and no progress
    bar when stderr is not a terminal (a log would get every redraw on one line)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, tmp_path / "tiny.ipynb")
    run_notebook(tmp_path / "tiny.ipynb", tmp_path / "out.ipynb", {}, progress=True)
    err = capfd.readouterr().err
    assert "without encryption" not in err and "Executing" not in err, err


def test_a_sweep_draws_no_bar_into_a_log(tmp_path, capfd):
    base = (NOTEBOOKS_DIR / "../data/scenarios/seed-limits.yaml").resolve()
    sweep = tmp_path / "tiny.yaml"
    sweep.write_text(f"name: tiny\nbase: {base}\nvary:\n  lanes: [1, 2]\n", encoding="utf-8")
    run_sweep(SEED_CATALOG, read_sweep(sweep), workers=1, out=tmp_path / "out", progress=True)
    assert "combination" not in capfd.readouterr().err
