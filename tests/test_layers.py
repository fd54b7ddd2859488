"""How the package is built: OR-Tools stays inside the two solver modules, contracts hold."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import analysis

PACKAGE = Path(analysis.__file__).parent
SOLVER_MODULES = {"plan/selection_model.py", "plan/scheduling.py"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_solver_modules_import_ortools():
    importing = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "ortools" in imported(path)
    }
    assert importing == SOLVER_MODULES


def test_the_import_contracts_hold():
    """pyproject.toml [tool.importlinter]: layers, no solver in figures, no logic in the CLI."""
    command = Path(sys.executable).with_name("lint-imports")
    assert command.exists() or shutil.which("lint-imports")
    result = subprocess.run(
        [str(command) if command.exists() else "lint-imports"],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_the_report_notebook_does_not_load_the_rendering_libraries():
    """nbformat (with jsonschema) and papermill cost over a second to import; the kernel
    that runs the report assesses the inputs it is handed (analysis.report.handover): it
    loads the solver (as it boots, with its notebook's imports), not the rendering."""
    loads = (
        "analysis.report.handover, analysis.report.figures, analysis.report.frames, "
        "analysis.report.tables, analysis.report.overview, analysis.plan.sweep_results"
    )
    watched = {"nbformat", "papermill", "jsonschema", "nbconvert", "jupyter_client", "ortools"}
    watched |= {"analysis.report.render", "analysis.plan.selection"}
    assert loaded_by(loads, watched) == ["analysis.plan.selection", "ortools"]


def test_the_reports_command_loads_neither_pandas_nor_the_solver():
    """The kernel assesses: the command reads, checks, hands over and converts."""
    watched = {"pandas", "ortools", "plotly", "analysis.plan.selection", "analysis.report.figures"}
    assert loaded_by("analysis.report.render, analysis.report.prepared", watched) == []


def test_the_command_loads_no_data_library_before_it_runs_one():
    """`assess report` launches its kernel before anything heavy loads: the package's face
    and the command's module import none of the data libraries, nor the model."""
    heavy = {"pandas", "networkx", "numpy", "plotly", "ortools", "yaml", "analysis.model"}
    assert loaded_by("analysis, analysis.cli", heavy) == []


def loaded_by(modules: str, watched: set[str]) -> list[str]:
    """Which of ``watched`` a fresh interpreter has loaded once it imports ``modules``."""
    code = (
        f"import json, sys\nimport {modules}\n"
        f"print(json.dumps(sorted(set({sorted(watched)!r}) & set(sys.modules))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(result.stdout)
