"""Figures: plotly charts as functions of results.

Every function takes result objects (an audit, graph facts, a timeline, a
comparison ...) and returns a :class:`~analysis.report.chart_style.Chart` (a
plotly figure as plain data) with a title, axis labels, one fixed colour per
level, and hover text that gives the reasons. No function reads a file or
computes a plan. Text that comes from a catalog is HTML-escaped before plotly
sees it.

On large catalogs charts keep to :mod:`analysis.report.limits` (issues, tasks
and hover lines drawn one by one); each chart's title says what it left out.

Examples
--------
>>> from analysis import audit_catalog, read_catalog, read_rubric
>>> from analysis.resources import SEED_CATALOG
>>> rubric = read_rubric()
>>> audit = audit_catalog(read_catalog(SEED_CATALOG, vocabulary=rubric.vocabulary), rubric)
>>> figure = risk_mix_figure(audit)
>>> [trace["name"] for trace in figure["data"]]
['LOW', 'MEDIUM', 'HIGH', 'not computable']
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.assess.audit import NOT_COMPUTABLE, Audit
from analysis.assess.outcomes import OutcomeCoverage
from analysis.model import Task
from analysis.plan.results import Assessment, ScheduleRisk, measures
from analysis.report.chart_style import (
    BLUES,
    LAYOUT,
    LINE_PX,
    NEUTRAL,
    Chart,
    hover_text,
    lines,
    new_figure,
    titled,
    wrap,
)
from analysis.report.dependency_chart import dependency_figure
from analysis.report.limits import (
    MAX_ISSUES_DRAWN,
    MAX_TASKS_DRAWN,
    back_to_back,
    issue_groups,
    issues_left,
    listed,
)
from analysis.vocabulary import LEVEL_COLOURS, LEVELS, level_rank

__all__ = [
    "NOT_COMPUTABLE_COLOUR",
    "risk_mix_figure",
    "risk_by_activity_figure",
    "declared_vs_computed_figure",
    "dependency_figure",
    "GANTT_ROWS",
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


#: Risk-mix rows: the widest a row's name may be (pixels) before it wraps, its least height.
_ROW_NAME_WIDTH, _ROW_PX = 330, 28


def _stacked_rows(
    audit: Audit, rows: Sequence[tuple[str, str, Sequence[Task]]], title: str, axis: str
) -> Chart:
    """Rows of tasks (key, name, tasks) as horizontal bars stacked by computed level.

    Each segment says how many tasks it holds, where the number fits at
    :data:`~analysis.report.chart_style.MIN_TEXT_PX` pixels or more (its hover
    always does, and lists the tasks); a row's name is wrapped, never cut.
    """
    keys = [key for key, _, _ in rows]
    names = [lines(name, _ROW_NAME_WIDTH) for _, name, _ in rows]
    figure = new_figure()
    for category in [*LEVELS, NOT_COMPUTABLE]:
        counts, hovers = [], []
        for _, _, tasks in rows:
            chosen = [t for t in tasks if _category(audit, t.id) == category]
            counts.append(len(chosen))
            hovers.append(listed([_task_line(audit, t) for t in chosen]) or "none")
        figure.add_bar(
            name=category,
            y=keys,
            x=counts,
            orientation="h",
            marker_color=_colour(category),
            text=[str(count) if count else "" for count in counts],
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            hovertext=hovers,
            hovertemplate="%{y} " + category + ": %{x} task(s)<br>%{hovertext}<extra></extra>",
        )
    heights = [max(_ROW_PX, LINE_PX * len(name) + 12) for name in names]
    layout = titled(
        title,
        barmode="stack",
        xaxis_title_text="Tasks",
        yaxis={
            "title": {"text": axis},
            "categoryorder": "array",
            "categoryarray": keys,
            "tickmode": "array",
            "tickvals": keys,
            "ticktext": ["<br>".join(name) for name in names],
            "autorange": "reversed",
            "automargin": True,
        },
        legend_title_text="Level",
        legend_traceorder="normal",
    )
    figure.update_layout(layout, height=max(sum(heights), 180) + layout["margin"]["t"] + 80)
    return figure


def risk_mix_figure(audit: Audit, max_issues: int = MAX_ISSUES_DRAWN) -> Chart:
    """Tasks per issue (a row each: ``#N`` and its title), stacked by computed level.

    Levels that are not computable are a category apart. Beyond ``max_issues``
    issues, the largest and the others as one row (:func:`~analysis.report.limits.issue_groups`).
    """
    groups = issue_groups(audit.catalog, max_issues)
    rows = [
        (
            group.label,
            group.label if group.hover == group.label else f"{group.label} {group.hover}",
            group.tasks,
        )
        for group in groups
    ]
    left = issues_left(groups, audit.catalog)
    title = f"Risk mix by issue (computed levels; not computable apart){left}"
    return _stacked_rows(audit, rows, title, "Issue")


def risk_by_activity_figure(audit: Audit) -> Chart:
    """Tasks per kind of work (activity), stacked by computed level; not computable apart.

    Activities in the rubric's order, then any other (``unknown``) last; only
    those some task has.
    """
    known = list(audit.rubric.vocabulary.activity)
    tasks: dict[str, list[Task]] = {}
    for task in audit.catalog.tasks:
        tasks.setdefault(task.activity, []).append(task)
    order = [a for a in known if a in tasks] + sorted(a for a in tasks if a not in known)
    rows = [(hover_text(a), hover_text(a), tasks[a]) for a in order]
    title = "Risk mix by kind of work (computed levels; not computable apart)"
    return _stacked_rows(audit, rows, title, "Activity")


def declared_vs_computed_figure(audit: Audit) -> Chart:
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
        dict(
            type="heatmap",
            z=z,
            x=columns,
            y=declared_levels,
            text=z,
            texttemplate="%{text}",
            hovertext=hover,
            hovertemplate="declared %{y}, computed %{x}: %{z}<br>%{hovertext}<extra></extra>",
            colorscale=[[i / (len(BLUES) - 1), colour] for i, colour in enumerate(BLUES)],
            showscale=False,
        )
    )
    figure.update_layout(
        titled(
            "Declared against computed level (off the diagonal: a finding)",
            xaxis_title_text="Computed level",
            yaxis_title_text="Declared level",
            yaxis_autorange="reversed",
        )
    )
    return figure


#: Pieces of work a Gantt chart gives a row each, named beside it; more share a row per lane.
GANTT_ROWS = 60

#: Gantt names: the widest line (pixels) before a name wraps; a lane's row height (pixels).
_GANTT_NAME_WIDTH, _LANE_PX = 420, 44


def gantt_figure(
    rows: pd.DataFrame,
    title: str = "Plan by phase and lane",
    max_bars: int = MAX_TASKS_DRAWN,
    max_rows: int = GANTT_ROWS,
) -> Chart:
    """Gantt bars from :func:`analysis.report.frames.gantt_rows`: one bar per scheduled piece.

    Up to ``max_rows`` pieces, each has a row of its own, named on the axis
    (wrapped, never cut) and grouped by phase and lane, in the order they
    start. Beyond, each phase · lane is a row and a piece's name is drawn
    on its bar where it fits at 10 pixels or more (plotly hides it where it
    does not; the hover always has it). Beyond ``max_bars`` pieces, work that
    runs back to back in one lane at one level is one bar (its hover lists
    the first pieces; the title says so).
    """
    figure = new_figure()
    if rows.empty:
        figure.update_layout(titled(f"{title}: nothing scheduled"))
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
    each = len(pieces) <= min(max_rows, max_bars)
    if len(pieces) > max_bars:
        count = len(pieces)
        pieces, covered = back_to_back(pieces, covered, order)
        title += f"; {count:,} pieces of work as {len(pieces):,} bars (back to back, same level)"
    if each:  # a row a piece: grouped by phase · lane, in the order they start
        rank = {row: index for index, row in enumerate(order)}
        pieces = pieces.assign(_rank=pieces["row"].map(rank)).sort_values(
            ["_rank", "start", "job"], kind="stable"
        )
        names = {
            job: "<br>".join(lines(hover_text(label), _GANTT_NAME_WIDTH))
            for job, label in zip(pieces["job"], pieces["label"], strict=True)
        }
        # Rows take the order traces first name them in: every row once, in order, drawn as nothing.
        figure.add_scatter(
            name="rows",
            y=[list(pieces["row"]), list(names.values())],
            x=[None] * len(pieces),
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
        )
    for level in [*LEVELS, None]:
        part = pieces[pieces["level"] == level] if level else pieces[pieces["level"].isna()]
        if part.empty:
            continue
        on_bars = (
            {}
            if each
            else {
                "text": [hover_text(label) for label in part["label"]],
                "textposition": "inside",
                "insidetextanchor": "start",
                "textangle": 0,
            }
        )
        figure.add_bar(
            name=level or "plan item",
            # Lists, not Series: plotly would load narwhals to convert them (most of the chart).
            y=[list(part["row"]), [names[job] for job in part["job"]]]
            if each
            else list(part["row"]),
            x=part["hours"].tolist(),
            base=part["start"].tolist(),
            orientation="h",
            marker_color=LEVEL_COLOURS.get(level, NEUTRAL) if level else NEUTRAL,
            **on_bars,
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
    if each:
        tallest = max(name.count("<br>") + 1 for name in names.values())
        heights = [max(24, LINE_PX * tallest + 9)] * len(names)  # rows are all as tall
        yaxis = {
            "title": {"text": "Phase · lane and work"},
            "range": [len(names) - 0.5, -0.5],  # top to bottom
            "automargin": True,
        }
    else:
        heights = [_LANE_PX] * len(order)
        yaxis = {
            "title": {"text": "Phase · lane"},
            "categoryorder": "array",
            "categoryarray": order,
            "autorange": "reversed",
            "automargin": True,
        }
    layout = titled(
        title,
        barmode="overlay",
        xaxis_title_text="Hours from the start",
        yaxis=yaxis,
        legend_title_text="Level",
    )
    figure.update_layout(layout, height=max(sum(heights), 160) + layout["margin"]["t"] + 80)
    return figure


def finish_risk_figure(risk: ScheduleRisk, budget_hours: float | None = None) -> Chart:
    """Planned finish and its P50 / P80 / P95 under uncertain efforts, against the budget."""
    names = ["planned", "P50", "P80", "P95"]
    values = [risk.planned, risk.p50, risk.p80, risk.p95]
    figure = new_figure(
        dict(
            type="bar",
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
        titled(
            f"Finish time over {risk.samples} simulated runs{within}",
            xaxis_title_text="Hours",
            yaxis_title_text="",
            yaxis_autorange="reversed",
        )
    )
    return figure


def phase_overflow_figure(risk: ScheduleRisk) -> Chart:
    """Each phase's chance to run longer than its time box."""
    phases = list(risk.phase_overflow)
    chances = [risk.phase_overflow[p] for p in phases]
    figure = new_figure(
        dict(
            type="bar",
            x=phases,
            y=chances,
            marker_color="#ef6c00",
            text=[f"{c:.0%}" for c in chances],
            textposition="auto",
            hovertemplate="phase %{x}: overflows in %{y:.0%} of runs<extra></extra>",
        )
    )
    figure.update_layout(
        titled(
            "Chance that a phase overflows its time box",
            xaxis_title_text="Phase",
            yaxis={"title": {"text": "Share of runs"}, "tickformat": ".0%", "range": [0, 1]},
        )
    )
    return figure


def outcome_coverage_figure(outcomes: Sequence[OutcomeCoverage]) -> Chart:
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
        title_text=f"Outcome coverage{note}",
        xaxis_title_text="Open tasks",
        yaxis={"title": {"text": "Area"}, "autorange": "reversed"},
        **LAYOUT,
    )
    return figure


def comparison_figure(assessments: Sequence[Assessment]) -> Chart:
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
        title_text="Scenarios side by side",
        xaxis_title_text="Measure",
        yaxis_title_text="Amount",
        legend_title_text="Scenario",
        **LAYOUT,
    )
    return figure


def schedule_figures(assessment: Assessment) -> list[Chart]:
    """The plan's Gantt chart and, when simulated, its schedule risk; or why none fits."""
    from analysis.report.frames import gantt_rows

    timeline = assessment.timeline
    if timeline is None:
        return []
    if not timeline.ok:
        reasons = [wrap(reason, 110) for reason in timeline.explanations]
        heights = [LINE_PX * (reason.count("<br>") + 1) + 10 for reason in reasons]
        total = max(sum(heights), 60)
        figure = new_figure()
        layout = titled("No schedule fits")
        layout["margin"].update(b=20)
        figure.update_layout(layout, height=total + layout["margin"]["t"] + 20)
        above = 0
        for reason, height in zip(reasons, heights, strict=True):
            figure.add_annotation(
                text=reason,
                x=0,
                y=1 - above / total,
                xref="paper",
                yref="paper",
                showarrow=False,
                align="left",
                xanchor="left",
                yanchor="top",
            )
            above += height
        figure.update_layout(xaxis_visible=False, yaxis_visible=False)
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
) -> Chart:
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
        x=usable["finish_hours"].tolist(),
        y=usable["value"].tolist(),
        marker={"size": 7, "opacity": 0.45, "color": usable["risk_score"].tolist(), **colour},
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
            x=ordered["finish_hours"].tolist(),
            y=ordered["value"].tolist(),
            marker={
                "size": 12,
                "color": ordered["risk_score"].tolist(),
                "line": {"color": "#263238", "width": 1.5},
                "colorbar": {"title": {"text": "risk score", "side": "right"}},
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
    compared = references if references is not None else pd.DataFrame()
    placed = [
        f if not pd.isna(f) else h
        for f, h in zip(compared.get("finish_hours", []), compared.get("hours", []), strict=True)
    ]
    xs = [*usable["finish_hours"], *placed]
    ys = [*usable["value"], *compared.get("value", [])]
    for (_, row), placed_at in zip(compared.iterrows(), placed, strict=True):
        # The name away from the nearer edges, so that it stays inside the plot.
        side = "left" if placed_at > (min(xs) + max(xs)) / 2 else "right"
        name = hover_text(row["reference"])
        figure.add_scatter(
            name=name,
            mode="markers+text",
            x=[float(placed_at)],
            y=[float(row["value"])],
            text=[name + ("" if not pd.isna(row["finish_hours"]) else " (no schedule fits)")],
            textposition=f"{'bottom' if row['value'] >= max(ys) else 'top'} {side}",
            marker={
                "symbol": "star",
                "size": 18,
                "color": [float(row["risk_score"])],
                "line": {"color": "black", "width": 1.5},
                **colour,
            },
            hovertext=[hover(row, name + f"<br>{row['violations']} violation(s)")],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    figure.update_layout(
        titled(
            title,
            xaxis_title_text="Finish (hours, wall clock)",
            yaxis_title_text="Value",
            legend={"orientation": "h", "x": 0, "y": 1, "xanchor": "left", "yanchor": "bottom"},
        )
    )
    figure.update_layout(margin_t=figure["layout"]["margin"]["t"] + 30)
    return figure
