"""From task lines to catalog data: groups, ids, facts, defaults and what was declared.

Ids are made so that re-importing an edited document keeps them: a task
numbered in the text (``Task 3:``) is ``<group>-T03``; an explicit id
(```384-T01` ...``) is kept; any other task is ``<group>-<words of its
title>``, with a short digest of the title added only when two titles give the
same words. ``<group>`` is the issue number, or for a document grouped by
sections the section's words; a document with one implicit group has none.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from analysis.inputs.graph_rules import OverlapSettings
from analysis.inputs.import_words import ImportWords, infer_facts
from analysis.inputs.markdown.blocks import restore
from analysis.inputs.markdown.labels import normal
from analysis.inputs.markdown.reader import (
    _EXPLICIT_ID,
    _ISSUE,
    _NUMBERED,
    _TASK_ONE,
    _TASK_RANGE,
    Reader,
    TaskLine,
)
from analysis.model import hours_text
from analysis.vocabulary import DEFAULT_VOCABULARY, LEVELS, UNKNOWN

__all__ = [
    "COMPUTED_SUFFIX",
    "Assembler",
    "facts_for",
    "refusal",
    "slug",
]

COMPUTED_SUFFIX = " (computed)"  # what audit_markdown adds to the catalog's title


def slug(title: str) -> str:
    """The Latin words a title starts with, lower case (``Service Mesh実装`` -> service-mesh)."""
    head = re.split(r"[(（]", unicodedata.normalize("NFKC", title))[0]
    latin = re.findall(r"[A-Za-z0-9]+", head.split("設計")[0])
    words = []
    for token in re.findall(r"[A-Za-z0-9]+|[^A-Za-z0-9\s]+", head):
        if re.fullmatch(r"[A-Za-z0-9]+", token):
            words.append(token.lower())
        elif not re.fullmatch(r"[-_/.`'\"]+", token):
            break
    if not words and latin:
        words = [w.lower() for w in latin]
    words = words[:6]
    return "-".join(words) if words else ""


def _digest(text: str, size: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def facts_for(words: ImportWords, task: TaskLine) -> dict[str, Any]:
    """A task's facts: from its title, then its environment field, then its headings.

    Detail lines under a task are kept out: they are often reasons or notes
    ("no production impact", "scored as production") whose words state nothing.
    """
    facts = infer_facts(words, task.title, task.inherited)
    sources: list[tuple[str, str]] = []
    if "environment" in task.fields:
        sources.append((task.fields["environment"], "environment field"))
    sources += [(text, f"heading '{text}'") for text in reversed(task.context.facts_from)]
    for text, where in sources:
        more = infer_facts(words, text)
        for fact in ("activity", "environment"):
            if (
                facts[fact] == UNKNOWN
                and more[fact] != UNKNOWN
                and (fact == "environment" or where != "detail")
            ):
                if fact == "environment" and more["environment"] == "none":
                    continue  # a paper heading says nothing of a change's environment
                facts[fact] = more[fact]
                facts["evidence"][fact] = f"{more['evidence'][fact]} ({where})"
                if fact == "activity" and facts["activity"] in DEFAULT_VOCABULARY.paper:
                    facts["environment"] = "none"
                    facts["evidence"]["environment"] = facts["evidence"]["activity"]
    return facts


def refusal(reader: Reader) -> str:
    """Why a document gives no task: what was looked for, and what was found."""
    blocks = [b for b in reader.blocks if not b.quoted]
    items = [b for b in blocks if b.kind == "item"]
    boxes = [b for b in items if b.checkbox is not None]
    rows = [b for b in blocks if b.kind == "row"]
    levels = any(h.kind == "heading" and reader.scale.heading_level(h.text) for h in blocks)
    found = []
    if boxes:
        found.append(f"{len(boxes)} checklist item(s)")
    if len(items) > len(boxes):
        found.append(f"{len(items) - len(boxes)} {'other ' if boxes else ''}list item(s)")
    if rows:
        found.append(f"{len(rows)} table row(s)")
    looked = (
        "looked for a risk level per task: a 'Risk:' field, a level heading, "
        "a level emoji or label at the start of a line, a Risk column"
    )
    if levels:
        what = ", ".join(found) + " with no level" if found else "no list item or table row"
        return f"not an assessment: a risk level heading, but no task under it ({what}; {looked})"
    if found:
        return f"not an assessment: {', '.join(found)}, no risk level on any of them ({looked})"
    return f"not an assessment: no list item, table row or step heading ({looked})"


class Assembler:
    """Turns a reader's task lines into catalog data with stable ids."""

    def __init__(self, reader: Reader, overlaps: OverlapSettings) -> None:
        self.reader, self.overlaps = reader, overlaps
        self.records: dict[str, dict[str, Any]] = {}
        self.lines: dict[str, TaskLine] = {}
        self.notes: list[tuple[int, str, str]] = list(reader.notes)
        self.notes += [
            (line, "unread", f"a list item outside any risk level or plan: {text[:60]}")
            for line, text in reader.unread
        ]
        self.unknowns: dict[str, tuple[str, ...]] = {}
        self.effort_note: str | None = None
        self.group_numbers: dict[Any, int] = {}
        self.group_prefix: dict[Any, str] = {}

    # ------------------------------------------------------------ groups

    def _groups(self) -> None:
        """Issue numbers for tasks, real or given to sections (in document order)."""
        reader = self.reader
        for task in reader.tasks:
            if task.issue is None:
                inline = _ISSUE.search(task.title)
                task.issue = (
                    int(inline.group(1) or inline.group(2))
                    if inline and inline.group(1)
                    else task.context.issue
                )
        sections = list(dict.fromkeys(t.context.group for t in reader.tasks if t.issue is None))
        real = [t.issue for t in reader.tasks if t.issue is not None]
        for number in dict.fromkeys(real):
            self.group_numbers[number] = number
            self.group_prefix[number] = str(number)
            reader.issues.setdefault(number, {"number": number})
        if not sections:
            return
        if len(sections) == 1 and not real:
            sections = [None]  # one group: the document itself
            for task in reader.tasks:
                task.context.group = None
        start = max(real, default=0) + 1
        for offset, key in enumerate(sections):
            number = start + offset
            self.group_numbers[key] = number
            title = key[0] if key else (reader.title or reader.first_heading or "tasks")
            entry = {"number": number, "title": title}
            entry["note"] = (
                "the document's tasks (no issue numbers in it)"
                if key is None
                else "a section of the document (no issue number)"
            )
            reader.issues[number] = entry
            words = slug(title) if key else ""
            self.group_prefix[key] = (
                (words or _digest(title, 4)) if len(sections) > 1 or real else ""
            )

    # ------------------------------------------------------------ tasks

    def catalog_data(self, name: str, source: str) -> dict[str, Any]:
        reader = self.reader
        self._groups()
        for task in reader.tasks:
            key = task.issue if task.issue is not None else task.context.group
            number = self.group_numbers[key]
            prefix = self.group_prefix[key]
            for title, ordinal, explicit, inherited in self._split(task):
                task_id = explicit or self._id(prefix, title, ordinal)
                self._add(task, number, task_id, title, inherited)
        return self._data(name, source)

    def _split(self, task: TaskLine):
        """A line's task(s): ``Task 4-6: A, B, C設計`` is three; others one."""
        text = task.title
        explicit = _EXPLICIT_ID.match(text)
        if explicit:
            return [(explicit.group(2).strip(), None, explicit.group(1), None)]
        ranged = _TASK_RANGE.match(text)
        if ranged:
            first, last = int(ranged.group(1)), int(ranged.group(2))
            parts = [p.strip() for p in re.split(r"[,、]\s*", ranged.group(3)) if p.strip()]
            if last >= first and len(parts) == last - first + 1:
                facts = infer_facts(self.reader.words, parts[-1])
                inherited = None
                if facts["activity"] != UNKNOWN:
                    inherited = (
                        facts["activity"],
                        f"Task {first}-{last}: …{facts['evidence']['activity']}",
                    )
                return [(p, first + i, None, inherited) for i, p in enumerate(parts)]
            self.notes.append(
                (
                    task.line,
                    "unread",
                    f"Task {first}-{last} names {len(parts)} title(s) "
                    f"for {last - first + 1} task(s)",
                )
            )
            return []
        single = _TASK_ONE.match(text)
        if single:
            return [(single.group(2).strip(), int(single.group(1)), None, None)]
        numbered = _NUMBERED.match(text)
        if numbered:
            return [(numbered.group(2).strip(), int(numbered.group(1)), None, None)]
        return [(text.strip(), None, None, None)]

    def _id(self, prefix: str, title: str, ordinal: int | None) -> str:
        if ordinal is not None:
            return f"{prefix}-T{ordinal:02d}" if prefix else f"T{ordinal:02d}"
        words = slug(title) or _digest(title)
        base = f"{prefix}-{words}" if prefix else words
        if base in self.records and self.records[base]["title"] != title:
            base = f"{base}-{_digest(title, 4)}"
        return base

    def _add(
        self,
        task: TaskLine,
        number: int,
        task_id: str,
        title: str,
        inherited: tuple[str, str] | None,
    ) -> None:
        if task_id in self.records:
            first = self.lines[task_id].line
            self.notes.append(
                (task.line, "repeat", f"repeats {task_id} (line {first}): linked, not counted")
            )
            return
        line = TaskLine(**{**task.__dict__, "title": title, "inherited": inherited})
        facts = facts_for(self.reader.words, line)
        record: dict[str, Any] = {
            "id": task_id,
            "issue": number,
            "title": title,
            "activity": facts["activity"],
            "environment": facts["environment"],
            "touches": facts["touches"],
            "declared_risk": task.level,
        }
        if normal(task.label) != normal(task.level) and task.label:
            record["declared_label"] = task.label
        if facts.get("reversibility", UNKNOWN) != UNKNOWN:
            record["reversibility"] = facts["reversibility"]
        if facts["outcomes"]:
            record["outcomes"] = facts["outcomes"]
        if task.status != "todo":
            record["status"] = task.status
        if task.priority:
            record["priority"] = task.priority
        if task.effort:
            record["effort"] = round(task.effort, 4)
        for safeguard in ("rollback", "approval", "verification", "monitoring", "documentation"):
            if task.fields.get(safeguard):
                record[safeguard] = task.fields[safeguard]
        note = self._level_note(task)
        if note:
            record["declared_note"] = note
        if facts["evidence"]:
            record["evidence"] = facts["evidence"]
        self.records[task_id] = record
        self.lines[task_id] = line
        missing = [f for f in ("activity", "environment", "touches") if record[f] == UNKNOWN]
        if missing:
            self.unknowns[task_id] = tuple(missing)
            self.notes.append(
                (task.line, "unknown", f"{task_id}: the text does not say its {', '.join(missing)}")
            )

    def _level_note(self, task: TaskLine) -> str | None:
        """The words of the level heading beside the level (``開発環境のみ``)."""
        if task.own:
            return None
        for text in task.context.facts_from:
            if self.reader.scale.heading_level(text):
                match = re.search(r"[(（]([^()（）]*)[)）]", text)
                if match:
                    parts = [p.strip() for p in re.split(r"\s[-–]\s", match.group(1)) if p.strip()]
                    kept = [p for p in parts if not re.search(r"\d+\s*(?:タスク|tasks?)", p, re.I)]
                    if kept:
                        return " - ".join(kept)
        return None

    # ------------------------------------------------------------ catalog

    def _data(self, name: str, source: str) -> dict[str, Any]:
        reader = self.reader
        plan_items = len(reader.plan_lines) + sum(1 for t in reader.tasks if t.context.phase)
        plan_hours = sum(p["hours"] or 0 for p in reader.phases)
        per_item = round(plan_hours / plan_items, 4) if plan_items and plan_hours else 1.0
        unstated = sum(1 for r in self.records.values() if "effort" not in r)
        if unstated:
            self.effort_note = (
                f"effort not stated for {unstated} task(s): "
                f"{hours_text(per_item)} a task by default"
                + (
                    f" (the plan's {hours_text(plan_hours)} over its {plan_items} items)"
                    if plan_items and plan_hours
                    else ""
                )
            )
        data: dict[str, Any] = {
            "catalog": {"name": name, "source": source},
            "defaults": {
                "effort_hours": dict.fromkeys(DEFAULT_VOCABULARY.precedence, per_item),
                # P0 3, P1 2, any other priority 1 (as a task that gives none)
                "value_by_priority": {f"P{n}": max(3 - n, 1) for n in range(10)},
                "value": 1,
            },
            "issues": [reader.issues[n] for n in sorted(reader.issues, key=self._issue_order)],
            "tasks": list(self.records.values()),
        }
        if reader.title:
            data["catalog"]["title"] = restore(reader.title).removesuffix(COMPUTED_SUFFIX)
        for record in (*data["issues"], *data["tasks"]):  # in place: plans link to them
            for key in ("title", "note", "declared_label", "declared_note"):
                if isinstance(record.get(key), str):
                    record[key] = restore(record[key])
        declared = self._declared()
        if declared:
            data["catalog"]["declared"] = declared
        return data

    def _issue_order(self, number: int) -> tuple[int, int]:
        order = list(dict.fromkeys(r["issue"] for r in self.records.values()))
        return (order.index(number) if number in order else len(order), number)

    def _declared(self) -> dict[str, Any]:
        reader = self.reader
        out: dict[str, Any] = {}
        if "total" in reader.declared:
            out["total"] = reader.declared["total"]
        for level in LEVELS:
            if level in reader.declared.get("by_level", {}):
                out[level] = reader.declared["by_level"][level]
        for key in ("safe", "safe_of", "effort_hours"):
            if key in reader.declared:
                out[key] = reader.declared[key]
        statements = {
            k: v
            for k, v in reader.statements.items()
            if k in out and k in ("total", "safe", "effort_hours")
        }
        if statements:
            out["as_stated"] = statements
        return out

    def task_titles(self) -> Mapping[str, str]:
        return {task_id: record["title"] for task_id, record in self.records.items()}
