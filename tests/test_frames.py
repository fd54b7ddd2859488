"""Results as DataFrames for notebooks and reports: what changed since last week, counts."""

from __future__ import annotations

import copy

import pytest

from analysis.assess.audit import audit_catalog
from analysis.inputs.scenario import parse_scenario
from analysis.plan.scenarios import assess
from analysis.report.frames import (
    changes_frame,
    changes_since,
    changes_summary,
    counts_frame,
    facts_to_add_frame,
    left_out_frame,
    report_heading,
    tasks_frame,
)
from analysis.report.history import changes, save_snapshot, snapshot_of


def task(status: str = "todo", level: str = "LOW") -> dict:
    return {"title": "t", "issue": 1, "status": status, "level": level}


BEFORE = {
    "tasks": {
        "kept": task(),
        "gone": task(),
        "finished": task(),
        "stuck": task(),
        "riskier": task(),
        "left": task(),
    },
    "selected": ["left", "kept"],
}
AFTER = {
    "tasks": {
        "kept": task(),
        "finished": task(status="done"),
        "stuck": task(status="blocked"),
        "riskier": task(level="HIGH"),
        "left": task(),
        "added": task(),
    },
    "selected": ["kept", "riskier"],
}


def test_the_summary_counts_every_kind_of_change_the_table_lists():
    frame = changes_frame(changes(BEFORE, AFTER), {})
    assert list(frame["change"].unique()) == [
        "new task",
        "removed",
        "done",
        "status",
        "level",
        "now selected",
        "no longer selected",
    ]
    assert changes_summary(frame, "2026-W41") == (
        "Since 2026-W41: 1 new, 1 removed, 1 done, 1 status change(s), 1 level change(s), "
        "1 now selected, 1 no longer selected."
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda s: s["tasks"].update(gone=task()), "Since 2026-W41: 1 removed."),
        (lambda s: None, "Nothing changed since 2026-W41."),
    ],
)
def test_changes_since_last_week(tiny_catalog, rubric, graph_rules, tmp_path, edit, expected):
    plan = assess(tiny_catalog, parse_scenario({"appetite": "HIGH"}), rubric, graph_rules)
    earlier = copy.deepcopy(snapshot_of(plan))
    edit(earlier)
    history = tmp_path / "history.sqlite"
    save_snapshot(history, tiny_catalog.name, plan.scenario.name, "2026-W41", earlier)
    summary, frame = changes_since(history, plan, "2026-W42")
    assert summary == expected
    assert len(frame) == (expected != "Nothing changed since 2026-W41.")


def test_counts_and_tasks_keep_not_computable_levels_apart(seed_catalog, rubric):
    audit = audit_catalog(seed_catalog, rubric)
    counts = counts_frame(audit).set_index(["scope", "measure"])
    assert list(counts.columns) == ["declared", "listed", "computed", "not computable", "agrees"]
    # Of 43 tasks, 28 levels are computed; 12 of the 15 others are HIGH only at worst.
    assert counts.loc[("all", "total"), ["computed", "not computable"]].tolist() == [28, 15]
    assert counts.loc[("all", "HIGH"), ["computed", "not computable"]].tolist() == [1, 12]
    tasks = tasks_frame(audit).set_index("id")
    assert tasks.loc["384-T05", ["risk", "computed", "level range"]].tolist() == [
        "HIGH",
        False,
        "MEDIUM–HIGH",
    ]
    assert tasks.loc["384-T03", ["risk", "computed", "level range"]].tolist() == [
        "MEDIUM",
        True,
        "MEDIUM",
    ]


def test_facts_to_add_most_useful_first(seed_catalog, rubric):
    frame = facts_to_add_frame(audit_catalog(seed_catalog, rubric))
    assert frame[["fact", "tasks", "settles", "narrows"]].values.tolist() == [
        ["activity", 7, 7, 0],
        ["environment", 8, 0, 8],
        ["reversibility", 3, 0, 3],
    ]


def test_left_out_for_want_of_facts(seed_catalog, rubric, graph_rules):
    plan = assess(seed_catalog, parse_scenario({"appetite": "MEDIUM"}), rubric, graph_rules)
    kinds = left_out_frame(plan).set_index("id")["kind"]
    assert kinds["384-T05"] == "needs-facts"
    assert kinds["348-multi-region-deployment"] == "above-appetite"
    assert report_heading(plan, "2026-W42").startswith(
        "**CC03 Ultra Marathon Production Impact Assessment** — week **2026-W42**. 43 tasks "
        "(24 LOW, 3 MEDIUM, 1 HIGH computed; 15 not computable: 3 MEDIUM, 12 HIGH at worst)"
    )
