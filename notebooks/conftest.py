"""nbval runs each notebook as git would commit it, in a scratch copy of the checkout.

pytest collects ``notebooks/*.ipynb`` with nbval (see pyproject.toml); this swaps nbval's
collector for one that reads the notebook through nbstripout, git's clean filter, and starts
its kernel in a temporary folder (tests/notebook_copies.py): outputs saved from JupyterLab
change nothing, and no notebook reads or writes the checkout's ``reports/``. Test ids and
``pytest notebooks/3.0-plan.ipynb`` stay as they were.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import py
import pytest
from nbval.plugin import IPyNbFile

from tests.notebook_copies import scratch_checkout


class CommittedNotebook(IPyNbFile):
    """nbval's notebook file, read and run from its committed copy in a scratch checkout.

    nbval reads the notebook from ``fspath`` and starts the kernel in its folder: here
    that is the copy, while ``path`` (test ids, selection) stays the notebook in the checkout.
    """

    @functools.cached_property
    def copy(self) -> Path:
        scratch = Path(tempfile.mkdtemp(prefix=f"nbval-{self.path.stem}-"))
        self.config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))
        return scratch_checkout(scratch, [self.path]) / self.path.name

    @property
    def fspath(self):
        return py.path.local(self.copy)


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    collected = yield
    return [
        CommittedNotebook.from_parent(parent, path=file_path) if type(node) is IPyNbFile else node
        for node in collected
    ]
