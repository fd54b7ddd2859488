"""Writing an import: the catalog, and the scenarios of the document's own plan beside it.

``assess import-markdown FILE -o team.yaml`` writes ``team.yaml`` and, when the
document states limits or a plan, ``team.limits.scenario.yaml`` (its limits) and
``team.plan.scenario.yaml`` (its plan, extending the limits). The catalog names
them (``catalog.scenarios``), so ``assess plan team.yaml`` and ``assess report
team.yaml`` plan under the document's own limits and check its own plan. Files
ending in ``.scenario.yaml`` are never read as catalogs by batch reports.

Every file is checked before any is written (the scenarios are parsed back and
checked against the catalog), and each is written atomically; the catalog last.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from analysis.errors import InputError, MarkdownError
from analysis.files import write_text_atomic
from analysis.inputs.catalog import catalog_format, write_catalog
from analysis.inputs.scenario import check_scenario, parse_scenario
from analysis.model import Catalog

__all__ = [
    "SCENARIO_SUFFIX",
    "scenario_paths",
    "write_import",
]

SCENARIO_SUFFIX = ".scenario.yaml"


def scenario_paths(output: Path, kinds: list[str]) -> dict[str, Path]:
    """Where each scenario of an import written to ``output`` goes."""
    stem = output.name.removesuffix(output.suffix)
    return {kind: output.with_name(f"{stem}.{kind}{SCENARIO_SUFFIX}") for kind in kinds}


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def write_import(
    catalog: Catalog, scenarios: Mapping[str, Mapping[str, Any]], output: str | os.PathLike
) -> list[Path]:
    """Write the catalog to ``output`` and its scenarios beside it; the paths written.

    Raises
    ------
    MarkdownError
        When the scenarios the document gives are invalid (nothing is written).
    """
    output = Path(output)
    if output.is_dir():
        raise InputError(
            "is a folder: give the catalog's file name (.yaml, .yml or .csv)",
            source=str(output),
            field="--output",
        )
    catalog_format(output)  # an unknown suffix is refused before anything is written
    paths = scenario_paths(output, [k for k in ("limits", "plan") if k in scenarios])
    texts: dict[Path, str] = {}
    limits = dict(scenarios.get("limits") or {})
    if "limits" in paths:
        texts[paths["limits"]] = _dump(limits)
    if "plan" in paths:
        plan = {"extends": paths["limits"].name, **scenarios["plan"]}
        texts[paths["plan"]] = _dump(plan)
    for kind, path in paths.items():
        merged = {**limits, **scenarios[kind]} if kind == "plan" else limits
        try:
            check_scenario(parse_scenario(merged, source=str(path)), catalog)
        except InputError as exc:
            raise MarkdownError(
                f"the document's {kind} does not give a valid scenario: {exc.problem}",
                source=catalog.source,
                record=exc.record,
                field=exc.field,
            ) from exc
    named = replace(catalog, scenarios=tuple(path.name for path in paths.values()))
    for path, text in texts.items():
        write_text_atomic(path, text)
    write_catalog(named, output)
    return [*paths.values(), output]
