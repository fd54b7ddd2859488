"""Assessments: a scenario run on a catalog, end to end, and two of them compared.

:func:`assess` runs the pipeline for one scenario: audit, graph, selection
(or the check of a hand-made plan), gates, outcomes, schedule and schedule
risk. :func:`assess_files` reads the inputs first (:func:`read_files`, then
:func:`assess_inputs`); :func:`check_files` only reads and checks them,
building each scenario's graph (for early errors); :func:`compare` sets two
assessments side by side and :func:`vary` makes a what-if of a scenario.

Examples
--------
>>> from analysis.inputs.scenario import parse_scenario
>>> base = parse_scenario({"name": "base", "appetite": "LOW"})
>>> vary(base, budget_hours=3, lanes=2).name
'base+budget_hours=3+lanes=2'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from analysis.assess.audit import Audit, audit_catalog
from analysis.assess.gates import check_gates, gate_findings
from analysis.assess.graph import GraphFacts, analyse_graph, build_graph
from analysis.assess.outcomes import OutcomeCoverage, outcome_coverage
from analysis.assess.scoring import score_catalog
from analysis.errors import InputError, ScenarioError
from analysis.inputs.bundle import Inputs, read_inputs
from analysis.inputs.gate_rules import Gate, with_modes
from analysis.inputs.graph_rules import GraphRules
from analysis.inputs.rubric import Rubric
from analysis.inputs.scenario import check_scenario, default_scenarios, read_scenario
from analysis.model import Catalog, Finding, Scenario
from analysis.plan.budget import Budget, Progress
from analysis.plan.plan_check import check_plan
from analysis.plan.results import MEASURES, Assessment, Comparison, measures
from analysis.vocabulary import level_rank

__all__ = [
    "assess",
    "graph_facts",
    "compare",
    "vary",
    "check_files",
    "assess_files",
    "read_files",
    "assess_inputs",
]


def assess(
    catalog: Catalog,
    scenario: Scenario,
    rubric: Rubric,
    graph_rules: GraphRules,
    explain_limit: int = 200,
    simulate: bool = True,
    gates: tuple[Gate, ...] = (),
    progress: Progress | None = None,
    *,
    audit: Audit | None = None,
    facts: GraphFacts | None = None,
    schedules: MutableMapping[tuple, Any] | None = None,
) -> Assessment:
    """Run ``scenario`` on ``catalog``: audit, graph, selection (or plan check), schedule, risk.

    The schedule is made when the scenario has phases, several lanes or shared
    resources; its Monte Carlo risk unless ``simulate`` is false. Every solve
    draws on one budget, ``scenario.solver.deterministic_time``
    (:mod:`analysis.plan.budget`); ``progress`` prints what long solves are
    doing (on stderr, in the command line) and, after a long command, where
    its time went. ``audit`` and ``facts`` may be given when already computed
    (a sweep reuses them across what-ifs): ``audit_catalog(catalog, rubric)``
    and :func:`graph_facts` of the same inputs; ``schedules`` keeps schedules
    across calls (see :func:`~analysis.plan.timeline.schedule_selection`).

    Raises
    ------
    ScenarioError
        When the scenario names tasks or rules the catalog or rules lack.
    """
    # The solver's modules load OR-Tools (and with it pandas): not before a command plans.
    from analysis.plan.risk import schedule_risk
    from analysis.plan.selection import select_tasks
    from analysis.plan.timeline import schedule_selection

    check_scenario(scenario, catalog, rubric.vocabulary)
    if audit is None:
        audit = audit_catalog(catalog, rubric)
    if facts is None:
        facts = graph_facts(catalog, audit, graph_rules, scenario)
    try:
        gates = with_modes(gates, scenario.gate_modes, scenario.source)
    except InputError as exc:
        raise ScenarioError(exc.problem, source=scenario.source, field=exc.field) from exc
    budget = Budget(scenario.solver, progress)
    if scenario.is_plan:
        selection = check_plan(catalog, audit.scores, facts, scenario, rubric)
    else:
        selection = select_tasks(
            catalog, audit.scores, facts, scenario, explain_limit, gates, budget
        )
    levels = {task: score.level for task, score in audit.scores.items()}
    breaks = check_gates(
        catalog,
        gates,
        levels=levels,
        graph=facts.graph,
        scenario=scenario,
        tasks=selection.selected,
        as_done=selection.as_done,
    )
    outcomes = outcome_coverage(catalog, selection.selected)
    extra = list(gate_findings(breaks))
    if scenario.is_plan:
        extra += _coverage_violations(outcomes, scenario)
    selection = replace(selection, violations=(*selection.violations, *extra))
    timeline = risk = None
    if scenario.schedules and selection.status != "infeasible":
        timeline = schedule_selection(
            catalog, audit.scores, facts, scenario, selection, budget, schedules
        )
        if timeline.ok and simulate:
            capacities = {r.name: r.capacity for r in scenario.resources}
            risk = schedule_risk(timeline, scenario.risk, capacities)
    if progress is not None:
        progress.say(_summary(budget, selection.status))
    return Assessment(
        catalog, scenario, audit, facts, selection, timeline, risk, gates, outcomes, graph_rules
    )


def _summary(budget: Budget, status: str) -> str:
    """Where a command's solving time went (for stderr: times differ from run to run)."""
    seconds, used = budget.seconds, budget.used
    parts = [
        f"main solve {seconds['main'] + seconds['ties']:.1f} s",
        f"explanations {seconds['explanations']:.1f} s",
        f"schedule {seconds['schedule']:.1f} s",
    ]
    work = sum(used.values())
    return f"done: {status}; " + ", ".join(parts) + f"; {work:.3g} of {budget.total:g} work units"


def graph_facts(
    catalog: Catalog, audit: Audit, graph_rules: GraphRules, scenario: Scenario
) -> GraphFacts:
    """The graph under the scenario's rules, with what its appetite and excludes leave out.

    Depends on the scenario only through ``appetite``, ``exclude`` and ``rules_off``.
    """
    try:
        rules = graph_rules.without(scenario.rules_off)
    except InputError as exc:
        raise ScenarioError(exc.problem, source=scenario.source, field="rules_off") from exc
    limit = level_rank(scenario.appetite)
    excluded = [
        t.id
        for t in catalog
        if level_rank(audit.scores[t.id].level) > limit or t.id in scenario.exclude
    ]
    return analyse_graph(catalog, audit.scores, rules, excluded)


def _coverage_violations(
    outcomes: tuple[OutcomeCoverage, ...], scenario: Scenario
) -> list[Finding]:
    """Outcome areas a hand-made plan covers less than the scenario asks."""
    out = []
    for row in outcomes:
        minimum = scenario.coverage.get(row.area, 0)
        if len(row.selected) < minimum:
            out.append(
                Finding(
                    "coverage",
                    f"coverage of {row.area} asks for at least {minimum} task(s); the plan "
                    f"covers {len(row.selected)}",
                    row.selected,
                    {"area": row.area, "minimum": minimum, "selected": len(row.selected)},
                )
            )
    return out


def compare(a: Assessment, b: Assessment) -> Comparison:
    """Tasks only in A, only in B, in both, and which is better on each measure.

    Raises
    ------
    ValueError
        When the two assessments are of different catalogs.
    """
    if a.catalog != b.catalog:
        raise ValueError("compare needs two assessments of the same catalog")
    in_a, in_b = set(a.selection.selected), set(b.selection.selected)
    order = [t.id for t in a.catalog]
    ma, mb = measures(a), measures(b)
    better = {}
    for name, more_is_better in MEASURES.items():
        mine, theirs = ma[name], mb[name]
        if mine is None or theirs is None:
            better[name] = "n/a"
        elif mine == theirs:
            better[name] = "tie"
        else:
            better[name] = "a" if (mine > theirs) == more_is_better else "b"
    return Comparison(
        a=a,
        b=b,
        only_a=tuple(t for t in order if t in in_a and t not in in_b),
        only_b=tuple(t for t in order if t in in_b and t not in in_a),
        both=tuple(t for t in order if t in in_a and t in in_b),
        better=better,
    )


def vary(scenario: Scenario, **changes: Any) -> Scenario:
    """The scenario with some fields changed, named after the change (for what-ifs).

    >>> from analysis.inputs.scenario import parse_scenario
    >>> base = parse_scenario({"name": "base", "appetite": "LOW"})
    >>> vary(base, budget_hours=3, lanes=2).name
    'base+budget_hours=3+lanes=2'
    """
    suffix = "".join(f"+{key}={value}" for key, value in changes.items())
    return replace(scenario, name=changes.pop("name", scenario.name + suffix), **changes)


def check_files(
    catalog: str | os.PathLike | None = None,
    scenarios: Iterable[str | os.PathLike] = (),
    *,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
    every_default: bool = False,
) -> tuple[Catalog, list[Scenario]]:
    """Read and check every input without solving anything (fast; for early errors).

    With no ``scenarios``, the catalog's own (``catalog.scenarios``) or the
    bundled default (:func:`~analysis.inputs.scenario.default_scenarios`): the
    first only, as :func:`assess_files` uses, or with ``every_default`` all of
    them (a report shows them all). Each scenario returned names its file in
    ``source``.

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first problem,
        including a scenario file the catalog names and that is missing.
    """
    inputs = read_inputs(catalog, rubric=rubric, rules=rules, gates=gates)
    tasks = inputs.catalog
    scores = score_catalog(tasks, inputs.rubric)
    read = []
    given = list(scenarios)
    defaults = [] if given else default_scenarios(tasks, inputs.catalog_path)
    for path in given or (defaults if every_default else defaults[:1]):
        scenario = read_scenario(Path(path))
        check_scenario(scenario, tasks, inputs.rubric.vocabulary)
        try:
            with_modes(inputs.gates, scenario.gate_modes, scenario.source)
            chosen_rules = inputs.graph_rules.without(scenario.rules_off)
        except InputError as exc:
            raise ScenarioError(exc.problem, source=scenario.source, field=exc.field) from exc
        with inputs.naming_the_catalog():
            build_graph(tasks, scores, chosen_rules)
        read.append(scenario)
    return tasks, read


def assess_files(
    catalog: str | os.PathLike | None = None,
    scenarios: Iterable[str | os.PathLike] = (),
    *,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
    simulate: bool = True,
    effort_factor: float = 1.0,
    progress: Progress | Callable[[str], None] | None = None,
    every_default: bool = False,
) -> list[Assessment]:
    """Read the inputs (the bundled ones by default) and assess every scenario.

    ``progress``: a :class:`~analysis.plan.budget.Progress`, or where its lines
    go (one is made, and closed at the end).

    Relative paths are relative to the working folder. With no ``scenarios``:
    the first the catalog names (relative to the catalog's file), else the
    bundled default (:func:`~analysis.inputs.scenario.default_scenarios`); with
    ``every_default`` all of them. Every scenario is read and checked before
    any is assessed (:func:`read_files`, then :func:`assess_inputs`).

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first problem.
    """
    inputs, chosen = read_files(
        catalog,
        scenarios,
        rubric=rubric,
        rules=rules,
        gates=gates,
        effort_factor=effort_factor,
        every_default=every_default,
    )
    if progress is None or isinstance(progress, Progress):
        return assess_inputs(inputs, chosen, simulate=simulate, progress=progress)
    reporter = Progress(progress)
    try:
        return assess_inputs(inputs, chosen, simulate=simulate, progress=reporter)
    finally:
        reporter.close()


def read_files(
    catalog: str | os.PathLike | None = None,
    scenarios: Iterable[str | os.PathLike] = (),
    *,
    rubric: str | os.PathLike | None = None,
    rules: str | os.PathLike | None = None,
    gates: str | os.PathLike | None = None,
    effort_factor: float = 1.0,
    every_default: bool = False,
) -> tuple[Inputs, list[Scenario]]:
    """The inputs and the scenarios :func:`assess_files` assesses, each scenario checked
    against them (its tasks, rules and gate modes); nothing scored or solved (fast).

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first problem.
    """
    inputs = read_inputs(
        catalog, rubric=rubric, rules=rules, gates=gates, effort_factor=effort_factor
    )
    given = list(scenarios)
    defaults = [] if given else default_scenarios(inputs.catalog, inputs.catalog_path)
    chosen = []
    for path in given or (defaults if every_default else defaults[:1]):
        scenario = read_scenario(Path(path))
        check_scenario(scenario, inputs.catalog, inputs.rubric.vocabulary)
        try:
            with_modes(inputs.gates, scenario.gate_modes, scenario.source)
        except InputError as exc:
            raise ScenarioError(exc.problem, source=scenario.source, field=exc.field) from exc
        try:
            inputs.graph_rules.without(scenario.rules_off)
        except InputError as exc:
            raise ScenarioError(exc.problem, source=scenario.source, field="rules_off") from exc
        chosen.append(scenario)
    return inputs, chosen


def assess_inputs(
    inputs: Inputs,
    scenarios: Iterable[Scenario],
    *,
    simulate: bool = True,
    progress: Progress | None = None,
) -> list[Assessment]:
    """:func:`assess` of each scenario on the inputs read, the audit made once for all
    (it depends on the catalog and the rubric only).

    Raises
    ------
    InputError
        (a subclass) naming the file, the record and the field of the first problem.
    """
    results: list[Assessment] = []
    for scenario in scenarios:
        with inputs.naming_the_catalog():
            audit = results[0].audit if results else None
            if audit is None:
                audit = audit_catalog(inputs.catalog, inputs.rubric)
            results.append(
                assess(
                    inputs.catalog,
                    scenario,
                    inputs.rubric,
                    inputs.graph_rules,
                    gates=inputs.gates,
                    simulate=simulate,
                    progress=progress,
                    audit=audit,
                )
            )
    return results
