"""Notebooks as git would commit them, and a scratch copy of the checkout to run them in.

Notebook tests never run the working copy's notebooks as saved, nor in the checkout:
whoever explores a notebook in JupyterLab and saves it keeps its outputs in the working
copy, and git stores it through the nbstripout filter (``make`` defines it; see
.gitattributes). :func:`committed` is that filter's output. The notebooks name their files
relative to ``notebooks/`` (``../data/...``) and write under ``../reports``, so
:func:`scratch_checkout` copies ``data/`` and the committed notebooks into a temporary
folder, beside an empty ``reports/``: a kernel started in its ``notebooks/`` reads the same
inputs, writes nothing into the checkout and finds nothing an earlier run left there.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["ROOT", "committed", "scratch_checkout"]

#: The checkout (the repository's top folder).
ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def committed(notebook: bytes) -> bytes:
    """A notebook's bytes as git stores them: run through nbstripout as the filter runs it.

    In the checkout, so that the keys ``make`` configures (``filter.nbstripout.extrakeys``)
    apply; without them (no ``make`` yet) nbstripout drops outputs and counts all the same.
    """
    result = subprocess.run(
        [sys.executable, "-m", "nbstripout"],
        input=notebook,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def scratch_checkout(destination: Path, notebooks: Iterable[Path]) -> Path:
    """``destination`` made a copy of the checkout's ``data/`` (without the history), an
    empty ``reports/`` and the committed form of ``notebooks``; returns its ``notebooks/``."""
    shutil.copytree(
        ROOT / "data", destination / "data", ignore=shutil.ignore_patterns("history.sqlite*")
    )
    (destination / "reports").mkdir()
    folder = destination / "notebooks"
    folder.mkdir()
    for path in notebooks:
        (folder / path.name).write_bytes(committed(path.read_bytes()))
    return folder
