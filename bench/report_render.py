"""How long the weekly report takes to render, against the floor of running any notebook.

The floor is papermill executing an empty notebook with the same kernel
(python3), launched and shut down the way the report's is, in the same
process, in the same run: kernel start-up dominates both. Prints each
figure (best of --repeat), the ratio, and the HTML size.

It also prints what the report cannot do without: importing, in a fresh
interpreter, the libraries its cells use (pandas, networkx, plotly with a first
figure, OR-Tools' CP-SAT). The floor plus that import time is a lower bound
for any report built on them, whatever the report's own code does; the
report's own work is its time beyond both.

    .venv/bin/python bench/report_render.py [--repeat 3] [--sizes seed 1000 10000]

``seed`` is the bundled catalog with its own scenarios; a number, a catalog of
that many tasks from ``bench/synthetic.py`` (seed 7) with its scenario (one
lane, a budget of a fifth of all hours). Here the report runs in this process,
as a library call; ``bench/pipeline_scale.py`` runs ``assess report`` itself.

Targets: the seed report in at most 2x the floor; its own work at most 0.5 s,
and 2.5 s for 1,000 tasks (issue #15).
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from analysis.report.notebook import launch_report_kernel, run_notebook
from analysis.report.render import render_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import catalog_data, scenario_data, write_catalog, write_scenario

#: The report's own work may take at most this long, by catalog (issue #15).
OWN_TARGETS = {"seed": 0.5, "1000": 2.5}


def byte_compile() -> None:
    """Byte-compile the package, as ``make`` does before it runs anything (and pip, for a
    wheel it installs): with PYTHONDONTWRITEBYTECODE set, as on some machines, every
    process would otherwise compile every module it imports again."""
    import analysis

    compileall.compile_dir(Path(analysis.__file__).parent, quiet=1)


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


def report_inputs(size: str, folder: Path) -> tuple[Path | None, list[Path]]:
    """The catalog and scenarios of one size (None and none: the bundled seed's own)."""
    if size == "seed":
        return None, []
    data = catalog_data(int(size), 7)
    catalog = write_catalog(data, folder / f"catalog-{size}.yaml")
    return catalog, [write_scenario(scenario_data(data), folder / f"scenario-{size}.yaml")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", default=["seed"])
    args = parser.parse_args()
    byte_compile()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        empty = empty_notebook(folder)
        floors, imports = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            kernel = launch_report_kernel()  # as the report launches its own
            try:
                # Not saved, as the report's is not.
                run_notebook(empty, None, {"report": True}, kernel=kernel)
            finally:
                kernel.close()
                shutil.rmtree(kernel.folder, ignore_errors=True)
            floors.append(time.perf_counter() - started)
            imports.append(library_imports())
        floor, imported = min(floors), min(imports)
        print(f"floor (empty notebook, kernel python3): {floor:.2f} s (best of {args.repeat})")
        print(
            f"importing pandas, networkx, plotly, CP-SAT: {imported:.2f} s "
            f"(best of {args.repeat}); floor + imports = {(floor + imported) / floor:.2f}x "
            "the floor, before any work"
        )
        for size in args.sizes:
            catalog, scenarios = report_inputs(size, folder)
            renders, page = [], 0
            for index in range(args.repeat):
                started = time.perf_counter()
                report = render_report(
                    catalog, scenarios, week="2026-W48", out=folder / f"out-{size}-{index}"
                )
                renders.append(time.perf_counter() - started)
                page = report.size
            render = min(renders)
            own = render - floor - imported
            line = (
                f"{size:>6}: {render:.2f} s end to end (best of {args.repeat}), "
                f"{render / floor:.2f}x the floor, own work {own:.2f} s, HTML {page / 1e6:.2f} MB"
            )
            if size == "seed":
                line += f"; 2x the floor: {'met' if render <= 2 * floor else 'NOT met'}"
            if size in OWN_TARGETS:
                verdict = "met" if own <= OWN_TARGETS[size] else "NOT met"
                line += f"; own work <= {OWN_TARGETS[size]} s: {verdict}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
