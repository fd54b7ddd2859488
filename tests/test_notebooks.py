"""The notebooks as files: names, parameters, kernels, no outputs, imports from analysis only.

nbval runs every notebook as part of the test suite (see pyproject.toml).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import nbformat
import pytest

from analysis.inputs.sweep import read_sweep
from analysis.plan.sweeps import run_sweep
from analysis.report.notebook import notebook_parameters, run_notebook
from analysis.resources import WEEKLY_NOTEBOOK
from tests.conftest import NOTEBOOKS_DIR, SEED_CATALOG

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
ALLOWED_IMPORTS = ("analysis", "IPython.display", "ipywidgets", "pandas")


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
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one parameters cell"
    assert notebook_parameters(path), "papermill sees the parameters"
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.outputs and cell.execution_count is None, "committed without outputs"
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom):
                assert node.module.startswith(ALLOWED_IMPORTS), node.module
            elif isinstance(node, ast.Import):
                assert all(a.name.startswith(ALLOWED_IMPORTS) for a in node.names)


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
    """nbval skips it (see pyproject.toml): run as is, it would write into reports/."""
    import papermill

    sweep = tmp_path / "small.yaml"
    base = (NOTEBOOKS_DIR / "../data/scenarios/seed-limits.yaml").resolve()
    sweep.write_text(
        f"name: small\nbase: {base}\nvary:\n  budget_hours: [1, 2]\n  lanes: [1, 2]\n",
        encoding="utf-8",
    )
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / "6.0-sweep.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"sweep": str(sweep), "reports": str(tmp_path / "reports"), "workers": 1},
        kernel_name="python3",
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
        execution_timeout=600,
    )
    table = tmp_path / "reports" / "cc03-ultra-marathon" / "sweeps" / "small" / "results.csv"
    assert len(table.read_text(encoding="utf-8").splitlines()) == 1 + 4


def test_nbstripout_verify():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbstripout",
            "--verify",
            "--extra-keys",
            "metadata.papermill cell.metadata.papermill",
            *map(str, NOTEBOOKS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
