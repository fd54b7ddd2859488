"""Where things are: the defaults that ship with the package, and the user's working folder.

The rubric, the rules, the safety gates, the vocabulary, the default
scenario, the report notebook and its HTML templates are package resources
(``analysis/data/``), found with :mod:`importlib.resources`, so an installed
wheel works in any folder and on any worker that has the package. Everything
the user owns is a path relative to the folder the command runs in: the
example catalog and scenarios under ``data/``, the reports under
``reports/`` and the weekly history in ``data/history.sqlite``. In a
checkout, that folder is the repository root.

>>> DEFAULT_RUBRIC.name, DEFAULT_RUBRIC.is_file()
('rubric.yaml', True)
>>> str(REPORTS_DIR), REPORTS_DIR.is_absolute()
('reports', False)
"""

from __future__ import annotations

import contextlib
import os
from importlib import resources
from pathlib import Path

from analysis.errors import AnalysisError

__all__ = [
    "WORKDIR_VARIABLE",
    "shown_path",
    "shown_to_path",
    "bundled",
    "DEFAULT_RUBRIC",
    "DEFAULT_GATES",
    "DEFAULT_GRAPH_RULES",
    "DEFAULT_IMPORT_WORDS",
    "DEFAULT_VOCABULARY",
    "DEFAULT_SCENARIO",
    "WEEKLY_NOTEBOOK",
    "TEMPLATES",
    "REPORTS_DIR",
    "DEFAULT_HISTORY",
    "SEED_CATALOG",
]


#: The folder paths are shown relative to, when a process (a report's kernel) runs elsewhere.
WORKDIR_VARIABLE = "ASSESS_WORKDIR"


def shown_path(source: str | os.PathLike | None) -> str | None:
    """A file's path for an output: never a local absolute path the user did not type.

    A bundled file is ``bundled:rubric.yaml`` (the same on every machine); a
    path under the working folder is relative to it; anything else stays as it
    was given (``<memory>`` too).

    >>> shown_path(bundled("rubric.yaml")), shown_path("team.yaml"), shown_path(None)
    ('bundled:rubric.yaml', 'team.yaml', None)
    """
    if source is None:
        return None
    text = os.fspath(source)
    if not text or text.startswith("<"):
        return text
    path = Path(text)
    data = resources.files("analysis").joinpath("data")
    if isinstance(data, Path):
        with contextlib.suppress(ValueError, OSError):
            return "bundled:" + path.resolve().relative_to(data.resolve()).as_posix()
    if path.is_absolute():
        with contextlib.suppress(ValueError, OSError):
            return path.relative_to(os.environ.get(WORKDIR_VARIABLE) or Path.cwd()).as_posix()
    return text


def shown_to_path(shown: str) -> Path:
    """The file a :func:`shown_path` names, found again from this process.

    ``bundled:NAME`` is the package's own file; a relative path is taken from
    the working folder (``ASSESS_WORKDIR`` when set), as :func:`shown_path` made it.

    >>> shown_to_path("bundled:rubric.yaml") == DEFAULT_RUBRIC
    True
    """
    if shown.startswith("bundled:"):
        return bundled(shown.removeprefix("bundled:"))
    path = Path(shown)
    if path.is_absolute():
        return path
    return Path(os.environ.get(WORKDIR_VARIABLE) or Path.cwd()) / path


def bundled(name: str) -> Path:
    """The path of a file (or folder) shipped in ``analysis/data/``.

    Readers take paths, and name them in their errors, so the package must be
    installed as files (a wheel or an editable install), not imported from a
    zip archive.

    Raises
    ------
    AnalysisError
        When the package's data is not on disk, or ``name`` is not part of it.
    """
    resource = resources.files("analysis").joinpath("data", name)
    if not isinstance(resource, Path):
        raise AnalysisError(
            f"the package's data file {name} is inside an archive ({resource}); "
            "install the package as files"
        )
    if not resource.exists():
        raise AnalysisError(f"the package's data file {name} is missing ({resource})")
    return resource


#: The default rubric: the seed's three headings as rules, and points.
DEFAULT_RUBRIC = bundled("rubric.yaml")
#: The seed's execution criteria as safety gates.
DEFAULT_GATES = bundled("gates.yaml")
#: Dependency inference rules and overlap settings.
DEFAULT_GRAPH_RULES = bundled("graph-rules.yaml")
#: The words that markdown import reads facts from.
DEFAULT_IMPORT_WORDS = bundled("import-words.yaml")
#: The values every fact may take (a rubric may add activities and touched areas).
DEFAULT_VOCABULARY = bundled("vocabulary.yaml")
#: The scenario of a catalog that names none: nothing above MEDIUM, no other limit.
DEFAULT_SCENARIO = bundled("default-scenario.yaml")
#: The notebook ``assess report`` runs (``notebooks/5.0-weekly-report.ipynb`` links to it).
WEEKLY_NOTEBOOK = bundled("weekly-report.ipynb")
#: nbconvert templates: the offline report page and the batch index page.
TEMPLATES = bundled("templates")

# The user's files: relative to the folder the command runs in.

#: Where reports and sweep tables go unless ``--out`` says otherwise.
REPORTS_DIR = Path("reports")
#: The weekly history, unless ``--history`` says otherwise.
DEFAULT_HISTORY = Path("data", "history.sqlite")
#: The bundled example: the seed assessment as a catalog (it names its limits and its
#: hand-made plan, ``data/scenarios/``, under ``catalog.scenarios``).
SEED_CATALOG = Path("data", "catalogs", "cc03-ultra-marathon.yaml")
