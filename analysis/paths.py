"""Where the bundled data lives, found from the package's own location.

Notebooks and tests start in other folders; nothing here depends on the
working directory.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ROOT", "DATA_DIR", "CATALOGS_DIR", "RUBRICS_DIR", "DEFAULT_RUBRIC", "SEED_CATALOG"]

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
CATALOGS_DIR = DATA_DIR / "catalogs"
RUBRICS_DIR = DATA_DIR / "rubrics"
DEFAULT_RUBRIC = RUBRICS_DIR / "default.yaml"
SEED_CATALOG = CATALOGS_DIR / "cc03-ultra-marathon.yaml"
