"""Results as pandas DataFrames, for notebooks and reports.

Each function turns one result into a table with plain columns. Text is kept
verbatim: pandas escapes it when a notebook shows the table as HTML.

:func:`counts_table` is :func:`counts_frame` for a report: beyond the report's
row limit (:mod:`analysis.report.limits`), the issues' counts added up.

Examples
--------
>>> from analysis import audit_catalog, read_catalog, read_rubric
>>> from analysis.resources import SEED_CATALOG
>>> rubric = read_rubric()
>>> audit = audit_catalog(read_catalog(SEED_CATALOG, vocabulary=rubric.vocabulary), rubric)
>>> list(tasks_frame(audit).columns[:5])
['id', 'issue', 'title', 'risk', 'score']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from analysis.assess.audit import NOT_COMPUTABLE, Audit
from analysis.assess.graph import GraphFacts
from analysis.assess.outcomes import OutcomeCoverage
from analysis.assess.scoring import Score
from analysis.model import Catalog, Finding
from analysis.plan.results import MEASURES, Assessment, Timeline, measures
from analysis.report.formats.text import clock
from analysis.report.history import Changes, changes, previous_snapshot, snapshot_of
from analysis.report.limits import MAX_ROWS, GroupedTable
from analysis.report.markdown import escape_markdown, markdown_code
from analysis.vocabulary import LEVELS

__all__ = [
    "counts_table",
    "tasks_frame",
    "counts_frame",
    "facts_to_add_frame",
    "violations_frame",
    "findings_frame",
    "clusters_frame",
    "blocked_frame",
    "selection_frame",
    "left_out_frame",
    "outcomes_frame",
    "measures_frame",
    "gates_frame",
    "changes_since",
    "changes_frame",
    "changes_summary",
    "report_heading",
    "plan_summary",
    "frontier_frame",
    "sweep_pivot",
    "sweep_summary",
    "gantt_rows",
]


def counts_table(audit: Audit, limit: int = MAX_ROWS) -> pd.DataFrame | GroupedTable:
    """:func:`counts_frame`; beyond ``limit`` rows, the catalog's rows and the issues' per measure.

    Grouped, each measure says in how many issues it was counted, how many
    declare it, and in how many the declared count disagrees with the list.
    """
    frame = counts_frame(audit)
    if len(frame) <= limit:
        return frame
    whole = frame[frame["scope"] == "all"]
    issues = frame[frame["scope"] != "all"]
    issues = issues.assign(disagree=~issues["agrees"].astype(bool))
    groups = issues.groupby("measure", sort=False)
    summary = pd.DataFrame(
        {
            "scope": "issues",
            "issues": groups.size(),
            "declared": groups["declared"].count(),
            "disagree": groups["disagree"].sum(),
            "listed": groups["listed"].sum(),
            "computed": groups["computed"].sum(),
            NOT_COMPUTABLE: groups[NOT_COMPUTABLE].sum(),
        }
    ).reset_index()
    table = pd.concat([whole, summary], ignore_index=True)
    note = (
        f"{len(frame):,} counts ({issues['scope'].nunique():,} issues): more than the {limit} "
        "a table of this report lists, so the issues' counts are added up per measure "
        "(issues: counted in; declared: issues that declare it; disagree: issues whose "
        "declared count is not what they list, each a finding). Every count is listed by "
        "<code>assess audit --format json</code>."
    )
    return GroupedTable(note, table)


def tasks_frame(audit: Audit) -> pd.DataFrame:
    """One row per task: level, score, declared level, main reason and facts.

    ``risk`` is the worst case (what decisions use); ``computed`` says whether
    it follows from known facts, and ``level range`` gives best to worst case.
    """
    rows = []
    for task in audit.catalog.tasks:
        score = audit.scores[task.id]
        rows.append(
            {
                "id": task.id,
                "issue": task.issue,
                "title": task.title,
                "risk": score.level,
                "score": score.score,
                "declared": task.declared_risk,
                "computed": score.computed,
                "level range": score.range_text,
                "main reason": score.main_reason,
                "activity": task.activity,
                "environment": task.environment,
                "touches": ", ".join(task.touches),
                "hours": task.effort.hours,
                "value": task.value,
                "status": task.status,
            }
        )
    return pd.DataFrame(rows)


def counts_frame(audit: Audit) -> pd.DataFrame:
    """Declared, listed, computed and not computable counts per scope and measure."""
    return pd.DataFrame(
        [
            {
                "scope": row.scope,
                "measure": row.measure,
                "declared": row.declared,
                "listed": row.listed,
                "computed": row.computed,
                NOT_COMPUTABLE: row.not_computable,
                "agrees": row.agrees,
            }
            for row in audit.counts
        ]
    )


def facts_to_add_frame(audit: Audit) -> pd.DataFrame:
    """The unknown facts to state, most useful first: levels each settles and narrows."""
    return pd.DataFrame(
        [
            {
                "fact": row.fact,
                "tasks": len(row.tasks),
                "settles": len(row.settles),
                "narrows": len(row.narrows),
                "settled": ", ".join(row.settles),
                "narrowed": ", ".join(row.narrows),
            }
            for row in audit.facts_to_add
        ],
        columns=["fact", "tasks", "settles", "narrows", "settled", "narrowed"],
    )


def violations_frame(assessments: Sequence[Assessment]) -> pd.DataFrame:
    """Every scenario's violations, with the scenario's name."""
    rows = [
        {
            "scenario": a.scenario.name,
            "kind": v.kind,
            "message": v.message,
            "tasks": ", ".join(v.tasks),
        }
        for a in assessments
        for v in a.selection.violations
    ]
    return pd.DataFrame(rows, columns=["scenario", "kind", "message", "tasks"])


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings (or violations) as kind, message and tasks."""
    return pd.DataFrame(
        [{"kind": f.kind, "message": f.message, "tasks": ", ".join(f.tasks)} for f in findings],
        columns=["kind", "message", "tasks"],
    )


def clusters_frame(facts: GraphFacts) -> pd.DataFrame:
    """Overlap clusters: tasks, duplicates, levels and the evidence that joined them.

    Duplicates at different levels say "never merged"; evidence of kind
    ``similar`` carries the score and the shared words ("similar 0.67: trust, zero").
    """
    return pd.DataFrame(
        [
            {
                "cluster": c.id,
                "tasks": ", ".join(c.tasks),
                "issues": ", ".join(f"#{i}" for i in c.issues),
                "duplicates": "; ".join(
                    ", ".join(d.tasks) + ("" if d.mergeable else " (never merged)")
                    for d in c.duplicates
                ),
                "levels": ", ".join(c.levels),
                "declared": ", ".join(c.declared_levels),
                "mixed risk": ", ".join(c.differs),
                "evidence": "; ".join(f"{kind} {value}" for kind, value, _ in c.evidence),
            }
            for c in facts.clusters
        ],
        columns=[
            "cluster",
            "tasks",
            "issues",
            "duplicates",
            "levels",
            "declared",
            "mixed risk",
            "evidence",
        ],
    )


def blocked_frame(facts: GraphFacts) -> pd.DataFrame:
    """Blocked tasks with the chain that blocks them."""
    return pd.DataFrame(
        [{"task": task, "chain": " → ".join(chain)} for task, chain in facts.blocked.items()],
        columns=["task", "chain"],
    )


def selection_frame(assessment: Assessment) -> pd.DataFrame:
    """The selected tasks: the level of the work planned, hours, value, phase, lane and times.

    ``risk`` is the level of the work as planned and ``catalog risk`` the
    catalog's where it differs (:meth:`~analysis.plan.results.Assessment.level_texts`);
    hours, start and end are hours (start and end from the plan's start, when
    scheduled); lanes are numbered from 1.
    """
    catalog = assessment.catalog
    slots = {}
    if assessment.timeline is not None:
        slots = {t: s for s in assessment.timeline.slots for t in s.tasks}
    rows = []
    for task_id in assessment.selection.selected:
        task, slot = catalog.task_by_id[task_id], slots.get(task_id)
        level, catalog_level = assessment.level_texts((task_id,))
        rows.append(
            {
                "id": task_id,
                "issue": task.issue,
                "title": task.title,
                "risk": level,
                "catalog risk": catalog_level,
                "hours": task.effort.hours,
                "value": task.value,
                "phase": slot.phase if slot else None,
                "lane": None if slot is None or slot.lane is None else slot.lane + 1,
                "start": slot.start_hours if slot else None,
                "end": slot.end_hours if slot else None,
            }
        )
    return pd.DataFrame(rows, columns=_SELECTION_COLUMNS)


_SELECTION_COLUMNS = [
    "id",
    "issue",
    "title",
    "risk",
    "catalog risk",
    "hours",
    "value",
    "phase",
    "lane",
    "start",
    "end",
]


def left_out_frame(assessment: Assessment) -> pd.DataFrame:
    """Every task left out, with its level, its kind of reason and the reason, whole."""
    catalog, scores = assessment.catalog, assessment.audit.scores
    return pd.DataFrame(
        [
            {
                "id": item.task,
                "title": catalog.task_by_id[item.task].title,
                "risk": scores[item.task].level_text,
                "kind": item.kind,
                "reason": item.reason,
            }
            for item in assessment.selection.left_out
        ],
        columns=["id", "title", "risk", "kind", "reason"],
    )


def outcomes_frame(outcomes: Sequence[OutcomeCoverage]) -> pd.DataFrame:
    """Outcome coverage per area, with the document's targets."""
    return pd.DataFrame(
        [
            {
                "area": row.area,
                "selected": len(row.selected),
                "open": row.total,
                "share": f"{row.share:.0%}",
                "untouched": row.untouched,
                "targets": "; ".join(t.target for t in row.targets),
                "tasks": ", ".join(row.selected),
            }
            for row in outcomes
        ],
        columns=["area", "selected", "open", "share", "untouched", "targets", "tasks"],
    )


#: How :func:`measures_frame` names each measure (durations ``h:mm``).
_MEASURE_NAMES = {"hours": "hours of work (h:mm)", "finish": "finish (h:mm)"}


def measures_frame(assessments: Sequence[Assessment]) -> pd.DataFrame:
    """Measures of each assessment as text, one row per measure, one column per scenario.

    Hours of work and the finish are ``h:mm``; a finish is ``no schedule fits``
    when none does.
    """
    rows = []
    by_scenario = [(a.scenario.name, measures(a)) for a in assessments]
    for name in MEASURES:
        row = {"measure": _MEASURE_NAMES.get(name, name)}
        for scenario, values in by_scenario:
            value = values[name]
            if name in _MEASURE_NAMES:
                row[scenario] = "no schedule fits" if value is None else clock(value)
            else:
                row[scenario] = "–" if value is None else f"{value:g}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["measure", *(name for name, _ in by_scenario)])


def gates_frame(assessment: Assessment) -> pd.DataFrame:
    """The safety gates: mode, the seed's wording, and what the selection breaks of each."""
    broken: dict[str, list[str]] = {}
    for violation in assessment.selection.violations:
        if violation.kind == "gate":
            broken.setdefault(violation.details["gate"], []).append(
                f"{violation.details['missing']}: {', '.join(violation.tasks)}"
            )
    rows = []
    for gate in assessment.gates:
        enforced = assessment.enforcing(gate)
        status = "; ".join(broken.get(gate.id, [])) or (
            f"enforced by {', '.join(enforced)}" if enforced else "kept"
        )
        rows.append(
            {"gate": gate.id, "mode": gate.mode, "criterion": gate.wording, "status": status}
        )
    return pd.DataFrame(rows, columns=["gate", "mode", "criterion", "status"])


def changes_since(
    history: str | os.PathLike | None, assessment: Assessment, week: str
) -> tuple[str, pd.DataFrame]:
    """What changed since the previous snapshot of this catalog and scenario.

    Returns a one-line summary (plain text) and the table of changes (empty
    without history).
    """
    if not history:
        return "No history yet: none is kept here, so there is nothing to compare with.", (
            changes_frame(_NO_CHANGE, {})
        )
    found = previous_snapshot(history, assessment.catalog.name, assessment.scenario.name, week)
    if found is None:
        name = assessment.scenario.name
        return (
            f"No history yet: no week of {name} before {week} is saved; "
            "the next report shows what changed since this one.",
            changes_frame(_NO_CHANGE, {}),
        )
    earlier, snapshot = found
    delta = changes(snapshot, snapshot_of(assessment))
    titles = {t.id: t.title for t in assessment.catalog.tasks}
    titles.update({t: v["title"] for t, v in snapshot["tasks"].items() if t not in titles})
    frame = changes_frame(delta, titles)
    return changes_summary(frame, earlier), frame


_NO_CHANGE = Changes((), (), (), (), (), (), ())


def changes_frame(delta: Changes, titles: dict[str, str]) -> pd.DataFrame:
    """What changed since the previous week, one row per change."""
    rows = [{"change": "new task", "task": t, "detail": ""} for t in delta.new]
    rows += [{"change": "removed", "task": t, "detail": ""} for t in delta.removed]
    rows += [{"change": "done", "task": t, "detail": ""} for t in delta.done]
    rows += [
        {"change": "status", "task": t, "detail": f"{a} → {b}"}
        for t, a, b in delta.status_changed
        if b != "done"
    ]
    rows += [
        {"change": "level", "task": t, "detail": f"{a} → {b}"} for t, a, b in delta.level_changed
    ]
    rows += [{"change": "now selected", "task": t, "detail": ""} for t in delta.joined_selection]
    rows += [
        {"change": "no longer selected", "task": t, "detail": ""} for t in delta.left_selection
    ]
    frame = pd.DataFrame(rows, columns=["change", "task", "detail"])
    frame.insert(2, "title", [titles.get(t, "") for t in frame["task"]])
    return frame


#: How the summary words a kind of change of :func:`changes_frame` ("{n} {kind}" otherwise).
_CHANGE_COUNTS = {
    "new task": "{} new",
    "status": "{} status change(s)",
    "level": "{} level change(s)",
}


def changes_summary(frame: pd.DataFrame, earlier: str) -> str:
    """One sentence that counts every kind of change the table of changes lists.

    >>> frame = pd.DataFrame({"change": ["new task", "removed", "removed"]})
    >>> changes_summary(frame, "2026-W41")
    'Since 2026-W41: 1 new, 2 removed.'
    >>> changes_summary(frame.iloc[:0], "2026-W41")
    'Nothing changed since 2026-W41.'
    """
    counts = frame["change"].value_counts(sort=False)  # in the table's order
    parts = [
        _CHANGE_COUNTS.get(str(kind), "{} " + str(kind)).format(n) for kind, n in counts.items()
    ]
    return f"Since {earlier}: {', '.join(parts)}." if parts else f"Nothing changed since {earlier}."


def report_heading(assessment: Assessment, week: str) -> str:
    """One markdown paragraph that says what the report is about (catalog text escaped)."""
    catalog, audit = assessment.catalog, assessment.audit
    mix = audit.mix_text()
    title = escape_markdown(catalog.title or catalog.name)
    source = f" Source: {markdown_code(catalog.source)}." if catalog.source else ""
    return (
        f"**{title}** — week **{week}**. {len(catalog)} tasks ({mix}); "
        f"{len(audit.findings)} finding(s) about the catalog; scenario "
        f"**{escape_markdown(assessment.scenario.name)}**: {assessment.selection.status}.{source}"
    )


def plan_summary(assessment: Assessment) -> pd.DataFrame:
    """The plan's headline figures as a two-column table (durations ``h:mm``, as every table)."""
    selection, scenario = assessment.selection, assessment.scenario
    totals = selection.totals
    budget = "none" if scenario.budget_hours is None else clock(scenario.budget_hours)
    rows = [
        ("scenario", scenario.name),
        ("status", selection.status),
        ("appetite", scenario.appetite),
        ("budget (h:mm)", budget),
        ("task cap", "none" if scenario.task_cap is None else str(scenario.task_cap)),
        ("tasks selected", f"{totals.tasks} in {totals.units} pieces of work"),
        ("hours of work (h:mm)", clock(totals.hours)),
        ("value", f"{totals.value:g}"),
        ("levels of the work", ", ".join(f"{n} {level}" for level, n in totals.risk.items())),
    ]
    if selection.baseline is not None and selection.gain_over_greedy is not None:
        rows.append(("gain over greedy", f"{selection.gain_over_greedy:+g}"))
    if assessment.timeline is not None:
        timeline = assessment.timeline
        finish = "no schedule fits"
        if timeline.ok:
            assert timeline.makespan_hours is not None  # a schedule that fits has a finish
            finish = clock(timeline.makespan_hours)
        rows.append(("finish (h:mm)", finish))
    if assessment.risk is not None:
        risk = assessment.risk
        rows.append(
            (
                "P50 / P80 / P95 finish (h:mm)",
                " / ".join(clock(v) for v in (risk.p50, risk.p80, risk.p95)),
            )
        )
        if risk.within_budget is not None:
            rows.append(("chance to finish within budget", f"{risk.within_budget:.0%}"))
    rows.append(("violations", str(len(selection.violations))))
    return pd.DataFrame(rows, columns=["measure", "value"])


def frontier_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A sweep's frontier, one row per distinct point, best value first (durations in hours)."""
    from analysis.plan.frontier import frontier_points

    points = frontier_points(table)
    if points.empty:
        return pd.DataFrame(columns=["value", "finish", "risk", "first combination"])
    frame = pd.DataFrame(
        {
            "value": points["value"],
            "finish": points["finish_hours"].round(6),
            "work": points["hours"].round(6),
            "tasks": points["tasks"],
            "LOW / MEDIUM / HIGH": [
                " / ".join(str(row[level]) for level in LEVELS) for _, row in points.iterrows()
            ],
            "risk": points["risk_score"],
            "P80 finish": points["p80_hours"].round(6),
            "chance in budget": points["within_budget"].map(
                lambda p: "–" if pd.isna(p) else f"{p:.0%}"
            ),
            "reached by": points["reached_by"],
            "first combination": [
                f"#{c} {s}" for c, s in zip(points["combination"], points["settings"], strict=True)
            ],
        }
    )
    return frame.reset_index(drop=True)


def sweep_pivot(
    table: pd.DataFrame, rows: str | None = None, columns: str | None = None, measure: str = "value"
) -> pd.DataFrame:
    """``measure`` by two varied parameters, the others at their first value (blank: no plan).

    Answers "how much more with more time, with two people" at a glance; the
    defaults are the sweep's first two parameters.
    """
    from analysis.plan.frontier import parameters_of

    parameters = parameters_of(table)
    rows = rows or parameters[0]
    columns = columns or (parameters[1] if len(parameters) > 1 else None)
    kept = table.assign(
        **{measure: table[measure].where(~table["status"].isin(["infeasible", "error"]))}
    )
    for other in parameters:
        if other not in (rows, columns):
            kept = kept[kept[other] == table[other].iloc[0]]
    if columns is None:
        return kept.set_index(rows)[[measure]]
    return kept.pivot_table(index=rows, columns=columns, values=measure, aggfunc="first")


def sweep_summary(folder: str | os.PathLike, table: pd.DataFrame, compared: pd.DataFrame) -> str:
    """Markdown: which sweep, whether it is current, what ran, and where compared plans stand."""
    from analysis.plan.frontier import parameters_of, place
    from analysis.plan.sweep_results import sweep_info

    info = sweep_info(folder)
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(table["status"].value_counts().items()))
    varied = ", ".join(f"{p} ({table[p].nunique()} value(s))" for p in parameters_of(table))
    current = {
        True: "computed from the current inputs",
        False: "**computed from inputs that have changed since: run the sweep again**",
        None: "inputs not recorded",
    }[info.get("current")]
    lines = [
        f"Sweep **{escape_markdown(info.get('name'))}** ({current}): {len(table)} combinations "
        f"varying {escape_markdown(varied)}; selections: {statuses}."
    ]
    for placement in place(compared, table):
        lines.append(f"- {escape_markdown(placement.verdict)}")
    return "\n".join(lines)


def gantt_rows(
    timeline: Timeline,
    catalog: Catalog,
    scores: Mapping[str, Score],
    levels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per scheduled task: phase, lane, task, title, start, end, level, ...

    Start and end are hours from the plan's start; lanes are numbered from 1.
    A piece of work that covers several tasks (merged duplicates, a plan item)
    gives each of them a row with the same times; ``job`` names the piece.
    ``level`` is the level of the work planned: ``levels`` (a selection's
    :attr:`~analysis.plan.results.Selection.levels`) where a plan does a task
    otherwise than the catalog says, else its score's.
    """
    planned = levels or {}
    rows = []
    for slot in timeline.slots:
        for task_id in slot.tasks or ("",):
            task = catalog.task_by_id.get(task_id)
            rows.append(
                {
                    "phase": slot.phase,
                    "lane": None if slot.lane is None else slot.lane + 1,
                    "task": task_id or None,
                    "title": task.title if task else slot.label,
                    "start": slot.start_hours,
                    "end": slot.end_hours,
                    "hours": slot.end_hours - slot.start_hours,
                    "level": planned.get(task_id, scores[task_id].level) if task else None,
                    "issue": task.issue if task else None,
                    "activity": task.activity if task else None,
                    "job": slot.job,
                    "label": slot.label,
                    "uses": ", ".join(slot.uses),
                }
            )
    columns = [
        "phase",
        "lane",
        "task",
        "title",
        "start",
        "end",
        "hours",
        "level",
        "issue",
        "activity",
        "job",
        "label",
        "uses",
    ]
    return pd.DataFrame(rows, columns=columns)
