"""How well the markdown importer reads the assessment corpus: one row per document.

For every ``*.expect.yaml`` in FOLDER (default ``tests/data/assessments``), imports the
document with :func:`analysis.inputs.markdown.read_markdown` and compares it with the
truth written beside it (the format is in that folder's README):

* tasks expected / found: expected (title, group) pairs found in the import, matched in
  document order; extra: imported tasks that match none;
* levels: found tasks whose declared level is the expected one;
* refusal: whether the document was refused exactly when it should be (a refusal must
  contain the expected words);
* clusters expected / found: expected clusters whose tasks all sit in one of the graph's
  overlap clusters (:func:`analysis.assess.graph.analyse_graph`).

A document the importer fails on is a row with the error; the script always exits 0
(it reports figures; ``tests/test_corpus.py`` asserts them).

    .venv/bin/python bench/import_corpus.py [FOLDER]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from analysis.assess.graph import analyse_graph
from analysis.assess.scoring import score_catalog
from analysis.errors import MarkdownError
from analysis.inputs.graph_rules import read_graph_rules
from analysis.inputs.markdown import read_markdown
from analysis.inputs.rubric import read_rubric

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "tests" / "data" / "assessments"
COLUMNS = ("document", "lang", "tasks", "extra", "levels", "refusal", "clusters", "note")


def _group_matches(task: Any, issues: dict[int, Any], group: int | str) -> bool:
    """An expected group is an issue number, or the title of a (synthetic) issue."""
    if isinstance(group, int):
        return task.issue == group
    issue = issues.get(task.issue)
    return issue is not None and issue.title == group


def match_tasks(expected: list[dict], catalog: Any) -> dict[int, Any]:
    """Expected task index -> imported task, matched by title and group in document order."""
    issues = {issue.number: issue for issue in catalog.issues}
    tasks = list(catalog.tasks)
    matched: dict[int, Any] = {}
    start = 0
    for i, want in enumerate(expected):
        for j in range(start, len(tasks)):
            task = tasks[j]
            if task.title == want["title"] and _group_matches(task, issues, want["group"]):
                matched[i] = task
                start = j + 1
                break
    return matched


def clusters_found(expected: list[list[str]], catalog: Any) -> int:
    """How many expected clusters lie whole inside one of the graph's overlap clusters."""
    if not expected:
        return 0
    facts = analyse_graph(catalog, score_catalog(catalog, read_rubric()), read_graph_rules())
    ids: dict[str, list[str]] = {}
    for task in catalog.tasks:
        ids.setdefault(task.title, []).append(task.id)
    found = 0
    for cluster in expected:
        wanted: set[str] = set()
        for title, n in Counter(cluster).items():
            wanted |= set(ids.get(title, [])[:n])
        if len(wanted) == len(cluster) and any(wanted <= set(c.tasks) for c in facts.clusters):
            found += 1
    return found


def assess_document(expect_path: Path) -> dict[str, Any]:
    """One row of figures for one expectation file."""
    expect = yaml.safe_load(expect_path.read_text(encoding="utf-8"))
    tasks, clusters = expect.get("tasks") or [], expect.get("clusters") or []
    row: dict[str, Any] = {
        "document": expect["document"].removesuffix(".md"),
        "lang": expect.get("language", "?"),
        "expected": len(tasks),
        "found": 0,
        "extra": 0,
        "levels": 0,
        "refusal_ok": False,
        "clusters_expected": len(clusters),
        "clusters_found": 0,
        "note": "",
    }
    refused = expect.get("refused")
    try:
        imported = read_markdown(expect_path.parent / expect["document"])
    except MarkdownError as exc:
        row["refusal_ok"] = refused is not None and refused in str(exc) and "\n" not in str(exc)
        row["note"] = "" if row["refusal_ok"] else f"refused: {exc}"
        return row
    except Exception as exc:  # a crash is a figure here, not the end of the run
        row["note"] = f"crashed: {type(exc).__name__}: {exc}"
        return row
    row["refusal_ok"] = refused is None
    if refused is not None:
        row["note"] = "accepted a document that must be refused"
    catalog = imported.catalog
    matched = match_tasks(tasks, catalog)
    row["found"] = len(matched)
    row["extra"] = len(catalog.tasks) - len(matched)
    row["levels"] = sum(task.declared_risk == tasks[i]["declared"] for i, task in matched.items())
    try:
        row["clusters_found"] = clusters_found(clusters, catalog)
    except Exception as exc:  # the graph of a wrong import may be bad input
        row["note"] = f"graph failed: {type(exc).__name__}: {exc}"
    return row


def _cells(row: dict[str, Any]) -> list[str]:
    found = row["found"]
    return [
        row["document"],
        row["lang"],
        f"{found}/{row['expected']}",
        str(row["extra"]),
        f"{row['levels']}/{found}",
        "ok" if row["refusal_ok"] else "WRONG",
        f"{row['clusters_found']}/{row['clusters_expected']}",
        row["note"].replace("\n", " ⏎ ")[:100],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    paths = sorted(args.folder.glob("*.expect.yaml"))
    if not paths:
        print(f"no *.expect.yaml in {args.folder}", file=sys.stderr)
        return 0
    rows = [assess_document(path) for path in paths]
    total = {
        "document": "total",
        "lang": f"{len(rows)} docs",
        "expected": sum(r["expected"] for r in rows),
        "found": sum(r["found"] for r in rows),
        "extra": sum(r["extra"] for r in rows),
        "levels": sum(r["levels"] for r in rows),
        "refusal_ok": all(r["refusal_ok"] for r in rows),
        "clusters_expected": sum(r["clusters_expected"] for r in rows),
        "clusters_found": sum(r["clusters_found"] for r in rows),
        "note": f"{sum(r['refusal_ok'] for r in rows)}/{len(rows)} refusals right",
    }
    table = [list(COLUMNS)] + [_cells(r) for r in rows] + [_cells(total)]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS) - 1)]
    for n, line in enumerate(table):
        cells = (cell.ljust(w) for cell, w in zip(line, widths, strict=False))
        print("  ".join(cells) + "  " + line[-1])
        if n == 0 or n == len(table) - 2:
            print("  ".join("-" * w for w in widths) + "  " + "-" * 4)
    return 0


if __name__ == "__main__":
    sys.exit(main())
