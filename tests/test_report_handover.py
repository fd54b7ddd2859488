"""The report's command reads and checks its inputs while its kernel starts, and hands
them over; the kernel assesses them.

The command launches the kernel first (:func:`launch_report_kernel`), so that it
boots and imports (the solver too) while the command reads; whatever happens,
the kernel is shut down, its channels closed and its folder removed.

The kernel's first cell assesses what it is handed
(:func:`analysis.report.handover.assess_for_report`); an error while assessing
is handed back, and is the command's error (the kernel stopping at that cell).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import replace

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
    """A scenario that only the assessing finds wrong (here its checks were skipped: read
    as is) fails the command with the kernel's error, as bad input, and writes nothing."""
    from analysis.errors import ScenarioError

    def unchecked(catalog, scenarios, **options):
        inputs, chosen = read_files(catalog, scenarios, **options)
        return inputs, [replace(chosen[0], rules_off=("no-such-rule",))]

    monkeypatch.setattr(render, "read_files", unchecked)
    with pytest.raises(ScenarioError, match="no-such-rule") as raised:
        render.render_report(week="2026-W47", out=tmp_path / "out", history=None)
    assert raised.value.field == "rules_off"
    assert isinstance(raised.value.__cause__, ReportError)  # the cell that stopped
    assert not [t for t in threading.enumerate() if t.name == "weekly notebook"]
    assert not list((tmp_path / "out").rglob("weekly-report.html"))


def test_the_kernel_assesses_what_it_is_handed(tmp_path, monkeypatch):
    from analysis.report.prepared import Prepared, hand_over, handed_back

    prepared = tmp_path / "inputs.pickle"
    with pytest.raises(ReportError, match="handed over no inputs"):
        handover.assess_for_report(prepared=prepared)
    inputs, chosen = read_files(every_default=True)
    hand_over(Prepared(inputs, tuple(chosen)), prepared)
    made = assess_files(every_default=True)
    again = handover.assess_for_report(prepared=prepared)
    assert [a.scenario.name for a in again] == [a.scenario.name for a in made]
    assert again[0].selection.left_out == made[0].selection.left_out
    assert handed_back(prepared) is None

    def fail(inputs, chosen):
        raise InputError("found while assessing", source="x.yaml", field="tasks")

    monkeypatch.setattr(handover, "assess_inputs", fail)
    with pytest.raises(InputError, match="found while assessing"):
        handover.assess_for_report(prepared=prepared)
    back = handed_back(prepared)
    assert isinstance(back, InputError) and (back.source, back.field) == ("x.yaml", "tasks")


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


def _probe_notebook(path, cells: list[str]) -> None:
    import nbformat

    made = [nbformat.v4.new_code_cell("report = False")]
    made[0].metadata["tags"] = ["parameters"]
    made += [nbformat.v4.new_code_cell(source) for source in cells]
    notebook = nbformat.v4.new_notebook(cells=made)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
    nbformat.write(notebook, path)


def test_a_launched_kernel_imports_what_its_notebook_imports_before_it_answers(tmp_path):
    """The first cell finds the modules of a later one loaded, and the preload leaves no
    trace in the kernel's environment; without the notebook, nothing is preloaded."""
    from analysis.report.notebook import notebook_imports, run_notebook

    probe = tmp_path / "probe.ipynb"
    _probe_notebook(
        probe,
        [
            "import os, sys\n"
            "print('zipapp' in sys.modules, 'ANALYSIS_KERNEL_PRELOAD' in os.environ)",
            "%%time\nimport json",  # a magic: not Python, not read
            "import zipapp\ntry:\n    import no_such_module\nexcept ImportError:\n    pass",
        ],
    )
    assert notebook_imports(probe).splitlines() == ["import os, sys", "import zipapp"]
    for notebook, preloaded in ((probe, "True"), (None, "False")):
        launched = launch_report_kernel(notebook)
        try:
            node = run_notebook(probe, None, {"report": True}, kernel=launched)
        finally:
            launched.close()
            shutil.rmtree(launched.folder)
        assert node.cells[2].outputs[0]["text"].split() == [preloaded, "False"], notebook


def test_an_import_that_fails_ahead_is_left_to_the_notebook(tmp_path):
    """A preload line that fails is skipped; the next ones run, and the kernel answers."""
    from analysis.report.notebook import LaunchedKernel, notebook_imports, run_notebook
    from analysis.report.publish import make_scratch

    probe = tmp_path / "probe.ipynb"
    _probe_notebook(probe, ["import sys\nprint('zipapp' in sys.modules)"])
    launched = LaunchedKernel(make_scratch(), preload="import no_such_module\nimport zipapp")
    try:
        node = run_notebook(probe, None, {"report": True}, kernel=launched)
    finally:
        launched.close()
        shutil.rmtree(launched.folder)
    assert node.cells[2].outputs[0]["text"].split() == ["True"]  # after papermill's cell
    cell = {"cell_type": "code", "source": ["from . import x\n", "from os import sep"]}
    (tmp_path / "relative.ipynb").write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    assert notebook_imports(tmp_path / "relative.ipynb") == "from os import sep"


def test_a_notebook_that_cannot_be_read_has_nothing_to_preload(tmp_path):
    from analysis.report.notebook import notebook_imports

    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    (tmp_path / "odd.ipynb").write_text('{"cells": [7, {"cell_type": "code"}]}', encoding="utf-8")
    assert notebook_imports(tmp_path / "missing.ipynb") == ""
    assert notebook_imports(tmp_path / "broken.ipynb") == ""
    assert notebook_imports(tmp_path / "odd.ipynb") == ""


def _scratch_of(pid: int) -> list[str]:
    import tempfile

    from analysis.report.publish import SCRATCH_PREFIX

    return [n for n in os.listdir(tempfile.gettempdir()) if n.startswith(f"{SCRATCH_PREFIX}{pid}-")]


@pytest.mark.parametrize(
    "args",
    [["report", "--week", "bogus"], ["report", "--no-such-option"], ["report", "--help"]],
)
def test_a_command_line_that_turns_out_wrong_closes_the_early_kernel(tmp_path, args):
    """``assess report`` launches its kernel before typer parses; a wrong command line (or
    help) leaves no kernel and no scratch folder behind."""
    code = (
        "import os, sys\n"
        "from analysis import cli\n"
        "launched = []\n"
        "from analysis.report import ahead\n"
        "real = ahead.launch_for\n"
        "def spy(a):\n"
        "    real(a)\n"
        "    launched.extend(ahead._LAUNCHED)\n"
        "ahead.launch_for = spy\n"
        f"sys.argv = ['assess', *{args!r}]\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code, len(launched), [k.manager is None for k in launched], ahead._LAUNCHED)\n"
        "print(os.getpid())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    summary, pid = done.stdout.strip().splitlines()[-2:]
    help_asked = "--help" in args
    expected = (
        "0 0 [] []"
        if help_asked
        else "2 1 [True] []"  # exit 2, one kernel launched early, closed, none left
    )
    assert summary == expected, done.stderr
    assert not _scratch_of(int(pid))
