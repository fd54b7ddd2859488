"""Plans with a left-out unit forced in, made without a solver (analysis.plan.greedy.Repair).

Every plan it makes holds the unit and meets every limit (checked as any plan
not straight from the model is), and is no better than the optimum with the
unit forced in (found here by trying every subset).
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.plan.greedy import Repair
from analysis.plan.plan_check import check_selection
from analysis.plan.results import Unit
from analysis.plan.selection_model import SelectionProblem


@st.composite
def problems(draw):
    n = draw(st.integers(2, 8))
    units = [
        Unit(
            f"U{i}",
            (f"U{i}",),
            draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])),
            draw(st.integers(0, 9)),
            "LOW",
            i,
        )
        for i in range(n)
    ]
    needs = {}
    for i in range(1, n):
        earlier = draw(st.lists(st.integers(0, i - 1), max_size=2, unique=True))
        if earlier:
            needs[f"U{i}"] = [f"U{j}" for j in earlier]
    budget = draw(st.one_of(st.none(), st.integers(1, 8).map(lambda h: h * 1800)))
    cap = draw(st.one_of(st.none(), st.integers(1, n)))
    include = set(draw(st.lists(st.sampled_from([u.id for u in units]), max_size=1)))
    members = frozenset(draw(st.lists(st.sampled_from([u.id for u in units]), max_size=3)))
    coverage = (("area", draw(st.integers(0, 1)), members),) if members else ()
    problem = SelectionProblem(units, needs, budget, cap, include, "value", coverage)
    plans = [
        set(chosen)
        for size in range(n + 1)
        for chosen in itertools.combinations([u.id for u in units], size)
        if not check_selection(problem, chosen)
    ]
    if not plans:
        return None
    weight = {u.id: problem.weight(u) for u in units}
    best = max(plans, key=lambda plan: sum(weight[u] for u in plan))
    return problem, plans, best, weight


@settings(max_examples=300, deadline=None)
@given(problems())
def test_a_repaired_plan_holds_the_unit_meets_the_limits_and_beats_no_optimum(case):
    if case is None:
        return
    problem, plans, best, weight = case
    repair = Repair(problem, best)
    for unit in problem.units:
        if unit.id in best:
            continue
        plan = repair.plan(unit.id)
        with_it = [p for p in plans if unit.id in p]
        if plan is None:
            continue
        assert unit.id in plan
        assert check_selection(problem, plan) == []
        assert with_it and sum(weight[u] for u in plan) <= max(
            sum(weight[u] for u in p) for p in with_it
        )
