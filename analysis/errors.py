"""The error hierarchy of the suite, by meaning.

Every error the suite raises on purpose derives from :class:`AnalysisError`.
Errors about input (:class:`InputError` and its subclasses, one per kind of
file) carry the fields a person needs to find the mistake (the file, the
line, the task or record, the field) and print as one line; they survive
pickling with those fields, so an error raised on a Dask worker arrives whole.
:class:`ReportError` is a report whose notebook failed, naming the cell.

Examples
--------
>>> err = CatalogError("must be positive, got 0", task="384-T01", field="effort")
>>> print(err.with_context(source="seed.yaml", line=12))
seed.yaml:12: task 384-T01: field 'effort': must be positive, got 0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Self, TypedDict, Unpack

__all__ = [
    "AnalysisError",
    "InputError",
    "CatalogError",
    "DependencyCycleError",
    "RubricError",
    "ScenarioError",
    "GateError",
    "GraphRulesError",
    "HistoryError",
    "MarkdownError",
    "PsplibError",
    "ReportError",
    "SweepError",
]


class AnalysisError(Exception):
    """Root of every error the suite raises on purpose.

    Errors pickle with their fields (the file, line, task, field, a cycle, a
    cell), whatever their constructor takes: Dask sends a worker's errors by
    pickling them.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(
    error_type: type[AnalysisError], args: tuple[Any, ...], state: dict[str, Any]
) -> AnalysisError:
    """An error as it was pickled, without calling its constructor again."""
    error = error_type.__new__(error_type)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


@dataclass(frozen=True)
class _Where:
    source: str | None = None
    line: int | None = None
    task: str | None = None
    record: str | None = None
    field: str | None = None


class _WhereArgs(TypedDict, total=False):
    """:class:`InputError`'s keyword arguments that say where, for subclasses to pass on."""

    source: str | None
    line: int | None
    task: str | None
    record: str | None
    field: str | None


class InputError(AnalysisError):
    """Bad input: a file, a record or a field that cannot be used.

    Parameters
    ----------
    problem : str
        One sentence naming the bad value.
    source : str, optional
        The file (or ``<memory>``) the input came from.
    line : int, optional
        1-based line in ``source``.
    task : str, optional
        Id of the task the problem belongs to.
    record : str, optional
        A label for a record that is not a task, such as ``issue #381``.
    field : str, optional
        Name of the offending field.
    """

    kind = "input"

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        task: str | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = problem
        self._where = _Where(source, line, task, record, field)
        super().__init__(self._render())

    @property
    def source(self) -> str | None:
        return self._where.source

    @property
    def line(self) -> int | None:
        return self._where.line

    @property
    def task(self) -> str | None:
        return self._where.task

    @property
    def record(self) -> str | None:
        return self._where.record

    @property
    def field(self) -> str | None:
        return self._where.field

    def with_context(self, *, source: str | None = None, line: int | None = None) -> Self:
        """Return a copy that also names the file and line (kept when already set)."""
        where = replace(
            self._where,
            source=self._where.source or source,
            line=self._where.line or line,
        )
        clone = self._clone(where)
        clone.__cause__ = self.__cause__
        return clone

    def _clone(self, where: _Where) -> Self:
        return type(self)(
            self.problem,
            source=where.source,
            line=where.line,
            task=where.task,
            record=where.record,
            field=where.field,
        )

    def _render(self) -> str:
        where = self._where
        head = where.source or ""
        if where.line is not None:
            head = f"{head}:{where.line}" if head else f"line {where.line}"
        parts = [head] if head else []
        if where.record is not None:
            parts.append(_clip(where.record))
        elif where.task is not None:
            parts.append(f"task {_clip(where.task)}")
        if where.field is not None:
            parts.append(f"field '{_clip(where.field)}'")
        parts.append(self.problem)
        return ": ".join(parts)


def _clip(text: str, size: int = 80) -> str:
    """A name from the input, short enough for one line (a hostile id may be megabytes)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: size + 1])
    return text if len(text) <= size else f"{text[:size]}…"


class CatalogError(InputError):
    """A task catalog that cannot be loaded: names the file, task and field."""

    kind = "catalog"


class DependencyCycleError(CatalogError):
    """Dependencies that form a cycle.

    Parameters
    ----------
    cycle : sequence of str
        The task ids around the cycle as ``depends_on`` reads (``A -> B``: A
        depends on B), the first id repeated at the end.
    inferred : mapping, optional
        Links of the cycle that a rule inferred: ``(A, B)`` to the rule ids.
    """

    def __init__(
        self,
        cycle: Sequence[str],
        *,
        inferred: Mapping[tuple[str, str], Sequence[str]] | None = None,
        **where: Unpack[_WhereArgs],
    ) -> None:
        self.cycle = tuple(cycle)
        self.inferred = dict(inferred or {})
        problem = "dependency cycle " + " -> ".join(self.cycle)
        if self.inferred:
            links = [f"{a} -> {b} by {', '.join(rules)}" for (a, b), rules in self.inferred.items()]
            problem += f" (inferred: {'; '.join(links)})"
        where.setdefault("task", self.cycle[0])
        where.setdefault("field", "depends_on")
        super().__init__(problem, **where)

    def _clone(self, where: _Where) -> DependencyCycleError:
        return DependencyCycleError(
            self.cycle,
            inferred=self.inferred,
            source=where.source,
            line=where.line,
            task=where.task,
            record=where.record,
            field=where.field,
        )


class RubricError(InputError):
    """A rubric that cannot be used: names the file, the fact and the field."""

    kind = "rubric"


class ScenarioError(InputError):
    """A scenario that cannot be used: names the file, the field and the bad value."""

    kind = "scenario"


class GateError(InputError):
    """A gates file (or a scenario's gate modes) that cannot be used."""

    kind = "gates"


class GraphRulesError(InputError):
    """A graph rules file that cannot be used."""

    kind = "graph-rules"


class HistoryError(InputError):
    """A history file or week that cannot be used."""

    kind = "history"


class MarkdownError(InputError):
    """A markdown file that is not an assessment, or cannot be turned into a catalog."""

    kind = "markdown"


class PsplibError(InputError):
    """A PSPLIB file that cannot be read."""

    kind = "psplib"


class ReportError(AnalysisError):
    """A report that could not be rendered; names the notebook cell when one failed."""

    def __init__(self, message: str, *, cell: int | None = None) -> None:
        self.cell = cell
        super().__init__(message)


class SweepError(InputError):
    """A sweep file that cannot be used."""

    kind = "sweep"
