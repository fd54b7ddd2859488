"""The rubric: loading and its checks, the seed's rule as scores, unknown facts, reasons."""

from __future__ import annotations

import copy
import itertools

import pytest
import yaml

from analysis.assess.scoring import score_task
from analysis.errors import CatalogError, RubricError
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.rubric import parse_rubric, read_rubric
from analysis.resources import DEFAULT_RUBRIC
from analysis.vocabulary import DEFAULT_VOCABULARY, LEVELS
from tests.conftest import tiny_data

ACTIVITIES = DEFAULT_VOCABULARY.activity
PAPER = ("design", "document", "template")
CHANGES = tuple(a for a in ACTIVITIES if a not in PAPER)


def task(**facts):
    """One task with the given facts (others as in the tiny catalog's T2)."""
    data = tiny_data()
    data["defaults"]["effort_hours"] = dict.fromkeys(ACTIVITIES, 1)
    data["tasks"] = [{**data["tasks"][1], "depends_on": [], **facts}]
    return parse_catalog(data).tasks[0]


def rubric_data() -> dict:
    return yaml.safe_load(DEFAULT_RUBRIC.read_text(encoding="utf-8"))


class TestSeedRule:
    """The seed's headings: LOW paper, MEDIUM dev/verification changes, HIGH production core."""

    @pytest.mark.parametrize(
        ("activity", "environment", "touches", "reversibility"),
        list(
            itertools.product(
                PAPER,
                ("none", "dev", "production", "unknown"),
                (["data"], "unknown"),
                ("irreversible", "unknown"),
            )
        ),
    )
    def test_paper_work_is_low_wherever_it_lands(
        self, rubric, activity, environment, touches, reversibility
    ):
        scored = score_task(
            task(
                activity=activity,
                environment=environment,
                touches=touches,
                reversibility=reversibility,
            ),
            rubric,
        )
        assert scored.level == "LOW"
        assert scored.main_reason.startswith("paper-only:")

    @pytest.mark.parametrize(
        ("activity", "environment", "touches", "reversibility"),
        list(
            itertools.product(
                CHANGES,
                ("dev", "verification"),
                (["cost"], ["network", "data"], "unknown"),
                ("reversible", "unknown"),
            )
        ),
    )
    def test_a_change_outside_production_is_medium(
        self, rubric, activity, environment, touches, reversibility
    ):
        scored = score_task(
            task(
                activity=activity,
                environment=environment,
                touches=touches,
                reversibility=reversibility,
            ),
            rubric,
        )
        assert scored.level == "MEDIUM"

    @pytest.mark.parametrize(
        ("activity", "touches"),
        list(
            itertools.product(
                (*CHANGES, "unknown"), (["network"], ["architecture"], ["data"], ["cost", "data"])
            )
        ),
    )
    def test_a_production_change_to_network_architecture_or_data_is_high(
        self, rubric, activity, touches
    ):
        scored = score_task(
            task(
                activity=activity,
                environment="production",
                touches=touches,
                reversibility="reversible",
            ),
            rubric,
        )
        assert scored.level == "HIGH"
        if activity == "unknown":  # were it a design, it would be LOW: not a computed level
            assert scored.main_reason.startswith("not computable: activity unknown (LOW–HIGH;")
            assert "; at worst: production-core:" in scored.main_reason
        else:
            assert scored.main_reason.startswith("production-core:")

    def test_a_reversible_production_change_elsewhere_is_ranked_by_points(self, rubric):
        low_impact = score_task(
            task(
                activity="configure",
                environment="production",
                touches=["observability"],
                reversibility="reversible",
            ),
            rubric,
        )
        irreversible = score_task(
            task(
                activity="configure",
                environment="production",
                touches=["observability"],
                reversibility="irreversible",
            ),
            rubric,
        )
        assert (low_impact.level, low_impact.points) == ("MEDIUM", 7)
        assert (irreversible.level, irreversible.points) == ("HIGH", 9)


class TestUnknownFacts:
    def test_unknown_environment_is_scored_as_production_and_says_so(self, rubric):
        scored = score_task(task(environment="unknown", touches=["compute"]), rubric)
        assert scored.level == "HIGH"
        assert "environment unknown: scored as production +4" in scored.reason_texts()
        assert scored.rests_on_unknown == ("environment",)
        assert scored.lowest_level == "MEDIUM"

    def test_unknown_touches_count_every_area(self, rubric):
        known = score_task(task(touches=["compute"]), rubric)
        unknown = score_task(task(touches="unknown"), rubric)
        assert unknown.points == known.points - 1 + sum(rubric.points["touches"].values())
        assert any(
            r.startswith("touches unknown: scored as every area") for r in unknown.reason_texts()
        )

    def test_unknown_activity_in_production_touching_data_is_high(self, rubric):
        scored = score_task(
            task(activity="unknown", environment="production", touches=["data"]), rubric
        )
        assert scored.level == "HIGH"
        assert "activity unknown: scored as migrate +4" in scored.reason_texts()
        # Were it only a design, it would be LOW: the level rests on the unknown activity.
        assert scored.rests_on_unknown == ("activity",)
        assert scored.lowest_level == "LOW"

    def test_a_known_level_does_not_rest_on_unknowns(self, rubric):
        scored = score_task(
            task(activity="design", environment="unknown", reversibility="unknown"), rubric
        )
        assert scored.level == "LOW"
        assert scored.rests_on_unknown == ()


class TestNotComputable:
    """A level that rests on an unknown fact is the worst case, never shown as computed."""

    def test_a_known_level_is_computed(self, rubric):
        scored = score_task(task(), rubric)  # implement in dev, touching network, reversible
        assert scored.computed and scored.status == "computed"
        assert scored.level_range == ("MEDIUM", "MEDIUM") and scored.range_text == "MEDIUM"

    def test_an_unknown_environment_is_not_a_computed_level(self, rubric):
        scored = score_task(
            task(activity="implement", environment="unknown", touches=["network"]), rubric
        )
        # The decisions keep the worst case; the level is not computed.
        assert scored.level == "HIGH" and scored.lowest_level == "MEDIUM"
        assert not scored.computed
        assert scored.status == "not computable: environment unknown"
        assert scored.level_range == ("MEDIUM", "HIGH") and scored.range_text == "MEDIUM–HIGH"

    def test_its_main_reason_does_not_state_production_as_a_fact(self, rubric):
        scored = score_task(
            task(activity="implement", environment="unknown", touches=["network"]), rubric
        )
        stated, worst = scored.main_reason.split("; at worst: ")
        # What each environment would make it, then the worst case's rule, named as such.
        assert stated == (
            "not computable: environment unknown "
            "(MEDIUM–HIGH; MEDIUM if none/dev/verification/staging, HIGH if production)"
        )
        assert "production-core" not in stated and "a change to production" not in stated
        assert worst.startswith("production-core: a change to production network")

    def test_a_value_that_leaves_another_fact_open_shows_a_range(self, rubric):
        scored = score_task(
            task(environment="unknown", touches=["compute"], reversibility="unknown"), rubric
        )
        # In staging the level still turns on reversibility: 3 + 2 + 1 + (0 .. 2) points.
        assert scored.rests_on_unknown == ("environment",)
        assert "MEDIUM if none/dev/verification, MEDIUM–HIGH if staging, HIGH if production" in (
            scored.main_reason
        )

    def test_several_facts_are_named_in_a_fixed_order(self, rubric):
        scored = score_task(
            task(environment="unknown", touches=["ci"], reversibility="unknown"), rubric
        )
        assert scored.rests_on_unknown == ("environment", "reversibility")
        assert scored.status == "not computable: environment, reversibility unknown"
        assert "; environment: MEDIUM if none/dev/verification/staging, MEDIUM–HIGH if " in (
            scored.main_reason
        )
        assert "; reversibility: MEDIUM if reversible, MEDIUM–HIGH if partial/irreversible" in (
            scored.main_reason
        )

    def test_facts_that_only_matter_together_are_named(self):
        # Without the cap outside production, a production change or an irreversible one is
        # HIGH on its own: stating either one alone as its safest value lowers nothing.
        data = rubric_data()
        data["facts"]["environment"]["production"] = 8
        data["facts"]["reversibility"]["irreversible"] = 8
        data["rules"] = [r for r in data["rules"] if r["id"] != "outside-production"]
        rubric = parse_rubric(data)
        scored = score_task(
            task(environment="unknown", touches=["compute"], reversibility="unknown"), rubric
        )
        assert (scored.level, scored.lowest_level) == ("HIGH", "MEDIUM")
        assert scored.rests_on_unknown == ("environment", "reversibility")
        assert not scored.computed

    @pytest.mark.parametrize(
        ("activity", "environment", "touches", "reversibility"),
        list(
            itertools.product(
                ("design", "implement", "unknown"),
                ("dev", "staging", "production", "unknown"),
                (["ci"], ["network"], "unknown"),
                ("reversible", "unknown"),
            )
        ),
    )
    def test_computed_exactly_when_best_and_worst_case_agree(
        self, rubric, activity, environment, touches, reversibility
    ):
        one = task(
            activity=activity, environment=environment, touches=touches, reversibility=reversibility
        )
        scored = score_task(one, rubric)
        assert scored.computed == (scored.lowest_level == scored.level)
        assert set(scored.rests_on_unknown) <= set(one.unknown_facts())
        assert scored.main_reason.startswith("not computable:") != scored.computed


class TestScores:
    def test_score_and_level_agree_after_a_rule_moves_the_level(self, rubric):
        scored = score_task(
            task(activity="design", environment="production", touches="unknown"), rubric
        )
        assert scored.points >= rubric.thresholds["HIGH"]
        assert scored.level == "LOW"
        assert rubric.level_of(scored.score) == "LOW"
        assert scored.reason_texts()[-1].endswith("the rules make it LOW (score 2)")

    def test_every_fact_has_a_reason_with_its_points(self, rubric):
        scored = score_task(
            task(activity="deploy", environment="staging", touches=["data", "ci"]), rubric
        )
        facts = [r for r in scored.reasons if not r.factor.startswith(("rule:", "level"))]
        assert [r.factor for r in facts] == ["activity", "environment", "touches", "reversibility"]
        assert sum(r.points for r in facts) == scored.points == 3 + 2 + 2 + 0 + 0

    def test_levels_are_three(self, rubric):
        assert rubric.level_of(0) == "LOW"
        assert rubric.level_of(rubric.thresholds["MEDIUM"]) == "MEDIUM"
        assert rubric.level_of(10**6) == "HIGH"
        assert tuple(LEVELS) == ("LOW", "MEDIUM", "HIGH")


class TestRubricValidation:
    def check(self, data, *needles):
        with pytest.raises(RubricError) as info:
            parse_rubric(data, source="r.yaml")
        for needle in needles:
            assert needle in str(info.value), str(info.value)

    def test_default_rubric_loads(self):
        rubric = read_rubric()
        assert rubric.name == "default"
        assert [r.id for r in rubric.rules] == [
            "paper-only",
            "outside-production",
            "production-core",
        ]

    def test_points_must_not_decrease(self):
        data = rubric_data()
        data["facts"]["environment"]["production"] = 1
        self.check(data, "facts.environment.production", "must not decrease")

    def test_a_raising_rule_must_name_the_riskiest_values(self):
        data = rubric_data()
        data["rules"][2]["when"]["environment"] = ["staging"]
        self.check(data, "rule production-core", "riskiest values", "production")

    def test_a_capping_rule_must_name_the_safest_values(self):
        data = rubric_data()
        data["rules"][0]["when"]["activity"] = ["design", "template"]
        self.check(data, "rule paper-only", "safest values")

    def test_a_capping_rule_cannot_test_touches_any(self):
        data = rubric_data()
        data["rules"][0]["when"]["touches_any"] = ["data"]
        self.check(data, "touches_none")

    def test_every_vocabulary_value_needs_points(self):
        data = rubric_data()
        del data["facts"]["activity"]["migrate"]
        self.check(data, "facts.activity", "no points for migrate")

    def test_unknown_is_not_listed(self):
        data = rubric_data()
        data["facts"]["reversibility"]["unknown"] = 5
        self.check(data, "'unknown' is scored as the last value")

    def test_environments_are_fixed(self):
        data = rubric_data()
        data["facts"]["environment"]["moon"] = 9
        self.check(data, "values of environment are fixed")

    def test_thresholds_must_rise(self):
        data = rubric_data()
        data["levels"] = {"MEDIUM": 8, "HIGH": 3}
        self.check(data, "must rise")

    def test_unknown_key(self):
        data = rubric_data()
        data["weights"] = {}
        self.check(data, "field 'weights'", "unknown field")

    def test_cli_reports_a_bad_rubric_in_one_line(self, assess, tmp_path):
        data = rubric_data()
        data["facts"]["activity"]["design"] = -1
        path = tmp_path / "bad-rubric.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        result = assess("audit", "--rubric", path)
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1
        assert "bad-rubric.yaml" in result.stderr and "facts.activity.design" in result.stderr


class TestRubricVocabulary:
    def test_a_rubric_may_add_an_activity(self):
        data = rubric_data()
        facts = data["facts"]["activity"]
        data["facts"]["activity"] = {**facts, "backup": 5}
        with pytest.raises(RubricError, match="riskiest values of activity"):
            parse_rubric(data)  # the production rule must cover the new riskiest activity
        data["rules"][2]["when"]["activity"].append("backup")
        rubric = parse_rubric(data)
        catalog_data = tiny_data()
        catalog_data["tasks"][1]["activity"] = "backup"
        catalog_data["defaults"]["effort_hours"]["backup"] = 1
        with pytest.raises(CatalogError, match="'backup' is not one of"):
            parse_catalog(copy.deepcopy(catalog_data))
        catalog = parse_catalog(catalog_data, vocabulary=rubric.vocabulary)
        assert score_task(catalog.tasks[1], rubric).points == 5 + 0 + 0 + 1

    def test_scoring_with_a_rubric_that_lacks_a_value_is_an_error(self, rubric):
        data = rubric_data()
        data["facts"]["touches"] = {**data["facts"]["touches"], "dns": 1}
        extended = parse_rubric(data)
        catalog_data = tiny_data()
        catalog_data["tasks"][1]["touches"] = ["dns"]
        catalog = parse_catalog(catalog_data, vocabulary=extended.vocabulary)
        with pytest.raises(RubricError, match="no points for touches 'dns'"):
            score_task(catalog.tasks[1], rubric)
