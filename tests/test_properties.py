"""Property-based tests (hypothesis) of catalogs and scoring.

Properties:

1. YAML round trip: ``parse_catalog_text(format_catalog(c, "yaml"), "yaml") == c``
   for any valid catalog ``c``.
2. CSV round trip: the same through the CSV form, and file round trips through
   ``write_catalog`` / ``read_catalog`` for ``.yaml``, ``.yml`` and ``.csv``.
3. Scoring is monotone on the default rubric: replacing one fact of a task by a
   riskier one (a later value of the fact's list, ``unknown``, or for ``touches``
   a superset of areas) never lowers the level, the score or the points.
4. Scoring is monotone for any rubric ``parse_rubric`` accepts (random points,
   thresholds, fact orders and prefix/suffix rules); a rule naming values that
   are not the safest (prefix) or riskiest (suffix) of a fact is refused.
5. Score and level agree: ``rubric.level_of(score.score) == score.level``, and
   every score has a reason per fact whose points add up to ``score.points``.
6. An ``unknown`` fact scores exactly as its riskiest value (every area for
   ``touches``), on the default rubric and on any accepted rubric.

Texts include the characters that once broke a round trip (U+0085 in YAML, a
bare carriage return in CSV); two regression tests at the end pin them down.

Valid catalogs are generated as YAML-shaped data and built with the public
``parse_catalog``, so the generator follows the documented input rules.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analysis.assess.scoring import Score, score_task
from analysis.errors import RubricError
from analysis.inputs.catalog import format_catalog, parse_catalog_text, read_catalog, write_catalog
from analysis.inputs.catalog_records import EVIDENCE_FIELDS, parse_catalog
from analysis.inputs.records import NUMBER_MAX
from analysis.inputs.rubric import Rubric, parse_rubric, read_rubric
from analysis.model import Catalog, Task
from analysis.vocabulary import (
    DEFAULT_VOCABULARY,
    FACTS,
    LEVELS,
    OUTCOME_AREAS,
    SAFEGUARDS,
    STATUSES,
    UNKNOWN,
    level_rank,
)

# Never any wall-clock limit; moderate example counts keep the file fast.
SETTINGS = settings(
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)
FAST_SETTINGS = settings(SETTINGS, max_examples=100)


@cache
def default_rubric() -> Rubric:
    """data/rubrics/default.yaml, read once (and only when a test needs it)."""
    return read_rubric()


ACTIVITIES = DEFAULT_VOCABULARY.activity
ENVIRONMENTS = DEFAULT_VOCABULARY.environment
AREAS = DEFAULT_VOCABULARY.touches
REVERSIBILITIES = DEFAULT_VOCABULARY.reversibility
PRIORITIES = tuple(f"P{i}" for i in range(10))
ORDERED_FACTS = ("activity", "environment", "reversibility")

# --------------------------------------------------------------------------- text and ids

JAPANESE = "設計実装開発環境本番ネットワーク"
# Characters that stress CSV quoting and YAML scalar styles, including the line
# breaks YAML sees even inside quotes (a bare carriage return, U+0085, U+2028).
PUNCTUATION = " ,;\"|'\n\r\t:#-!&*?{}[]%@`\\>=~\x85\u2028"
TEXT_CHARS = string.ascii_letters + string.digits + JAPANESE + PUNCTUATION
# Whole values that YAML would read as something other than text when unquoted.
TRICKY_TEXTS = (
    "null",
    "~",
    "true",
    "no",
    "Yes",
    "1",
    "-1",
    "1.5",
    "1e3",
    "0o17",
    "0x1F",
    "1_000",
    "1:30",
    "2024-01-01",
    ".inf",
    ".nan",
    "=",
    "<<",
    "- item",
    "? key",
    "key: value",
    "#comment",
    "'quoted'",
    '"double"',
    "| block",
    "> folded",
    "&anchor",
    "*alias",
    "!tag",
    "%directive",
    " leading space",
    "trailing space ",
    "line\nbreak",
    "\nleading newline",
    "trailing newline\n",
    "two\n\nlines\n\n",
    "windows\r\nline",
    "\u3000全角スペース",
    '設計, 実装 | "本番"\nネットワーク',
)
texts = st.one_of(
    st.text(alphabet=TEXT_CHARS, min_size=1, max_size=24).filter(lambda s: s.strip() != ""),
    st.sampled_from(TRICKY_TEXTS),
)

ID_CHARS = string.ascii_letters + string.digits + "-_.:/#+()[]{}'\"|!?*&%@~=^`" + "設計実装本番"
TRICKY_IDS = ("1", "007", "08", "1.5", "1e3", "true", "null", "~", "-", "1:30", "0x1F", "T-01")
idents = st.one_of(
    st.text(alphabet=ID_CHARS, min_size=1, max_size=10),
    st.sampled_from(TRICKY_IDS),
)
#: Ids that can also name a folder (catalog names): one path component.
names = idents.filter(lambda s: not s.startswith(".") and "/" not in s and "\\" not in s)
_WHOLE_ID = re.compile(r"[1-9][0-9]*")


def id_value(draw, ident: str) -> str | int:
    """An id as data: a digit-only id may be written as a YAML integer."""
    if _WHOLE_ID.fullmatch(ident) and draw(st.booleans()):
        return int(ident)
    return ident


# --------------------------------------------------------------------------- numbers

# Positive and non-negative finite floats over the whole allowed range (subnormals
# and the documented maximum included), plus plain integers as a YAML file gives them.
positive_numbers = st.one_of(
    st.floats(min_value=0.0, max_value=NUMBER_MAX, exclude_min=True, allow_nan=False),
    st.floats(min_value=0.01, max_value=1000, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=10**6),
)
non_negative_numbers = st.one_of(
    st.floats(min_value=0.0, max_value=NUMBER_MAX, allow_nan=False),
    st.floats(min_value=0.0, max_value=1000, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=10**6),
    st.just(-0.0),
)


@st.composite
def three_point_efforts(draw) -> dict[str, Any]:
    points = sorted(draw(st.lists(positive_numbers, min_size=3, max_size=3)))
    if draw(st.booleans()):
        points = [points[1]] * 3  # three equal points: a point estimate in disguise
    return dict(zip(("optimistic", "likely", "pessimistic"), points, strict=True))


@st.composite
def declared_counts(draw) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in ("total", *LEVELS):
        if draw(st.booleans()):
            out[key] = draw(st.integers(min_value=0, max_value=10**4))
    return out


# --------------------------------------------------------------------------- catalogs


@st.composite
def catalog_data(draw) -> dict[str, Any]:
    """YAML-shaped data of a valid catalog (see ``parse_catalog``)."""
    data: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    if draw(st.booleans()):
        meta["name"] = id_value(draw, draw(names))
    for key in ("title", "source"):
        if draw(st.booleans()):
            meta[key] = draw(texts)
    if draw(st.booleans()):
        meta["declared"] = draw(declared_counts())
    if meta or draw(st.booleans()):
        data["catalog"] = meta

    effort_hours = draw(st.dictionaries(st.sampled_from(ACTIVITIES), positive_numbers, max_size=4))
    by_priority = draw(
        st.dictionaries(st.sampled_from(PRIORITIES), non_negative_numbers, max_size=3)
    )
    defaults: dict[str, Any] = {}
    if effort_hours or draw(st.booleans()):
        defaults["effort_hours"] = effort_hours
    if by_priority or draw(st.booleans()):
        defaults["value_by_priority"] = by_priority
    if draw(st.booleans()):
        defaults["value"] = draw(non_negative_numbers)
    if defaults or draw(st.booleans()):
        data["defaults"] = defaults

    numbers = draw(st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=3))
    if numbers or draw(st.booleans()):
        issues = []
        for number in numbers:
            issue: dict[str, Any] = {"number": number}
            for key in ("title", "note"):
                if draw(st.booleans()):
                    issue[key] = draw(texts)
            if draw(st.booleans()):
                issue["declared"] = draw(declared_counts())
            issues.append(issue)
        data["issues"] = issues

    if draw(st.booleans()):
        targets = []
        for _ in range(draw(st.integers(0, 3))):
            target = {
                "area": draw(st.sampled_from((*OUTCOME_AREAS, "overall"))),
                "target": draw(texts),
            }
            for key in ("from", "to"):
                if draw(st.booleans()):
                    target[key] = draw(texts)
            targets.append(target)
        data["targets"] = targets

    ids = draw(st.lists(idents, min_size=1, max_size=6, unique=True))
    tasks = []
    for index, task_id in enumerate(ids):
        activity = draw(st.sampled_from((*ACTIVITIES, UNKNOWN)))
        task: dict[str, Any] = {
            "id": id_value(draw, task_id),
            "issue": draw(
                st.sampled_from(numbers) if numbers else st.integers(min_value=1, max_value=10**6)
            ),
            "title": draw(texts),
            "activity": activity,
            "environment": draw(st.sampled_from((*ENVIRONMENTS, UNKNOWN))),
        }
        touches = draw(
            st.one_of(
                st.none(),
                st.just(UNKNOWN),
                st.lists(st.sampled_from((*AREAS, UNKNOWN)), min_size=1, max_size=4),
            )
        )
        if touches is not None:
            task["touches"] = touches
        if draw(st.booleans()):
            task["reversibility"] = draw(st.sampled_from((*REVERSIBILITIES, UNKNOWN)))
        has_default = activity in effort_hours or (activity == UNKNOWN and bool(effort_hours))
        if not has_default or draw(st.booleans()):
            task["effort"] = draw(st.one_of(positive_numbers, three_point_efforts()))
        if draw(st.booleans()):
            task["value"] = draw(non_negative_numbers)
            if draw(st.booleans()):
                task["priority"] = draw(st.sampled_from(PRIORITIES))
        elif by_priority and draw(st.booleans()):
            # No value of its own: the priority must have a catalog default.
            task["priority"] = draw(st.sampled_from(sorted(by_priority)))
        if index and draw(st.booleans()):
            deps = draw(st.lists(st.sampled_from(ids[:index]), min_size=1, max_size=3))
            deps = [id_value(draw, dep) for dep in deps]  # duplicates are allowed
            task["depends_on"] = deps[0] if len(deps) == 1 and draw(st.booleans()) else deps
        for key in ("topic", "declared_note", *SAFEGUARDS):
            if draw(st.booleans()):
                task[key] = draw(texts)
        if draw(st.booleans()):
            task["outcomes"] = draw(st.lists(st.sampled_from(OUTCOME_AREAS), max_size=3))
        if draw(st.booleans()):
            task["status"] = draw(st.sampled_from(STATUSES))
        if draw(st.booleans()):
            task["declared_risk"] = draw(st.sampled_from(LEVELS))
        if draw(st.booleans()):
            task["evidence"] = draw(
                st.dictionaries(st.sampled_from(EVIDENCE_FIELDS), texts, max_size=3)
            )
        tasks.append(task)
    data["tasks"] = tasks
    return data


catalogs = catalog_data().map(parse_catalog)


def assert_same_catalog(back: Catalog, catalog: Catalog) -> None:
    # Task by task first, so that a failure points at the field that changed.
    assert len(back.tasks) == len(catalog.tasks)
    for got, want in zip(back.tasks, catalog.tasks, strict=True):
        assert got == want
    assert back.issues == catalog.issues
    assert back.defaults == catalog.defaults
    assert back.targets == catalog.targets
    assert back == catalog


# --------------------------------------------------------------------------- 1, 2: round trips


@SETTINGS
@given(catalogs)
def test_yaml_round_trip(catalog: Catalog) -> None:
    text = format_catalog(catalog, "yaml")
    assert_same_catalog(parse_catalog_text(text, "yaml"), catalog)


@SETTINGS
@given(catalogs)
def test_csv_round_trip(catalog: Catalog) -> None:
    text = format_catalog(catalog, "csv")
    assert_same_catalog(parse_catalog_text(text, "csv"), catalog)


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".csv"])
@FAST_SETTINGS
@given(catalog=catalogs)
def test_file_round_trip(
    suffix: str, tmp_path_factory: pytest.TempPathFactory, catalog: Catalog
) -> None:
    # A session-scoped folder: hypothesis does not mix with function-scoped fixtures.
    path = tmp_path_factory.getbasetemp() / f"round-trip{suffix}"
    assert write_catalog(catalog, path) == path
    assert_same_catalog(read_catalog(path), catalog)


# --------------------------------------------------------------------------- rubrics


@st.composite
def rubric_data(draw) -> dict[str, Any]:
    """YAML-shaped data of a monotone rubric: shuffled lists, non-decreasing points."""
    facts: dict[str, dict[str, int]] = {}
    for fact in FACTS:
        values = list(DEFAULT_VOCABULARY.values(fact))
        if fact in ("activity", "touches"):  # a rubric may add activities and areas
            extra = draw(st.integers(min_value=0, max_value=2))
            values += [f"extra-{fact}-{i}" for i in range(extra)]
        order = draw(st.permutations(values))
        if fact == "touches":
            pts = draw(st.lists(st.integers(0, 6), min_size=len(order), max_size=len(order)))
        else:
            steps = draw(st.lists(st.integers(0, 3), min_size=len(order), max_size=len(order)))
            pts = [sum(steps[: i + 1]) for i in range(len(steps))]
        facts[fact] = dict(zip(order, pts, strict=True))
    medium = draw(st.integers(min_value=1, max_value=15))
    high = draw(st.integers(min_value=medium + 1, max_value=medium + 15))
    rules = []
    for index in range(draw(st.integers(min_value=0, max_value=4))):
        raising = draw(st.booleans())
        when: dict[str, Any] = {}
        for fact in draw(st.lists(st.sampled_from(ORDERED_FACTS), unique=True, max_size=2)):
            order = list(facts[fact])
            size = draw(st.integers(min_value=1, max_value=len(order)))
            chosen = order[-size:] if raising else order[:size]
            chosen = draw(st.permutations(chosen))  # order within the list is free
            when[fact] = chosen[0] if size == 1 and draw(st.booleans()) else list(chosen)
        if draw(st.booleans()):
            areas = draw(st.lists(st.sampled_from(list(facts["touches"])), min_size=1, unique=True))
            when["touches_any" if raising else "touches_none"] = areas
        rule: dict[str, Any] = {
            "id": f"rule-{index}",
            "level_at_least" if raising else "level_at_most": draw(st.sampled_from(LEVELS)),
            "reason": draw(texts),
        }
        if when or draw(st.booleans()):
            rule["when"] = when
        rules.append(rule)
    return {
        "name": "random",
        "levels": {"MEDIUM": medium, "HIGH": high},
        "facts": facts,
        "rules": rules,
    }


rubrics = rubric_data().map(parse_rubric)


def make_task(rubric: Rubric, facts: dict[str, Any]) -> Task:
    """A task with the given facts, built through ``parse_catalog``."""
    raw = {"id": "T1", "issue": 1, "title": "タスク", "effort": 1, **facts}
    catalog = parse_catalog({"tasks": [raw]}, vocabulary=rubric.vocabulary)
    return catalog.tasks[0]


@st.composite
def fact_values(draw, rubric: Rubric) -> dict[str, Any]:
    """Facts of a task, each a value of the rubric's lists or ``unknown``."""
    facts: dict[str, Any] = {}
    for fact in ORDERED_FACTS:
        facts[fact] = draw(st.sampled_from([*rubric.points[fact], UNKNOWN]))
    facts["touches"] = draw(
        st.lists(st.sampled_from([*rubric.points["touches"], UNKNOWN]), min_size=1, unique=True)
    )
    return facts


@st.composite
def riskier_pairs(draw, rubric_strategy) -> tuple[Rubric, Task, Task, str]:
    """A rubric, a task, the task with one fact made riskier, and that fact's name."""
    rubric = draw(rubric_strategy)
    facts = draw(fact_values(rubric))
    fact = draw(st.sampled_from(FACTS))
    riskier = dict(facts)
    if fact == "touches":
        more = draw(
            st.lists(st.sampled_from([*rubric.points["touches"], UNKNOWN]), min_size=1, unique=True)
        )
        riskier["touches"] = sorted(set(facts["touches"]) | set(more))
    else:
        scale = [*rubric.points[fact], UNKNOWN]  # safest first; unknown counts as riskiest
        low = draw(st.integers(min_value=0, max_value=len(scale) - 2))
        high = draw(st.integers(min_value=low + 1, max_value=len(scale) - 1))
        facts[fact], riskier[fact] = scale[low], scale[high]
    return rubric, make_task(rubric, facts), make_task(rubric, riskier), fact


def assert_not_lower(rubric: Rubric, safer: Task, riskier: Task, fact: str) -> None:
    before, after = score_task(safer, rubric), score_task(riskier, rubric)
    note = f"{fact}: {safer.fact(fact)!r} -> {riskier.fact(fact)!r}"
    assert level_rank(after.level) >= level_rank(before.level), note
    assert after.score >= before.score, note
    assert after.points >= before.points, note


def assert_consistent(rubric: Rubric, task: Task, score: Score) -> None:
    assert score.task == task.id
    assert score.level in LEVELS
    assert rubric.level_of(score.score) == score.level
    low, high = rubric.band(score.level)
    assert low <= score.score and (high is None or score.score <= high)
    by_fact = {fact: [r for r in score.reasons if r.factor == fact] for fact in FACTS}
    assert all(len(reasons) >= 1 for reasons in by_fact.values()), by_fact
    assert sum(r.points for reasons in by_fact.values() for r in reasons) == score.points
    # An unknown fact can only raise the level: knowing the safest values gives no more.
    assert score.lowest_level is not None
    assert level_rank(score.lowest_level) <= level_rank(score.level)
    assert set(score.rests_on_unknown) <= set(task.unknown_facts())


# --------------------------------------------------------------------------- 3: default rubric


@SETTINGS
@given(riskier_pairs(st.builds(default_rubric)))
def test_default_rubric_is_monotone(pair: tuple[Rubric, Task, Task, str]) -> None:
    rubric, safer, riskier, fact = pair
    assert_not_lower(rubric, safer, riskier, fact)


# --------------------------------------------------------------------------- 4: any rubric


@SETTINGS
@given(riskier_pairs(rubrics))
def test_any_accepted_rubric_is_monotone(pair: tuple[Rubric, Task, Task, str]) -> None:
    rubric, safer, riskier, fact = pair
    assert_not_lower(rubric, safer, riskier, fact)
    for task in (safer, riskier):
        assert_consistent(rubric, task, score_task(task, rubric))


@st.composite
def rubrics_with_a_bad_rule(draw) -> tuple[dict[str, Any], str]:
    """Valid rubric data plus a rule naming values that are not a prefix/suffix."""
    data = draw(rubric_data())
    fact = draw(st.sampled_from(ORDERED_FACTS))
    order = list(data["facts"][fact])
    raising = draw(st.booleans())
    indices = draw(st.sets(st.integers(0, len(order) - 1), min_size=1))
    size = len(indices)
    closed = set(range(len(order) - size, len(order))) if raising else set(range(size))
    assume(indices != closed)
    values = draw(st.permutations([order[i] for i in sorted(indices)]))
    rule = {
        "id": "bad",
        "level_at_least" if raising else "level_at_most": draw(st.sampled_from(LEVELS)),
        "reason": "not a prefix or suffix",
        "when": {fact: values},
    }
    rules = data["rules"]
    rules.insert(draw(st.integers(0, len(rules))), rule)
    return data, fact


@SETTINGS
@given(rubrics_with_a_bad_rule())
def test_rule_that_is_not_a_prefix_or_suffix_is_refused(case: tuple[dict[str, Any], str]) -> None:
    data, fact = case
    with pytest.raises(RubricError) as info:
        parse_rubric(data)
    assert info.value.record == "rule bad"
    assert info.value.field == f"when.{fact}"


@FAST_SETTINGS
@given(rubric_data(), st.booleans())
def test_touches_condition_must_match_the_bound(data: dict[str, Any], raising: bool) -> None:
    # touches_any only raises a level and touches_none only caps it.
    wrong = "touches_none" if raising else "touches_any"
    data["rules"].append(
        {
            "id": "bad",
            "level_at_least" if raising else "level_at_most": "MEDIUM",
            "reason": "wrong touches condition",
            "when": {wrong: [next(iter(data["facts"]["touches"]))]},
        }
    )
    with pytest.raises(RubricError) as info:
        parse_rubric(data)
    assert info.value.field == f"when.{wrong}"


# --------------------------------------------------------------------------- 5: score and level


@SETTINGS
@given(st.data())
def test_score_and_level_agree_on_the_default_rubric(data: st.DataObject) -> None:
    rubric = default_rubric()
    task = make_task(rubric, data.draw(fact_values(rubric)))
    assert_consistent(rubric, task, score_task(task, rubric))


@FAST_SETTINGS
@given(catalogs)
def test_score_and_level_agree_for_generated_catalogs(catalog: Catalog) -> None:
    rubric = default_rubric()
    for task in catalog.tasks:
        assert_consistent(rubric, task, score_task(task, rubric))


# --------------------------------------------------------------------------- 6: unknown facts


@st.composite
def unknown_pairs(draw) -> tuple[Rubric, Task, Task, str]:
    """A rubric, a task with one fact unknown, and the task with that fact at its riskiest."""
    rubric = draw(st.one_of(st.builds(default_rubric), rubrics))
    facts = draw(fact_values(rubric))
    fact = draw(st.sampled_from(FACTS))
    unknown, riskiest = dict(facts), dict(facts)
    if fact == "touches":
        unknown["touches"] = sorted({*facts["touches"], UNKNOWN})
        riskiest["touches"] = list(rubric.points["touches"])  # every area
    else:
        unknown[fact] = UNKNOWN
        riskiest[fact] = list(rubric.points[fact])[-1]
    return rubric, make_task(rubric, unknown), make_task(rubric, riskiest), fact


@SETTINGS
@given(unknown_pairs())
def test_unknown_scores_as_the_riskiest_value(pair: tuple[Rubric, Task, Task, str]) -> None:
    rubric, unknown, riskiest, fact = pair
    assert fact in unknown.unknown_facts()
    got, want = score_task(unknown, rubric), score_task(riskiest, rubric)
    assert (got.level, got.score, got.points) == (want.level, want.score, want.points), fact


# --------------------------------------------------------------------------- known bugs


def one_task_catalog(title: str) -> Catalog:
    return parse_catalog(
        {
            "tasks": [
                {
                    "id": "T1",
                    "issue": 1,
                    "title": title,
                    "activity": "design",
                    "environment": "none",
                    "effort": 1,
                }
            ]
        }
    )


def test_yaml_round_trip_keeps_next_line_character() -> None:
    """Regression: U+0085 written raw in a quoted scalar came back as a space."""
    catalog = one_task_catalog("x\x85y")
    back = parse_catalog_text(format_catalog(catalog, "yaml"), "yaml")
    assert back.tasks[0].title == "x\x85y"


def test_csv_round_trip_keeps_a_bare_carriage_return() -> None:
    """Regression: with LF row endings, Python 3.11.7's csv left a lone CR unquoted."""
    catalog = one_task_catalog("a\rb")
    back = parse_catalog_text(format_catalog(catalog, "csv"), "csv")
    assert back.tasks[0].title == "a\rb"


@settings(max_examples=60, deadline=None)
@given(
    number=st.one_of(
        st.floats(min_value=NUMBER_MAX, exclude_min=True, allow_nan=False, allow_infinity=False),
        st.integers(min_value=NUMBER_MAX + 1, max_value=10**400),
    ),
    field=st.sampled_from(["effort", "value"]),
)
def test_numbers_above_the_maximum_are_one_line_of_bad_input(number, field):
    from analysis.errors import CatalogError

    task = {
        "id": "T1",
        "issue": 1,
        "title": "x",
        "activity": "design",
        "environment": "none",
        "effort": 1,
        field: number,
    }
    with pytest.raises(CatalogError, match=f"field '{field}': must be at most 1,000,000"):
        parse_catalog({"tasks": [task]})
