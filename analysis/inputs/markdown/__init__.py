r"""Markdown assessments in: the catalogs teams write as GitHub comments.

:func:`parse_markdown` reads an assessment from markdown-it-py tokens
(:mod:`.blocks`), in the shapes teams write them (:mod:`.reader`): a risk
level per task as a field (``Risk: Low``, ``**Risk**: Medium``, ``リスク: 中``,
``影響度: 高``), as a section heading, an emoji or a table column, on the
rubric's scale (``CRITICAL``, ``Low-Medium``, 高/中/低, 🔴🟡🟢: :mod:`.labels`);
tasks grouped by issues, by phases or sections, or not at all (one group named
after the document's first heading); checkboxes, numbered and nested lists,
tables. Nothing is read from code, HTML comments or quoted text (a quoted task
list excepted). Titles are kept as a reader of the rendered page sees them.

It also keeps what the document declares (totals, counts per level and issue,
"N of M safe", an effort sum) for the audit to check, and the document's own
plan (phases with their time boxes, items, limits such as ``4時間以内`` or
``30タスク``) as scenario data (:func:`.plan.plan_scenarios`). Ids are made from
a task's group and title (or its ``Task N`` number), so re-importing an edited
document keeps the ids of the tasks that did not change. Facts come from the
words (:mod:`analysis.inputs.import_words`): the task's own, then its fields and
details, then its headings, each with the words it came from. Publishing
markdown is :mod:`analysis.report.markdown`.

- ``blocks``: markdown-it-py tokens as the lines a reader sees
- ``labels``: levels on the rubric's scale, fields, counts, hours, limits and claims
- ``reader``: headings as context; tasks, plan lines, totals and limits
- ``assemble``: groups, stable ids, facts and what was declared, as catalog data
- ``plan``: the document's own limits and plan as scenario data
- ``write``: the catalog and its scenarios written as one set

Examples
--------
>>> text = "# Demo\n### 🟢 LOW RISK (1タスク)\n#### Issue #7\n- Task 1: Mesh設計\n"
>>> result = parse_markdown(text)
>>> task = result.catalog.tasks[0]
>>> task.id, task.title, task.activity, task.environment, task.declared_risk
('7-T01', 'Mesh設計', 'design', 'none', 'LOW')
>>> steps = "# Cutover\n## Step 1: Snapshot the DB\n**Risk**: Critical\n"
>>> task = parse_markdown(steps).catalog.tasks[0]
>>> task.title, task.declared_risk, task.declared_label
('Snapshot the DB', 'HIGH', 'Critical')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from analysis.errors import CatalogError, MarkdownError
from analysis.files import read_text
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.graph_rules import read_graph_rules
from analysis.inputs.import_words import read_import_words
from analysis.inputs.markdown.assemble import COMPUTED_SUFFIX, Assembler, refusal
from analysis.inputs.markdown.blocks import read_blocks
from analysis.inputs.markdown.labels import DEFAULT_SCALE, Scale
from analysis.inputs.markdown.plan import PlanLink, plan_scenarios
from analysis.inputs.markdown.reader import Reader
from analysis.inputs.rubric import read_rubric
from analysis.model import Catalog
from analysis.resources import DEFAULT_GRAPH_RULES, DEFAULT_IMPORT_WORDS, DEFAULT_RUBRIC
from analysis.vocabulary import DEFAULT_VOCABULARY, Vocabulary

__all__ = [
    "COMPUTED_SUFFIX",
    "LINE_MAX",
    "ImportNote",
    "PlanLink",
    "Imported",
    "parse_markdown",
    "read_markdown",
]


@dataclass(frozen=True)
class ImportNote:
    """Something the importer wants a person to see, at a line of the file."""

    line: int
    kind: str  # unread, unknown, repeat, unlinked, effort, quoted
    message: str


@dataclass(frozen=True)
class Imported:
    """The catalog read from a markdown assessment, with what the reading found.

    ``scenarios`` holds the document's own limits and plan as scenario data
    (``limits`` and ``plan``, when it states them), ready to be written beside
    the catalog.
    """

    catalog: Catalog
    notes: tuple[ImportNote, ...]
    links: tuple[PlanLink, ...]
    unknowns: Mapping[str, tuple[str, ...]]
    phases: tuple[tuple[str, float | None, int | None], ...] = ()  # title, hours, count
    scenarios: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def unread(self) -> tuple[ImportNote, ...]:
        return tuple(n for n in self.notes if n.kind == "unread")

    @property
    def plan(self) -> Mapping[str, Any] | None:
        """The document's own plan as scenario data, or None when it states none."""
        return self.scenarios.get("plan") or self.scenarios.get("limits")


def parse_markdown(
    text: str,
    *,
    source: str = "<memory>",
    name: str | None = None,
    words: str | os.PathLike = DEFAULT_IMPORT_WORDS,
    rules: str | os.PathLike = DEFAULT_GRAPH_RULES,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
    scale: Mapping[str, tuple[str, ...]] | None = None,
) -> Imported:
    """Read a markdown assessment into a catalog; see the module docstring.

    ``words`` are the words facts are read from, ``rules`` give the overlap
    settings that link a plan's lines to tasks, ``scale`` maps other scales'
    labels to levels (a rubric's; the bundled rubric's by default), and the
    catalog is checked against ``vocabulary`` (a rubric's, when it adds values).

    Raises
    ------
    MarkdownError
        When the text is not an assessment (no task with a risk level; the
        line says what was looked for and what was found), or the catalog it
        describes is invalid.
    """
    _check_lines(text, source)
    levels = Scale.from_mapping(scale or _bundled_scale())
    reader = Reader(read_blocks(text), levels, read_import_words(words))
    reader.read()
    if not reader.tasks:
        raise MarkdownError(refusal(reader), source=source)
    assembler = Assembler(reader, read_graph_rules(rules).overlaps)
    data = assembler.catalog_data(name or "imported", source)
    scenarios, links = plan_scenarios(reader, assembler, name or "imported")
    try:
        catalog = parse_catalog(data, source=source, name=name, vocabulary=vocabulary)
    except CatalogError as exc:
        raise MarkdownError(
            f"the assessment gives an invalid catalog: {exc.problem}",
            source=source,
            task=exc.task,
            field=exc.field,
        ) from exc
    notes = [ImportNote(line, kind, message) for line, kind, message in assembler.notes]
    notes += [
        ImportNote(
            link.line, "unlinked", f"a plan line that names no listed task: {link.text[:60]}"
        )
        for link in links
        if link.task is None
    ]
    notes.sort(key=lambda n: n.line)
    if assembler.effort_note:
        notes.insert(0, ImportNote(0, "effort", assembler.effort_note))
    phases = tuple((p["title"], p["hours"], p["count"]) for p in reader.phases)
    return Imported(catalog, tuple(notes), tuple(links), assembler.unknowns, phases, scenarios)


@cache
def _bundled_scale() -> Mapping[str, tuple[str, ...]]:
    """The bundled rubric's scale (what ``assess import-markdown`` reads with by default)."""
    return read_rubric(DEFAULT_RUBRIC).scale or DEFAULT_SCALE


#: The longest line a markdown assessment may hold (a GitHub issue title is at most 256
#: characters): longer ones are refused before the markdown parser sees them, whose time
#: on one pathological line grows faster than its length.
LINE_MAX = 10_000


def _check_lines(text: str, source: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > LINE_MAX:
            raise MarkdownError(
                f"{len(line):,} characters on one line: a markdown assessment's "
                f"lines are at most {LINE_MAX:,}",
                source=source,
                line=number,
            )


def read_markdown(path: str | os.PathLike, **options: Any) -> Imported:
    """Read a markdown assessment file (UTF-8); the catalog is named after the file."""
    path = Path(path)
    text = read_text(path, error=MarkdownError)
    return parse_markdown(text, source=str(path), name=options.pop("name", path.stem), **options)
