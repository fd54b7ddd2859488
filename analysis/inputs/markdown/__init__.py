r"""Markdown assessments in: the catalogs teams write as GitHub comments.

:func:`parse_markdown` reads an assessment in the seed's style and its common
variations: risk levels and issues introduced by headings, bold lines or emoji
markers; task lines (``- Task 3: ...``), ranges (``- Task 4-6: A, B, C設計``),
unnumbered lines (``- Helm Charts作成``), explicit ids (``- `384-T01` ...``) and
GitHub task lists (``- [x] ...`` is done). It keeps titles verbatim, records
the counts the text declares, links a plan's lines back to the tasks they
repeat (and takes their P0 / P1 priority), and infers facts from the words
(:mod:`analysis.inputs.import_words`), each with the word that led to it;
what the text does not say stays unknown and is listed. Every list item,
heading or bold line it cannot read is reported with its number; other prose
is passed over. Publishing markdown is :mod:`analysis.report.markdown`.

Examples
--------
>>> text = "# Demo\n### 🟢 LOW RISK (1タスク)\n#### Issue #7\n- Task 1: Mesh設計\n"
>>> result = parse_markdown(text)
>>> task = result.catalog.tasks[0]
>>> task.id, task.title, task.activity, task.environment, task.declared_risk
('7-T01', 'Mesh設計', 'design', 'none', 'LOW')
"""

from __future__ import annotations

import hashlib
import html
import html.entities
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.errors import CatalogError, MarkdownError
from analysis.files import read_text
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.graph_rules import OverlapSettings, read_graph_rules, title_keywords
from analysis.inputs.import_words import ImportWords, infer_facts, read_import_words
from analysis.model import Catalog, hours_text
from analysis.resources import DEFAULT_GRAPH_RULES, DEFAULT_IMPORT_WORDS
from analysis.vocabulary import DEFAULT_VOCABULARY, UNKNOWN, Vocabulary

__all__ = [
    "COMPUTED_SUFFIX",
    "ImportNote",
    "PlanLink",
    "Imported",
    "parse_markdown",
    "read_markdown",
]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_BOLD = re.compile(r"^\*\*(.+?)\*\*\s*:?\s*(.*)$")
_ITEM = re.compile(r"^(\s*)(?:[-*+]|(\d+)[.)])\s+(.*)$")
_CHECKBOX = re.compile(r"^\[([ xX])\]\s+(.*)$")
_TASK_RANGE = re.compile(r"^(?:task|タスク)\s*(\d+)\s*[-–~〜]\s*(\d+)\s*[:：]\s*(.+)$", re.I)
_TASK_ONE = re.compile(r"^(?:task|タスク)\s*(\d+)\s*[:：]\s*(.+)$", re.I)
_EXPLICIT_ID = re.compile(r"^(`+) ?([^\s,;]+?) ?\1(?!`)(?:[:：]\s*|\s+)(.+)$")
_ISSUE = re.compile(r"issue\s*#\s*(\d+)", re.I)
_COUNT = re.compile(r"(\d+)\s*(?:タスク|tasks?\b)", re.I)
_PRIORITY = re.compile(r"(?<![A-Za-z0-9])P([0-9])(?![0-9])")
_HOURS = re.compile(r"(\d+(?:\.\d+)?)\s*(時間|hours?|h\b|分|min(?:utes?)?\b)", re.I)
_TOTAL = re.compile(r"^(?:合計|総計|total)\s*[:：]?\s*(\d+)\s*(?:タスク|tasks?\b)", re.I)
_INLINE = re.compile(
    r"(?P<code>`+)|\\(?P<escaped>[!-/:-@\[-`{-~])|<br\s*/?>"
    r"|&(?:#(?P<dec>[0-9]{1,7})|#[xX](?P<hex>[0-9a-fA-F]{1,6})|(?P<name>[A-Za-z][A-Za-z0-9]{0,31}));",
    re.I,
)

COMPUTED_SUFFIX = " (computed)"  # what audit_markdown adds to the catalog's title

_LEVEL_EMOJI = {"🟢": "LOW", "🟡": "MEDIUM", "🔴": "HIGH"}
_LEVEL_WORDS = {"低リスク": "LOW", "中リスク": "MEDIUM", "高リスク": "HIGH"}
_SECTIONS = (
    ("scope", ("評価対象", "scope", "対象")),
    ("plan", ("戦略", "plan", "計画")),
    ("criteria", ("基準", "criteria", "safety")),
    ("outcomes", ("成果", "outcome")),
    ("findings", ("finding", "所見")),
)


@dataclass(frozen=True)
class ImportNote:
    """Something the importer wants a person to see, at a line of the file."""

    line: int
    kind: str  # unread, unknown, repeat, unlinked
    message: str


@dataclass(frozen=True)
class PlanLink:
    """A plan line, and the task it repeats (None when it names none)."""

    line: int
    text: str
    task: str | None
    phase: str | None
    priority: str | None


@dataclass(frozen=True)
class Imported:
    """The catalog read from a markdown assessment, with what the reading found."""

    catalog: Catalog
    notes: tuple[ImportNote, ...]
    links: tuple[PlanLink, ...]
    unknowns: Mapping[str, tuple[str, ...]]
    phases: tuple[tuple[str, float | None, int | None], ...] = ()  # name, hours, declared count

    @property
    def unread(self) -> tuple[ImportNote, ...]:
        return tuple(n for n in self.notes if n.kind == "unread")


def _level_of(text: str) -> str | None:
    for emoji, level in _LEVEL_EMOJI.items():
        if emoji in text:
            return level
    for word, level in _LEVEL_WORDS.items():
        if word in text:
            return level
    risk = re.search(r"\b(low|medium|high)\b\s*(?:risk|リスク)", text, re.I)
    if risk:
        return risk.group(1).upper()
    exact = re.search(r"\b(LOW|MEDIUM|HIGH)\b", text)
    return exact.group(1) if exact else None


def _count(text: str) -> int | None:
    match = _COUNT.search(text)
    return int(match.group(1)) if match else None


def _qualifier(text: str) -> str | None:
    """The words in parentheses without the count ('開発環境のみ - 22タスク選定')."""
    match = re.search(r"[(（]([^()（）]*)[)）]", text)
    if not match:
        return None
    parts = [p.strip() for p in re.split(r"\s[-–]\s", match.group(1)) if p.strip()]
    kept = [p for p in parts if not _COUNT.search(p)]
    if kept and all(_COUNT.search(p) is None for p in kept):
        return " - ".join(kept)
    return None


def _slug(issue: int, title: str) -> str:
    head = re.split(r"[(（]", unicodedata.normalize("NFKC", title))[0]
    latin = re.findall(r"[A-Za-z0-9]+", head.split("設計")[0])
    words = []
    for token in re.findall(r"[A-Za-z0-9]+|[^A-Za-z0-9\s]+", head):
        if re.fullmatch(r"[A-Za-z0-9]+", token):
            words.append(token.lower())
        elif not re.fullmatch(r"[-_/.]+", token):
            break
    if not words and latin:
        words = [w.lower() for w in latin]
    if not words:
        digest = hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
        return f"{issue}-{digest}"
    return f"{issue}-{'-'.join(words)}"


def _hours(text: str) -> float | None:
    total = None
    for number, unit in _HOURS.findall(text):
        value = float(number) / (60 if unit in ("分",) or unit.lower().startswith("min") else 1)
        total = (total or 0) + value
    return total


def _section(text: str) -> str:
    lowered = unicodedata.normalize("NFKC", text).lower()
    for name, words in _SECTIONS:
        if any(word in lowered for word in words):
            return name
    return "other"


def _plain_text(text: str) -> str:
    r"""Inline markdown as its reader sees it: escapes, character references and ``<br>`` resolved.

    Undoes :func:`escape_markdown`. Code spans are kept as written, backticks
    included (their backslashes and ``&`` are literal).

    >>> print(_plain_text(r"Tom &amp; \*Jerry\* &#32;`a\*b`<br>C:\path \\"))
    Tom & *Jerry*  `a\*b`
    C:\path \
    """
    out, pos = [], 0
    while match := _INLINE.search(text, pos):
        out.append(text[pos : match.start()])
        pos = match.end()
        if match["code"]:
            fence = re.compile(f"(?<!`){match['code']}(?!`)").search(text, pos)
            if fence:  # a code span: verbatim up to its closing fence
                out.append(text[match.start() : fence.end()])
                pos = fence.end()
            else:
                out.append(match["code"])
        elif match["escaped"]:
            out.append(match["escaped"])
        elif match["dec"] or match["hex"]:
            code = int(match["dec"]) if match["dec"] else int(match["hex"], 16)
            valid = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
            out.append(chr(code) if valid else "\ufffd")
        elif match["name"]:
            out.append(html.entities.html5.get(match["name"] + ";", match.group(0)))
        else:
            out.append("\n")  # <br>
    out.append(text[pos:])
    return "".join(out)


class _Reader:
    """Reads the file line by line, keeping what each heading says is current."""

    def __init__(self, source: str, words: ImportWords, overlaps: OverlapSettings) -> None:
        self.source, self.words, self.overlaps = source, words, overlaps
        self.title: str | None = None
        self.section = "other"
        self.level: str | None = None
        self.issue: int | None = None
        self.level_note: str | None = None
        self.phase: str | None = None
        self.priority: str | None = None
        self.issues: dict[int, dict[str, Any]] = {}
        self.declared: dict[str, Any] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.first_line: dict[str, int] = {}
        self.numbered: dict[tuple[int, int], str] = {}
        self.notes: list[ImportNote] = []
        self.plan_lines: list[tuple[int, str, str | None, str | None]] = []
        self.phases: list[tuple[str, float | None, int | None]] = []
        self.headings_with_level = 0
        self.total_line: int | None = None

    def note(self, line: int, kind: str, message: str) -> None:
        self.notes.append(ImportNote(line, kind, message))

    def issue_entry(self, number: int) -> dict[str, Any]:
        return self.issues.setdefault(number, {"number": number})

    # ---------------------------------------------------------------- lines

    def heading(self, number: int, depth: int, text: str) -> None:
        if depth == 1 and self.title is None:
            self.title = _plain_text(text.removesuffix(COMPUTED_SUFFIX))
            return
        self.marker(number, text, heading_depth=depth)

    def marker(self, number: int, text: str, heading_depth: int | None = None) -> None:
        """A heading or a bold line: a level, an issue, a phase, a priority or a section."""
        issue = _ISSUE.search(text)
        level = None if issue else _level_of(text)
        if level:
            self.level, self.issue = level, None
            self.level_note = _qualifier(text)
            self.headings_with_level += 1
            self.section = "levels"
            count = _count(text)
            if count is not None:
                self.declared.setdefault("by_level", {})[level] = count
            return
        if issue and self.section == "levels" and self.level:
            self.issue = int(issue.group(1))
            count = _count(text)
            entry = self.issue_entry(self.issue)
            if count is not None:
                entry.setdefault("declared", {})[self.level] = count
            return
        if re.search(r"\bphase\b|フェーズ", text, re.I) and self.section == "plan":
            name = re.sub(r"^[^\w]+", "", text.split("(")[0]).strip().rstrip(":")
            self.phase = name
            self.priority = None
            self.phases.append((name, _hours(text), _count(text)))
            return
        priority = _PRIORITY.search(text)
        if priority and self.section == "plan":
            self.priority = f"P{priority.group(1)}"
            return
        if heading_depth is not None and heading_depth <= 2:
            self.section = _section(text)
            self.level = self.issue = self.phase = self.priority = None

    def item(self, number: int, indent: str, ordinal: str | None, text: str) -> None:
        if len(indent.expandtabs(4)) >= 2:
            return  # a detail under the line above
        if self.total(number, text):
            return
        if self.section == "scope":
            self.scope_item(number, text)
        elif self.section == "levels" and self.level:
            self.task_item(number, text)
        elif self.section == "plan" and self.phase:
            self.plan_lines.append((number, text, self.phase, self.priority))
        elif self.section in ("criteria", "outcomes", "findings", "plan"):
            return  # prose the importer reads as such
        else:
            self.note(number, "unread", f"a list item outside any risk level or plan: {text[:60]}")

    def scope_item(self, number: int, text: str) -> None:
        plain = re.sub(r"\*\*", "", text)
        issue = _ISSUE.search(plain)
        if issue:
            entry = self.issue_entry(int(issue.group(1)))
            rest = re.sub(r"^\s*[:：]?\s*", "", plain[issue.end() :])
            title = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", rest).strip()
            if title:
                entry["title"] = _plain_text(title)
            note = re.search(r"[(（]([^()（）]*)[)）]\s*$", rest)
            count = _count(note.group(1)) if note else None
            count = _count(plain) if count is None else count
            if count is not None:
                entry.setdefault("declared", {})["total"] = count
            if note:
                entry["note"] = f"Issue #{issue.group(1)} ({note.group(1)})"
            return
        count = _count(plain)
        if count is not None and re.search(r"合計|total", plain, re.I):
            self.declare_total(number, count)
            return
        self.note(number, "unread", f"a scope line that names no issue and no total: {text[:60]}")

    def total(self, number: int, text: str) -> bool:
        """A summary line (``**合計**: 42タスク``, ``Total: 5 tasks``): never a task.

        Outside a plan it declares the assessment's total, wherever it stands; in a
        plan it sums the plan's lines, and is only passed over.
        """
        match = _TOTAL.match(re.sub(r"\*\*|__", "", text).strip())
        if not match:
            return False
        if self.section != "plan":
            self.declare_total(number, int(match.group(1)))
        return True

    def declare_total(self, number: int, count: int) -> None:
        first = self.total_line
        if first is None:
            self.declared["total"], self.total_line = count, number
        elif self.declared.get("total") != count:
            self.note(
                number,
                "repeat",
                f"a second total ({count}) differs from the one at line {first} "
                f"({self.declared.get('total')}): the first is kept",
            )

    def task_item(self, number: int, text: str) -> None:
        status = "todo"
        box = _CHECKBOX.match(text)
        if box:
            status = "done" if box.group(1).lower() == "x" else "todo"
            text = box.group(2)
        issue = self.issue
        inline = _ISSUE.search(text)
        if issue is None and inline:
            issue = int(inline.group(1))
        if issue is None:
            self.note(
                number, "unread", f"a task line under {self.level} but in no issue: {text[:60]}"
            )
            return
        explicit = _EXPLICIT_ID.match(text)
        ranged = _TASK_RANGE.match(text)
        single = _TASK_ONE.match(text)
        if explicit:
            self.add_task(number, explicit.group(2), issue, explicit.group(3).strip(), status)
        elif ranged:
            first, last = int(ranged.group(1)), int(ranged.group(2))
            parts = [p.strip() for p in re.split(r"[,、]\s*", ranged.group(3)) if p.strip()]
            if last < first or len(parts) != last - first + 1:
                self.note(
                    number,
                    "unread",
                    f"Task {first}-{last} names {len(parts)} title(s) for "
                    f"{last - first + 1} task(s)",
                )
                return
            last_words = infer_facts(self.words, parts[-1])
            inherited = None
            if last_words["activity"] != UNKNOWN:
                inherited = (
                    last_words["activity"],
                    f"Task {first}-{last}: …{last_words['evidence']['activity']}",
                )
            for offset, title in enumerate(parts):
                self.add_task(number, None, issue, title, status, first + offset, inherited)
        elif single:
            self.add_task(
                number, None, issue, single.group(2).strip(), status, int(single.group(1))
            )
        else:
            self.add_task(number, None, issue, text.strip(), status)

    def add_task(
        self,
        number: int,
        task_id: str | None,
        issue: int,
        title: str,
        status: str,
        ordinal: int | None = None,
        inherited: tuple[str, str] | None = None,
    ) -> None:
        title = _plain_text(title)  # what a reader of the rendered comment sees
        if ordinal is not None:
            task_id = f"{issue}-T{ordinal:02d}"
        elif task_id is None:
            task_id = _slug(issue, title)
        if task_id in self.tasks:
            self.note(
                number,
                "repeat",
                f"repeats {task_id} (line {self.first_line[task_id]}): linked, not counted",
            )
            return
        facts = infer_facts(self.words, title, inherited)
        record: dict[str, Any] = {
            "id": task_id,
            "issue": issue,
            "title": title,
            "activity": facts["activity"],
            "environment": facts["environment"],
            "touches": facts["touches"],
            "declared_risk": self.level,
        }
        if facts["outcomes"]:
            record["outcomes"] = facts["outcomes"]
        if status != "todo":
            record["status"] = status
        if self.level_note:
            record["declared_note"] = self.level_note
        if facts["evidence"]:
            record["evidence"] = facts["evidence"]
        self.issue_entry(issue)
        self.tasks[task_id] = record
        self.first_line[task_id] = number

    def result(self, text: str) -> None:
        counts = [int(n) for n in _COUNT.findall(text)]
        if counts and "total" not in self.declared:
            self.declared["total"] = counts[0]

    # ---------------------------------------------------------------- plan links

    def link(self) -> list[PlanLink]:
        keys = {tid: title_keywords(t["title"], self.overlaps) for tid, t in self.tasks.items()}
        links = []
        for number, text, phase, priority in self.plan_lines:
            plain = re.sub(r"\*\*", "", text).strip()
            words = title_keywords(plain, self.overlaps)
            head = re.split(r"\s*[+＋(（]", plain)[0].strip()
            env = infer_facts(self.words, plain)["environment"]
            candidates = [tid for tid, k in keys.items() if words and k == words]
            if not candidates and words:
                overlap = {tid: len(words & k) for tid, k in keys.items() if words & k}
                best = max(overlap.values(), default=0)
                candidates = [
                    tid
                    for tid, n in overlap.items()
                    if n == best and best >= 1 and (words <= keys[tid] or keys[tid] <= words)
                ]
            if candidates:
                order = list(self.tasks)
                chosen = min(
                    candidates,
                    key=lambda tid: (
                        head not in self.tasks[tid]["title"],
                        env not in (UNKNOWN, self.tasks[tid]["environment"]),
                        order.index(tid),
                    ),
                )
                links.append(PlanLink(number, plain, chosen, phase, priority))
                if priority and "priority" not in self.tasks[chosen]:
                    self.tasks[chosen]["priority"] = priority
            else:
                links.append(PlanLink(number, plain, None, phase, priority))
                self.note(
                    number, "unlinked", f"a plan line that names no listed task: {plain[:60]}"
                )
        return links


def parse_markdown(
    text: str,
    *,
    source: str = "<memory>",
    name: str | None = None,
    words: str | os.PathLike = DEFAULT_IMPORT_WORDS,
    rules: str | os.PathLike = DEFAULT_GRAPH_RULES,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> Imported:
    """Read a markdown assessment into a catalog; see the module docstring.

    ``words`` are the words facts are read from, ``rules`` give the overlap
    settings that link a plan's lines to tasks, and the catalog is checked
    against ``vocabulary`` (a rubric's, when it adds values).

    Raises
    ------
    MarkdownError
        When the text is not an assessment (no risk level heading, or no task
        line under one), or the catalog it describes is invalid.
    """
    reader = _Reader(source, read_import_words(words), read_graph_rules(rules).overlaps)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        heading = _HEADING.match(line)
        if heading:
            reader.heading(number, len(heading.group(1)), heading.group(2).strip())
            continue
        item = _ITEM.match(line)
        if item:
            reader.item(number, item.group(1), item.group(2), item.group(3).strip())
            continue
        bold = _BOLD.match(line.strip())
        if bold:
            if re.search(r"評価結果|result", bold.group(1), re.I):
                reader.result(bold.group(2))
            elif not reader.total(number, line.strip()):
                reader.marker(number, bold.group(1))
            continue
        reader.total(number, line.strip())  # a plain "合計: 6タスク"; other prose is passed over
    if not reader.headings_with_level:
        raise MarkdownError(
            "not an assessment: no heading or bold line names a risk level (LOW, MEDIUM, HIGH)",
            source=source,
        )
    if not reader.tasks:
        raise MarkdownError("not an assessment: no task line under a risk level", source=source)
    links = reader.link()
    plan_items = len(reader.plan_lines)
    plan_hours = sum(h for _, h, _ in reader.phases if h)
    per_item = round(plan_hours / plan_items, 4) if plan_items and plan_hours else 1.0
    unknowns = {}
    for task_id, task in reader.tasks.items():
        missing = [f for f in ("activity", "environment", "touches") if task[f] == UNKNOWN]
        if missing:
            unknowns[task_id] = tuple(missing)
            reader.note(
                reader.first_line[task_id],
                "unknown",
                f"{task_id}: the text does not say its {', '.join(missing)}",
            )
    data: dict[str, Any] = {
        "catalog": {"name": name or "imported", "title": reader.title, "source": source},
        "defaults": {
            "effort_hours": dict.fromkeys(DEFAULT_VOCABULARY.precedence, per_item),
            "value_by_priority": {"P0": 3, "P1": 2, "P2": 1},
            "value": 1,
        },
        "issues": list(reader.issues.values()),
        "tasks": list(reader.tasks.values()),
    }
    if reader.declared:
        total = reader.declared.get("total")
        data["catalog"]["declared"] = {
            **({"total": total} if total is not None else {}),
            **reader.declared.get("by_level", {}),
        }
    if reader.title is None:
        del data["catalog"]["title"]
    try:
        catalog = parse_catalog(data, source=source, name=name, vocabulary=vocabulary)
    except CatalogError as exc:
        raise MarkdownError(
            f"the assessment gives an invalid catalog: {exc.problem}",
            source=source,
            task=exc.task,
            field=exc.field,
        ) from exc
    notes = sorted(reader.notes, key=lambda n: n.line)
    if plan_items:
        notes.insert(
            0,
            ImportNote(
                0,
                "effort",
                f"effort not stated: {hours_text(per_item)} a task by default "
                f"(the plan's {hours_text(plan_hours)} over its {plan_items} "
                "lines)",
            ),
        )
    return Imported(catalog, tuple(notes), tuple(links), unknowns, tuple(reader.phases))


def read_markdown(path: str | os.PathLike, **options: Any) -> Imported:
    """Read a markdown assessment file (UTF-8); the catalog is named after the file."""
    path = Path(path)
    text = read_text(path, error=MarkdownError)
    return parse_markdown(text, source=str(path), name=options.pop("name", path.stem), **options)
