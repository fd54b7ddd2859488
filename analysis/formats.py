"""Results as text: aligned tables, JSON and GitHub markdown.

Pure functions from result objects to strings; the CLI only prints them.
Column widths count East Asian wide characters as two cells, so tables with
Japanese titles stay aligned in a terminal.

Examples
--------
>>> print(format_table(["id", "title"], [["T1", "設計"], ["T22", "Design"]]))
ID   TITLE
T1   設計
T22  Design
>>> display_width("設計")
4
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.audit import Audit
from analysis.graph import GraphFacts, reduce_for_drawing
from analysis.markdown import (
    Agreement,
    Imported,
    audit_markdown,
    escape_markdown,
    markdown_code,
    plan_markdown,
)
from analysis.model import LEVEL_COLOURS, LEVELS, Catalog, Finding, hours_text
from analysis.scenarios import MEASURES, Assessment, Comparison, measures
from analysis.selection import Totals
from analysis.sweeps import SweepResult, frontier_points, parameters_of, place, settings_text
from analysis.timeline import ScheduleRisk, Timeline

__all__ = [
    "display_width",
    "format_table",
    "one_line",
    "markdown_table",
    "audit_to_data",
    "format_audit",
    "FORMATS",
]

FORMATS = ("table", "json", "markdown")


def display_width(text: str) -> int:
    """Terminal cells that ``text`` takes (wide and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def one_line(text: Any) -> str:
    r"""Text on one terminal line: each line break shown as `` ⏎ ``.

    >>> one_line("line one\nline two")
    'line one ⏎ line two'
    """
    return _LINE_BREAK.sub(" ⏎ ", str(text))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table; the last column is not padded; a line break shows as ``⏎``."""
    cells = [[str(h).upper() for h in headers]] + [
        ["" if c is None else one_line(c) for c in r] for r in rows
    ]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*parts, row[-1]]).rstrip())
    return "\n".join(lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; cells escaped by :func:`~analysis.markdown.escape_markdown`."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += [
        "| " + " | ".join("" if c is None else escape_markdown(c) for c in row) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def audit_to_data(audit: Audit) -> dict[str, Any]:
    """The audit as plain data: ``tasks``, ``counts``, ``findings`` and context."""
    catalog = audit.catalog
    tasks = []
    for task in catalog.tasks:
        score = audit.scores[task.id]
        tasks.append(
            {
                "id": task.id,
                "issue": task.issue,
                "title": task.title,
                "risk": score.level,
                "score": score.score,
                "points": score.points,
                "declared_risk": task.declared_risk,
                "main_reason": score.main_reason,
                "reasons": score.reason_texts(),
                "rests_on_unknown": list(score.rests_on_unknown),
                "activity": task.activity,
                "environment": task.environment,
                "touches": list(task.touches),
                "reversibility": task.reversibility,
                "effort_hours": task.effort.hours,
                "effort_source": task.effort_source,
                "value": task.value,
                "value_source": task.value_source,
                "status": task.status,
            }
        )
    return {
        "catalog": {
            "name": catalog.name,
            "title": catalog.title,
            "source": catalog.source,
            "tasks": len(catalog),
        },
        "rubric": {"name": audit.rubric.name, "source": audit.rubric.source},
        "levels": audit.level_counts(),
        "tasks": tasks,
        "counts": [
            {
                "scope": row.scope,
                "measure": row.measure,
                "declared": row.declared,
                "listed": row.listed,
                "computed": row.computed,
            }
            for row in audit.counts
        ],
        "findings": [_finding_data(f) for f in audit.findings],
    }


def _task_rows(audit: Audit) -> list[list[Any]]:
    return [
        [
            task.id,
            f"#{task.issue}",
            audit.scores[task.id].level,
            audit.scores[task.id].score,
            task.declared_risk or "-",
            task.title,
            audit.scores[task.id].main_reason,
        ]
        for task in audit.catalog.tasks
    ]


_TASK_HEADERS = ["id", "issue", "risk", "score", "declared", "title", "main reason"]
_COUNT_HEADERS = ["scope", "measure", "declared", "listed", "computed", "agrees"]


def _count_rows(audit: Audit) -> list[list[Any]]:
    return [
        [
            r.scope,
            r.measure,
            "-" if r.declared is None else r.declared,
            r.listed,
            r.computed,
            "yes" if r.agrees else "NO",
        ]
        for r in audit.counts
    ]


def _headline(audit: Audit) -> str:
    catalog = audit.catalog
    mix = ", ".join(f"{n} {level}" for level, n in audit.level_counts().items())
    return (
        f"{one_line(catalog.title or catalog.name)}: {len(catalog)} tasks ({mix}) "
        f"scored with rubric '{audit.rubric.name}'; {len(audit.findings)} finding(s)"
    )


def format_audit(audit: Audit, fmt: str) -> str:
    """The audit as ``table`` (terminal), ``json`` or ``markdown`` text."""
    if fmt == "json":
        return json.dumps(audit_to_data(audit), ensure_ascii=False, indent=2)
    if fmt == "markdown":
        return audit_markdown(audit)
    if fmt == "table":
        parts = [
            _headline(audit),
            "",
            format_table(_TASK_HEADERS, _task_rows(audit)),
            "",
            format_table(_COUNT_HEADERS, _count_rows(audit)),
            "",
            f"Findings ({len(audit.findings)}):",
        ]
        parts += [f"  [{f.kind}] {one_line(f.message)}" for f in audit.findings] or ["  none"]
        return "\n".join(parts)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


# --------------------------------------------------------------------------- graph

_LEVEL_FILLS = {"LOW": "#e8f5e9", "MEDIUM": "#fff8e1", "HIGH": "#ffebee"}


def graph_to_data(facts: GraphFacts, catalog: Catalog) -> dict[str, Any]:
    """The graph facts as plain data: nodes, edges, clusters, blocked chains, critical path."""
    graph = facts.graph
    wave = {task: i for i, group in enumerate(facts.generations) for task in group}
    return {
        "catalog": {"name": catalog.name, "title": catalog.title, "tasks": len(catalog)},
        "rules": list(graph.graph.get("rules", ())),
        "nodes": [
            {
                "id": node,
                "issue": data["issue"],
                "title": data["title"],
                "risk": data["level"],
                "activity": data["activity"],
                "environment": data["environment"],
                "status": data["status"],
                "hours": data["hours"],
                "wave": wave[node],
            }
            for node, data in graph.nodes(data=True)
        ],
        "edges": [
            {"before": u, "after": v, "provenance": provenance, "rules": list(rules)}
            for u, v, provenance, rules in facts.edges()
        ],
        "clusters": [
            {
                "id": c.id,
                "tasks": list(c.tasks),
                "issues": list(c.issues),
                "evidence": [
                    {"kind": kind, "value": value, "tasks": list(tasks)}
                    for kind, value, tasks in c.evidence
                ],
                "duplicates": [
                    {
                        "tasks": list(d.tasks),
                        "activity": d.activity,
                        "environment": d.environment,
                        "levels": list(d.levels),
                        "mergeable": d.mergeable,
                    }
                    for d in c.duplicates
                ],
                "related": list(c.related),
                "levels": list(c.levels),
                "environments": list(c.environments),
                "mixed": c.mixed,
            }
            for c in facts.clusters
        ],
        "excluded": list(facts.excluded),
        "blocked": [{"id": task, "chain": list(chain)} for task, chain in facts.blocked.items()],
        "critical_path": {"tasks": list(facts.critical_path), "hours": facts.critical_hours},
        "generations": [list(group) for group in facts.generations],
        "findings": [_finding_data(f) for f in facts.findings()],
    }


def _finding_data(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "message": finding.message,
        "tasks": list(finding.tasks),
        "details": dict(finding.details),
    }


def _dot_quote(text: str) -> str:
    r"""A DOT string that Graphviz shows verbatim (it reads ``\`` escapes and HTML entities).

    >>> print(_dot_quote('Tom &amp; "Jerry" C:\\new\nnext'))
    "Tom &amp;amp; \"Jerry\" C:\\new\nnext"
    """
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return '"' + _LINE_BREAK.sub("\\\\n", text) + '"'


def graph_to_dot(facts: GraphFacts, catalog: Catalog) -> str:
    """Graphviz DOT of the transitive reduction: nodes coloured by level, clusters boxed.

    Inferred edges are dashed and labelled with their rule; the critical path is
    bold; excluded tasks have a double border and blocked ones a dotted one.
    """
    graph = reduce_for_drawing(facts.graph)
    on_path = set(itertools.pairwise(facts.critical_path))
    excluded, blocked = set(facts.excluded), set(facts.blocked)
    lines = [
        f"digraph {_dot_quote(catalog.name)} {{",
        '  graph [rankdir=LR, fontname="sans-serif"];',
        '  node [shape=box, style="rounded,filled", fontname="sans-serif"];',
        '  edge [fontname="sans-serif", fontsize=9];',
    ]

    def node_line(node: str) -> str:
        data = graph.nodes[node]
        level = data["level"]
        style = "rounded,filled" + (",dotted" if node in blocked else "")
        extra = ", peripheries=2" if node in excluded else ""
        label = f"{node} [{level}]\n{data['title']}"
        fill, colour = _LEVEL_FILLS[level], LEVEL_COLOURS[level]
        return (
            f'    {_dot_quote(node)} [label={_dot_quote(label)}, fillcolor="{fill}", '
            f'color="{colour}", style="{style}"{extra}];'
        )

    clustered = set()
    for cluster in facts.clusters:
        evidence = "; ".join(f"{kind} {value}" for kind, value, _ in cluster.evidence)
        lines.append(f"  subgraph {_dot_quote('cluster_' + cluster.id)} {{")
        lines.append(f"    label={_dot_quote(f'{cluster.id}: {evidence}')}; style=dashed;")
        lines += [node_line(node) for node in cluster.tasks]
        lines.append("  }")
        clustered.update(cluster.tasks)
    lines += [node_line(node)[2:] for node in graph.nodes if node not in clustered]
    for u, v, data in graph.edges(data=True):
        attrs = []
        if data["provenance"] == "inferred":
            attrs += ["style=dashed", f"label={_dot_quote(', '.join(data['rules']))}"]
        if (u, v) in on_path:
            attrs.append("penwidth=2.5")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)}{suffix};")
    lines.append("}")
    return "\n".join(lines)


def format_graph(facts: GraphFacts, catalog: Catalog, fmt: str) -> str:
    """The graph facts as ``table``, ``json`` or ``dot`` text."""
    if fmt == "json":
        return json.dumps(graph_to_data(facts, catalog), ensure_ascii=False, indent=2)
    if fmt == "dot":
        return graph_to_dot(facts, catalog)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r} (table, json or dot)")
    graph = facts.graph
    edges = facts.edges()
    declared = sum(e[2] == "declared" for e in edges)
    wave = {task: i for i, group in enumerate(facts.generations) for task in group}
    parts = [
        f"{one_line(catalog.title or catalog.name)}: {len(catalog)} tasks, {len(edges)} edges "
        f"({declared} declared, {len(edges) - declared} inferred by "
        f"{', '.join(graph.graph.get('rules', ())) or 'no rule'}), {len(facts.clusters)} "
        f"overlap clusters, {len(facts.generations)} waves",
        "",
        format_table(
            ["id", "issue", "risk", "wave", "hours", "title"],
            [
                [n, f"#{d['issue']}", d["level"], wave[n], f"{d['hours']:g}", d["title"]]
                for n, d in graph.nodes(data=True)
            ],
        ),
        "",
        "Edges (before -> after):",
        format_table(
            ["before", "after", "provenance", "rules"],
            [[u, v, p, ", ".join(r)] for u, v, p, r in edges],
        )
        if edges
        else "  none",
        "",
        "Overlap clusters:",
        format_table(
            ["cluster", "tasks", "duplicates", "evidence"],
            [
                [
                    c.id,
                    ", ".join(c.tasks),
                    "; ".join(", ".join(d.tasks) for d in c.duplicates) or "-",
                    "; ".join(f"{kind} {value!r}" for kind, value, _ in c.evidence),
                ]
                for c in facts.clusters
            ],
        )
        if facts.clusters
        else "  none",
        "",
        f"Blocked ({len(facts.blocked)}; excluded: {', '.join(facts.excluded) or 'none'}):",
    ]
    parts += [f"  {task}: {' -> '.join(chain)}" for task, chain in facts.blocked.items()] or [
        "  none"
    ]
    path = " -> ".join(facts.critical_path) or "none"
    parts += ["", f"Critical path ({facts.critical_hours:g} h): {path}", ""]
    findings = facts.findings()
    parts.append(f"Findings ({len(findings)}):")
    parts += [f"  [{f.kind}] {one_line(f.message)}" for f in findings] or ["  none"]
    return "\n".join(parts)


# --------------------------------------------------------------------------- plans and comparisons


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
    baseline = selection.baseline
    return {
        "catalog": {"name": assessment.catalog.name, "title": assessment.catalog.title},
        "scenario": {
            "name": scenario.name,
            "source": scenario.source,
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
        "violations": [_finding_data(v) for v in selection.violations],
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
                "lane": slot.lane,
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
            f"  objective {selection.objective:g}, bound {_figure(selection.bound)}{gap}; "
            f"solved in {selection.solve_seconds:.2f} s"
        )
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
    rows = [
        [
            t.id,
            f"#{t.issue}",
            scores[t.id].level,
            f"{t.effort.hours:g}",
            f"{t.value:g}",
            unit_of.get(t.id, "(closed by a duplicate)"),
            t.title,
        ]
        for t in catalog
        if t.id in chosen
    ]
    parts.append(
        format_table(["id", "issue", "risk", "hours", "value", "unit", "title"], rows)
        if rows
        else "  none"
    )
    parts += ["", f"Left out ({len(selection.left_out)}):"]
    rows = [[i.task, scores[i.task].level, i.kind, i.reason] for i in selection.left_out]
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


def _clock(hours: float) -> str:
    """Hours as h:mm (with a decimal of a minute when needed)."""
    minutes = round(hours * 60, 1)
    whole = int(minutes)
    text = f"{whole // 60}:{whole % 60:02d}"
    return text + (f"{minutes - whole:.1f}"[1:] if minutes != whole else "")


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
        f"{name} {_clock(start)}-{_clock(end)}" for name, start, end in timeline.phase_windows
    )
    lines.append(f"  finishes at {_clock(timeline.makespan_hours)}{budget}; phases used: {used}")
    rows = [
        [
            slot.phase or "-",
            "-" if slot.lane is None else slot.lane,
            _clock(slot.start_hours),
            _clock(slot.end_hours),
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
            f"{_clock(risk.planned)}, P50 {_clock(risk.p50)}, P80 {_clock(risk.p80)}, "
            f"P95 {_clock(risk.p95)}{within}",
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
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "id",
            "issue",
            "title",
            "risk",
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
    )
    chosen = set(selection.selected)
    for task in assessment.catalog:
        item, slot = left.get(task.id), slot_of.get(task.id)
        writer.writerow(
            [
                task.id,
                task.issue,
                task.title,
                scores[task.id].level,
                task.effort.hours,
                task.value,
                "yes" if task.id in unit_of or task.id in chosen else "no",
                unit_of.get(task.id, ""),
                item.kind if item else "",
                item.reason if item else "",
                slot.phase if slot and slot.phase else "",
                "" if slot is None or slot.lane is None else slot.lane,
                f"{slot.start_hours:g}" if slot else "",
                f"{slot.end_hours:g}" if slot else "",
            ]
        )
    return out.getvalue()


def comparison_to_data(comparison: Comparison) -> dict[str, Any]:
    """Two selections side by side as plain data."""
    return {
        "a": plan_to_data(comparison.a),
        "b": plan_to_data(comparison.b),
        "only_a": list(comparison.only_a),
        "only_b": list(comparison.only_b),
        "both": list(comparison.both),
        "measures": {
            name: {
                "a": measures(comparison.a)[name],
                "b": measures(comparison.b)[name],
                "better": comparison.better[name],
            }
            for name in MEASURES
        },
    }


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def format_comparison(comparison: Comparison, fmt: str) -> str:
    """A comparison as ``table``, ``json`` or ``markdown`` text."""
    if fmt == "json":
        return json.dumps(comparison_to_data(comparison), ensure_ascii=False, indent=2)
    a, b = comparison.a, comparison.b
    name_a = f"A: {a.scenario.name} ({a.selection.status})"
    name_b = f"B: {b.scenario.name} ({b.selection.status})"
    ma, mb = measures(a), measures(b)
    rows = [
        [name, _figure(ma[name]), _figure(mb[name]), comparison.better[name]] for name in MEASURES
    ]
    title = {t.id: t.title for t in a.catalog}
    sections = [
        (f"Only in A ({len(comparison.only_a)})", comparison.only_a),
        (f"Only in B ({len(comparison.only_b)})", comparison.only_b),
        (f"In both ({len(comparison.both)})", comparison.both),
    ]
    if fmt == "markdown":
        parts = [
            f"## Compare: {escape_markdown(name_a)} vs {escape_markdown(name_b)}",
            "",
            markdown_table(["measure", "A", "B", "better"], rows),
            "",
        ]
        for heading, tasks in sections:
            parts += [f"### {heading}", ""]
            parts += [f"- {markdown_code(t)} {escape_markdown(title[t])}" for t in tasks] or [
                "None."
            ]
            parts.append("")
        for label, side in (("A", a), ("B", b)):
            parts += [f"### Violations of {label} ({len(side.selection.violations)})", ""]
            parts += [
                f"- **{v.kind}**: {escape_markdown(v.message)}" for v in side.selection.violations
            ] or ["None."]
            parts.append("")
        return "\n".join(parts).rstrip() + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r} (table, json or markdown)")
    parts = [name_a, name_b, "", format_table(["measure", "A", "B", "better"], rows), ""]
    for heading, tasks in sections:
        parts.append(f"{heading}:")
        parts += [f"  {t}  {one_line(title[t])}" for t in tasks] or ["  none"]
        parts.append("")
    for label, side in (("A", a), ("B", b)):
        parts.append(f"Violations of {label} ({len(side.selection.violations)}):")
        parts += [f"  [{v.kind}] {one_line(v.message)}" for v in side.selection.violations] or [
            "  none"
        ]
        parts.append("")
    return "\n".join(parts).rstrip()


# --------------------------------------------------------------------------- markdown imports


def import_to_data(imported: Imported, agreement: Agreement | None = None) -> dict[str, Any]:
    """An import's catalog summary, notes, plan links and (optionally) agreement as data."""
    catalog = imported.catalog
    data: dict[str, Any] = {
        "catalog": {
            "name": catalog.name,
            "title": catalog.title,
            "tasks": len(catalog),
            "issues": [issue.number for issue in catalog.issue_by_number.values()],
            "declared": {
                "total": catalog.declared.total,
                **dict(catalog.declared.by_level),
            },
        },
        "unknowns": {task: list(facts) for task, facts in imported.unknowns.items()},
        "notes": [{"line": n.line, "kind": n.kind, "message": n.message} for n in imported.notes],
        "links": [
            {
                "line": link.line,
                "text": link.text,
                "task": link.task,
                "phase": link.phase,
                "priority": link.priority,
            }
            for link in imported.links
        ],
    }
    if agreement is not None:
        data["agreement"] = {
            "missing": list(agreement.missing),
            "extra": list(agreement.extra),
            "levels_equal": sum(f.equal for f in agreement.levels),
            "levels": len(agreement.levels),
            "counts_equal": agreement.counts_equal,
            "counts": [{"what": w, "imported": a, "hand": b} for w, a, b in agreement.counts],
            "fact_share": agreement.fact_share,
            "facts": len(agreement.facts),
            "differences": [
                {
                    "task": f.task,
                    "fact": f.fact,
                    "imported": _plain_value(f.imported),
                    "hand": _plain_value(f.hand),
                }
                for f in (*agreement.facts, *agreement.levels, *agreement.titles)
                if not f.equal
            ],
        }
    return data


def _plain_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def format_import(imported: Imported, agreement: Agreement | None, fmt: str) -> str:
    """An import's report as ``table`` or ``json`` text."""
    if fmt == "json":
        return json.dumps(import_to_data(imported, agreement), ensure_ascii=False, indent=2)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r} (table or json)")
    catalog = imported.catalog
    declared = catalog.declared
    per_issue = ", ".join(
        f"#{number}: {len(catalog.tasks_of(number))}" for number in catalog.issue_by_number
    )
    parts = [
        f"{one_line(catalog.title or catalog.name)}: {len(catalog)} tasks ({per_issue}); "
        "declared total "
        f"{declared.total if declared.total is not None else '-'}, by level "
        + (", ".join(f"{k} {v}" for k, v in declared.by_level.items()) or "-"),
    ]
    linked = [link for link in imported.links if link.task]
    if imported.links:
        parts.append(
            f"plan lines: {len(imported.links)}, {len(linked)} linked to listed tasks "
            "(not counted again)"
        )
    parts += ["", f"Facts the text does not state ({len(imported.unknowns)} tasks):"]
    parts += [f"  {task}: {', '.join(facts)}" for task, facts in imported.unknowns.items()] or [
        "  none"
    ]
    unread = imported.unread
    parts += ["", f"Lines not read ({len(unread)}):"]
    parts += [f"  line {n.line}: {n.message}" for n in unread] or ["  none"]
    others = [n for n in imported.notes if n.kind in ("repeat", "unlinked", "effort")]
    if others:
        parts += ["", "Notes:"]
        parts += [f"  line {n.line}: {n.message}" if n.line else f"  {n.message}" for n in others]
    if agreement is not None:
        found = len(agreement.levels)
        parts += [
            "",
            "Agreement with the hand-made catalog:",
            f"  tasks found: {found} of {found + len(agreement.missing)}"
            + (f"; missing {', '.join(agreement.missing)}" if agreement.missing else "")
            + (f"; not in it: {', '.join(agreement.extra)}" if agreement.extra else ""),
            f"  declared levels equal: {sum(f.equal for f in agreement.levels)} of {found}",
            f"  titles equal: {sum(f.equal for f in agreement.titles)} of {found}",
            f"  declared counts equal: {sum(a == b for _, a, b in agreement.counts)} of "
            f"{len(agreement.counts)}",
            f"  inferred facts equal: {sum(f.equal for f in agreement.facts)} of "
            f"{len(agreement.facts)} ({agreement.fact_share:.1%})",
        ]
        differing = [
            f for f in (*agreement.facts, *agreement.levels, *agreement.titles) if not f.equal
        ]
        parts += [
            f"    {f.task} {f.fact}: imported {_plain_value(f.imported)}, hand "
            f"{_plain_value(f.hand)}"
            for f in differing
        ]
        parts += [
            f"    count {w}: imported {a}, hand {b}" for w, a, b in agreement.counts if a != b
        ]
    return "\n".join(parts)


# --------------------------------------------------------------------------- sweeps


def format_sweep(result: SweepResult) -> str:
    """A finished sweep: what ran, where it went, the frontier and the compared plans."""
    table = result.table
    statuses = table["status"].value_counts(sort=False)
    lines = [
        f"sweep {result.name}: {len(table)} combinations "
        f"({result.ran} run, {result.resumed} from the checkpoint, {result.failed} failed)",
        f"  table: {result.csv}",
        f"         {result.parquet}",
        "  selections: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        "",
    ]
    points = frontier_points(table)
    lines.append(
        f"Frontier ({len(points)} point(s) no combination beats on value, finish and risk at once):"
    )
    rows = [
        [
            f"{p.value:g}",
            f"{p.finish_hours:g}",
            f"{p.hours:g}",
            p.tasks,
            "/".join(str(p[level]) for level in LEVELS),
            f"{p.risk_score:g}",
            "-" if pd.isna(p.p80_hours) else f"{p.p80_hours:g}",
            "-" if pd.isna(p.within_budget) else f"{p.within_budget:.0%}",
            p.reached_by,
            f"#{p.combination} {p.settings}",
        ]
        for _, p in points.iterrows()
    ]
    headers = ["value", "finish h", "work h", "tasks", "L/M/H", "risk", "P80 h", "in budget"]
    lines.append(format_table([*headers, "reached by", "first combination"], rows))
    placements = place(result.references, table)
    if placements:
        lines += ["", "Compared plans:"]
        lines += [f"  {p.verdict}" for p in placements]
    failed = table[table["status"] == "error"]
    if len(failed):
        lines += ["", f"Failed ({len(failed)}; run the sweep again to retry them):"]
        parameters = parameters_of(table)
        lines += [
            f"  #{row['combination']} ({settings_text(row, parameters)}): {row['error']}"
            for _, row in failed.head(10).iterrows()
        ]
    return "\n".join(lines)
