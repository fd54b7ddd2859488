"""Reading an assessment's lines: groups, levels, tasks, plan lines, totals and claims.

:class:`Reader` walks the :class:`~analysis.inputs.markdown.blocks.Block` lines of
a document once, keeping what its headings (and bold lines standing as headings)
say is current: the risk level, the issue or section that groups tasks, the
phase of a plan, a priority. A task is a list item, a table row or a heading
that has a risk level, its own (an emoji or label at its start, a ``Risk:``
field at its end or on a line of its own, a risk column) or its heading's. A
line without one, inside a plan, is a plan line; elsewhere it is counted, and
named when nothing at all could be read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from analysis.inputs.import_words import ImportWords
from analysis.inputs.markdown.blocks import Block
from analysis.inputs.markdown.labels import (
    RATINGS,
    RISK_WORDS,
    Scale,
    claims_in,
    count_in,
    hours_in,
    lead_in,
    limits_in,
    normal,
    priority_in,
    settle,
    status_in,
    without_count,
)

__all__ = [
    "Context",
    "TaskLine",
    "PlanLine",
    "Reader",
    "section_of",
]

_ISSUE = re.compile(
    r"(?:issue|イシュー|チケット)\s*#\s*([1-9]\d{0,8})\b|(?<![\w&])#([1-9]\d{0,8})\b", re.I
)
_TASK_RANGE = re.compile(
    r"^(?:task|タスク)\s*(\d{1,4})\s*[-–~〜]\s*(\d{1,4})\s*[:：]\s*(.+)$", re.I
)
_TASK_ONE = re.compile(r"^(?:task|step|タスク|ステップ)\s*(\d{1,4})\s*[:：.]\s*(.+)$", re.I)
_NUMBERED = re.compile(r"^(\d{1,4})[.)]\s+(.+)$")
# an id in a code span: letters and digits (at least one digit), joined by - _ or .
_EXPLICIT_ID = re.compile(r"^`((?=[^`]*\d)[^\W_][\w.-]{0,63})`(?:[:：]\s*|\s+)(.+)$")
_TOTAL = re.compile(
    r"^(?:合計|総計|総数|total|total tasks|tasks in total)\s*[:：]?\s*(\d{1,6})\s*"
    r"(?:タスク|件|tasks?\b|items?\b|steps?\b|changes?\b|$)",
    re.I,
)
_PHASE = re.compile(
    r"^(?:phase|stage|wave|step|フェーズ|段階|ステージ)\s*([0-9０-９]+|[A-Z])\b|^第\s*\d+\s*(?:フェーズ|段階)",
    re.I,
)
_SECTIONS = (
    ("scope", ("評価対象", "scope", "対象issue", "in scope", "対象")),
    ("plan", ("戦略", "plan", "計画", "schedule", "roadmap", "timeline", "実行順", "sequence")),
    ("criteria", ("基準", "criteria", "safety", "guardrail", "policy", "方針", "rules", "原則")),
    ("outcomes", ("成果", "outcome", "expected", "期待", "benefit", "効果")),
    ("prose", ("finding", "所見", "out of scope", "対象外", "reference", "参考")),
)
_PRIORITY_TAG = re.compile(
    r"\s*+[(（\[]\s*((?:P[0-9])|(?:critical|urgent|high|medium|low)\s+priority|優先度\s*[:：]?\s*P?[0-9])"
    r"\s*[)）\]]\s*$",
    re.I,
)
_LABEL = r"[^\s\d:：,、;；/（）()・]{1,12}"
_COUNT_AFTER = re.compile(rf"({_LABEL})\s*[:：]?\s*(\d{{1,6}})")
_COUNT_BEFORE = re.compile(rf"(\d{{1,6}})\s*({_LABEL})")


def section_of(text: str) -> str:
    lowered = normal(text)
    for name, words in _SECTIONS:
        if any(word in lowered for word in words):
            return name
    return "other"


@dataclass
class Context:
    """What the headings above a line say."""

    level: tuple[str, str] | None = None  # (level, label)
    issue: int | None = None
    group: tuple[str, int] | None = None  # (section title, its heading's line)
    phase: str | None = None
    priority: str | None = None
    section: str = "other"
    facts_from: tuple[str, ...] = ()  # heading texts whose words may state facts


@dataclass
class TaskLine:
    """A task as the document states it, before ids and facts are settled."""

    line: int
    title: str
    level: str
    label: str
    context: Context
    status: str = "todo"
    ordinal: int | None = None
    explicit_id: str | None = None
    issue: int | None = None
    priority: str | None = None
    effort: float | None = None
    fields: dict[str, str] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    inherited: tuple[str, str] | None = None
    own: bool = False  # the level is the task's own, not its heading's
    ratings: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # fields, by kind


@dataclass(frozen=True)
class PlanLine:
    line: int
    text: str
    phase: str | None
    priority: str | None


@dataclass
class _Heading:
    depth: float
    text: str
    line: int
    role: str  # title, level, issue, phase, section, task
    level: tuple[str, str] | None = None
    issue: int | None = None
    section: str = "other"
    priority: str | None = None


_BOLD_STEP = 7.4  # the depth of a bold step line: beside bold section lines, under the rest


class Reader:
    """Reads blocks into task lines, plan lines, phases, declared counts and claims."""

    def __init__(self, blocks: list[Block], scale: Scale, words: ImportWords) -> None:
        self.blocks, self.scale, self.words = blocks, scale, words
        self.title: str | None = None  # the first level-1 heading
        self.first_heading: str | None = None
        self.tasks: list[TaskLine] = []
        self.plan_lines: list[PlanLine] = []
        self.phases: list[dict[str, Any]] = []
        self.issues: dict[int, dict[str, Any]] = {}
        self.declared: dict[str, Any] = {}
        self.statements: dict[str, str] = {}
        self.limits: dict[str, float] = {}
        self.appetite: str | None = None
        self.unread: list[tuple[int, str]] = []
        self.notes: list[tuple[int, str, str]] = []
        self.total_line = 0
        self.quoted_skipped = 0
        self.stack: list[_Heading] = []
        self.task_headings = self._task_headings()

    # ------------------------------------------------------------ context

    def _task_headings(self) -> set[int]:
        """Headings (and bold lines) followed, before the next one, by a rating of their own.

        A bold line on its own (``**Drain the node pool**``) stands as a step's heading
        when a rating field follows it, unless it follows a heading that has its own
        (then it is part of that step) or names a level or an issue.
        """
        found, current = set(), None
        for index, block in enumerate(self.blocks):
            if block.kind in ("heading", "rule"):
                current = index if block.kind == "heading" else None
            elif self._bold_step(block) and (
                current is None or current not in found or self.blocks[current].kind == "text"
            ):
                current = index
            elif current is not None and block.kind in ("text", "item") and not block.quoted:
                top = block.parent is None or (
                    block.kind == "item" and block.depth == 0 and not block.children
                )
                field = self.scale.field(block.text) if top else None
                if (
                    field
                    and field[0] in ("risk", "impact")
                    and self.scale.level(field[1], risk_context=True)
                ):
                    found.add(current)
        return found

    def _bold_step(self, block: Block) -> bool:
        """A bold line of its own that may head a step: not a level, an issue or a field."""
        return (
            block.kind == "text"
            and block.bold
            and block.parent is None
            and not block.quoted
            and not _ISSUE.search(block.text)
            and self.scale.heading_level(block.text) is None
            and self.scale.field(block.text) is None
        )

    def context(self) -> Context:
        ctx = Context()
        levels_seen = False
        for heading in self.stack:
            if heading.role == "level":
                ctx.level, levels_seen = heading.level, True
                ctx.section = "levels"
            elif heading.role == "issue":
                ctx.issue = heading.issue
            elif heading.role in ("section", "phase"):
                ctx.group = (heading.text, heading.line)
            if heading.role == "phase":
                ctx.phase = heading.text
            if heading.priority:
                ctx.priority = heading.priority
            if heading.section != "other" and not (
                levels_seen and heading.section in ("scope", "plan")
            ):
                ctx.section = heading.section
            if heading.role == "level":
                # a level heading's own words are about the rating; its note may state
                # facts ("開発環境のみ": development only)
                note = re.findall(r"[(（]([^()（）]*)[)）]", heading.text)
                ctx.facts_from += tuple(note)
            elif heading.role in ("section", "phase", "issue") and not RISK_WORDS.search(
                heading.text
            ):
                ctx.facts_from += (heading.text,)
        if levels_seen and ctx.section == "other":
            ctx.section = "levels"
        return ctx

    def push(self, depth: float, text: str, line: int, task: bool = False) -> None:
        """A heading (or, at depth 7, a bold line standing as one) over what follows."""
        if depth == 7:
            # bold lines nest by what they say: a level, then an issue, then a phase
            heading = _Heading(depth, text, line, "section")
            self._classify(heading)
            depth = 7 + {"level": 0.1, "issue": 0.2, "phase": 0.3}.get(heading.role, 0.4)
            heading.depth = depth
            while self.stack and self.stack[-1].depth >= depth:
                self.stack.pop()
            self.stack.append(heading)
            return
        self.first_heading = self.first_heading or text
        if depth == 1 and self.title is None and not task:
            self.stack.clear()
            self.title = text
            self.stack.append(_Heading(depth, text, line, "title"))
            return
        heading = _Heading(depth, text, line, "task" if task else "section")
        if not task:
            stack = self.stack
            self.stack = [
                h for h in stack if h.depth < depth or (h.role == "level" and h.depth >= 7)
            ]
            self._classify(heading)  # in the context of the headings it stays under
            self.stack = stack
        kept: list[_Heading] = []
        while self.stack and self.stack[-1].depth >= depth:
            top = self.stack.pop()
            # "**🟢 Low risk**" then "#### Issue #12": the bold level still holds
            if (
                top.depth >= 7
                and top.role == "level"
                and (heading.role in ("issue", "phase", "task") or depth >= 4)
                and heading.role != "level"
            ):
                kept.insert(0, top)
        for marker in kept:
            marker.depth = depth - 0.5
            self.stack.append(marker)
        self.stack.append(heading)

    def _classify(self, heading: _Heading) -> None:
        text = heading.text
        issue = _ISSUE.search(text)
        level = None if issue else self.scale.heading_level(text)
        priority = priority_in(text)
        in_plan = any(h.section == "plan" for h in self.stack)
        count = count_in(text)
        if level:
            heading.role, heading.level = "level", level
            if count is not None:
                issue_above = self.context().issue
                if issue_above is not None:
                    self._issue_entry(issue_above).setdefault("declared", {})[level[0]] = count
                else:
                    self.declared.setdefault("by_level", {})[level[0]] = count
            return
        if issue:
            heading.role, heading.issue = "issue", int(issue.group(1) or issue.group(2))
            entry = self._issue_entry(heading.issue)
            rest = _ISSUE.sub("", text, count=1).strip(" :：-–—")
            title = without_count(rest)
            if title and "title" not in entry:
                entry["title"] = title
            level_above = self.context().level
            if count is not None:
                key = level_above[0] if level_above else "total"
                if key == "total":
                    entry.setdefault("declared", {})["total"] = count
                else:
                    entry.setdefault("declared", {})[key] = count
            return
        phase = _PHASE.match(normal(text)) or (in_plan and hours_in(text) is not None)
        hours = hours_in(text)
        if phase and (in_plan or hours is not None):
            heading.role = "phase"
            heading.priority = priority
            self.phases.append(
                {"title": text, "hours": hours, "count": count, "line": heading.line}
            )
            return
        if priority and (in_plan or not _PHASE.match(normal(text))) and len(normal(text)) < 40:
            heading.priority, heading.role = priority, "marker"
            return
        heading.section = section_of(text) if heading.depth <= 3 else "other"
        heading.role = "section"
        self._limits(text)

    def _issue_entry(self, number: int | None) -> dict[str, Any]:
        assert number is not None
        return self.issues.setdefault(number, {"number": number})

    # ------------------------------------------------------------ statements

    def _limits(self, text: str) -> None:
        for key, value in limits_in(text).items():
            self.limits.setdefault(key, value)
            self.statements.setdefault(key, text)
        for key, value in claims_in(text).items():
            if key not in self.declared:
                self.declared[key] = value
                self.statements.setdefault(key, text)
        levels = re.findall(r"\b(LOW|MEDIUM)\b", text)
        if levels and re.search(r"のみ|only", text, re.I) and self.appetite is None:
            self.appetite = "MEDIUM" if "MEDIUM" in levels else "LOW"
            self.statements["appetite"] = text

    def total(self, text: str, line: int) -> bool:
        plain = text.strip()
        match = _TOTAL.match(unicodedata.normalize("NFKC", plain))
        if not match:
            return False
        if self.context().section != "plan":
            self.declare_total(int(match.group(1)), plain, line)
            # "合計: 14 タスク（影響度 高: 3）": counts per level said with the total
            # "合計 12件（高3・中4・低5）", "Total: 12 tasks (3 high, 4 medium, 5 low)"
            pairs = _COUNT_AFTER.findall(plain)
            pairs += [(label, count) for count, label in _COUNT_BEFORE.findall(plain)]
            for label, count in pairs:
                level = self.scale.level(label)
                if level:
                    self.declared.setdefault("by_level", {}).setdefault(level, int(count))
        return True

    def declare_total(self, count: int, text: str, line: int) -> None:
        if "total" not in self.declared:
            self.declared["total"], self.statements["total"] = count, text
            self.total_line = line
        elif self.declared["total"] != count:
            self.notes.append(
                (
                    line,
                    "repeat",
                    f"a second total ({count}) differs from the one at line {self.total_line} "
                    f"({self.declared['total']}): the first is kept",
                )
            )

    # ------------------------------------------------------------ walking

    def read(self) -> None:
        index = 0
        while index < len(self.blocks):
            block = self.blocks[index]
            index += 1
            if block.kind == "rule":
                while self.stack and self.stack[-1].role == "task":
                    self.stack.pop()  # a thematic break ends the step above it
                continue
            if block.kind == "heading":
                self.push(block.depth, block.text, block.line, index - 1 in self.task_headings)
                if index - 1 in self.task_headings:
                    self.heading_task(index - 1)
                continue
            if block.kind == "text" and index - 1 in self.task_headings:
                # a bold step line: a pseudo-heading at the rank of a bold section line
                while self.stack and self.stack[-1].depth >= _BOLD_STEP:
                    self.stack.pop()
                self.stack.append(_Heading(_BOLD_STEP, block.text, block.line, "task"))
                self.heading_task(index - 1)
                continue
            if block.quoted and not (block.kind == "item" and block.checkbox is not None):
                self.quoted_skipped += block.kind in ("item", "row")
                continue
            if block.kind == "row":
                self.row(block)
            elif block.kind == "item" and block.parent is None:
                self.item(index - 1, self.context())
            elif block.kind == "text" and block.parent is None:
                self.text_line(block)

    def text_line(self, block: Block) -> None:
        total = _TOTAL.match(unicodedata.normalize("NFKC", block.text.strip()))
        if self.stack and self.stack[-1].role == "task" and not total:
            return  # a field or detail of the heading task above (a total ends it)
        self._limits(block.text)
        if self.total(block.text, block.line):
            return
        issue_first = re.match(r"^(?:issue|イシュー|チケット)\s*#\s*[1-9]", block.text, re.I)
        labelled = re.match(r"^\S.{0,80}[:：]$", block.text) and not lead_in(block.text)
        if block.bold or issue_first or labelled:
            text = block.text.rstrip(":：").strip()
            self.push(7, text, block.line)

    def heading_task(self, index: int) -> None:
        block = self.blocks[index]
        depth = self.stack.pop().depth
        ctx = self.context()
        self.stack.append(_Heading(depth, block.text, block.line, "task"))
        task = self.new_task(block.text, block.line, None, ctx)
        end = next(
            (
                i
                for i in range(index + 1, len(self.blocks))
                if self.blocks[i].kind in ("heading", "rule") or i in self.task_headings
            ),
            len(self.blocks),
        )
        for other in self.blocks[index + 1 : end]:
            if other.quoted:
                continue
            self.absorb(task, other.text)
        self.rate_from_fields(task)
        if task.level == "?":
            return
        self.tasks.append(task)

    def absorb(self, task: TaskLine, text: str) -> None:
        """A line under a task: a field it states, or a detail."""
        found = self.scale.named_field(text)
        if found is None:
            task.details.append(text)
            return
        kind, value, name = found
        if kind in RATINGS:
            level = self.scale.level(value, risk_context=True)
            if level:
                task.ratings.setdefault(kind, (level, value, name))
            else:
                task.details.append(text)
        elif kind == "priority":
            task.priority = priority_in(value) or priority_in(f"{value} priority") or task.priority
        elif kind == "effort":
            task.effort = hours_in(value) if task.effort is None else task.effort
        elif kind == "status":
            task.status = status_in(value, task.status)
        elif kind == "issue":
            match = re.search(r"\d{1,9}", value)
            if match:
                task.issue = int(match.group())
        else:
            task.fields[kind] = value

    @staticmethod
    def rate_from_fields(task: TaskLine) -> None:
        """The level the task's rating fields give, unless its own line gave one."""
        settled = None if task.own else settle(task.ratings)
        if settled:
            task.level, task.label = settled
            task.own = True

    def new_task(self, text: str, line: int, block: Block | None, ctx: Context) -> TaskLine:
        level = label = None
        found = self.scale.leading(text)
        if found:
            level, label, text = found
        found = None if level else self.scale.trailing(text)
        if found:
            done = "✅" in text[len(found[2]) :] or "☑" in text[len(found[2]) :]
            level, label, text = found
        else:
            done = False
        tail = text[-60:]  # a tag is short: the end of the line is enough (and linear)
        tag = _PRIORITY_TAG.search(tail)
        priority = None
        head = text[: len(text) - len(tail) + tag.start()] if tag else ""
        if tag and head.strip():
            priority = priority_in(tag.group(1))
            text = head.rstrip()
        own = level is not None
        if level is None and ctx.level:
            level, label = ctx.level
        task = TaskLine(line, text, level or "?", label or "", ctx, own=own)
        if done:
            task.status = "done"
        if block is not None:
            if block.checkbox:
                task.status = "done" if block.checkbox == "x" else "todo"
            if block.struck:
                task.status = "cancelled"
            task.ordinal = block.ordinal
        task.priority = priority or ctx.priority
        return task

    def item(self, index: int, ctx: Context) -> None:
        """A list item: a task, a group label over nested tasks, a plan line, or unread."""
        block = self.blocks[index]
        if self.stack and self.stack[-1].role == "task":
            return  # lines under a heading task were read with it
        if self.total(block.text, block.line):
            return
        if ctx.section == "scope":
            self.scope_item(block)
            return
        blocks = self.blocks
        fields = [
            c
            for c in block.children
            if (blocks[c].kind == "text" or not blocks[c].children)
            and self.scale.field(blocks[c].text)
        ]
        nested = [c for c in block.children if blocks[c].kind == "item" and c not in fields]
        task = self.new_task(block.text, block.line, block, ctx)
        for child in fields:
            self.absorb(task, blocks[child].text)
        self.rate_from_fields(task)
        rated_below = any(
            self.scale.leading(blocks[c].text) or self.scale.trailing(blocks[c].text)
            for c in nested
        )
        numbered = bool(_EXPLICIT_ID.match(block.text) or _TASK_ONE.match(block.text))
        label_like = not numbered and (
            block.bold
            or bool(_ISSUE.search(block.text))
            or (block.text.endswith((":", "：")) and len(block.text) > 1)
        )
        if nested and not task.own and (rated_below or (label_like and task.level != "?")):
            self.group_label(block, nested, ctx)
            return
        if task.level == "?":
            self._limits(block.text)  # "作業は 2時間以内に完了させること"
            if ctx.section == "plan" or ctx.phase:
                self.plan_lines.append(PlanLine(block.line, block.text, ctx.phase, ctx.priority))
            elif ctx.section not in ("criteria", "outcomes", "prose"):
                self.unread.append((block.line, block.text))
            return
        task.details += [blocks[c].text for c in block.children if c not in fields]
        self.tasks.append(task)

    def group_label(self, block: Block, nested: list[int], ctx: Context) -> None:
        """``- **Issue #140** Ingress`` or ``- Networking:`` over a nested list of tasks."""
        issue = _ISSUE.search(block.text)
        sub = Context(**{**ctx.__dict__})
        if issue:
            sub.issue = int(issue.group(1) or issue.group(2))
            entry = self._issue_entry(sub.issue)
            rest = without_count(block.text[issue.end() :].strip(" :：-–—"))
            if rest and "title" not in entry:
                entry["title"] = rest
        else:
            sub.group = (block.text.rstrip(":：").strip(), block.line)
        level = self.scale.heading_level(block.text)
        if level:
            sub.level = level
        for child in nested:
            self.item(child, sub)

    def scope_item(self, block: Block) -> None:
        plain = block.text
        issue = _ISSUE.search(plain)
        if issue:
            entry = self._issue_entry(int(issue.group(1) or issue.group(2)))
            rest = re.sub(r"^\s*[:：]?\s*", "", plain[issue.end() :])
            title = without_count(rest)
            if title:
                entry["title"] = title
            note = re.search(r"[(（]([^()（）]*)[)）]\s*$", rest)
            count = count_in(note.group(1)) if note else None
            count = count_in(plain) if count is None else count
            if count is not None:
                entry.setdefault("declared", {})["total"] = count
            if note:
                entry["note"] = f"Issue #{entry['number']} ({note.group(1)})"
            return
        count = count_in(plain)
        if count is not None and re.search(r"合計|total", plain, re.I):
            self.declare_total(count, plain, block.line)
            return
        self._limits(plain)

    def row(self, block: Block) -> None:
        kinds = [self.scale.field_kind(h) for h in block.header]
        ctx = self.context()
        titles = [i for i, k in enumerate(kinds) if k == "title" and i < len(block.cells)]
        # "| Step | Description |": a title column that holds a number is a step number
        worded = [i for i in titles if not re.fullmatch(r"\s*\d{1,4}[.)]?\s*", block.cells[i])]
        title_col = next(iter(worded or titles), None)
        if title_col is None:
            title_col = next((i for i, k in enumerate(kinds) if k is None), None)
        if title_col is None or title_col >= len(block.cells) or not block.cells[title_col]:
            return
        text = block.cells[title_col]
        if self.total(text, block.line):
            return
        risk = next((i for i, k in enumerate(kinds) if k == "risk"), None)
        task = self.new_task(text, block.line, None, ctx)
        if risk is not None and risk < len(block.cells):
            level = self.scale.level(block.cells[risk], risk_context=True)
            if level is None:
                head = block.cells[risk].split()[0] if block.cells[risk].split() else ""
                level = self.scale.level(head, risk_context=True) if head else None
            if level:
                task.level, task.label, task.own = level, block.cells[risk].strip(), True
        for i, kind in enumerate(kinds):
            if i in (title_col, risk) or kind is None or i >= len(block.cells):
                continue
            if block.cells[i]:
                self.absorb(task, f"{block.header[i]}: {block.cells[i]}")
        self.rate_from_fields(task)
        box = re.match(r"^\[([ xX])\]\s+", task.title)
        if box:
            task.status = "done" if box.group(1) != " " else "todo"
            task.title = task.title[box.end() :]
        if task.level == "?":
            if ctx.section == "plan" or ctx.phase:
                self.plan_lines.append(PlanLine(block.line, text, ctx.phase, ctx.priority))
            else:
                self.unread.append((block.line, text))
            return
        self.tasks.append(task)
