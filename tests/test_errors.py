"""The error tree: one line each, and every error survives pickling with its fields."""

from __future__ import annotations

import inspect
import pickle

import pytest

from analysis import errors
from analysis.errors import (
    AnalysisError,
    CatalogError,
    DependencyCycleError,
    InputError,
    ReportError,
)

#: Every error class the module defines.
ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, AnalysisError) and cls.__module__ == errors.__name__
]


def example(cls: type[AnalysisError]) -> AnalysisError:
    if cls is DependencyCycleError:
        return cls(
            ["A", "B", "A"], inferred={("B", "A"): ["design-before-change"]}, source="c.yaml"
        )
    if cls is ReportError:
        return cls("weekly-report.ipynb: cell 3 failed: ValueError: x", cell=3)
    if issubclass(cls, InputError):
        return cls("must be positive, got 0", source="f.yaml", line=4, task="T1", field="effort")
    return cls("something went wrong")


def test_the_tree_is_complete():
    assert set(errors.__all__) == {cls.__name__ for cls in ERRORS}
    assert all(cls.__name__.endswith("Error") for cls in ERRORS)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_pickles_with_its_fields(cls):
    error = example(cls)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls
    assert str(back) == str(error) and back.args == error.args
    assert vars(back) == vars(error)
    if isinstance(error, InputError):
        assert (back.source, back.line, back.task, back.field) == ("f.yaml", 4, "T1", "effort") or (
            cls is DependencyCycleError
        )
        assert back.with_context(source="other.yaml").source == error.source


def test_a_cycle_keeps_its_cycle_and_rules():
    back = pickle.loads(pickle.dumps(example(DependencyCycleError)))
    assert back.cycle == ("A", "B", "A")
    assert back.inferred == {("B", "A"): ["design-before-change"]}
    assert str(back) == (
        "c.yaml: task A: field 'depends_on': dependency cycle A -> B -> A "
        "(inferred: B -> A by design-before-change)"
    )


def test_a_report_error_keeps_its_cell():
    assert pickle.loads(pickle.dumps(example(ReportError))).cell == 3


def test_catalog_error_reads_as_one_line():
    error = CatalogError("x", source="a.yaml", line=2, task="T", field="f")
    assert str(error) == "a.yaml:2: task T: field 'f': x" and "\n" not in str(error)
