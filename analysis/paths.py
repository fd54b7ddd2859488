"""Where the bundled data lives, found from the package's own location.

Notebooks and tests start in other folders; nothing here depends on the
working directory.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ROOT",
    "DATA_DIR",
    "CATALOGS_DIR",
    "RUBRICS_DIR",
    "SCENARIOS_DIR",
    "NOTEBOOKS_DIR",
    "REPORTS_DIR",
    "DEFAULT_RUBRIC",
    "SEED_CATALOG",
    "SEED_SCENARIO",
    "resolve",
]

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CATALOGS_DIR = DATA_DIR / "catalogs"
RUBRICS_DIR = DATA_DIR / "rubrics"
SCENARIOS_DIR = DATA_DIR / "scenarios"
NOTEBOOKS_DIR = ROOT / "notebooks"
REPORTS_DIR = ROOT / "reports"
DEFAULT_RUBRIC = RUBRICS_DIR / "default.yaml"
SEED_CATALOG = CATALOGS_DIR / "cc03-ultra-marathon.yaml"
SEED_SCENARIO = SCENARIOS_DIR / "seed-limits.yaml"


def resolve(path: str | Path) -> Path:
    """``path`` as given when it exists (or is absolute), else relative to the repository.

    Notebooks run in ``notebooks/``; this lets their parameters name
    ``data/...`` as the README does.
    """
    given = Path(path)
    if given.is_absolute() or given.exists():
        return given
    candidate = ROOT / given
    return candidate if candidate.exists() else given
