"""One budget per command (issue #15): limits, the greedy floor, progress, the decomposition.

No test here puts a wall-clock limit on anything: budgets are the solver's
deterministic work units, and progress is driven by a fake clock.
"""

from __future__ import annotations

import json
import random
import sys
from itertools import count
from pathlib import Path
from typing import ClassVar

import pytest

from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.graph_rules import read_graph_rules
from analysis.inputs.rubric import read_rubric
from analysis.inputs.scenario import parse_scenario, read_scenario
from analysis.model import SolverSettings
from analysis.plan import lanes, timeline
from analysis.plan.budget import Budget, Progress
from analysis.plan.jobs import Job, ScheduleProblem
from analysis.plan.plan_check import check_selection
from analysis.plan.scenarios import assess
from analysis.plan.schedule_bounds import list_schedule
from analysis.plan.selection_model import SelectionProblem
from analysis.plan.sweeps import run_combination
from analysis.report.formats.plan import format_plan

RUBRIC = read_rubric()
GRAPH_RULES = read_graph_rules()
DATA = Path(__file__).resolve().parent.parent / "data"
SEED_CATALOG = DATA / "catalogs" / "cc03-ultra-marathon.yaml"


def synthetic(n: int, seed: int = 3, paper: bool = True) -> dict:
    """``n`` tasks of design work (all LOW), each needing at most one earlier task."""
    rng = random.Random(seed)
    tasks = []
    for i in range(n):
        deps = [f"S{rng.randrange(i):04d}"] if i and rng.random() < 0.5 else []
        tasks.append(
            {
                "id": f"S{i:04d}",
                "issue": 1,
                "title": f"task {i}",
                "activity": "design" if paper else rng.choice(["design", "document"]),
                "environment": "none",
                "touches": ["network"],
                "effort": round(rng.uniform(0.1, 2.0), 2),
                "value": rng.randint(1, 9),
                "depends_on": deps,
            }
        )
    return {"tasks": tasks}


def plan(data: dict, scenario: dict, **kwargs):
    catalog = parse_catalog(data, vocabulary=RUBRIC.vocabulary)
    return assess(catalog, parse_scenario(scenario), RUBRIC, GRAPH_RULES, **kwargs)


class TestBudget:
    def test_parts_share_one_budget(self):
        budget = Budget(SolverSettings(deterministic_time=10))
        assert budget.left("main") == 5 and budget.left("ties") == 2
        assert budget.left("explanations") == 8 and budget.left("schedule") == 2
        budget.spend("main", 4)
        budget.spend("ties", 1)
        assert budget.left("explanations") == 3  # what the selection's 8 leave
        assert budget.left("schedule") == 2  # kept aside, whatever the selection spent

    def test_an_allowance_draws_on_its_part_within_its_cap(self):
        budget = Budget(SolverSettings(deterministic_time=10))
        allowance = budget.allowance("explanations", cap=1.5)
        assert allowance.left() == 1.5
        half = allowance.share(0.5)
        half.spend(0.5)
        assert half.left() == pytest.approx(0.25)
        assert allowance.left() == pytest.approx(1.0)
        assert budget.spent() == pytest.approx(0.5)


class TestProgress:
    def test_nothing_before_two_seconds_then_a_line_every_two(self):
        now = [0.0]
        lines: list[str] = []
        progress = Progress(lines.append, clock=lambda: now[0], heartbeat=False)
        progress.begin("main solve")
        progress.update(best="value 10", bound="value 20")
        now[0] = 1.9
        assert not progress.tick() and lines == []
        now[0] = 2.0
        assert progress.tick()
        assert lines == ["plan: main solve: 2 s, best value 10, bound value 20"]
        now[0] = 3.0
        progress.update(best="value 12")
        assert len(lines) == 1  # rate-limited
        now[0] = 4.5
        progress.update(bound="value 19")
        assert lines[-1] == "plan: main solve: 4 s, best value 12, bound value 19"
        progress.end()
        now[0] = 10
        assert not progress.tick()  # no solve running

    def test_a_short_command_prints_nothing_a_long_one_prints_its_solves(self):
        lines: list[str] = []
        quick = Progress(lines.append, clock=lambda: 0.0, heartbeat=False)
        seed = read_scenario(DATA / "scenarios" / "seed-limits.yaml")
        catalog = parse_catalog(
            __import__("yaml").safe_load(SEED_CATALOG.read_text(encoding="utf-8")),
            vocabulary=RUBRIC.vocabulary,
        )
        assess(catalog, seed, RUBRIC, GRAPH_RULES, simulate=False, progress=quick)
        assert lines == []
        ticks = count()
        slow = Progress(lines.append, clock=lambda: float(next(ticks)), heartbeat=False)
        assess(catalog, seed, RUBRIC, GRAPH_RULES, simulate=False, progress=slow)
        assert lines and all(line.startswith("plan: ") for line in lines)
        assert lines[-1].startswith("plan: done: optimal; main solve ")

    def test_progress_goes_to_stderr_never_to_stdout(self, assess_cli):
        result = assess_cli("plan", "--format", "json", "--progress")
        assert result.exit_code == 0
        json.loads(result.stdout)  # the JSON alone on stdout, whatever stderr holds


@pytest.fixture
def assess_cli():
    from typer.testing import CliRunner

    from analysis.cli import app

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


class TestTinyBudget:
    SCENARIO: ClassVar[dict] = {
        "name": "tiny",
        "appetite": "MEDIUM",
        "budget_hours": 20,
        "task_cap": 40,
        "solver": {"deterministic_time": 0.0001},
    }

    def test_the_plan_is_never_worse_than_greedy_and_says_why_it_stopped(self):
        result = plan(synthetic(150), self.SCENARIO, simulate=False)
        selection = result.selection
        assert selection.status == "feasible"
        assert selection.baseline is not None
        assert selection.objective >= selection.baseline.totals.value
        assert selection.gap is not None and selection.bound is not None
        assert "budget" in selection.solver["stopped"] or "greedy" in selection.solver["stopped"]
        table = format_plan(result, "table")
        assert "stopped:" in table and "0 tasks" not in table.splitlines()[1]

    def test_same_answer_twice(self):
        first = format_plan(plan(synthetic(150), self.SCENARIO, simulate=False), "json")
        second = format_plan(plan(synthetic(150), self.SCENARIO, simulate=False), "json")
        assert first == second

    def test_explanations_beyond_the_budget_say_so(self):
        selection = plan(synthetic(150), self.SCENARIO, simulate=False).selection
        reasons = [item for item in selection.left_out if item.kind in ("budget", "cap")]
        assert reasons
        assert any("not computed" in item.reason for item in reasons)
        assert all("forcing it in would" not in item.reason for item in reasons)

    def test_a_spent_explanation_budget_is_named(self):
        # With phases there is no quick repair to price a unit: every price is a re-solve.
        scenario = {
            **self.SCENARIO,
            "phases": [{"name": "P1", "hours": 10}, {"name": "P2", "hours": 10}],
            "solver": {"deterministic_time": 0.02},
        }
        selection = plan(synthetic(60), scenario, simulate=False).selection
        texts = [item.reason for item in selection.left_out if item.kind in ("budget", "cap")]
        assert any("not explained: budget spent" in text for text in texts), texts[:3]


class TestDecomposition:
    SCENARIO: ClassVar[dict] = {
        "name": "lanes",
        "appetite": "MEDIUM",
        "task_cap": 25,
        "lanes": 2,
        "phases": [{"name": "P1", "hours": 3}, {"name": "P2", "hours": 3}],
    }

    def test_above_the_size_the_decomposition_is_used_and_checked(self, monkeypatch):
        monkeypatch.setattr(lanes, "JOINT_MAX_UNITS", 10)
        monkeypatch.setattr(timeline, "JOINT_MAX_UNITS", 10)
        result = plan(synthetic(40), self.SCENARIO, simulate=False)
        selection = result.selection
        assert selection.solver["method"].startswith(("decomposition", "exact: a list"))
        assert selection.status in ("optimal", "feasible")
        assert selection.objective >= selection.baseline.totals.value
        assert selection.gap is not None
        assert result.timeline is not None and result.timeline.ok
        scheduled = sorted(t for slot in result.timeline.slots for t in slot.tasks)
        assert scheduled == sorted(selection.selected)
        assert result.timeline.makespan_hours <= 6 + 1e-9
        for item in selection.left_out:
            if item.kind in ("budget", "cap", "phases", "lower-value"):
                assert "forcing it in would" not in item.reason

    def test_below_it_the_exact_model_agrees_or_does_better(self, monkeypatch):
        exact = plan(synthetic(40), self.SCENARIO, simulate=False, explain_limit=3).selection
        monkeypatch.setattr(lanes, "JOINT_MAX_UNITS", 10)
        decomposed = plan(synthetic(40), self.SCENARIO, simulate=False, explain_limit=3).selection
        assert exact.objective >= decomposed.objective
        assert decomposed.bound >= exact.objective - 1e-9  # the relaxation bounds the optimum


class TestListSchedule:
    def test_a_job_that_does_not_fit_its_box_moves_on_then_out_with_its_dependents(self):
        jobs = (
            Job("A", 3, optional=True, value=1),
            Job("B", 3, optional=True, value=1),
            Job("C", 2, ("B",), optional=True, value=1),
            Job("D", 4, optional=True, value=1),
        )
        problem = ScheduleProblem(jobs, lanes=1, phases=(4, 4), horizon=8)
        result = list_schedule(problem, ["A", "B", "C", "D"])
        assert set(result.chosen) == {"A", "B"}  # C needs B's phase to end first; D has no room
        assert result.phase == {"A": 0, "B": 1}

    def test_checked_like_any_plan(self):
        problem = SelectionProblem(
            units=[],
            needs={"b": ["a"]},
            budget=None,
            cap=1,
            include={"a"},
            objective="value",
        )
        assert check_selection(problem, []) == ["the included a is not chosen"]


def test_sweep_rows_do_not_depend_on_what_ran_before(tmp_path):
    """Reuse inside a process (graph, schedules, risk) never changes a row."""
    base = str(DATA / "scenarios" / "seed-limits.yaml")
    jobs = [
        {
            "catalog": str(SEED_CATALOG),
            "base": base,
            "parameters": {"budget_hours": hours, "lanes": lanes, "effort_factor": factor},
            "combination": i,
        }
        for i, (hours, lanes, factor) in enumerate(
            [(1.5, 2, 1.0), (3.0, 1, 1.2), (1.5, 2, 1.2), (3.0, 2, 1.0)]
        )
    ]
    forward = [run_combination(job) for job in jobs]
    backward = [run_combination(job) for job in reversed(jobs)][::-1]
    for row in forward + backward:
        row.pop("seconds")
    assert forward == backward


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
