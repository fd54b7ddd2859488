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

from analysis.assess.audit import Audit, audit_catalog
from analysis.assess.scoring import Score, score_task
from analysis.errors import AnalysisError, CatalogError, DependencyCycleError, RubricError
from analysis.inputs.catalog import read_catalog, write_catalog
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.rubric import Rubric, read_rubric
from analysis.model import Catalog, Finding, Task

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
