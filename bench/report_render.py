"""How long the weekly report takes to render, against the floor of running any notebook.

The floor is papermill executing an empty notebook with the same kernel
(python3), in the same process, in the same run: kernel start-up dominates
both. Prints each figure (best of --repeat), the ratio, and the HTML size.

It also prints what the report cannot do without: importing, in a fresh
interpreter, the libraries its cells use (pandas, networkx, plotly with a first
figure, OR-Tools' CP-SAT). The floor plus that import time is a lower bound
for any report built on them, whatever the report's own code does.

    .venv/bin/python bench/report_render.py [--repeat 3]

Target: the seed report in at most 2x the floor.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from analysis.report.notebook import run_notebook
from analysis.report.render import render_report


def empty_notebook(folder: Path) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("report = False")])
    notebook.cells[0].metadata["tags"] = ["parameters"]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "empty.ipynb"
    nbformat.write(notebook, path)
    return path


#: The libraries the weekly report's cells use, imported as its kernel does.
LIBRARIES = """
import time
started = time.perf_counter()
import networkx, ortools.sat.python.cp_model, pandas
import plotly.graph_objects as go
go.Figure().add_bar(x=[1])
print(time.perf_counter() - started)
"""


def library_imports() -> float:
    """Seconds a fresh interpreter takes to import the report's libraries."""
    done = subprocess.run(
        [sys.executable, "-c", LIBRARIES], check=True, capture_output=True, text=True
    )
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        empty = empty_notebook(folder)
        floors, renders, imports, size = [], [], [], 0
        for index in range(args.repeat):
            started = time.perf_counter()
            run_notebook(empty, folder / "empty-out.ipynb", {"report": True})
            floors.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = render_report(week="2026-W48", out=folder / f"out{index}")
            renders.append(time.perf_counter() - started)
            size = report.size
            imports.append(library_imports())
    floor, render, imported = min(floors), min(renders), min(imports)
    print(f"floor (empty notebook, kernel python3): {floor:.2f} s (best of {args.repeat})")
    print(f"seed weekly report, end to end:         {render:.2f} s (best of {args.repeat})")
    verdict = "met" if render <= 2 * floor else "NOT met"
    print(f"ratio: {render / floor:.2f}x (target <= 2x): {verdict}")
    print(f"HTML size: {size / 1e6:.2f} MB")
    print(
        f"importing pandas, networkx, plotly, CP-SAT: {imported:.2f} s (best of {args.repeat}); "
        f"floor + imports = {(floor + imported) / floor:.2f}x the floor, before any work"
    )


if __name__ == "__main__":
    main()
