r"""Markdown out: audits and plans as GitHub comments in the seed's structure, computed.

:func:`audit_markdown` and :func:`plan_markdown` write a GitHub-ready comment
(levels, then issues, then tasks; the plan by phase; the safety criteria;
the result line), so the numbers add up. Catalog text is shown verbatim
wherever it stands (:func:`escape_markdown`): HTML specials become entities,
markdown punctuation gets a backslash, line breaks become ``<br>``.

Examples
--------
>>> escape_markdown("a*b* <x>")
'a\\*b\\* &lt;x&gt;'
"""

from __future__ import annotations

import re

from analysis.assess.audit import Audit, within_range
from analysis.model import hours_text
from analysis.plan.results import Assessment
from analysis.vocabulary import LEVELS

__all__ = [
    "escape_markdown",
    "markdown_code",
    "audit_markdown",
    "plan_markdown",
]

_EMOJI = {"LOW": "🟢", "MEDIUM": "🟡", "HIGH": "🔴"}


def _tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


#: Characters with a meaning in (GitHub) markdown inline text: escaped with a backslash.
_MD_PUNCTUATION = re.compile(r"[\\`*_\[\]|~#$]")
_MD_LINE_START = re.compile(r"^([-+]|\d{1,9}(?=[.)]))(?=[.)]?(?:[ \t]|$))")  # a list marker
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def escape_markdown(text: object) -> str:
    r"""Text shown verbatim wherever markdown puts it: a line, a heading, a table cell.

    HTML specials become entities; markdown punctuation (emphasis, code, links,
    tables, strikethrough, headings, math) gets a backslash; a list
    marker at the start is escaped; line breaks become ``<br>``; leading and
    trailing white space, which markdown would drop, becomes character
    references. :func:`parse_markdown` reads all of it back to the same text.

    >>> escape_markdown("Tom & *Jerry* | <b>[x](y)</b>")
    'Tom &amp; \\*Jerry\\* \\| &lt;b&gt;\\[x\\](y)&lt;/b&gt;'
    >>> escape_markdown("1. line\nnext ")
    '1\\. line<br>next&#32;'
    """
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_PUNCTUATION.sub(lambda m: "\\" + m.group(0), text)
    text = _MD_LINE_START.sub(  # a list marker loses its meaning: \- x, 1\. x
        lambda m: m.group(1) + "\\" if m.group(1).isdigit() else "\\" + m.group(1), text, count=1
    )
    text = _LINE_BREAK.sub("<br>", text)
    head = len(text) - len(text.lstrip())
    tail = len(text.rstrip())
    if head == len(text):
        return "".join(f"&#{ord(ch)};" for ch in text)
    return (
        "".join(f"&#{ord(ch)};" for ch in text[:head])
        + text[head:tail]
        + "".join(f"&#{ord(ch)};" for ch in text[tail:])
    )


def markdown_code(text: object) -> str:
    """Text as an inline code span, verbatim (ids and names): fenced past its own backticks.

    >>> markdown_code("384-T01"), markdown_code("a`b")
    ('`384-T01`', '``a`b``')
    """
    text = _LINE_BREAK.sub(" ", str(text))
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * next(n for n in range(1, len(runs) + 2) if n not in runs)
    edges = text[:1] + text[-1:]
    pad = " " if "`" in edges or (edges == "  " and text.strip()) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def audit_markdown(audit: Audit) -> str:
    """The audit as a GitHub comment in the seed's structure: levels, issues, tasks.

    A level that is not computable (it rests on unknown facts) stands under its
    worst case, the level decisions use, and says so: the heading's line counts
    them, each such task gives its range and declared level, and the result line
    keeps computed and not computable counts apart.
    """
    catalog, scores = audit.catalog, audit.scores
    notes = {}
    for rule in audit.rubric.rules:
        if rule.level not in notes and rule.bound == (
            "at_most" if rule.level != "HIGH" else "at_least"
        ):
            match = re.search(r"[(（]([^()（）]*)[)）]\s*$", rule.reason)
            notes[rule.level] = match.group(1) if match else rule.id
    counts = audit.level_counts()
    lines = [
        f"# {escape_markdown(catalog.title or catalog.name)} (computed)",
        "",
        "## 📋 Scope",
        "",
    ]
    for number, issue in catalog.issue_by_number.items():
        title = f": {escape_markdown(issue.title)}" if issue.title else ""
        lines.append(f"- **Issue #{number}**{title} ({_tasks(len(catalog.tasks_of(number)))})")
    lines += [
        f"- **Total**: {len(catalog)} tasks",
        "",
        f"## 🚨 Production impact (rubric {markdown_code(audit.rubric.name)})",
        "",
    ]
    if not all(score.computed for score in scores.values()):
        lines += [
            "A level that rests on unknown facts is not computable: it stands under its worst "
            "case, with the range it could take.",
            "",
        ]
    for level in LEVELS:
        note = notes.get(level)
        lines += [
            f"### {_EMOJI[level]} {level} RISK ({escape_markdown(note) + ' - ' if note else ''}"
            f"{_tasks(counts[level])})",
            "",
        ]
        open_ = sum(not s.computed and s.level == level for s in scores.values())
        if open_:
            lines += [f"Not computable: {open_} of these, {level} only at worst.", ""]
        for number in catalog.issue_by_number:
            tasks = [t for t in catalog.tasks_of(number) if scores[t.id].level == level]
            if not tasks:
                continue
            lines += [f"#### Issue #{number} ({_tasks(len(tasks))})", ""]
            for task in tasks:
                declared = ""
                score = scores[task.id]
                if task.declared_risk and not score.computed:
                    within = within_range(score, task.declared_risk)
                    declared = (
                        f"declared {task.declared_risk}, {'within' if within else 'outside'} "
                        f"{score.range_text}; "
                    )
                elif task.declared_risk and task.declared_risk != level:
                    declared = f"declared {task.declared_risk}; "
                lines.append(f"- {markdown_code(task.id)} {escape_markdown(task.title)}")
                lines.append(f"  - {declared}{escape_markdown(scores[task.id].main_reason)}")
            lines.append("")
    lines += [f"## 🔎 Findings ({len(audit.findings)})", ""]
    lines += [f"- **{f.kind}**: {escape_markdown(f.message)}" for f in audit.findings] or ["None."]
    mix = ", ".join(f"{counts[level]} {level}" for level in LEVELS)
    if not all(score.computed for score in scores.values()):
        mix = audit.mix_text()
    lines += ["", f"**Result**: {len(catalog)} tasks ({mix}); {len(audit.findings)} finding(s)."]
    return "\n".join(lines) + "\n"


def _planned_level(assessment: Assessment, task: str) -> str:
    """``MEDIUM``, or ``MEDIUM; catalog LOW`` where the plan does the task at another level."""
    level, catalog = assessment.level_of(task), assessment.audit.scores[task].level
    return level if level == catalog else f"{level}; catalog {catalog}"


def plan_markdown(assessment: Assessment) -> str:
    """A plan as a GitHub comment: the selection by phase, safety criteria, the result line."""
    selection, scenario, catalog = assessment.selection, assessment.scenario, assessment.catalog
    totals = selection.totals
    lines = [
        f"# {escape_markdown(catalog.title or catalog.name)}: plan {markdown_code(scenario.name)} "
        f"({selection.status})",
        "",
    ]
    budget = "no budget" if scenario.budget_hours is None else hours_text(scenario.budget_hours)
    cap = "no cap" if scenario.task_cap is None else f"{scenario.task_cap} units"
    lines += [f"Limits: {budget} or {cap}; nothing above {scenario.appetite}.", ""]
    timeline = assessment.timeline
    lines += ["## 🎯 Plan", ""]
    if timeline is not None and timeline.ok and timeline.phases:
        boxes = {p.name: p for p in timeline.phases}
        for name in [p.name for p in timeline.phases]:
            slots = [s for s in timeline.slots if s.phase == name]
            if not slots:
                continue
            phase = boxes[name]
            work = sum(s.end_hours - s.start_hours for s in slots)
            title = f": {escape_markdown(phase.title)}" if phase.title else ""
            tasks = sum(len(s.tasks) for s in slots)
            lines += [
                f"### Phase {escape_markdown(name)}{title} ({hours_text(phase.hours)} - "
                f"{tasks} tasks, {hours_text(work)} of work)",
                "",
            ]
            number = 0
            for slot in slots:
                for task in slot.tasks:
                    number += 1
                    same = (
                        f" (same work as {markdown_code(slot.tasks[0])})"
                        if task != slot.tasks[0]
                        else ""
                    )
                    lines.append(
                        f"{number}. {markdown_code(task)} "
                        f"{escape_markdown(catalog.task_by_id[task].title)} "
                        f"({_planned_level(assessment, task)}){same}"
                    )
            lines.append("")
    else:
        if timeline is not None and not timeline.ok:
            lines += [
                f"No schedule fits: {escape_markdown(reason)}" for reason in timeline.explanations
            ]
            lines.append("")
        for index, task in enumerate(selection.selected, start=1):
            lines.append(
                f"{index}. {markdown_code(task)} {escape_markdown(catalog.task_by_id[task].title)} "
                f"({_planned_level(assessment, task)})"
            )
        lines.append("")
    lines += [f"## ⛔ Left out ({len(selection.left_out)})", ""]
    lines += [
        f"- {markdown_code(i.task)} {escape_markdown(catalog.task_by_id[i.task].title)}: "
        f"{escape_markdown(i.reason)}"
        for i in selection.left_out
    ] or ["None."]
    lines += ["", "## ✅ Safety criteria", ""]
    broken = {v.details.get("gate"): v for v in selection.violations if v.kind == "gate"}
    for gate in assessment.gates:
        if gate.id in broken:
            state = f"❌ {escape_markdown(broken[gate.id].message.split('): ', 1)[-1])}"
        elif assessment.enforcing(gate):
            state = f"✅ enforced by {escape_markdown(', '.join(assessment.enforcing(gate)))}"
        else:
            state = "✅ kept"
        lines.append(f"- **{escape_markdown(gate.wording)}** ({gate.mode}): {state}")
    others = [v for v in selection.violations if v.kind != "gate"]
    if others:
        lines += ["", f"## ⚠️ Violations ({len(others)})", ""]
        lines += [f"- **{v.kind}**: {escape_markdown(v.message)}" for v in others]
    mix = ", ".join(f"{n} {level}" for level, n in totals.risk.items())
    finish = ""
    if timeline is not None and timeline.ok:
        assert timeline.makespan_hours is not None  # a schedule that fits has a finish
        finish = f", finishing at {hours_text(timeline.makespan_hours)}"
    lines += [
        "",
        f"**Result**: {totals.tasks} of {len(catalog)} tasks selected in "
        f"{totals.units} units of work ({mix}), {hours_text(totals.hours)} of work{finish}; "
        f"{len(selection.violations)} violation(s).",
    ]
    return "\n".join(lines) + "\n"
