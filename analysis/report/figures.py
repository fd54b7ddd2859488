"""Figures: plotly charts as functions of results.

Every function takes result objects (an audit, graph facts, a timeline, a
comparison ...) and returns a :class:`plotly.graph_objects.Figure` with a
title, axis labels, one fixed colour per level, and hover text that gives the
reasons. No function reads a file or computes a plan. Text that comes from a
catalog is HTML-escaped before plotly sees it.

On large catalogs charts keep to :mod:`analysis.report.limits` (issues, tasks
and hover lines drawn one by one); each chart's title says what it left out.

Examples
--------
>>> from analysis import audit_catalog, read_catalog, read_rubric
>>> from analysis.resources import SEED_CATALOG
>>> rubric = read_rubric()
>>> audit = audit_catalog(read_catalog(SEED_CATALOG, vocabulary=rubric.vocabulary), rubric)
>>> figure = risk_mix_figure(audit)
>>> [trace.name for trace in figure.data]
['LOW', 'MEDIUM', 'HIGH', 'not computable']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import networkx as nx
import pandas as pd
import plotly.graph_objects as go

from analysis.assess.audit import NOT_COMPUTABLE, Audit
from analysis.assess.graph import GraphFacts
from analysis.assess.outcomes import OutcomeCoverage
from analysis.model import Task
from analysis.plan.results import Assessment, ScheduleRisk, measures
from analysis.report.chart_style import LAYOUT, NEUTRAL, hover_text, new_figure, wrap
from analysis.report.limits import (
    MAX_ISSUES_DRAWN,
    MAX_TASKS_DRAWN,
    back_to_back,
    drawn_graph,
    issue_groups,
    issues_left,
    listed,
)
from analysis.vocabulary import LEVEL_COLOURS, LEVELS, level_rank

__all__ = [
    "NOT_COMPUTABLE_COLOUR",
    "risk_mix_figure",
    "risk_sunburst_figure",
    "declared_vs_computed_figure",
    "dependency_figure",
    "gantt_figure",
    "finish_risk_figure",
    "phase_overflow_figure",
    "outcome_coverage_figure",
    "comparison_figure",
    "schedule_figures",
    "frontier_figure",
]


#: The colour of levels that are not computable (they rest on unknown facts): no level's.
NOT_COMPUTABLE_COLOUR = "#757575"


def _category(audit: Audit, task_id: str) -> str:
    """A task's level when it is computed, else ``not computable``."""
    score = audit.scores[task_id]
    return score.level if score.computed else NOT_COMPUTABLE


def _colour(category: str) -> str:
    return LEVEL_COLOURS.get(category, NOT_COMPUTABLE_COLOUR)


def _task_line(audit: Audit, task: Task) -> str:
    """``id: title``, with the range of a level that is not computable."""
    score = audit.scores[task.id]
    line = f"{hover_text(task.id)}: {hover_text(task.title)}"
    return line if score.computed else f"{line} ({score.range_text})"


def risk_mix_figure(audit: Audit, max_issues: int = MAX_ISSUES_DRAWN) -> go.Figure:
    """Tasks per issue, stacked by computed level, and the levels that are not computable."""
    groups = issue_groups(audit.catalog, max_issues)
    figure = new_figure()
    for category in [*LEVELS, NOT_COMPUTABLE]:
        counts, hovers = [], []
        for group in groups:
            tasks = [t for t in group.tasks if _category(audit, t.id) == category]
            counts.append(len(tasks))
            hovers.append(listed([_task_line(audit, t) for t in tasks]) or "none")
        figure.add_bar(
            name=category,
            x=[group.label for group in groups],
            y=counts,
            marker_color=_colour(category),
            hovertext=hovers,
            hovertemplate="%{x} " + category + ": %{y} task(s)<br>%{hovertext}<extra></extra>",
        )
    left = issues_left(groups, audit.catalog)
    figure.update_layout(
        barmode="stack",
        title=f"Risk mix by issue (computed levels; not computable apart){left}",
        xaxis_title="Issue",
        yaxis_title="Tasks",
        legend_title="Level",
        **LAYOUT,
    )
    return figure


def risk_sunburst_figure(
    audit: Audit, max_tasks: int = MAX_TASKS_DRAWN, max_issues: int = MAX_ISSUES_DRAWN
) -> go.Figure:
    """Issue -> level -> task, with every task's main reason on hover.

    Beyond ``max_tasks`` tasks it stops at levels (a task's wedge would be too thin to see).
    """
    catalog = audit.catalog
    groups = issue_groups(catalog, max_issues)
    each_task = len(catalog) <= max_tasks
    ids, labels, parents, values, colours, hovers = [], [], [], [], [], []
    for group in groups:
        ids.append(group.key)
        labels.append(group.label)
        parents.append("")
        values.append(len(group.tasks))
        colours.append(NEUTRAL)
        hovers.append(group.hover)
        for level in [*LEVELS, NOT_COMPUTABLE]:
            at_level = [t for t in group.tasks if _category(audit, t.id) == level]
            if not at_level:
                continue
            level_id = f"{group.key}/{level}"
            ids.append(level_id)
            labels.append(level)
            parents.append(group.key)
            values.append(len(at_level))
            colours.append(_colour(level))
            hovers.append(f"{len(at_level)} task(s)")
            if not each_task:
                continue
            for task in at_level:
                score = audit.scores[task.id]
                ids.append(f"{level_id}/{task.id}")
                labels.append(hover_text(task.id))
                parents.append(level_id)
                values.append(1)
                colours.append(_colour(level))
                hovers.append(f"<b>{hover_text(task.title)}</b><br>{wrap(score.main_reason)}")
    figure = new_figure(
        go.Sunburst(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            marker={"colors": colours},
            hovertext=hovers,
            hovertemplate="%{label}<br>%{hovertext}<extra></extra>",
        )
    )
    title = "Issue → level (or not computable) → task"
    if not each_task:
        title = f"Issue → level (or not computable); {len(catalog):,} tasks, not drawn one by one"
    figure.update_layout(title=title + issues_left(groups, catalog), **LAYOUT)
    return figure


def declared_vs_computed_figure(audit: Audit) -> go.Figure:
    """How many tasks a person put at each level against the level computed from facts.

    Levels that are not computable have a column of their own, each task with its range.
    """
    declared_levels = [*LEVELS, "none"]
    columns = [*LEVELS, NOT_COMPUTABLE]
    counts: dict[tuple[str, str], list[str]] = {
        (d, c): [] for d in declared_levels for c in columns
    }
    for task in audit.catalog.tasks:
        declared = task.declared_risk or "none"
        score = audit.scores[task.id]
        shown = hover_text(task.id) + ("" if score.computed else f" ({score.range_text})")
        counts[(declared, _category(audit, task.id))].append(shown)
    z = [[len(counts[(d, c)]) for c in columns] for d in declared_levels]
    hover = [[listed(counts[(d, c)], ", ") or "none" for c in columns] for d in declared_levels]
    figure = new_figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=declared_levels,
            text=z,
            texttemplate="%{text}",
            hovertext=hover,
            hovertemplate="declared %{y}, computed %{x}: %{z}<br>%{hovertext}<extra></extra>",
            colorscale="Blues",
            showscale=False,
        )
    )
    figure.update_layout(
        title="Declared against computed level (off the diagonal: a finding)",
        xaxis_title="Computed level",
        yaxis_title="Declared level",
        yaxis_autorange="reversed",
        **LAYOUT,
    )
    return figure


def dependency_figure(
    facts: GraphFacts, connected_only: bool = True, max_tasks: int = MAX_TASKS_DRAWN
) -> go.Figure:
    """The dependency graph in waves: levels coloured, blocked and critical path marked.

    With ``connected_only``, tasks without any dependency are left out of the
    drawing (the title says how many). Beyond ``max_tasks`` tasks to draw, it
    draws the critical path and the tasks next to it, up to ``max_tasks`` (the
    title says how many of how many; ``assess graph --format dot`` draws all).
    """
    graph, left_out = drawn_graph(facts, connected_only, max_tasks)
    # Waves as ordered lists: grouping by a node attribute would go through a set.
    order = {node: index for index, node in enumerate(graph)}
    waves = {
        layer: sorted((n for n in wave if n in order), key=order.__getitem__)
        for layer, wave in enumerate(facts.generations)
    }
    waves = {layer: wave for layer, wave in waves.items() if wave}
    position = nx.multipartite_layout(graph, subset_key=waves) if len(graph) else {}
    path = [node for node in facts.critical_path if node in order]  # drawn: a prefix
    path_edges = list(itertools.pairwise(path))
    on_path = set(path_edges)
    figure = new_figure()
    for provenance, dash in (("declared", "solid"), ("inferred", "dash")):
        xs, ys = [], []
        for u, v, data in graph.edges(data=True):
            if data["provenance"] == provenance and (u, v) not in on_path:
                xs += [position[u][0], position[v][0], None]
                ys += [position[u][1], position[v][1], None]
        figure.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=f"{provenance} dependency",
            line={"color": "#b0bec5", "dash": dash, "width": 1},
            hoverinfo="skip",
        )
    xs, ys = [], []
    for u, v in path_edges:  # in the path's order: a set's order changes from run to run
        xs += [position[u][0], position[v][0], None]
        ys += [position[u][1], position[v][1], None]
    figure.add_scatter(
        x=xs,
        y=ys,
        mode="lines",
        name=f"critical path ({facts.critical_hours:g} h)",
        line={"color": "#37474f", "width": 3},
        hoverinfo="skip",
    )
    blocked, excluded = set(facts.blocked), set(facts.excluded)
    for level in LEVELS:
        nodes = [n for n, d in graph.nodes(data=True) if d["level"] == level]
        symbols, hovers = [], []
        for node in nodes:
            data = graph.nodes[node]
            state = ""
            if node in excluded:
                symbols.append("x")
                state = "<br><i>excluded</i>"
            elif node in blocked:
                symbols.append("circle-open")
                state = (
                    "<br><i>blocked: "
                    + " → ".join(hover_text(t) for t in facts.blocked[node])
                    + "</i>"
                )
            else:
                symbols.append("circle")
            hovers.append(
                f"<b>{hover_text(node)}</b> {level}<br>{hover_text(data['title'])}<br>"
                f"{hover_text(data['activity'])} in {hover_text(data['environment'])}, "
                f"{data['hours']:g} h"
                + (f"<br>{wrap(data['reason'])}" if data.get("reason") else "")
                + state
            )
        figure.add_scatter(
            x=[position[n][0] for n in nodes],
            y=[position[n][1] for n in nodes],
            mode="markers+text",
            text=[hover_text(n) for n in nodes],
            textposition="middle right",
            textfont={"size": 9},
            name=level,
            marker={
                "color": LEVEL_COLOURS[level],
                "size": 12,
                "symbol": symbols,
                "line": {"width": 1, "color": "#263238"},
            },
            hovertext=hovers,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    figure.update_layout(
        title=f"Dependencies in waves (left to right); ✕ excluded, ○ blocked{left_out}",
        xaxis={
            "title": "Wave of work that can run together",
            "showticklabels": False,
            "zeroline": False,
            "showgrid": False,
        },
        yaxis={"title": "", "showticklabels": False, "zeroline": False, "showgrid": False},
        **LAYOUT,
    )
    return figure


def gantt_figure(
    rows: pd.DataFrame, title: str = "Plan by phase and lane", max_bars: int = MAX_TASKS_DRAWN
) -> go.Figure:
    """Gantt bars from :func:`analysis.report.frames.gantt_rows`: one bar per scheduled piece.

    Beyond ``max_bars`` pieces, work that runs back to back in one lane at one
    level is one bar (its hover lists the first pieces; the title says so).
    """
    figure = new_figure()
    if rows.empty:
        figure.update_layout(title=f"{title}: nothing scheduled", **LAYOUT)
        return figure
    pieces = rows.drop_duplicates("job").copy()
    # A piece of work covering several tasks is as risky as the riskiest of them.
    riskiest = (
        rows.dropna(subset=["level"])
        .groupby("job")["level"]
        .agg(lambda levels: max(levels, key=level_rank))
    )
    pieces["level"] = pieces["job"].map(riskiest)
    pieces["row"] = [
        f"{phase or '-'} · lane {'-' if pd.isna(lane) else int(lane)}"
        for phase, lane in zip(pieces["phase"], pieces["lane"], strict=True)
    ]
    order = list(dict.fromkeys(pieces.sort_values(["start", "lane"])["row"]))
    covered = rows.groupby("job")[["task", "level"]].apply(
        lambda part: ", ".join(
            f"{task} {level}" if isinstance(level, str) else str(task)
            for task, level in zip(part["task"], part["level"], strict=True)
            if task
        )
    )
    if len(pieces) > max_bars:
        count = len(pieces)
        pieces, covered = back_to_back(pieces, covered, order)
        title += f"; {count:,} pieces of work as {len(pieces):,} bars (back to back, same level)"
    for level in [*LEVELS, None]:
        part = pieces[pieces["level"] == level] if level else pieces[pieces["level"].isna()]
        if part.empty:
            continue
        figure.add_bar(
            name=level or "plan item",
            y=part["row"],
            x=part["hours"],
            base=part["start"],
            orientation="h",
            marker_color=LEVEL_COLOURS.get(level, NEUTRAL) if level else NEUTRAL,
            hovertext=[
                f"<b>{hover_text(label)}</b><br>{hover_text(covered.get(job, ''))}<br>"
                f"{start:.2f} h – {end:.2f} h" + (f"<br>uses {hover_text(uses)}" if uses else "")
                for label, job, start, end, uses in zip(
                    part["label"],
                    part["job"],
                    part["start"],
                    part["end"],
                    part["uses"],
                    strict=True,
                )
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    figure.update_layout(
        title=title,
        barmode="overlay",
        xaxis_title="Hours from the start",
        yaxis={
            "title": "Phase · lane",
            "categoryorder": "array",
            "categoryarray": order,
            "autorange": "reversed",
        },
        legend_title="Level",
        **LAYOUT,
    )
    return figure


def finish_risk_figure(risk: ScheduleRisk, budget_hours: float | None = None) -> go.Figure:
    """Planned finish and its P50 / P80 / P95 under uncertain efforts, against the budget."""
    names = ["planned", "P50", "P80", "P95"]
    values = [risk.planned, risk.p50, risk.p80, risk.p95]
    figure = new_figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=["#607d8b", "#81c784", "#ffb74d", "#e57373"],
            text=[f"{v:.2f} h" for v in values],
            textposition="auto",
            hovertemplate="%{y}: %{x:.2f} h<extra></extra>",
        )
    )
    if budget_hours is not None:
        figure.add_vline(x=budget_hours, line_dash="dash", annotation_text="budget")
    within = "" if risk.within_budget is None else f"; within budget {risk.within_budget:.0%}"
    figure.update_layout(
        title=f"Finish time over {risk.samples} simulated runs{within}",
        xaxis_title="Hours",
        yaxis_title="",
        yaxis_autorange="reversed",
        **LAYOUT,
    )
    return figure


def phase_overflow_figure(risk: ScheduleRisk) -> go.Figure:
    """Each phase's chance to run longer than its time box."""
    phases = list(risk.phase_overflow)
    chances = [risk.phase_overflow[p] for p in phases]
    figure = new_figure(
        go.Bar(
            x=phases,
            y=chances,
            marker_color="#ef6c00",
            text=[f"{c:.0%}" for c in chances],
            textposition="auto",
            hovertemplate="phase %{x}: overflows in %{y:.0%} of runs<extra></extra>",
        )
    )
    figure.update_layout(
        title="Chance that a phase overflows its time box",
        xaxis_title="Phase",
        yaxis={"title": "Share of runs", "tickformat": ".0%", "range": [0, 1]},
        **LAYOUT,
    )
    return figure


def outcome_coverage_figure(outcomes: Sequence[OutcomeCoverage]) -> go.Figure:
    """Per outcome area: open tasks selected and left, with the document's targets."""
    areas = [row.area for row in outcomes]
    figure = new_figure()
    figure.add_bar(
        name="selected",
        y=areas,
        x=[len(r.selected) for r in outcomes],
        orientation="h",
        marker_color="#1565c0",
        hovertext=[
            "<br>".join(hover_text(t.target) for t in r.targets) or "no stated target"
            for r in outcomes
        ],
        hovertemplate="%{y}: %{x} selected<br>%{hovertext}<extra></extra>",
    )
    figure.add_bar(
        name="not selected",
        y=areas,
        x=[r.total - len(r.selected) for r in outcomes],
        orientation="h",
        marker_color="#cfd8dc",
        hovertemplate="%{y}: %{x} open task(s) not selected<extra></extra>",
    )
    untouched = [r.area for r in outcomes if r.untouched and r.total]
    note = f" — untouched: {', '.join(untouched)}" if untouched else ""
    figure.update_layout(
        barmode="stack",
        title=f"Outcome coverage{note}",
        xaxis_title="Open tasks",
        yaxis={"title": "Area", "autorange": "reversed"},
        **LAYOUT,
    )
    return figure


def comparison_figure(assessments: Sequence[Assessment]) -> go.Figure:
    """Measures of two or more selections side by side (value, tasks, hours, finish, ...)."""
    shown = ["value", "tasks", "hours", "finish", "violations"]
    figure = new_figure()
    for assessment in assessments:
        figures = measures(assessment)
        name = hover_text(assessment.scenario.name)
        figure.add_bar(
            name=name,
            x=shown,
            y=[figures[m] if figures[m] is not None else 0 for m in shown],
            text=["-" if figures[m] is None else f"{figures[m]:g}" for m in shown],
            textposition="auto",
            hovertemplate="%{x}: %{text}<extra>" + name + "</extra>",
        )
    figure.update_layout(
        barmode="group",
        title="Scenarios side by side",
        xaxis_title="Measure",
        yaxis_title="Amount",
        legend_title="Scenario",
        **LAYOUT,
    )
    return figure


def schedule_figures(assessment: Assessment) -> list[go.Figure]:
    """The plan's Gantt chart and, when simulated, its schedule risk; or why none fits."""
    from analysis.report.frames import gantt_rows

    timeline = assessment.timeline
    if timeline is None:
        return []
    if not timeline.ok:
        figure = new_figure()
        figure.update_layout(title="No schedule fits", **LAYOUT)
        for index, reason in enumerate(timeline.explanations):
            figure.add_annotation(
                text=wrap(reason, 110),
                x=0,
                y=1 - 0.15 * index,
                xref="paper",
                yref="paper",
                showarrow=False,
                align="left",
                xanchor="left",
            )
        figure.update_xaxes(visible=False)
        figure.update_yaxes(visible=False)
        return [figure]
    rows = gantt_rows(
        timeline, assessment.catalog, assessment.audit.scores, assessment.selection.levels
    )
    out = [gantt_figure(rows, f"Plan of {hover_text(assessment.scenario.name)} by phase and lane")]
    if assessment.risk is not None:
        out += [
            finish_risk_figure(assessment.risk, assessment.scenario.budget_hours),
            phase_overflow_figure(assessment.risk),
        ]
    return out


def frontier_figure(
    table: pd.DataFrame, references: pd.DataFrame | None = None, title: str = "Trade-off frontier"
) -> go.Figure:
    """A sweep's plans by finish (x) and value (y), risk as colour; the frontier outlined.

    Plans a sweep was compared with (``references``, e.g. the seed's hand-made
    plan) are stars; one whose schedule does not fit is placed at its hours of
    work, the earliest it could finish on one lane, and says so.
    """
    from analysis.plan.frontier import frontier_points, parameters_of, plans, settings_text

    parameters = parameters_of(table)
    usable = plans(table)
    points = frontier_points(table)
    risk_range = pd.concat(
        [usable["risk_score"], references["risk_score"] if references is not None else None]
    )
    colour = {
        "colorscale": [
            [0, LEVEL_COLOURS["LOW"]],
            [0.5, LEVEL_COLOURS["MEDIUM"]],
            [1, LEVEL_COLOURS["HIGH"]],
        ],
        "cmin": float(risk_range.min()) if len(risk_range) else 0,
        "cmax": float(risk_range.max()) if len(risk_range) else 1,
    }

    def hover(row: pd.Series, label: str) -> str:
        mix = "/".join(str(row[level]) for level in LEVELS)
        finish = (
            "no schedule fits" if pd.isna(row["finish_hours"]) else f"{row['finish_hours']:g} h"
        )
        p80 = "" if pd.isna(row.get("p80_hours")) else f"<br>P80 finish {row['p80_hours']:.2f} h"
        return (
            f"{label}<br>value {row['value']:g}, finish {finish}, risk {row['risk_score']:g}"
            f"<br>{row['hours']:g} h of work, {row['tasks']} task(s), L/M/H {mix}{p80}"
        )

    figure = new_figure()
    figure.add_scatter(
        name="every combination",
        mode="markers",
        x=usable["finish_hours"],
        y=usable["value"],
        marker={"size": 7, "opacity": 0.45, "color": usable["risk_score"], **colour},
        hovertext=[
            hover(row, hover_text(f"#{row['combination']} {settings_text(row, parameters)}"))
            for _, row in usable.iterrows()
        ],
        hovertemplate="%{hovertext}<extra></extra>",
    )
    if len(points):
        ordered = points.sort_values(["finish_hours", "value"])
        figure.add_scatter(
            # No line: with risk as a third axis, neighbours in finish need not be neighbours.
            name="frontier (nothing beats it on value, finish and risk at once)",
            mode="markers",
            x=ordered["finish_hours"],
            y=ordered["value"],
            marker={
                "size": 12,
                "color": ordered["risk_score"],
                "line": {"color": "#263238", "width": 1.5},
                "colorbar": {"title": "risk score"},
                **colour,
            },
            hovertext=[
                hover(
                    row,
                    hover_text(f"#{row['combination']} {row['settings']}")
                    + f"<br>reached by {row['reached_by']} combination(s)",
                )
                for _, row in ordered.iterrows()
            ],
            hovertemplate="%{hovertext}<extra>frontier</extra>",
        )
    for _, row in (references if references is not None else pd.DataFrame()).iterrows():
        placed_at = row["finish_hours"] if not pd.isna(row["finish_hours"]) else row["hours"]
        name = hover_text(row["reference"])
        figure.add_scatter(
            name=name,
            mode="markers+text",
            x=[placed_at],
            y=[row["value"]],
            text=[name + ("" if not pd.isna(row["finish_hours"]) else " (no schedule fits)")],
            textposition="top left",
            marker={
                "symbol": "star",
                "size": 18,
                "color": [row["risk_score"]],
                "line": {"color": "black", "width": 1.5},
                **colour,
            },
            hovertext=[hover(row, name + f"<br>{row['violations']} violation(s)")],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    figure.update_layout(
        title=title,
        xaxis_title="Finish (hours, wall clock)",
        yaxis_title="Value",
        legend={"orientation": "h", "y": -0.2},
        **LAYOUT,
    )
    return figure
