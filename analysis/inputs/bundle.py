"""Everything one run reads: a catalog, the rubric, the graph rules and the safety gates.

Every command that assesses a catalog reads the same four inputs, with the
same defaults (the bundled rubric, rules and gates) and the same options
(``--rubric``, ``--rules``, ``--gates``): :func:`read_inputs` is the one place
that does it. The catalog is read with the rubric's vocabulary, so a rubric's
added activities and areas are allowed in it.

Examples
--------
>>> inputs = read_inputs("data/catalogs/cc03-ultra-marathon.yaml")
>>> len(inputs.catalog), inputs.rubric.name, len(inputs.gates) > 0
(43, 'default', True)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import CatalogError, InputError
from analysis.inputs.catalog import read_catalog
from analysis.inputs.catalog_records import scale_efforts
from analysis.inputs.gate_rules import Gate, read_gates
from analysis.inputs.graph_rules import GraphRules, read_graph_rules
from analysis.inputs.rubric import Rubric, read_rubric
from analysis.model import Catalog
from analysis.resources import DEFAULT_GATES, DEFAULT_GRAPH_RULES, DEFAULT_RUBRIC, SEED_CATALOG

__all__ = ["Inputs", "read_inputs", "catalog_or_example"]


@dataclass(frozen=True)
class Inputs:
    """The inputs of one run, read and checked; ``catalog_path`` names the catalog in errors."""

    catalog: Catalog
    rubric: Rubric
    graph_rules: GraphRules
    gates: tuple[Gate, ...]
    catalog_path: Path

    @contextlib.contextmanager
    def naming_the_catalog(self) -> Iterator[None]:
        """Bad input found while using the inputs (a cycle a rule makes) names the catalog file."""
        try:
            yield
        except InputError as exc:
            raise exc.with_context(source=str(self.catalog_path)) from exc


def catalog_or_example(catalog: str | os.PathLike | None) -> Path:
    """``catalog`` as a path; when it is None, the example catalog of the working folder.

    Raises
    ------
    CatalogError
        When no catalog is given and the example is not in the working folder
        (an installed package run elsewhere).
    """
    if catalog is not None:
        return Path(catalog)
    if not SEED_CATALOG.is_file():
        raise CatalogError(
            f"no catalog given, and the example {SEED_CATALOG} is not in the working folder "
            f"{Path.cwd()}: give a catalog file"
        )
    return SEED_CATALOG


def read_inputs(
    catalog: str | os.PathLike | None = None,
    *,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
    effort_factor: float = 1.0,
    parsed: Catalog | None = None,
) -> Inputs:
    """Read the rubric, the catalog (with the rubric's vocabulary), the rules and the gates.

    A path left out is the bundled default (the catalog's: the example catalog
    ``data/catalogs/cc03-ultra-marathon.yaml`` in the working folder).
    ``effort_factor`` scales every estimate (a what-if). ``parsed`` is the
    catalog already read from ``catalog`` with the same rubric (a report's
    kernel gets it from the command, which has read and checked it): it is
    used as it is, not read again.

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first problem.
    """
    scoring = read_rubric(Path(rubric or DEFAULT_RUBRIC))
    catalog_path = catalog_or_example(catalog)
    tasks = (
        parsed if parsed is not None else read_catalog(catalog_path, vocabulary=scoring.vocabulary)
    )
    if effort_factor != 1.0:
        tasks = scale_efforts(tasks, effort_factor)
    return Inputs(
        catalog=tasks,
        rubric=scoring,
        graph_rules=read_graph_rules(Path(rules or DEFAULT_GRAPH_RULES)),
        gates=read_gates(Path(gates or DEFAULT_GATES)),
        catalog_path=catalog_path,
    )
