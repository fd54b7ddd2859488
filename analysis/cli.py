"""The ``assess`` command: a thin face over :mod:`analysis`.

Exit codes: 0 done (findings are results), 1 ``--strict`` with findings,
2 bad input (one line on stderr; ``--debug`` shows the traceback),
3 an internal error (a bug: the traceback is always shown).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from analysis.audit import audit_catalog
from analysis.catalog import read_catalog
from analysis.errors import AnalysisError
from analysis.formats import format_audit
from analysis.paths import DEFAULT_RUBRIC, SEED_CATALOG
from analysis.scoring import read_rubric

app = typer.Typer(
    name="assess",
    help="Production-impact assessment of infrastructure task catalogs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_BUG = 3


class AuditFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


DebugOption = Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error.")]
RubricOption = Annotated[
    Path, typer.Option("--rubric", help="Rubric file (YAML).", show_default=True)
]

T = TypeVar("T")


@app.callback()
def _group() -> None:
    """Production-impact assessment of infrastructure task catalogs."""


def _run(debug: bool, body: Callable[[], T]) -> T:
    """Run ``body``; bad input exits 2 with one line, a bug exits 3 with a traceback."""
    try:
        return body()
    except AnalysisError as exc:
        if debug:
            traceback.print_exc()
        print(f"assess: error: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug: say so, and show where
        traceback.print_exc()
        print(f"assess: internal error (please report): {exc!r}", file=sys.stderr)
        raise typer.Exit(EXIT_BUG) from None


def _emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command()
def audit(
    catalog: Annotated[
        Path, typer.Argument(help="Catalog file (.yaml, .yml or .csv).", show_default=False)
    ] = SEED_CATALOG,
    rubric: RubricOption = DEFAULT_RUBRIC,
    fmt: Annotated[
        AuditFormat, typer.Option("--format", help="Output format.")
    ] = AuditFormat.table,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when there are findings.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Every task's level with its reasons, then the findings."""

    def body() -> int:
        rules = read_rubric(rubric)
        result = audit_catalog(read_catalog(catalog, vocabulary=rules.vocabulary), rules)
        _emit(format_audit(result, fmt.value))
        return len(result.findings)

    findings = _run(debug, body)
    if strict and findings:
        raise typer.Exit(EXIT_FINDINGS)


def main() -> None:
    """Console entry point: UTF-8 output whatever the locale says."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    app()


if __name__ == "__main__":
    main()
