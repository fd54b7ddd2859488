"""Production-impact assessment of infrastructure task catalogs.

The pipeline runs one way: a catalog is read and validated, each task is
scored by a rubric kept in data, and the audit lists where the catalog
disagrees with itself.

>>> from analysis import read_catalog, read_rubric, audit_catalog
>>> from analysis.resources import SEED_CATALOG
>>> rubric = read_rubric()
>>> result = audit_catalog(read_catalog(SEED_CATALOG, vocabulary=rubric.vocabulary), rubric)
>>> len(result.catalog)
43
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.assess.audit import Audit, audit_catalog
    from analysis.assess.scoring import Score, score_task
    from analysis.errors import AnalysisError, CatalogError, DependencyCycleError, RubricError
    from analysis.inputs.catalog import read_catalog, write_catalog
    from analysis.inputs.catalog_records import parse_catalog
    from analysis.inputs.rubric import Rubric, read_rubric
    from analysis.model import Catalog, Finding, Task

#: Where each name of the package's face lives. Loaded on first use: every command
#: imports ``analysis`` first, and the report's launches its kernel before anything heavy.
_HOMES = {
    "Audit": "analysis.assess.audit",
    "audit_catalog": "analysis.assess.audit",
    "Score": "analysis.assess.scoring",
    "score_task": "analysis.assess.scoring",
    "AnalysisError": "analysis.errors",
    "CatalogError": "analysis.errors",
    "DependencyCycleError": "analysis.errors",
    "RubricError": "analysis.errors",
    "read_catalog": "analysis.inputs.catalog",
    "write_catalog": "analysis.inputs.catalog",
    "parse_catalog": "analysis.inputs.catalog_records",
    "Rubric": "analysis.inputs.rubric",
    "read_rubric": "analysis.inputs.rubric",
    "Catalog": "analysis.model",
    "Finding": "analysis.model",
    "Task": "analysis.model",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AnalysisError",
    "Audit",
    "Catalog",
    "CatalogError",
    "DependencyCycleError",
    "Finding",
    "Rubric",
    "RubricError",
    "Score",
    "Task",
    "audit_catalog",
    "parse_catalog",
    "read_catalog",
    "read_rubric",
    "score_task",
    "write_catalog",
]

__version__ = "0.1.0"
