"""Selection on small hand-checked cases: reasons, merging, includes, greedy, plan checks."""

from __future__ import annotations

from itertools import pairwise

from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.scenario import parse_scenario
from analysis.plan.scenarios import assess
from analysis.plan.selection_model import SelectionProblem as _Problem
from analysis.report.formats.plan import format_plan
from analysis.vocabulary import DEFAULT_VOCABULARY

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]


def catalog_of(*tasks):
    """Tasks as dicts; ids T1, T2, ...; distinct titles and topics unless given."""
    records = []
    for i, task in enumerate(tasks, start=1):
        records.append(
            {
                "id": f"T{i}",
                "issue": 1,
                "title": f"{WORDS[i - 1]} work",
                "activity": "design",
                "environment": "none",
                "topic": f"topic-{i}",
                **task,
            }
        )
    activities = DEFAULT_VOCABULARY.activity
    return parse_catalog(
        {"defaults": {"effort_hours": dict.fromkeys(activities, 1)}, "tasks": records}
    )


def run(catalog, rubric, graph_rules, **scenario):
    return assess(catalog, parse_scenario({"appetite": "MEDIUM", **scenario}), rubric, graph_rules)


def reasons(selection):
    return {item.task: item for item in selection.left_out}


class TestReasons:
    def test_budget_binds_and_forcing_in_has_a_price(self, rubric, graph_rules):
        catalog = catalog_of(
            {"effort": 1, "value": 3}, {"effort": 1, "value": 2}, {"effort": 2, "value": 4}
        )
        selection = run(catalog, rubric, graph_rules, budget_hours=2).selection
        assert selection.status == "optimal"
        assert selection.selected == ("T1", "T2") and selection.objective == 5
        t3 = reasons(selection)["T3"]
        assert t3.kind == "budget"
        assert t3.reason == (
            "did not fit the budget: needs 2 h, 0 min left (short by 2 h); "
            "forcing it in would lose 1 value and push out T1, T2"
        )
        assert t3.details["forced_loss"] == 1 and t3.details["pushed_out"] == ["T1", "T2"]

    def test_cap_binds(self, rubric, graph_rules):
        catalog = catalog_of({"effort": 1, "value": 3}, {"effort": 1, "value": 2})
        selection = run(catalog, rubric, graph_rules, task_cap=1).selection
        assert selection.selected == ("T1",)
        t2 = reasons(selection)["T2"]
        assert t2.kind == "cap"
        assert t2.reason.startswith("did not fit the task cap: needs 1 unit(s), 0 of 1 left")

    def test_prerequisites_count_in_what_a_task_needs(self, rubric, graph_rules):
        catalog = catalog_of(
            {"effort": 1, "value": 0},
            {"effort": 1, "value": 5, "depends_on": ["T1"]},
            {"effort": 1.5, "value": 4},
        )
        selection = run(catalog, rubric, graph_rules, budget_hours=1.5).selection
        assert selection.selected == ("T3",)
        t2 = reasons(selection)["T2"]
        assert t2.kind == "budget"
        assert t2.reason == (
            "did not fit the budget: needs 2 h with its prerequisites (T1), 0 min left "
            "(short by 2 h); forcing it in makes the scenario infeasible"
        )

    def test_blocked_chain_from_a_task_above_the_appetite(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "migrate", "environment": "production", "touches": ["data"]},
            {"depends_on": ["T1"]},
            {"depends_on": ["T2"]},
        )
        left = reasons(run(catalog, rubric, graph_rules).selection)
        assert left["T1"].kind == "above-appetite"
        assert left["T3"].kind == "blocked"
        assert left["T3"].details["chain"] == ["T1", "T2", "T3"]
        assert (
            "blocked by T1 (above-appetite: HIGH is above the appetite MEDIUM)" in left["T3"].reason
        )

    def test_a_level_high_only_while_a_fact_is_unknown_needs_facts(self, rubric, graph_rules):
        change = {"activity": "implement", "touches": ["compute"], "reversibility": "reversible"}
        catalog = catalog_of(
            {**change, "environment": "unknown"},  # MEDIUM in dev, HIGH in production
            {**change, "environment": "unknown", "touches": ["ci"], "reversibility": "unknown"},
            {**change, "environment": "production", "touches": ["data"]},  # HIGH, computed
            {"depends_on": ["T1"]},
        )
        left = reasons(run(catalog, rubric, graph_rules).selection)
        # The decision keeps the worst case: left out either way, but for want of facts.
        assert left["T1"].kind == "needs-facts"
        assert left["T1"].reason == (
            "needs facts: environment (HIGH only while environment is unknown; "
            "MEDIUM at best, within the appetite MEDIUM)"
        )
        assert left["T1"].details["not_computable_because"] == ["environment"]
        assert left["T2"].reason.startswith(
            "needs facts: environment, reversibility (HIGH only while environment, "
            "reversibility are unknown;"
        )
        assert left["T3"].kind == "above-appetite"
        assert left["T4"].kind == "blocked"
        assert "blocked by T1 (needs-facts: needs facts)" in left["T4"].reason
        # Above the appetite even at best: the facts would not let it in.
        low = reasons(run(catalog, rubric, graph_rules, appetite="LOW").selection)
        assert low["T1"].kind == "above-appetite"
        assert low["T1"].reason.startswith(
            "HIGH is above the appetite LOW: not computable: environment unknown (MEDIUM–HIGH;"
        )

    def test_done_satisfies_and_cancelled_blocks(self, rubric, graph_rules):
        catalog = catalog_of(
            {"status": "done"},
            {"depends_on": ["T1"]},
            {"status": "cancelled"},
            {"depends_on": ["T3"]},
        )
        selection = run(catalog, rubric, graph_rules).selection
        assert selection.selected == ("T2",)
        left = reasons(selection)
        assert (left["T1"].kind, left["T3"].kind, left["T4"].kind) == (
            "done",
            "cancelled",
            "blocked",
        )

    def test_excluded_by_the_scenario(self, rubric, graph_rules):
        catalog = catalog_of({}, {"depends_on": ["T1"]})
        left = reasons(run(catalog, rubric, graph_rules, exclude=["T1"]).selection)
        assert left["T1"].kind == "excluded"
        assert left["T2"].kind == "blocked"

    def test_a_task_of_no_value_is_left_out_by_the_tie_breaks(self, rubric, graph_rules):
        catalog = catalog_of({"value": 2}, {"value": 0})
        selection = run(catalog, rubric, graph_rules).selection
        assert selection.selected == ("T1",)
        assert reasons(selection)["T2"].kind == "tie-break"


class TestTieBreaks:
    def test_equal_value_prefers_fewer_hours_then_earlier_tasks(self, rubric, graph_rules):
        catalog = catalog_of(
            {"effort": 2, "value": 3}, {"effort": 1, "value": 3}, {"effort": 1, "value": 3}
        )
        selection = run(catalog, rubric, graph_rules, task_cap=1).selection
        assert selection.selected == ("T2",)


class TestMerging:
    def duplicates(self):
        return catalog_of(
            {"topic": "dr", "activity": "document", "effort": 0.5, "value": 3},
            {"topic": "dr", "activity": "document", "effort": 1, "value": 1},
            {"value": 1},
        )

    def test_duplicates_are_one_unit(self, rubric, graph_rules):
        selection = run(self.duplicates(), rubric, graph_rules, task_cap=2).selection
        assert selection.selected == ("T1", "T2", "T3")
        (merged,) = [u for u in selection.units if len(u.tasks) > 1]
        assert merged.tasks == ("T1", "T2")
        assert (merged.hours, merged.value) == (1, 4)  # largest effort, every copy's value
        assert selection.totals.units == 2 and selection.totals.hours == 2

    def test_without_merging_each_copy_counts(self, rubric, graph_rules):
        selection = run(
            self.duplicates(), rubric, graph_rules, task_cap=2, merge_duplicates=False
        ).selection
        assert len(selection.selected) == 2
        assert selection.totals.units == 2

    def test_copies_at_different_levels_are_not_merged(self, rubric, graph_rules):
        catalog = catalog_of(
            {
                "topic": "db",
                "activity": "deploy",
                "environment": "staging",
                "touches": ["data"],
                "reversibility": "irreversible",
            },
            {
                "topic": "db",
                "activity": "deploy",
                "environment": "staging",
                "touches": ["ci"],
                "reversibility": "reversible",
            },
        )
        selection = run(catalog, rubric, graph_rules, appetite="HIGH").selection
        assert all(len(u.tasks) == 1 for u in selection.units)


class TestIncludes:
    def test_including_a_task_above_the_appetite_is_infeasible(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "deploy", "environment": "production", "touches": ["network"]}
        )
        selection = run(catalog, rubric, graph_rules, include=["T1"]).selection
        assert selection.status == "infeasible"
        (violation,) = selection.violations
        assert violation.kind == "include-unavailable"
        assert "HIGH is above the appetite MEDIUM" in violation.message

    def test_includes_over_budget_say_by_how_much(self, rubric, graph_rules):
        catalog = catalog_of({"effort": 2}, {"effort": 2, "depends_on": ["T1"]})
        selection = run(catalog, rubric, graph_rules, include=["T2"], budget_hours=3).selection
        assert selection.status == "infeasible"
        assert [v.message for v in selection.violations] == [
            "the included tasks and their prerequisites need 4 h, over the budget of 3 h by 1 h"
        ]
        why = "no selection meets the scenario: the included tasks and their prerequisites"
        left = reasons(selection)
        assert sorted(left) == ["T1", "T2"]
        assert left["T1"].kind == left["T2"].kind == "infeasible"
        assert left["T1"].reason.startswith(why)
        assert left["T2"].reason.startswith("included, but " + why)

    def test_includes_are_chosen_even_at_a_cost(self, rubric, graph_rules):
        catalog = catalog_of({"effort": 1, "value": 5}, {"effort": 1, "value": 1})
        selection = run(catalog, rubric, graph_rules, include=["T2"], budget_hours=1).selection
        assert selection.selected == ("T2",)


class TestGreedy:
    def test_optimisation_beats_value_per_hour(self, rubric, graph_rules):
        catalog = catalog_of({"effort": 1, "value": 2}, {"effort": 10, "value": 10})
        selection = run(catalog, rubric, graph_rules, budget_hours=10).selection
        assert selection.selected == ("T2",)
        assert selection.baseline.selected == ("T1",)
        assert selection.gain_over_greedy == 8

    def test_count_objective(self, rubric, graph_rules):
        catalog = catalog_of(
            {"effort": 1, "value": 9}, {"effort": 0.5, "value": 1}, {"effort": 0.5, "value": 1}
        )
        selection = run(catalog, rubric, graph_rules, budget_hours=1, objective="count").selection
        assert selection.selected == ("T2", "T3") and selection.objective == 2


class TestObjectiveUnits:
    """Objective, bound and gap are in the user's units: task values, or tasks."""

    def test_fractional_values_are_not_rounded_away(self, rubric, graph_rules):
        # Values scaled by 1000 and rounded once made 0.0006 + 0.0006 beat 0.0014.
        catalog = catalog_of(
            {"effort": 1, "value": 0.0014},
            {"effort": 0.5, "value": 0.0006},
            {"effort": 0.5, "value": 0.0006},
        )
        selection = run(catalog, rubric, graph_rules, budget_hours=1).selection
        assert selection.status == "optimal"
        assert selection.selected == ("T1",)
        assert selection.objective == selection.bound == selection.totals.value == 0.0014
        assert selection.gap == 0

    def test_the_headline_figures_agree(self, rubric, graph_rules):
        catalog = catalog_of({"effort": 0.5, "value": 0.001}, {"effort": 0.5, "value": 0.0015})
        result = run(catalog, rubric, graph_rules, budget_hours=4)
        assert "objective 0.0025, bound 0.0025, gap 0.00%" in format_plan(result, "table")

    def test_count_counts_the_tasks_merged_duplicates_close(self, rubric, graph_rules):
        catalog = catalog_of(
            {"topic": "mesh"},
            {"topic": "mesh"},
            {"topic": "mesh", "activity": "implement", "environment": "dev"},
            {"topic": "dr"},
            {"topic": "dr"},
        )
        selection = run(catalog, rubric, graph_rules, task_cap=2, objective="count").selection
        assert [u.tasks for u in selection.units] == [("T1", "T2"), ("T4", "T5")]
        assert selection.objective == selection.bound == selection.totals.tasks == 4
        assert selection.gap == 0
        assert reasons(selection)["T3"].reason == (
            "did not fit the task cap: needs 1 unit(s), 0 of 2 left; "
            "forcing it in would lose 1 task and push out T4, T5"
        )

    def test_forcing_in_at_no_loss_still_names_what_it_pushes_out(self, rubric, graph_rules):
        catalog = catalog_of({}, {})
        selection = run(catalog, rubric, graph_rules, task_cap=1, objective="count").selection
        assert selection.selected == ("T1",)
        assert reasons(selection)["T2"].reason == (
            "did not fit the task cap: needs 1 unit(s), 0 of 1 left; "
            "forcing it in would push out T1"
        )


class TestPlanCheck:
    def test_covered_twice_and_over_cap(self, rubric, graph_rules):
        catalog = catalog_of({}, {})
        scenario = {
            "task_cap": 1,
            "plan": [
                {"item": "one", "activity": "design", "tasks": ["T1"]},
                {"item": "again", "activity": "design", "tasks": ["T1"]},
            ],
        }
        selection = run(catalog, rubric, graph_rules, **scenario).selection
        kinds = [v.kind for v in selection.violations]
        assert kinds == ["covered-twice", "uncovered-task", "over-cap"]

    def test_an_item_that_states_a_safe_environment_is_scored_there(self, rubric, graph_rules):
        catalog = catalog_of({"activity": "implement", "environment": "unknown"})
        unstated = run(
            catalog,
            rubric,
            graph_rules,
            plan=[{"item": "x", "activity": "implement", "tasks": ["T1"]}],
        )
        stated = run(
            catalog,
            rubric,
            graph_rules,
            plan=[{"item": "x", "activity": "implement", "environment": "dev", "tasks": ["T1"]}],
        )
        assert [v.kind for v in unstated.selection.violations] == ["above-appetite"]
        assert stated.selection.violations == ()

    def twice(self, rubric, graph_rules, items):
        catalog = catalog_of({"touches": ["network"]}, {})
        return run(catalog, rubric, graph_rules, plan=items).selection

    def test_every_item_is_checked_even_on_a_task_covered_before(self, rubric, graph_rules):
        paper = {"item": "paper", "activity": "design", "tasks": ["T1"]}
        sneak = {"item": "sneak", "activity": ["design", "implement"], "tasks": ["T1"]}
        first = self.twice(rubric, graph_rules, [paper, sneak])
        swapped = self.twice(rubric, graph_rules, [sneak, paper])
        kinds = sorted(v.kind for v in first.violations)
        assert kinds == sorted(v.kind for v in swapped.violations)
        assert {"covered-twice", "riskier-activity", "above-appetite"} <= set(kinds)
        (above,) = [v for v in first.violations if v.kind == "above-appetite"]
        assert above.message.startswith("item 2 'sneak' puts T1 at HIGH")
        (twice,) = [v for v in first.violations if v.kind == "covered-twice"]
        assert twice.message == "T1 is covered by item 1 'paper' and item 2 'sneak'"
        # The work the plan does is the riskier item's, whichever comes first.
        assert first.as_done["T1"].activity == swapped.as_done["T1"].activity == "implement"
        assert first.units[1].level == swapped.units[0].level == "HIGH"

    def test_each_item_of_a_task_covered_twice_keeps_the_order(self, rubric, graph_rules):
        catalog = catalog_of({}, {"depends_on": ["T1"]})
        phases = [{"name": "P1", "hours": 2}, {"name": "P2", "hours": 2}]
        items = [
            {"item": "design", "activity": "design", "tasks": ["T1"], "phase": "P2"},
            {"item": "after", "activity": "design", "tasks": ["T2"], "phase": "P2"},
            {"item": "before", "activity": "design", "tasks": ["T2"], "phase": "P1"},
        ]
        selection = run(catalog, rubric, graph_rules, phases=phases, plan=items).selection
        assert [v.message for v in selection.violations if v.kind == "dependency-order"] == [
            "T2 (phase P1) needs T1 first (declared), planned later in phase P2"
        ]


def test_prerequisites_first_on_a_chain_thousands_long():
    """Units put in dependency order without recursion (a catalog may list a chain backwards)."""
    chain = [f"U{i}" for i in range(5000)]
    needs = {unit: [before] for before, unit in pairwise(chain)}
    problem = _Problem([], needs, None, None, set(), "value")
    assert problem.in_order(reversed(chain)) == chain
    diamond = {"A": ["B", "C"], "B": ["C"], "D": ["A"]}
    problem = _Problem([], diamond, None, None, set(), "value")
    assert problem.in_order(["D", "A", "B", "C"]) == ["C", "B", "A", "D"]
    assert problem.in_order(["B", "D"]) == ["B", "D"]  # prerequisites outside are passed over
