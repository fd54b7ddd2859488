"""Pathological inputs for every parser, made to a size, and a probe that times one parse.

Each case is ``(name, parser, make)``: ``make(n)`` gives a text of about ``n``
characters built from runs that trip backtracking patterns and recursive
parsers (backticks, spaces, asterisks, pipes, brackets, nesting). The probe
(``python -m tests.hostile.cases PARSER FILE``) parses one file in a fresh
process and prints the outcome and the seconds the parse took as JSON, so
the callers can bound it with a timeout and compare sizes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "CASES",
    "SUFFIX",
    "write_case",
    "run_probe",
    "probe",
]

_CATALOG_HEAD = (
    "tasks:\n- {id: T1, issue: 1, activity: design, environment: none, effort: 1, title: "
)


def _nested_list(n: int) -> str:
    lines, depth = [], 0
    while sum(len(line) + 1 for line in lines) < n:
        lines.append("  " * depth + "- Risk: High")
        depth = (depth + 1) % 400
    return "# Deep\n" + "\n".join(lines) + "\n"


CASES: tuple[tuple[str, str, Callable[[int], str]], ...] = (
    ("md-backticks", "markdown", lambda n: "# T\n- 🔴 " + "`" * n + "\n"),
    ("md-backtick-pairs", "markdown", lambda n: "# T\n- 🔴 a" + "`a" * (n // 2) + "\n"),
    ("md-heading-spaces", "markdown", lambda n: "# " + " " * n + "x\n- 🔴 a\n"),
    ("md-field-spaces", "markdown", lambda n: "# T\n- a" + " " * n + "b\n  Risk:" + " " * n + "\n"),
    ("md-asterisks", "markdown", lambda n: "# T\n- 🔴 " + "*" * n + "\n"),
    ("md-emphasis", "markdown", lambda n: "# T\n- 🔴 " + "*a_" * (n // 3) + "\n"),
    ("md-pipes", "markdown", lambda n: "| Task | Risk |\n|---|---|\n| a " + "|" * n + " High |\n"),
    ("md-brackets", "markdown", lambda n: "# T\n- 🔴 " + "[" * n + "\n"),
    ("md-links", "markdown", lambda n: "# T\n- 🔴 " + "[a](" * (n // 4) + "\n"),
    ("md-colons", "markdown", lambda n: "# T\n- " + ":" * n + "\n"),
    ("md-parens", "markdown", lambda n: "# T\n- 🔴 a" + "(" * n + "\n"),
    ("md-html", "markdown", lambda n: "# T\n- 🔴 " + "<a " * (n // 3) + "\n"),
    ("md-nested-lists", "markdown", _nested_list),
    ("md-quotes", "markdown", lambda n: ">" * n + " - 🔴 a\n"),
    ("md-many-items", "markdown", lambda n: "# T\n" + "- 🔴 a\n" * (n // 6)),
    ("md-numbers", "markdown", lambda n: "# T\n- 🔴 Task " + "1" * n + ": a\n"),
    ("yaml-title", "catalog", lambda n: _CATALOG_HEAD + "a" * n + "}\n"),
    ("yaml-flow-nesting", "catalog", lambda n: "tasks: " + "[" * n + "\n"),
    ("yaml-flow-nesting-closed", "catalog", lambda n: "tasks: " + "[" * (n // 2) + "]" * (n // 2)),
    ("yaml-compact-nesting", "catalog", lambda n: "tasks:\n" + "- " * (n // 2) + "x\n"),
    (
        "yaml-block-nesting",
        "catalog",
        lambda n: (
            "tasks:\n" + "".join(" " * i + "- a:\n" for i in range(0, min(n // 40, 2000))) + "\n"
        ),
    ),
    ("yaml-spaces", "catalog", lambda n: "tasks:" + " " * n + "\n"),
    ("yaml-quotes", "catalog", lambda n: _CATALOG_HEAD + '"' + "\\\\" * (n // 2) + '"}\n'),
    (
        "csv-long-cell",
        "catalog-csv",
        lambda n: (
            "id,issue,title,activity,environment,effort\n" + "T1,1," + "x" * n + ",design,none,1\n"
        ),
    ),
    ("csv-quotes", "catalog-csv", lambda n: "id,issue,title\n" + '"' * n + "\n"),
    ("csv-commas", "catalog-csv", lambda n: "id,issue,title\n" + "," * n + "\n"),
    ("scenario-spaces", "scenario", lambda n: "appetite: MEDIUM\nname: " + " " * n + "x\n"),
)


#: The file suffix each parser reads.
SUFFIX = {"markdown": ".md", "catalog": ".yaml", "catalog-csv": ".csv", "scenario": ".yaml"}


def write_case(folder: Path, name: str, parser: str, make: Callable[[int], str], size: int) -> Path:
    """The case's text at ``size`` characters, in a file the parser reads."""
    path = folder / f"{name}-{size}{SUFFIX[parser]}"
    path.write_text(make(size), encoding="utf-8")
    return path


def run_probe(parser: str, path: Path, timeout: float) -> subprocess.CompletedProcess:
    """The probe on ``path`` in a fresh process (``TimeoutExpired`` past ``timeout``)."""
    return subprocess.run(
        [sys.executable, "-m", "tests.hostile.cases", parser, str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )


def _parse(parser: str, path: Path) -> None:
    if parser == "markdown":
        from analysis.inputs.markdown import read_markdown

        read_markdown(path)
    elif parser in ("catalog", "catalog-csv"):
        from analysis.inputs.catalog import read_catalog

        read_catalog(path)
    elif parser == "scenario":
        from analysis.inputs.scenario import read_scenario

        read_scenario(path)
    else:
        raise ValueError(f"unknown parser {parser!r}")


def probe(parser: str, path: Path) -> dict[str, object]:
    """Parse ``path``; the outcome (``ok``, ``refused``: the one line) and the seconds it took."""
    from analysis.errors import InputError

    started = time.perf_counter()
    try:
        _parse(parser, path)
        outcome, line = "ok", ""
    except InputError as error:
        outcome, line = "refused", str(error)
    return {"outcome": outcome, "line": line[:200], "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], Path(sys.argv[2]))))
