"""A plan as text: the selection, the reasons for the rest, the schedule and its risk.

Tables for the terminal, JSON for scripts (no wall-clock time in it, so two
runs give the same bytes), CSV with one row per task (phase, lane, start and
end added when there is a schedule), and GitHub markdown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from analysis.files import csv_text
from analysis.model import hours_text
from analysis.plan.results import Assessment, ScheduleRisk, Timeline, Totals
from analysis.report.formats.text import (
    clock,
    figure_text,
    finding_data,
    format_table,
    number_texts,
    one_line,
    risk_text,
)
from analysis.report.markdown import plan_markdown
from analysis.resources import shown_path

__all__ = [
    "plan_to_data",
    "format_plan",
]


def _totals_data(totals: Totals) -> dict[str, Any]:
    return {
        "hours": round(totals.hours, 6),
        "tasks": totals.tasks,
        "units": totals.units,
        "value": totals.value,
        "risk": dict(totals.risk),
    }


def plan_to_data(assessment: Assessment) -> dict[str, Any]:
    """The selection as plain data: ``status``, ``selected``, ``excluded``, ``totals``, ..."""
    selection, scenario = assessment.selection, assessment.scenario
    baseline, scores = selection.baseline, assessment.audit.scores
    return {
        "catalog": {"name": assessment.catalog.name, "title": assessment.catalog.title},
        "scenario": {
            "name": scenario.name,
            "source": shown_path(scenario.source),
            "appetite": scenario.appetite,
            "budget_hours": scenario.budget_hours,
            "task_cap": scenario.task_cap,
            "objective": scenario.objective,
            "merge_duplicates": scenario.merge_duplicates,
            "hand_made": scenario.is_plan,
        },
        "status": selection.status,
        "objective": selection.objective,
        "bound": selection.bound,
        "gap": selection.gap,
        "solver": dict(selection.solver),
        "tie_breaks": list(selection.tie_breaks),
        "selected": list(selection.selected),
        "planned_risk": [
            {"id": task, "risk": level, "catalog_risk": scores[task].level}
            for task, level in selection.levels.items()
        ],
        "units": [
            {
                "id": u.id,
                "tasks": list(u.tasks),
                "hours": u.hours,
                "value": u.value,
                "risk": u.level,
            }
            for u in selection.units
        ],
        "excluded": [
            {
                "id": item.task,
                "kind": item.kind,
                "reason": item.reason,
                "details": dict(item.details),
            }
            for item in selection.left_out
        ],
        "totals": _totals_data(selection.totals),
        "greedy": None
        if baseline is None
        else {"selected": list(baseline.selected), "totals": _totals_data(baseline.totals)},
        "gain_over_greedy": selection.gain_over_greedy,
        "violations": [finding_data(v) for v in selection.violations],
        "schedule": _timeline_data(assessment.timeline),
        "risk": _risk_data(assessment.risk),
        "gates": [
            {
                "id": gate.id,
                "mode": gate.mode,
                "wording": gate.wording,
                "meaning": gate.meaning,
                "enforced_by": list(assessment.enforcing(gate)),
            }
            for gate in assessment.gates
        ],
        "outcomes": [
            {
                "area": row.area,
                "selected": list(row.selected),
                "total": row.total,
                "share": row.share,
                "selected_hours": row.selected_hours,
                "total_hours": row.total_hours,
                "untouched": row.untouched,
                "targets": [
                    {"target": t.target, "from": t.start, "to": t.goal} for t in row.targets
                ],
            }
            for row in assessment.outcomes
        ],
    }


def _timeline_data(timeline: Timeline | None) -> dict[str, Any] | None:
    if timeline is None:
        return None
    return {
        "status": timeline.status,
        "makespan_hours": timeline.makespan_hours,
        "budget_hours": timeline.budget_hours,
        "lanes": timeline.lanes,
        "grid_minutes": timeline.grid_minutes,
        "phases": [
            {"name": p.name, "title": p.title, "box_hours": p.hours} for p in timeline.phases
        ],
        "phase_windows": [
            {"phase": name, "start_hours": start, "end_hours": end}
            for name, start, end in timeline.phase_windows
        ],
        "explanations": list(timeline.explanations),
        "resources": list(timeline.notes),
        "solver": dict(timeline.settings),
        "slots": [
            {
                "job": slot.job,
                "label": slot.label,
                "tasks": list(slot.tasks),
                "phase": slot.phase,
                "lane": None if slot.lane is None else slot.lane + 1,
                "start_hours": slot.start_hours,
                "end_hours": slot.end_hours,
                "uses": list(slot.uses),
            }
            for slot in timeline.slots
        ],
    }


def _risk_data(risk: ScheduleRisk | None) -> dict[str, Any] | None:
    if risk is None:
        return None
    return {
        "samples": risk.samples,
        "seed": risk.seed,
        "planned_hours": risk.planned,
        "p50_hours": risk.p50,
        "p80_hours": risk.p80,
        "p95_hours": risk.p95,
        "mean_hours": risk.mean,
        "within_budget": risk.within_budget,
        "phase_overflow": dict(risk.phase_overflow),
        "point_range": list(risk.point_range),
    }


def _plan_headline(assessment: Assessment) -> list[str]:
    selection, scenario = assessment.selection, assessment.scenario
    totals = selection.totals
    budget = (
        "no budget" if scenario.budget_hours is None else f"of {hours_text(scenario.budget_hours)}"
    )
    cap = "" if scenario.task_cap is None else f" (cap {scenario.task_cap})"
    mix = ", ".join(f"{n} {level}" for level, n in totals.risk.items())
    named = one_line(assessment.catalog.title or assessment.catalog.name)
    head = f"Scenario '{scenario.name}' on {named}"
    lines = [
        f"{head}: {selection.status}",
        f"  {totals.tasks} tasks in {totals.units} units{cap}, "
        f"{hours_text(totals.hours)} {budget}, value {totals.value:g}; risk {mix}; "
        f"appetite {scenario.appetite}",
    ]
    if selection.status != "fixed" and selection.objective is not None:
        gap = "" if selection.gap is None else f", gap {selection.gap:.2%}"
        lines.append(
            f"  objective {selection.objective:g}, bound {figure_text(selection.bound)}{gap}; "
            f"solved in {selection.solve_seconds:.2f} s"
        )
    if selection.solver.get("method") not in (None, "exact model"):
        lines.append(f"  method: {selection.solver['method']}")
    if selection.solver.get("stopped"):
        lines.append(f"  stopped: {selection.solver['stopped']}")
    if selection.baseline is not None:
        base = selection.baseline.totals
        gain = selection.gain_over_greedy
        lines.append(
            f"  greedy baseline (value per hour): value {base.value:g}, {base.tasks} tasks, "
            f"{hours_text(base.hours)}"
            + ("" if gain is None else f"; optimisation gains {gain:+g}")
        )
    settings = selection.solver
    if settings.get("engine") == "OR-Tools CP-SAT":
        lines.append(
            f"  solver: {settings['engine']}, seed {settings['seed']}, "
            f"{settings['workers']} workers, "
            f"deterministic limit {settings['deterministic_time']:g}; ties: "
            + "; ".join(selection.tie_breaks)
        )
    return lines


def format_plan(assessment: Assessment, fmt: str) -> str:
    """The selection as ``table``, ``json``, ``csv`` or ``markdown`` text."""
    selection, catalog = assessment.selection, assessment.catalog
    scores = assessment.audit.scores
    unit_of = {t: u.id for u in selection.units for t in u.tasks}
    left = {item.task: item for item in selection.left_out}
    if fmt == "json":
        return json.dumps(plan_to_data(assessment), ensure_ascii=False, indent=2)
    if fmt == "csv":
        return _plan_csv(assessment, unit_of, left)
    if fmt == "markdown":
        return plan_markdown(assessment)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r} (table, json or csv)")
    chosen = set(selection.selected)
    parts = [*_plan_headline(assessment), "", f"Selected ({len(chosen)}):"]
    picked = [t for t in catalog if t.id in chosen]
    values = number_texts([t.value for t in picked])
    rows = [
        [
            t.id,
            f"#{t.issue}",
            risk_text(assessment, t.id),
            clock(t.effort.hours),
            value,
            unit_of.get(t.id, "(closed by a duplicate)"),
            t.title,
        ]
        for t, value in zip(picked, values, strict=True)
    ]
    parts.append(
        format_table(["id", "issue", "risk", "hours", "value", "unit", "title"], rows)
        if rows
        else "  none"
    )
    parts += ["", f"Left out ({len(selection.left_out)}):"]
    rows = [[i.task, scores[i.task].level_text, i.kind, i.reason] for i in selection.left_out]
    parts.append(format_table(["id", "risk", "kind", "reason"], rows) if rows else "  none")
    parts += ["", f"Violations ({len(selection.violations)}):"]
    parts += [f"  [{v.kind}] {one_line(v.message)}" for v in selection.violations] or ["  none"]
    parts += _gate_and_outcome_lines(assessment)
    parts += _timeline_lines(assessment)
    return "\n".join(parts)


def _gate_and_outcome_lines(assessment: Assessment) -> list[str]:
    lines: list[str] = []
    serial = [g for g in assessment.gates if "resource" in g.requires]
    for gate in serial:
        enforced = assessment.enforcing(gate)
        how = (
            f"enforced by the scheduler's resource {', '.join(enforced)} (capacity 1)"
            if enforced
            else "not enforced: the scenario has no resource of capacity 1"
        )
        lines.append(f"Gate {gate.id} ({gate.wording}): {how}")
    if assessment.outcomes:
        lines += ["", "Outcomes (selected / open tasks advancing each area):"]
        rows = [
            [
                row.area,
                f"{len(row.selected)}/{row.total}",
                f"{row.share:.0%}",
                "UNTOUCHED" if row.untouched else ", ".join(row.selected),
                "; ".join(t.target for t in row.targets) or "-",
            ]
            for row in assessment.outcomes
        ]
        lines.append(format_table(["area", "tasks", "share", "selected", "targets"], rows))
    return ["", *lines] if lines else []


def _timeline_lines(assessment: Assessment) -> list[str]:
    timeline, risk = assessment.timeline, assessment.risk
    if timeline is None:
        return []
    boxes = ", ".join(f"{p.name} {hours_text(p.hours)}" for p in timeline.phases) or "none"
    lines = [
        "",
        f"Schedule: {timeline.status}; {timeline.lanes} lane(s); phases {boxes}; "
        f"grid {timeline.grid_minutes:g} min",
    ]
    lines += [f"  resource {note}" for note in timeline.notes]
    if not timeline.ok:
        lines += [f"  no schedule fits: {reason}" for reason in timeline.explanations]
        return lines
    budget = (
        "" if timeline.budget_hours is None else f" (budget {hours_text(timeline.budget_hours)})"
    )
    used = ", ".join(
        f"{name} {clock(start)}-{clock(end)}" for name, start, end in timeline.phase_windows
    )
    assert timeline.makespan_hours is not None  # a schedule that fits has a finish
    lines.append(f"  finishes at {clock(timeline.makespan_hours)}{budget}; phases used: {used}")
    rows = [
        [
            slot.phase or "-",
            "-" if slot.lane is None else slot.lane + 1,
            clock(slot.start_hours),
            clock(slot.end_hours),
            ", ".join(slot.uses) or "-",
            slot.job,
            slot.label,
        ]
        for slot in timeline.slots
    ]
    lines.append(format_table(["phase", "lane", "start", "end", "uses", "work", "title"], rows))
    if risk is not None:
        within = (
            "" if risk.within_budget is None else f"; P(within budget) {risk.within_budget:.0%}"
        )
        lines += [
            "",
            f"Schedule risk ({risk.samples} samples, seed {risk.seed}; point estimates "
            f"x{risk.point_range[0]:g} to x{risk.point_range[1]:g}): planned "
            f"{clock(risk.planned)}, P50 {clock(risk.p50)}, P80 {clock(risk.p80)}, "
            f"P95 {clock(risk.p95)}{within}",
            "  P(phase overflows its box): "
            + ", ".join(f"{name} {p:.0%}" for name, p in risk.phase_overflow.items()),
        ]
    return lines


def _plan_csv(assessment: Assessment, unit_of: Mapping[str, str], left: Mapping[str, Any]) -> str:
    """One row per task: the selection's columns, then the schedule's."""
    selection, scores = assessment.selection, assessment.audit.scores
    slot_of = {}
    if assessment.timeline is not None:
        slot_of = {t: slot for slot in assessment.timeline.slots for t in slot.tasks}
    rows: list[list[object]] = [
        [
            "id",
            "issue",
            "title",
            "risk",
            "catalog_risk",
            "hours",
            "value",
            "selected",
            "unit",
            "kind",
            "reason",
            "phase",
            "lane",
            "start",
            "end",
        ]
    ]
    chosen = set(selection.selected)
    for task in assessment.catalog:
        item, slot = left.get(task.id), slot_of.get(task.id)
        rows.append(
            [
                task.id,
                task.issue,
                task.title,
                assessment.level_of(task.id),
                scores[task.id].level,
                task.effort.hours,
                task.value,
                "yes" if task.id in unit_of or task.id in chosen else "no",
                unit_of.get(task.id, ""),
                item.kind if item else "",
                item.reason if item else "",
                slot.phase if slot and slot.phase else "",
                "" if slot is None or slot.lane is None else slot.lane + 1,
                f"{slot.start_hours:g}" if slot else "",
                f"{slot.end_hours:g}" if slot else "",
            ]
        )
    return csv_text(rows)
