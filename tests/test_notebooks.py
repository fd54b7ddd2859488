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

from analysis.paths import NOTEBOOKS_DIR
from analysis.reporting import notebook_parameters

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


def test_parameters_default_to_the_bundled_seed_data():
    for path in NOTEBOOKS:
        source = next(
            c.source
            for c in nbformat.read(path, as_version=4).cells
            if "parameters" in c.metadata.get("tags", [])
        )
        assert "catalog = None" in source, path.name  # None: the bundled seed catalog
        assert "history = None" in source or "history" not in source


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
