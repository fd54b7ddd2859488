"""Production-impact assessment of infrastructure task catalogs.

The pipeline runs one way: a catalog is read and validated, each task is
scored by a rubric kept in data, and the audit lists where the catalog
disagrees with itself.

>>> from analysis import read_catalog, read_rubric, audit_catalog
>>> from analysis.paths import SEED_CATALOG
>>> rubric = read_rubric()
>>> result = audit_catalog(read_catalog(SEED_CATALOG, vocabulary=rubric.vocabulary), rubric)
>>> len(result.catalog)
43
"""

from analysis.audit import Audit as Audit
from analysis.audit import Finding as Finding
from analysis.audit import audit_catalog as audit_catalog
from analysis.catalog import parse_catalog as parse_catalog
from analysis.catalog import read_catalog as read_catalog
from analysis.catalog import write_catalog as write_catalog
from analysis.errors import AnalysisError as AnalysisError
from analysis.errors import CatalogError as CatalogError
from analysis.errors import DependencyCycleError as DependencyCycleError
from analysis.errors import RubricError as RubricError
from analysis.model import Catalog as Catalog
from analysis.model import Task as Task
from analysis.scoring import Rubric as Rubric
from analysis.scoring import Score as Score
from analysis.scoring import read_rubric as read_rubric
from analysis.scoring import score_task as score_task

__version__ = "0.1.0"
