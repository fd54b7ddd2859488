"""Shared fixtures, built through the same public API users call."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from analysis.cli import app
from analysis.inputs.catalog import read_catalog
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.graph_rules import GraphRules, read_graph_rules
from analysis.inputs.rubric import Rubric, read_rubric
from analysis.model import Catalog

#: The repository, and the bundled example data in it (absolute: tests may change folder).
# Property tests draw the same examples on every run, so that a second run takes the same
# path as the first; HYPOTHESIS_PROFILE=explore draws new ones each run, to look for more
# (a failure found that way becomes an @example).
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SCENARIOS_DIR = DATA_DIR / "scenarios"
NOTEBOOKS_DIR = ROOT / "notebooks"
SEED_CATALOG = DATA_DIR / "catalogs" / "cc03-ultra-marathon.yaml"
SEED_SCENARIO = SCENARIOS_DIR / "seed-limits.yaml"
#: Test data.
DATA = Path(__file__).parent / "data"

#: A small valid catalog in the YAML shape: copy it, change one thing, parse.
TINY: dict[str, Any] = {
    "catalog": {"name": "tiny", "title": "Tiny", "declared": {"total": 3, "LOW": 1}},
    "defaults": {
        "effort_hours": {"design": 0.5, "implement": 1.0, "deploy": 2.0},
        "value": 1,
        "value_by_priority": {"P0": 3, "P1": 2},
    },
    "issues": [{"number": 1, "title": "One", "declared": {"total": 3}}],
    "tasks": [
        {
            "id": "T1",
            "issue": 1,
            "title": "Mesh 設計",
            "activity": "design",
            "environment": "none",
            "touches": ["network"],
            "priority": "P0",
            "declared_risk": "LOW",
        },
        {
            "id": "T2",
            "issue": 1,
            "title": "Mesh 実装 (開発環境)",
            "activity": "implement",
            "environment": "dev",
            "touches": ["network"],
            "reversibility": "reversible",
            "depends_on": ["T1"],
            "declared_risk": "MEDIUM",
        },
        {
            "id": "T3",
            "issue": 1,
            "title": "Mesh rollout (本番)",
            "activity": "deploy",
            "environment": "production",
            "touches": ["network"],
            "effort": {"optimistic": 1, "likely": 2, "pessimistic": 4},
            "value": 5,
            "depends_on": ["T2"],
            "declared_risk": "HIGH",
        },
    ],
}


def tiny_data() -> dict[str, Any]:
    """A fresh deep copy of :data:`TINY`, safe to modify."""
    return copy.deepcopy(TINY)


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return read_rubric()


@pytest.fixture(scope="session")
def graph_rules() -> GraphRules:
    return read_graph_rules()


@pytest.fixture(scope="session")
def seed_catalog(rubric: Rubric) -> Catalog:
    return read_catalog(SEED_CATALOG, vocabulary=rubric.vocabulary)


@pytest.fixture
def tiny_catalog() -> Catalog:
    return parse_catalog(tiny_data())


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def assess(runner: CliRunner):
    """Run the ``assess`` command in-process; returns the click Result."""

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return run
