"""Records check their own invariants when built in code, not only when read from a file."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from analysis.model import (
    DeclaredCounts,
    Effort,
    Phase,
    Resource,
    RiskSettings,
    Scenario,
    SolverSettings,
    Task,
)
from analysis.resources import DEFAULT_VOCABULARY as VOCABULARY_FILE
from analysis.vocabulary import DEFAULT_VOCABULARY, Vocabulary, read_vocabulary

TASK = Task(
    id="T1",
    issue=1,
    title="Mesh 設計",
    activity="design",
    environment="none",
    touches=("network",),
    reversibility="unknown",
    effort=Effort.point(0.5),
    effort_source="task",
    value=1.0,
    value_source="default",
)


def test_good_records_build():
    assert TASK.effort.hours == 0.5
    assert Scenario("s", "MEDIUM", budget_hours=4, task_cap=30).lanes == 1


@pytest.mark.parametrize(
    "points",
    [(-1, -1, -1), (1, 0.5, 2), (1, 2, 1.5), (0, math.nan, 1), (0, 1, math.inf)],
)
def test_effort_refuses_impossible_estimates(points):
    with pytest.raises(ValueError, match="effort"):
        Effort(*points)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"id": "T 1"}, "task id"),
        ({"id": ""}, "task id"),
        ({"issue": True}, "issue"),
        ({"title": "  "}, "title"),
        ({"value": -1}, "value"),
        ({"value": math.inf}, "value"),
        ({"touches": ()}, "touches"),
        ({"status": "finished"}, "status"),
        ({"declared_risk": "CRITICAL"}, "declared_risk"),
        ({"effort": 0.5}, "effort"),
    ],
)
def test_task_refuses_bad_fields(change, words):
    with pytest.raises(ValueError, match=words):
        replace(TASK, **change)


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: DeclaredCounts(total=-1), "declared"),
        (lambda: DeclaredCounts(by_level={"CRITICAL": 1}), "unknown levels"),
        (lambda: Phase("P1", 0), "hours"),
        (lambda: Resource("dev", 0), "capacity"),
        (lambda: SolverSettings(workers=0), "workers"),
        (lambda: SolverSettings(time_limit=-1), "time_limit"),
        (lambda: RiskSettings(point_range=(1.2, 1.5)), "low <= 1"),
        (lambda: RiskSettings(samples=0), "samples"),
        (lambda: Scenario("s", "CRITICAL"), "appetite"),
        (lambda: Scenario("s", "LOW", budget_hours=-2), "budget_hours"),
        (lambda: Scenario("s", "LOW", lanes=0), "lanes"),
        (lambda: Scenario("s", "LOW", objective="fun"), "objective"),
        (lambda: Scenario("s", "LOW", include=("A",), exclude=("A",)), "both"),
        (lambda: Scenario("s", "LOW", phases=(Phase("P", 1), Phase("P", 2))), "repeat"),
    ],
)
def test_other_records_refuse_bad_fields(build, words):
    with pytest.raises(ValueError, match=words):
        build()


class TestVocabulary:
    def test_the_bundled_file_is_the_default(self):
        assert read_vocabulary(VOCABULARY_FILE) == DEFAULT_VOCABULARY
        assert set(DEFAULT_VOCABULARY.paper) < set(DEFAULT_VOCABULARY.activity)
        assert set(DEFAULT_VOCABULARY.early) <= set(DEFAULT_VOCABULARY.paper)

    def test_a_rubric_may_add_a_change(self):
        wider = DEFAULT_VOCABULARY.extended({"activity": ("decommission",), "touches": ("dns",)})
        assert wider.activity[-1] == "decommission" and wider.touches[-1] == "dns"
        assert "decommission" not in wider.paper and wider.precedence[-1] == "decommission"

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            ({"activity": ("design", "design")}, "repeats"),
            ({"environment": ("none", "unknown")}, "always allowed"),
            ({"paper": ("drawing",)}, "lacks"),
            ({"precedence": ("design",)}, "every activity"),
        ],
    )
    def test_refuses_inconsistent_lists(self, change, words):
        with pytest.raises(ValueError, match=words):
            replace(DEFAULT_VOCABULARY, **change)

    def test_reads_only_known_keys(self, tmp_path):
        path = tmp_path / "v.yaml"
        path.write_text(
            "activity: [a]\nenvironment: [e]\ntouches: []\nreversibility: []\ncolour: [red]\n",
            encoding="utf-8",
        )
        with pytest.raises(ValueError, match="expected the keys"):
            read_vocabulary(path)
        path.write_text(
            "activity: [a]\nenvironment: [e]\ntouches: []\nreversibility: []\n", encoding="utf-8"
        )
        assert read_vocabulary(path) == Vocabulary(("a",), ("e",), (), (), precedence=("a",))
