"""The report's command assesses while its kernel starts, and hands the assessments over.

The command launches the kernel first (:func:`launch_report_kernel`), so that it
boots while the command imports, reads and assesses; whatever happens, the
kernel is shut down, its channels closed and its folder removed.

The kernel's first cell waits for them on a lock the command holds
(:func:`analysis.report.handover.assess_for_report`); an error while assessing
is the command's error, the kernel stopping at that cell.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import threading

import pytest

from analysis.errors import InputError, ReportError
from analysis.plan.scenarios import assess_files, assess_inputs, read_files
from analysis.report import handover, render
from analysis.report.notebook import launch_report_kernel
from analysis.resources import WORKDIR_VARIABLE


def _gone(launched) -> None:
    assert launched.manager is None  # closed
    assert not launched.folder.exists()  # its keys (kernel.json) with it


def test_bad_input_shuts_the_launched_kernel_down_and_removes_its_folder(tmp_path):
    launched = launch_report_kernel()
    manager = launched.manager
    assert (launched.folder / "kernel.json").exists()
    (tmp_path / "bad.yaml").write_text("catalog: {name: x}\ntasks: 7\n", encoding="utf-8")
    with pytest.raises(InputError):
        render.render_report(tmp_path / "bad.yaml", out=tmp_path / "out", launched=launched)
    _gone(launched)
    assert not manager.has_kernel
    assert not (tmp_path / "out").exists()


def test_a_report_on_a_launched_kernel_closes_what_it_opened(tmp_path, monkeypatch):
    monkeypatch.delenv(WORKDIR_VARIABLE, raising=False)
    launched = launch_report_kernel()
    manager = launched.manager
    report = render.render_report(
        week="2026-W47", out=tmp_path / "out", history=None, launched=launched
    )
    assert report.html.exists() and report.plan_csv.exists()
    _gone(launched)
    assert not manager.has_kernel
    assert manager.clients and not any(c.channels_running for c in manager.clients)
    assert WORKDIR_VARIABLE not in os.environ  # told to the kernel only


def test_an_error_while_assessing_is_the_error_and_the_kernel_stops(tmp_path, monkeypatch):
    def fail(inputs, chosen):
        raise InputError("found while assessing", source="x.yaml")

    monkeypatch.setattr(render, "assess_inputs", fail)
    with pytest.raises(InputError, match="found while assessing"):
        render.render_report(week="2026-W47", out=tmp_path / "out", history=None)
    assert not [t for t in threading.enumerate() if t.name == "weekly notebook"]
    assert not list((tmp_path / "out").rglob("weekly-report.html"))


def test_the_kernel_gets_the_assessments_once_the_lock_is_let_go(tmp_path):
    prepared = tmp_path / "assessments.pickle"
    (tmp_path / "assessments.pickle.lock").touch()  # as the command leaves it, let go
    with pytest.raises(ReportError, match="handed over no assessments"):
        handover.assess_for_report(prepared=prepared)
    made = assess_files(every_default=True)
    prepared.write_bytes(pickle.dumps(made))
    again = handover.assess_for_report(prepared=prepared)
    assert [a.scenario.name for a in again] == [a.scenario.name for a in made]
    assert again[0].selection.left_out == made[0].selection.left_out


def test_reading_then_assessing_is_assessing_the_files():
    inputs, chosen = read_files(every_default=True)
    assert len(chosen) > 1  # the seed names several scenarios: one audit for all
    first, *others = assess_inputs(inputs, chosen)
    assert all(other.audit is first.audit for other in others)
    alone = assess_files(every_default=True)
    for a, b in zip(alone, [first, *others], strict=True):  # all but the seconds taken
        assert (a.selection.selected, a.selection.left_out) == (
            b.selection.selected,
            b.selection.left_out,
        )


def test_papermill_loads_without_compiling_the_iri_grammars():
    """jsonschema (under nbformat) would import rfc3987_syntax, 1 to 3 s of every report."""
    code = (
        "import sys\n"
        "from analysis.report.notebook import notebook_parameters\n"
        "from analysis.resources import WEEKLY_NOTEBOOK\n"
        "notebook_parameters(WEEKLY_NOTEBOOK)\n"
        "print('jsonschema' in sys.modules, sys.modules.get('rfc3987_syntax', 'absent'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "None"]


def test_a_launched_kernel_boots_with_the_commands_collector_and_closes_behind(tmp_path):
    """Its imports are not collected over and over; the caller goes on while it shuts down."""
    import nbformat

    from analysis.report.notebook import run_notebook

    cells = [nbformat.v4.new_code_cell("report = False")]
    cells[0].metadata["tags"] = ["parameters"]
    cells.append(nbformat.v4.new_code_cell("import gc\nprint(gc.get_threshold())"))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
    nbformat.write(notebook, tmp_path / "probe.ipynb")
    launched = launch_report_kernel()
    manager = launched.manager
    run_notebook(
        tmp_path / "probe.ipynb", tmp_path / "out.ipynb", {"report": True}, kernel=launched
    )
    assert launched.manager is None  # closing, in another thread
    launched.close()  # waits for it
    assert not manager.has_kernel
    shutil.rmtree(launched.folder)
    output = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[-1].outputs[0]["text"]
    assert output.strip() == "(100000, 50, 50)"


def test_the_command_freezes_the_collector_before_the_interpreter_exits(monkeypatch):
    import gc

    from analysis import cli

    monkeypatch.setattr(sys, "argv", ["assess", "--help"])
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit):
            cli.main()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
