"""Hand-made plans: a scenario's ``plan`` items checked against its own limits.

Each item names the catalog tasks it covers, its activity and its phase. The
check reports every violation: over the budget or the cap, phases longer than
the budget or overfull, work above the appetite (an item doing riskier work
than its task, or in an unstated environment, is scored as it does it), a
prerequisite left out or planned in a later phase, an item naming no task, a
task covered twice, and a task within the appetite that no item covers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from analysis.assess.graph import GraphFacts
from analysis.assess.scoring import Score, score_task
from analysis.inputs.catalog_records import EFFORT_KEYS
from analysis.inputs.rubric import Rubric
from analysis.model import Catalog, Effort, Finding, PlanItem, Scenario, Task, hours_text
from analysis.plan.results import LeftOut, Selection, Totals, Unit, objective_of
from analysis.vocabulary import LEVELS, UNKNOWN, level_rank

if TYPE_CHECKING:  # the selection model imports the solver; the check needs only its fields
    from analysis.plan.selection_model import SelectionProblem

__all__ = [
    "item_estimate",
    "check_plan",
    "check_selection",
]


def item_estimate(catalog: Catalog, tasks: tuple[str, ...], activities: tuple[str, ...]) -> Effort:
    """Three-point effort of a plan item: its tasks' own estimates where the activity matches.

    Every other activity the item names takes the catalog's default for it.
    """
    defaults = catalog.defaults.effort_hours
    fallback = max(defaults.values(), default=0.0)
    parts = []
    for task_id in tasks or (None,):
        task = catalog.task_by_id[task_id] if task_id else None
        for activity in activities:
            if task is not None and activity == task.activity:
                parts.append(task.effort)
            else:
                parts.append(Effort.point(defaults.get(activity, fallback)))
    return Effort(*(sum(getattr(p, k) for p in parts) for k in EFFORT_KEYS))


def check_plan(
    catalog: Catalog,
    scores: Mapping[str, Score],
    facts: GraphFacts,
    scenario: Scenario,
    rubric: Rubric,
) -> Selection:
    """Check a hand-made plan (``scenario.plan``) against the scenario's limits.

    Reports every violation: over the budget or the cap, phases longer than
    the budget or overfull, work above the appetite (an item that does riskier
    work than the task it names, or states another environment, is scored as
    it does), a prerequisite left out or planned in a later phase, an item
    naming no task, a task covered twice, and a task within the appetite that
    no item covers. With ``merge_duplicates``, covering one copy of a
    mergeable duplicate closes the others.
    """
    if scenario.plan is None:
        raise ValueError(f"scenario '{scenario.name}' has no plan items")
    items = scenario.plan
    item_hours = [item_estimate(catalog, item.tasks, item.activities).hours for item in items]
    checker = _PlanChecker(catalog, scores, facts, scenario, rubric)
    for index, item in enumerate(items):
        checker.check_item(index, item, item_hours[index])
    checker.check_dependencies()
    checker.check_coverage()
    checker.check_limits(item_hours)
    covered = checker.covered
    selected = tuple(t.id for t in catalog.tasks if t.id in covered or t.id in checker.closed)
    units = tuple(
        Unit(
            id=f"item-{i + 1}",
            tasks=item.tasks,
            hours=item_hours[i],
            value=sum(catalog.task_by_id[t].value for t in item.tasks),
            level=max(
                (checker.item_levels.get((i, t), scores[t].level) for t in item.tasks),
                key=level_rank,
                default=LEVELS[0],
            ),
            position=i,
        )
        for i, item in enumerate(items)
    )
    left = [
        LeftOut(t.id, "not-in-plan", "no plan item covers it")
        for t in catalog.tasks
        if t.id not in selected
    ]
    totals = Totals(
        hours=sum(item_hours),
        tasks=len(selected),
        units=len(items),
        value=sum(catalog.task_by_id[t].value for t in selected),
        # Each task at the level of the riskiest work an item does on it (as the units are).
        risk={
            level: sum(checker.riskiest.get(t, (scores[t].level,))[0] == level for t in selected)
            for level in LEVELS
        },
    )
    return Selection(
        scenario=scenario.name,
        status="fixed",
        selected=selected,
        units=units,
        left_out=tuple(left),
        totals=totals,
        objective=objective_of(totals, scenario.objective),
        solver={"engine": "hand-made plan", "objective": scenario.objective},
        violations=tuple(checker.violations),
        as_done=checker.as_done,
        # In catalog order: the level of the work each item does, where it is not the catalog's.
        levels={
            t: checker.riskiest[t][0]
            for t in selected
            if t in checker.riskiest and checker.riskiest[t][0] != scores[t].level
        },
    )


def check_selection(
    problem: SelectionProblem,
    chosen: Collection[str],
    phase_of: Mapping[str, int] | None = None,
    start: Mapping[str, int] | None = None,
) -> list[str]:
    """What a selection of units breaks of ``problem``'s limits, in words; empty when it holds.

    Every plan that does not come straight from the exact model (the greedy
    baseline when it is returned, the decomposition's) is checked here before
    it is returned: prerequisites chosen, includes in, the cap, coverage
    minimums; on one lane the budget (a sum of hours) and, with phases, each
    unit's phase (``phase_of``: none before a prerequisite's, no box
    over-full); on several lanes the schedule (``start``, grid steps, and
    ``phase_of``): order, lanes, resources, phases one after another within
    their boxes, and the horizon.
    """
    by_id = {u.id: u for u in problem.units}
    chosen = set(chosen)
    out = [f"{u} is not a unit of work that may be chosen" for u in sorted(chosen - set(by_id))]
    chosen &= set(by_id)
    for unit in sorted(chosen):
        missing = [p for p in problem.needs.get(unit, ()) if p not in chosen]
        if missing:
            out.append(f"{unit} is chosen without its prerequisite(s) {', '.join(missing)}")
    out += [f"the included {u} is not chosen" for u in sorted(problem.include - chosen)]
    if problem.cap is not None and len(chosen) > problem.cap:
        out.append(f"{len(chosen)} units of work, over the cap of {problem.cap}")
    for area, minimum, members in problem.coverage:
        if len(chosen & members) < minimum:
            out.append(f"coverage of {area}: {len(chosen & members)} of at least {minimum}")
    durations = problem.durations
    if problem.lanes == 1:
        seconds = sum(round(by_id[u].hours * 3600) for u in chosen)
        if problem.budget is not None and seconds > problem.budget:
            out.append(f"{seconds} s of work, over the budget of {problem.budget} s")
        if problem.boxes:
            phase_of = phase_of or {}
            load = [0] * len(problem.boxes)
            for unit in sorted(chosen):
                phase = phase_of.get(unit)
                if phase is None or not 0 <= phase < len(load):
                    out.append(f"{unit} is in no phase")
                    continue
                load[phase] += durations[unit]
                for p in problem.needs.get(unit, ()):
                    if p in chosen and phase_of.get(p, 0) > phase:
                        out.append(f"{unit} is in a phase before its prerequisite {p}'s")
            for k, (work, box) in enumerate(zip(load, problem.boxes, strict=True)):
                if work > box:
                    out.append(f"phase {k + 1} holds {work} steps of work, its box {box}")
        return out
    start = start or {}
    unplaced = sorted(u for u in chosen if u not in start)
    out += [f"{u} has no start" for u in unplaced]
    placed = sorted((u for u in chosen if u in start), key=lambda u: (start[u], u))
    end = {u: start[u] + durations[u] for u in placed}
    for unit in placed:
        if start[unit] < 0:
            out.append(f"{unit} starts before 0")
        for p in problem.needs.get(unit, ()):
            if p in end and end[p] > start[unit]:
                out.append(f"{unit} starts before its prerequisite {p} ends")
        if problem.horizon is not None and end[unit] > problem.horizon:
            out.append(f"{unit} ends after the horizon {problem.horizon}")
    limits = {"\0lanes": problem.lanes, **problem.capacities}
    for moment in sorted({start[u] for u in placed}):
        running = [u for u in placed if start[u] <= moment < end[u]]
        use = {"\0lanes": len(running)}
        for u in running:
            for resource, amount in problem.demands.get(u, {}).items():
                use[resource] = use.get(resource, 0) + amount
        for resource, amount in use.items():
            if resource in limits and amount > limits[resource]:
                what = "lanes" if resource == "\0lanes" else resource
                out.append(f"at step {moment}, {amount} on {what} (at most {limits[resource]})")
    if problem.boxes:
        phase_of = phase_of or {}
        windows: dict[int, tuple[int, int]] = {}
        for unit in placed:
            found = phase_of.get(unit)
            if found is None or not 0 <= found < len(problem.boxes):
                out.append(f"{unit} is in no phase")
                continue
            k = found
            low, high = windows.get(k, (start[unit], end[unit]))
            windows[k] = (min(low, start[unit]), max(high, end[unit]))
        previous = 0
        for k in sorted(windows):
            low, high = windows[k]
            if low < previous:
                out.append(f"phase {k + 1} starts before the phase before it ends")
            if high - low > problem.boxes[k]:
                out.append(f"phase {k + 1} runs {high - low} steps, its box {problem.boxes[k]}")
            previous = max(previous, high)
    return out


class _PlanChecker:
    """Collects the violations of one hand-made plan."""

    def __init__(
        self,
        catalog: Catalog,
        scores: Mapping[str, Score],
        facts: GraphFacts,
        scenario: Scenario,
        rubric: Rubric,
    ) -> None:
        self.catalog, self.scores, self.facts = catalog, scores, facts
        self.scenario, self.rubric = scenario, rubric
        self.limit = level_rank(scenario.appetite)
        self.phase_index = {phase.name: i for i, phase in enumerate(scenario.phases)}
        self.covered: dict[str, int] = {}  # task -> the first item covering it
        self.items_of: dict[str, list[int]] = {}  # task -> every item covering it
        self.item_levels: dict[tuple[int, str], str] = {}
        self.riskiest: dict[str, tuple[str, Task | None]] = {}  # task -> (level, as done)
        self.violations: list[Finding] = []
        self.twins: dict[str, tuple[str, ...]] = {}
        if scenario.merge_duplicates:
            for cluster in facts.clusters:
                for dup in cluster.duplicates:
                    if dup.mergeable:
                        for task in dup.tasks:
                            self.twins[task] = dup.tasks

    @property
    def closed(self) -> set[str]:
        """Copies of a covered task's mergeable duplicates: done with it."""
        return {t for c in self.covered for t in self.twins.get(c, ()) if t not in self.covered}

    @property
    def as_done(self) -> dict[str, Task]:
        """Tasks some item does otherwise than the catalog says, in the riskiest item's way."""
        return {t: done for t, (_, done) in self.riskiest.items() if done is not None}

    def add(self, kind: str, message: str, tasks: tuple[str, ...] = (), **details: Any) -> None:
        self.violations.append(Finding(kind, message, tasks, details))

    def label(self, index: int) -> str:
        items = self.scenario.plan or ()
        return f"item {index + 1} '{items[index].name}'"

    def check_item(self, index: int, item: PlanItem, hours: float) -> None:
        """The item's own claims, whatever other items cover the same tasks."""
        label = self.label(index)
        if not item.tasks:
            self.add(
                "item-without-task", f"{label} names no catalog task", item=index + 1, hours=hours
            )
        points = self.rubric.points["activity"]
        for task_id in item.tasks:
            if task_id in self.covered:
                first = self.covered[task_id]
                self.add(
                    "covered-twice",
                    f"{task_id} is covered by {self.label(first)} and {label}",
                    (task_id,),
                    items=[first + 1, index + 1],
                )
            self.covered.setdefault(task_id, index)
            self.items_of.setdefault(task_id, []).append(index)
            task = self.catalog.task_by_id[task_id]
            riskier = [a for a in item.activities if _riskier(a, task.activity, points)]
            if riskier:
                self.add(
                    "riskier-activity",
                    f"{label} does {', '.join(riskier)} on {task_id}, a {task.activity} task "
                    f"({task.title})",
                    (task_id,),
                    item=index + 1,
                    item_activities=list(item.activities),
                    task_activity=task.activity,
                )
            level = self._item_level(task, item, riskier)
            self.item_levels[(index, task_id)] = level
            done = (
                self._as_done(task, item, riskier)
                if riskier or item.environment is not None
                else None
            )
            before = self.riskiest.get(task_id)
            if before is None or level_rank(level) > level_rank(before[0]):
                self.riskiest[task_id] = (level, done)
            if level_rank(level) > self.limit:
                self.add(
                    "above-appetite",
                    f"{label} puts {task_id} at {level}, above the appetite "
                    f"{self.scenario.appetite}: {self._why(task, item, riskier, level)}",
                    (task_id,),
                    item=index + 1,
                    level=level,
                    appetite=self.scenario.appetite,
                )

    def _item_environment(self, task: Task, item: PlanItem, riskier: list[str]) -> str:
        if item.environment is not None:
            return item.environment
        if riskier and task.activity in self.rubric.vocabulary.paper:
            return UNKNOWN  # paper work turned into a change: where is not said
        return task.environment

    def _item_level(self, task: Task, item: PlanItem, riskier: list[str]) -> str:
        """The level of the work the item does to ``task``, as the item states it."""
        if not riskier and item.environment is None:
            return self.scores[task.id].level
        environment = self._item_environment(task, item, riskier)
        return max(
            (
                score_task(replace(task, activity=a, environment=environment), self.rubric).level
                for a in riskier or [task.activity]
            ),
            key=level_rank,
        )

    def _as_done(self, task: Task, item: PlanItem, riskier: list[str]) -> Task:
        """The task as the item does it: its riskiest activity, in the item's environment."""
        points = self.rubric.points["activity"]
        activity = max(riskier, key=lambda a: points[a]) if riskier else task.activity
        return replace(
            task, activity=activity, environment=self._item_environment(task, item, riskier)
        )

    def _why(self, task: Task, item: PlanItem, riskier: list[str], level: str) -> str:
        if riskier or item.environment is not None:
            where = item.environment or "an environment the plan does not state"
            return f"{', '.join(riskier or [task.activity])} in {where}"
        return self.scores[task.id].main_reason

    def check_dependencies(self) -> None:
        graph, items = self.facts.graph, self.scenario.plan or ()
        done = self.covered.keys() | self.closed
        reported: set[tuple[str, str, str, str]] = set()
        for task_id, indexes in self.items_of.items():
            for prerequisite in graph.predecessors(task_id):
                if self.catalog.task_by_id[prerequisite].status == "done":
                    continue
                edge = graph.edges[prerequisite, task_id]
                how = (
                    "declared"
                    if edge["provenance"] == "declared"
                    else f"inferred by {', '.join(edge['rules'])}"
                )
                if prerequisite not in done:
                    self.add(
                        "missing-dependency",
                        f"{task_id} needs {prerequisite} first ({how}), which the plan leaves out",
                        (task_id, prerequisite),
                        rule=how,
                    )
                    continue
                # The prerequisite is done the first time an item in a phase does it.
                planned = [items[i].phase for i in self.items_of.get(prerequisite, ())]
                phases = [phase for phase in planned if phase]
                if not phases:
                    continue
                theirs = min(phases, key=self.phase_index.__getitem__)
                for index in indexes:
                    mine = items[index].phase
                    if not mine or self.phase_index[theirs] <= self.phase_index[mine]:
                        continue
                    if (task_id, prerequisite, mine, theirs) in reported:
                        continue
                    reported.add((task_id, prerequisite, mine, theirs))
                    self.add(
                        "dependency-order",
                        f"{task_id} (phase {mine}) needs {prerequisite} first ({how}), "
                        f"planned later in phase {theirs}",
                        (task_id, prerequisite),
                        rule=how,
                    )

    def check_coverage(self) -> None:
        closed = self.closed
        for task in self.catalog.tasks:
            if task.id in self.covered or task.id in closed:
                continue
            level = self.scores[task.id].level
            if (
                task.status in ("done", "cancelled")
                or task.id in self.scenario.exclude
                or level_rank(level) > self.limit
            ):
                continue
            self.add(
                "uncovered-task",
                f"{task.id} ({task.title}, {level}) is within the appetite but no plan "
                "item covers it",
                (task.id,),
                level=level,
            )

    def check_limits(self, item_hours: list[float]) -> None:
        scenario, items = self.scenario, self.scenario.plan or ()
        hours = sum(item_hours)
        budget = scenario.budget_hours
        if budget is not None and hours > budget + 1e-9:
            self.add(
                "over-budget",
                f"the plan needs {hours_text(hours)}, over the budget of "
                f"{hours_text(budget)} by {hours_text(hours - budget)}",
                hours=hours,
                budget=budget,
            )
        if scenario.task_cap is not None and len(items) > scenario.task_cap:
            self.add(
                "over-cap",
                f"the plan has {len(items)} items, over the cap of {scenario.task_cap}",
                items=len(items),
                cap=scenario.task_cap,
            )
        boxes = sum(phase.hours for phase in scenario.phases)
        if scenario.phases and budget is not None and boxes > budget + 1e-9:
            self.add(
                "phases-over-budget",
                f"the phases' time boxes add up to {hours_text(boxes)}, over the budget "
                f"of {hours_text(budget)}",
                phases_hours=boxes,
                budget=budget,
            )
        for phase in scenario.phases:
            load = sum(
                h for item, h in zip(items, item_hours, strict=True) if item.phase == phase.name
            )
            if load > phase.hours + 1e-9:
                self.add(
                    "phase-overflow",
                    f"phase {phase.name} holds {hours_text(load)} of work in a "
                    f"{hours_text(phase.hours)} box (over by "
                    f"{hours_text(load - phase.hours)})",
                    phase=phase.name,
                    hours=load,
                    box=phase.hours,
                )


def _riskier(activity: str, than: str, points: Mapping[str, int]) -> bool:
    """Whether ``activity`` scores more than ``than`` (unknown on either side: no)."""
    if activity not in points or than not in points:
        return False
    return points[activity] > points[than]
