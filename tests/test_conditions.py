"""One condition evaluator (vocabulary.facts_match): rubric rules, gates and resources."""

from __future__ import annotations

import copy
from dataclasses import replace

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.gate_rules import Gate
from analysis.inputs.rubric import Rule
from analysis.model import Resource, Task
from analysis.vocabulary import DEFAULT_VOCABULARY, UNKNOWN, facts_match
from tests.conftest import TINY

VOCABULARY = DEFAULT_VOCABULARY
KEYS = ("activity", "environment", "touches_any", "touches_none")


def values_of(key: str) -> tuple[str, ...]:
    fact = "touches" if key.startswith("touches") else key
    return tuple(v for v in getattr(VOCABULARY, fact) if v != UNKNOWN)


facts_strategy = st.fixed_dictionaries(
    {
        "activity": st.sampled_from(values_of("activity")),
        "environment": st.sampled_from(values_of("environment")),
        "touches": st.lists(st.sampled_from(values_of("touches_any")), unique=True).map(tuple),
    }
)
when_strategy = st.fixed_dictionaries(
    {},
    optional={
        key: st.lists(st.sampled_from(values_of(key)), min_size=1, unique=True) for key in KEYS
    },
)


@settings(deadline=None, max_examples=300)
@given(facts_strategy, when_strategy)
def test_the_unknown_policy_only_matters_for_unknown_facts(facts, when):
    assert facts_match(when, facts, unknown_matches=True) == facts_match(
        when, facts, unknown_matches=False
    )


@settings(deadline=None, max_examples=300)
@given(facts_strategy, when_strategy, st.sampled_from(KEYS), st.data())
def test_each_condition_must_hold(facts, when, key, data):
    """Adding a condition never widens the match; no condition matches everything."""
    assume(key not in when)
    assert facts_match({}, facts, unknown_matches=False)
    extra = data.draw(st.lists(st.sampled_from(values_of(key)), min_size=1, unique=True))
    if facts_match({**when, key: extra}, facts, unknown_matches=False):
        assert facts_match(when, facts, unknown_matches=False)
        assert facts_match({key: extra}, facts, unknown_matches=False)


@settings(deadline=None, max_examples=200)
@given(facts_strategy, when_strategy, st.sampled_from(("activity", "environment", "touches")))
def test_an_unknown_fact_meets_its_conditions_when_unknown_matches(facts, when, fact):
    unknown = {**facts, fact: (UNKNOWN,) if fact == "touches" else UNKNOWN}
    relevant = {k: v for k, v in when.items() if (fact == "touches") == k.startswith("touches")}
    relevant = {k: v for k, v in relevant.items() if fact == "touches" or k == fact}
    assert facts_match(relevant, unknown, unknown_matches=True)


def test_touches_any_and_none():
    facts = {"activity": "deploy", "environment": "dev", "touches": ("network", "data")}
    assert facts_match({"touches_any": ["data", "ci"]}, facts, unknown_matches=False)
    assert not facts_match({"touches_any": ["ci"]}, facts, unknown_matches=False)
    assert facts_match({"touches_none": ["ci"]}, facts, unknown_matches=False)
    assert not facts_match({"touches_none": ["network"]}, facts, unknown_matches=False)


#: A production deploy touching the network (T3 of the shared tiny catalog).
BASE = parse_catalog(copy.deepcopy(TINY)).task_by_id["T3"]


def task(**facts) -> Task:
    return replace(BASE, **facts)


class TestEveryUserOfTheEvaluator:
    """Gates and resources never let a gap exempt a task; rubric rules see resolved facts."""

    def test_a_resource_is_taken_by_a_task_of_unknown_environment(self):
        window = Resource("production-window", 1, {"environment": ("production",)})
        assert window.uses(task(environment="production"))
        assert window.uses(task(environment=UNKNOWN))
        assert not window.uses(task(environment="dev"))

    def test_a_resource_is_taken_by_a_task_of_unknown_activity_or_areas(self):
        cluster = Resource("dev-cluster", 1, {"activity": ("deploy",), "touches_any": ("ci",)})
        assert cluster.uses(task(activity=UNKNOWN, touches=("ci",)))
        assert cluster.uses(task(touches=(UNKNOWN,)))
        assert not cluster.uses(task(activity="design", touches=("ci",)))

    def test_a_gate_applies_to_a_task_of_unknown_environment(self):
        gate = Gate(
            "approval", "本番承認", "", {"level": ("HIGH",), "environment": ("production",)}, {}
        )
        assert gate.applies(task(environment=UNKNOWN), "HIGH")
        assert not gate.applies(task(environment=UNKNOWN), "LOW")
        assert not gate.applies(task(environment="dev"), "HIGH")

    def test_a_rubric_rule_takes_unknown_as_a_plain_value(self):
        rule = Rule("prod", "at_least", "HIGH", "production", {"environment": ("production",)})
        assert rule.matches({"environment": "production"})
        assert not rule.matches({"environment": UNKNOWN})
