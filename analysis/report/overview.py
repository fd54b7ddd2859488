"""The report's first screen: what to do this week, what is left out and why, what changed.

A reader comes to the weekly report with three questions. :func:`at_a_glance`
answers each in a line (markdown), with what needs attention, above the
tables that list the answers in full: :func:`work_frame` (the selected work
in the order it runs, with phase, hours and level),
:func:`~analysis.report.frames.left_out_frame` (one reason for each task left
out) and :func:`~analysis.report.frames.changes_since`. Every level is the
level of the work planned, with the catalog's beside it where it differs
(:meth:`~analysis.plan.results.Assessment.level_texts`).

Examples
--------
>>> from analysis.plan.scenarios import assess_files
>>> from analysis.resources import SEED_CATALOG
>>> limits = SEED_CATALOG.parents[1] / "scenarios" / "seed-limits.yaml"
>>> plan = assess_files(SEED_CATALOG, [limits])[0]
>>> work = work_frame(plan)
>>> list(work.columns)
['#', 'phase', 'start', 'hours', 'risk', 'work', 'title']
>>> work[["#", "phase", "start", "hours", "risk", "work"]].iloc[2].to_dict()
{'#': 3, 'phase': 'P1', 'start': 0.25, 'hours': 0.125, 'risk': 'LOW', 'work': '384-T08\\n381-T06'}
"""

from __future__ import annotations

import pandas as pd

from analysis.model import hours_text
from analysis.plan.results import Assessment
from analysis.report.markdown import escape_markdown

__all__ = [
    "work_frame",
    "at_a_glance",
]

_WORK_COLUMNS = ["#", "phase", "lane", "start", "hours", "risk", "catalog risk", "work", "title"]


def work_frame(assessment: Assessment) -> pd.DataFrame:
    """The selected work in the order it runs: one row per piece of work.

    With a schedule, pieces come in the order they start (then by lane), each
    with its phase, lane (from 1), start and hours (``h:mm`` in the report);
    without one, in the selection's order (a hand-made plan's: its items),
    with the phase a plan item gives. ``risk`` is the level of the work
    planned and ``catalog risk`` the catalog's where it differs; ``work``
    names the tasks a piece does (duplicates done once close every copy),
    ``title`` their titles (a plan item: its own name), one a line. Columns
    that would be empty in every row (no phases, one lane, no schedule, no
    level that differs) are left out.
    """
    catalog, selection = assessment.catalog, assessment.selection
    items = assessment.scenario.plan
    timeline = assessment.timeline
    # (phase, lane from 1, start, hours, tasks, label) of each piece, in order
    pieces: list[tuple[str | None, int | None, float | None, float, tuple[str, ...], str | None]]
    if timeline is not None and timeline.ok:
        slots = sorted(timeline.slots, key=lambda s: (s.start_hours, s.lane or 0))
        pieces = [
            (
                slot.phase,
                None if slot.lane is None else slot.lane + 1,
                slot.start_hours,
                slot.end_hours - slot.start_hours,
                slot.tasks,
                slot.label if items else None,
            )
            for slot in slots
        ]
    else:
        pieces = []
        for unit in selection.units:
            item = items[unit.position] if items and unit.position < len(items) else None
            phase, label = (item.phase, item.name) if item else (None, None)
            pieces.append((phase, None, None, unit.hours, unit.tasks, label))
    records = []
    for number, (phase, lane, start, hours, tasks, label) in enumerate(pieces, start=1):
        level, catalog_level = assessment.level_texts(tasks)
        titles = label or "\n".join(catalog.task_by_id[t].title for t in tasks)
        records.append(
            {
                "#": number,
                "phase": phase,
                "lane": lane,
                "start": start,
                "hours": hours,
                "risk": level,
                "catalog risk": catalog_level,
                "work": "\n".join(tasks),
                "title": titles,
            }
        )
    frame = pd.DataFrame(records, columns=_WORK_COLUMNS)
    several_lanes = timeline is not None and timeline.lanes > 1
    empty = [
        column
        for column in ("phase", "lane", "start", "catalog risk")
        if (column == "lane" and not several_lanes)
        or frame[column].map(lambda v: v is None or v == "" or v != v).all()
    ]
    return frame.drop(columns=empty)


def _count_words(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {kind}" for kind, n in counts.items())


def _do_line(assessment: Assessment) -> str:
    selection, scenario = assessment.selection, assessment.scenario
    totals = selection.totals
    limits = [f"appetite {scenario.appetite}"]
    if scenario.budget_hours is not None:
        limits.append(f"budget {hours_text(scenario.budget_hours)}")
    if scenario.task_cap is not None:
        limits.append(f"cap {scenario.task_cap:,}")
    mix = ", ".join(f"{totals.risk.get(level, 0):,} {level}" for level in totals.risk)
    not_computable = sum(
        1
        for task in selection.selected
        if task not in selection.levels and not assessment.audit.scores[task].computed
    )
    unsure = (
        f" ({not_computable:,} not computable, counted at their worst)" if not_computable else ""
    )
    line = (
        f"**This week: do the work listed below, in order.** {totals.tasks:,} tasks in "
        f"{totals.units:,} pieces of work, {hours_text(totals.hours)} of work, value "
        f"{totals.value:g}; levels of the work: {mix}{unsure}. Limits: {', '.join(limits)}."
    )
    planned = len(selection.levels)
    if planned:
        line += (
            f" The plan does {planned:,} task(s) at another level than the catalog's "
            "(both are shown)."
        )
    timeline = assessment.timeline
    if timeline is not None and timeline.ok and timeline.makespan_hours is not None:
        line += f" Finishes at {hours_text(timeline.makespan_hours)}"
        if assessment.risk is not None:
            line += f"; 80 % of simulated runs by {hours_text(assessment.risk.p80)}"
        line += "."
    elif timeline is not None:
        reasons = timeline.explanations
        line += " **No schedule fits**" + (f": {escape_markdown(reasons[0])}" if reasons else "")
        if len(reasons) > 1:
            line += f" ({len(reasons) - 1:,} more reason(s) under the plan in figures)"
        line += "."
    status = {
        "optimal": "No other selection within these limits has more value.",
        "feasible": "The best selection found in the time allowed; one of more value may exist.",
        "fixed": "A hand-made plan, checked against its own limits.",
    }.get(selection.status, f"Selection {escape_markdown(selection.status)}: see the violations.")
    return f"{line} {status}"


def _left_out_line(assessment: Assessment) -> str:
    left = assessment.selection.left_out
    if not left:
        return "**Left out: nothing.** Every open task is in the plan."
    kinds: dict[str, int] = {}
    for item in left:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    words = _count_words({kind.replace("-", " "): n for kind, n in kinds.items()})
    return f"**Left out: {len(left):,} tasks**, each with its one reason below ({words})."


def _attention_line(assessment: Assessment) -> str:
    violations = assessment.selection.violations
    kinds: dict[str, int] = {}
    for violation in violations:
        kinds[violation.kind] = kinds.get(violation.kind, 0) + 1
    parts = []
    if violations:
        words = _count_words({kind.replace("-", " "): n for kind, n in kinds.items()})
        parts.append(f"{len(violations):,} violation(s) of the plan ({words})")
    findings = assessment.audit.findings
    if findings:
        parts.append(f"{len(findings):,} finding(s) about the catalog")
    facts = assessment.audit.facts_to_add
    if facts:
        named = ", ".join(escape_markdown(row.fact) for row in facts[:5])
        more = f" and {len(facts) - 5:,} more" if len(facts) > 5 else ""
        parts.append(f"facts to add: {named}{more}")
    if not parts:
        return "**Needs attention: nothing.** No violation, no finding."
    return f"**Needs attention:** {'; '.join(parts)}; details in the sections below."


def at_a_glance(assessment: Assessment, changes: str) -> str:
    """Markdown: what to do, what is left out, what changed (``changes``), what needs attention.

    ``changes`` is the sentence :func:`~analysis.report.frames.changes_since`
    returns (plain text). Durations are written as the report's sentences write them
    (``49.5 min``, ``3.15 h``); its tables write them ``h:mm``.
    """
    lines = [
        _do_line(assessment),
        _left_out_line(assessment),
        f"**What changed:** {escape_markdown(changes)}",
        _attention_line(assessment),
    ]
    return "\n".join(f"- {line}" for line in lines)
