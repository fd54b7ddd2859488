"""Results as DataFrames for notebooks and reports: what changed since last week."""

from __future__ import annotations

import copy

import pytest

from analysis.inputs.scenario import parse_scenario
from analysis.plan.scenarios import assess
from analysis.report.frames import changes_frame, changes_since, changes_summary
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
