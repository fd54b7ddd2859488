"""The markdown assessment corpus: every document imports to the truth written beside it.

``tests/data/assessments/`` holds assessments written in the shapes teams use (level
fields, level headings, emoji, tables, Japanese scales, checklists, traps), each with an
``NN-name.expect.yaml`` (the format is in that folder's README). Tests here are
parametrised over the expectation files.

Two kinds of test:

* :class:`TestCorpusData` checks the corpus itself (every expected title stands in its
  document, in order; the counts the README promises).
* The other classes import each document with :func:`read_markdown` and compare.

Every test is marked ``corpus``, so ``-m corpus`` runs the corpus alone.

What the importer exposes beyond the catalog (claims, stated effort, the document's own
plan) is read in one place each (:func:`_declared_of`, :func:`_plan_of`), to adapt there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from analysis.assess.audit import audit_catalog
from analysis.assess.graph import analyse_graph
from analysis.assess.scoring import score_catalog
from analysis.errors import MarkdownError
from analysis.inputs.graph_rules import read_graph_rules
from analysis.inputs.markdown import read_markdown
from analysis.inputs.rubric import read_rubric
from tests.conftest import DATA

pytestmark = pytest.mark.corpus

CORPUS = DATA / "assessments"
EXPECTATIONS = sorted(CORPUS.glob("*.expect.yaml"))
LEVELS = ("LOW", "MEDIUM", "HIGH")


@cache
def _expect(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _document(expect: Mapping[str, Any]) -> Path:
    return CORPUS / expect["document"]


@cache
def _imported(document: Path) -> Any:
    """The import of a document, or the MarkdownError it raised (once per run)."""
    try:
        return read_markdown(document)
    except MarkdownError as exc:
        return exc


@pytest.fixture(
    params=EXPECTATIONS, ids=[p.name.removesuffix(".expect.yaml") for p in EXPECTATIONS]
)
def expect(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _expect(request.param)


@pytest.fixture
def imported(expect: dict[str, Any]) -> Any:
    """The document imported (or the error that refused it)."""
    result = _imported(_document(expect))
    if expect["refused"] is None and isinstance(result, MarkdownError):
        pytest.fail(f"refused: {result}")
    return result


@pytest.fixture
def accepted(imported: Any, expect: dict[str, Any]) -> Any:
    if expect["refused"] is not None:
        pytest.skip("a refused document")
    return imported


# -- what the importer gives beyond the catalog: adapt here ------------------------------


def _declared_of(imported: Any) -> dict[str, Any]:
    """Counts, claims and stated effort the document declares, in the expectation's keys.

    Claims are the sentences behind a "safe" count (``declared.as_stated["safe"]``), or
    ``imported.claims`` when the importer lists them.
    """
    declared = imported.catalog.declared
    out: dict[str, Any] = {}
    if declared.total is not None:
        out["total"] = declared.total
    if declared.by_level:
        out["by_level"] = dict(declared.by_level)
    claims = list(getattr(imported, "claims", None) or ())
    as_stated = getattr(declared, "as_stated", None) or {}
    if not claims and getattr(declared, "safe", None) is not None:
        claims = [as_stated.get("safe", f"{declared.safe}/{declared.safe_of}")]
    if claims:
        out["claims"] = [getattr(c, "text", c) for c in claims]
    effort = getattr(declared, "effort_hours", None)
    if effort is None:
        effort = getattr(imported, "effort_hours", None)
    if effort is not None:
        out["effort_hours"] = effort
    return out


def _plan_of(imported: Any) -> dict[str, Any] | None:
    """The document's own plan: budget_hours, task_cap, phases [(name, hours)], items.

    Reads ``imported.plan`` and ``imported.scenarios`` (``limits`` and ``plan`` as
    scenario data); a phase is named by its heading without the time box in parentheses
    (``imported.phases``), else by the scenario phase's title.
    """
    plan = getattr(imported, "plan", None)
    scenarios = getattr(imported, "scenarios", None) or {}
    if plan is None and not scenarios:
        return None
    sources = [s for s in (plan, scenarios.get("limits"), scenarios.get("plan")) if s]

    def get(key: str) -> Any:
        for source in sources:
            value = source.get(key) if isinstance(source, Mapping) else getattr(source, key, None)
            if value is not None:
                return value
        return None

    headings = getattr(imported, "phases", None) or ()
    if headings:
        phases = [(_without_time_box(h[0]), h[1]) for h in headings]
    else:
        phases = []
        for phase in get("phases") or ():
            if isinstance(phase, Mapping):
                phases.append((phase.get("title") or phase["name"], phase["hours"]))
            else:
                phases.append((getattr(phase, "title", None) or phase.name, phase.hours))
    items = get("items")
    if items is None:
        items = get("plan")
    return {
        "budget_hours": get("budget_hours"),
        "task_cap": get("task_cap"),
        "phases": phases,
        "items": items if isinstance(items, int) or items is None else len(items),
    }


def _without_time_box(heading: str) -> str:
    """``Phase 1: Design (1時間 - 8タスク)`` -> ``Phase 1: Design``."""
    return re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", heading).strip()


# -- helpers -----------------------------------------------------------------------------


def _group_of(task: Any, catalog: Any, wanted: int | str) -> int | str | None:
    """The task's group in the form the expectation uses (issue number, or issue title)."""
    if isinstance(wanted, int):
        return task.issue
    issue = catalog.issue_by_number.get(task.issue)
    return issue.title if issue is not None else None


def _rows(imported: Any, expect: Mapping[str, Any], *fields: str) -> tuple[list, list]:
    """(actual, expected) rows of title and ``fields`` for every task, in order."""
    catalog = imported.catalog
    wanted = expect["tasks"]
    actual, expected = [], []
    for i, task in enumerate(catalog.tasks):
        group_hint = wanted[i]["group"] if i < len(wanted) else 0
        row: list[Any] = [task.title]
        for f in fields:
            if f == "group":
                row.append(_group_of(task, catalog, group_hint))
            elif f == "label":
                label = getattr(task, "declared_label", None)
                row.append(None if label == task.declared_risk else label)
            else:
                row.append(getattr(task, {"declared": "declared_risk"}.get(f, f)))
        actual.append(tuple(row))
    for e in wanted:
        row = [e["title"]]
        for f in fields:
            row.append(e.get(f, {"status": "todo"}.get(f)))
        expected.append(tuple(row))
    return actual, expected


def _ids_by_title(catalog: Any) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for task in catalog.tasks:
        ids.setdefault(task.title, []).append(task.id)
    return ids


def _visible(markdown: str) -> str:
    """The document as a reader sees its words: emphasis markers dropped."""
    return markdown.replace("**", "")


# -- the corpus itself -------------------------------------------------------------------


class TestCorpusData:
    def test_every_document_has_its_expectations(self):
        documents = {p.name for p in CORPUS.glob("*.md")} - {"README.md"}
        expected = {_expect(p)["document"] for p in EXPECTATIONS}
        assert documents == expected
        for path in EXPECTATIONS:
            assert path.name == _expect(path)["document"].removesuffix(".md") + ".expect.yaml"

    def test_languages_and_sizes(self):
        expects = [_expect(p) for p in EXPECTATIONS]
        languages = Counter(e["language"] for e in expects)
        assert len(expects) >= 14
        assert languages["ja"] >= 4 and languages["en"] >= 6 and languages["mixed"] >= 1
        for e in expects:
            if e["refused"] is None:
                assert 10 <= len(e["tasks"]) <= 60, e["document"]
        assert any(len(e["tasks"]) >= 50 for e in expects)  # one in the seed's own format

    def test_titles_stand_in_the_document_in_order(self, expect):
        text = _visible(_document(expect).read_text(encoding="utf-8"))
        assert expect["title"] in text
        position = 0
        for task in expect["tasks"]:
            found = text.find(task["title"], position)
            assert found >= 0, f"{task['title']!r} not found after offset {position}"
            position = found + 1

    def test_fields_hold_known_values(self, expect):
        groups = {g.get("number") if g["kind"] == "issue" else g["title"] for g in expect["groups"]}
        for task in expect["tasks"]:
            assert task["declared"] in LEVELS
            assert task["status"] in ("todo", "done")
            assert task["group"] in groups, task
            assert task.get("priority") is None or re.fullmatch(r"P[0-9]", task["priority"])
        declared = expect["declared"] or {}
        assert set(declared.get("by_level", {})) <= set(LEVELS)
        titles = Counter(t["title"] for t in expect["tasks"])
        for cluster in expect["clusters"]:
            assert len(cluster) >= 2
            for title, n in Counter(cluster).items():
                assert titles[title] >= n, title

    def test_the_edit_pair_names_titles_of_both_documents(self, expect):
        if expect["ids_stable_with"] is None:
            assert not expect["unchanged"]
            return
        first = _expect(CORPUS / expect["ids_stable_with"].replace(".md", ".expect.yaml"))
        ours = {t["title"] for t in expect["tasks"]}
        theirs = {t["title"] for t in first["tasks"]}
        assert set(expect["unchanged"]) <= ours & theirs
        assert ours - theirs and theirs - ours  # something was added and something removed


# -- the import --------------------------------------------------------------------------


class TestRefusal:
    def test_refused_in_one_line_or_accepted(self, imported, expect):
        if expect["refused"] is None:
            assert not isinstance(imported, MarkdownError)
        else:
            assert isinstance(imported, MarkdownError), "accepted a document with no levels"
            message = str(imported)
            assert "\n" not in message
            assert expect["refused"] in message


class TestTasks:
    def test_titles_in_order(self, accepted, expect):
        assert [t.title for t in accepted.catalog.tasks] == [e["title"] for e in expect["tasks"]]

    def test_groups(self, accepted, expect):
        actual, expected = _rows(accepted, expect, "group")
        assert actual == expected

    def test_group_titles(self, accepted, expect):
        issues = accepted.catalog.issues
        assert len(issues) == len(expect["groups"])
        for issue, group in zip(issues, expect["groups"], strict=True):
            if group["kind"] == "issue":
                assert issue.number == group["number"]
            if group["title"] is not None:
                assert issue.title == group["title"]

    def test_declared_levels(self, accepted, expect):
        actual, expected = _rows(accepted, expect, "declared")
        assert actual == expected

    def test_labels_as_written(self, accepted, expect):
        actual, expected = _rows(accepted, expect, "label")
        levels = [e["declared"] for e in expect["tasks"]]
        # "Low" written for LOW: the label may be kept as written or left out.
        actual = [
            (title, want) if (label is None and want and want.upper() == level) else (title, label)
            for (title, label), (_, want), level in zip(actual, expected, levels, strict=False)
        ] + actual[len(expected) :]
        assert actual == expected

    def test_status(self, accepted, expect):
        actual, expected = _rows(accepted, expect, "status")
        assert actual == expected

    def test_priority(self, accepted, expect):
        actual, expected = _rows(accepted, expect, "priority")
        assert actual == expected

    def test_environment_where_the_text_states_it(self, accepted, expect):
        stated = [(e["title"], e["environment"]) for e in expect["tasks"] if "environment" in e]
        by_title = {t.title: t.environment for t in accepted.catalog.tasks}
        assert [(title, by_title.get(title)) for title, _ in stated] == stated


class TestDeclared:
    def test_totals_claims_and_effort(self, accepted, expect):
        want = expect["declared"] or {}
        got = _declared_of(accepted)
        assert got.get("total") == want.get("total")
        assert got.get("by_level", {}) == want.get("by_level", {})
        assert got.get("effort_hours") == want.get("effort_hours")
        for claim in want.get("claims", ()):
            assert any(claim in found for found in got.get("claims", ())), claim

    def test_issue_counts(self, accepted, expect):
        issues = accepted.catalog.issue_by_number
        for group in expect["groups"]:
            if group["kind"] != "issue" or "declared" not in group:
                continue
            declared = issues[group["number"]].declared
            assert declared.total == group["declared"].get("total")
            assert dict(declared.by_level) == group["declared"].get("by_level", {})

    def test_audit_counts_the_declared_against_the_listed(self, accepted, expect):
        audit = audit_catalog(accepted.catalog, read_rubric())
        rows = {(r.scope, r.measure): r for r in audit.counts}
        want = expect["declared"] or {}
        tasks = expect["tasks"]
        total = rows[("all", "total")]
        assert (total.declared, total.listed) == (want.get("total"), len(tasks))
        for level in LEVELS:
            row = rows[("all", level)]
            listed = sum(t["declared"] == level for t in tasks)
            assert (row.declared, row.listed) == (want.get("by_level", {}).get(level), listed)
        issues = accepted.catalog.issue_by_number
        for group in expect["groups"]:
            if group["kind"] == "issue" and "declared" in group:
                row = rows[(issues[group["number"]].label, "total")]
                assert row.declared == group["declared"].get("total")


class TestPlan:
    def test_the_documents_own_plan(self, accepted, expect):
        want = expect["plan"]
        got = _plan_of(accepted)
        if want is None:
            assert got is None or (not got["phases"] and got["budget_hours"] is None)
            return
        assert got is not None, "the document's plan was not read"
        assert got["budget_hours"] == want["budget_hours"]
        assert got["task_cap"] == want["task_cap"]
        assert got["phases"] == [(p["name"], p["hours"]) for p in want["phases"]]
        assert got["items"] == want["items"]


def _cluster_check(imported: Any, expect: Mapping[str, Any]) -> tuple[list, list, int]:
    """Expected clusters missed, expected clusters joined to another, and how many there are."""
    catalog = imported.catalog
    facts = analyse_graph(catalog, score_catalog(catalog, read_rubric()), read_graph_rules())
    ids = _ids_by_title(catalog)
    wanted_sets = []
    for cluster in expect["clusters"]:
        wanted: set[str] = set()
        for title, n in Counter(cluster).items():
            wanted |= set(ids.get(title, [])[:n])
        wanted_sets.append((cluster, wanted))
    missing = [
        cluster
        for cluster, wanted in wanted_sets
        if len(wanted) < len(cluster)
        or not any(wanted <= set(found.tasks) for found in facts.clusters)
    ]
    joined = [
        (a, b)
        for i, (a, wa) in enumerate(wanted_sets)
        for b, wb in wanted_sets[i + 1 :]
        if any(wa & set(f.tasks) and wb & set(f.tasks) for f in facts.clusters)
    ]
    return missing, joined, len(wanted_sets)


class TestGraph:
    def test_identical_titles_in_two_groups_are_always_one_cluster(self, accepted, expect):
        same = [c for c in expect["clusters"] if len(set(c)) == 1]
        missing, _, _ = _cluster_check(accepted, {"clusters": same})
        assert missing == []

    def test_expected_clusters_across_the_corpus(self):
        """At least 90 % of the clusters a person drew are found, and none are run together."""
        found = expected = 0
        misses, joins = [], []
        for path in EXPECTATIONS:
            expect = _expect(path)
            result = _imported(_document(expect))
            if expect["refused"] is not None or isinstance(result, MarkdownError):
                continue
            missing, joined, total = _cluster_check(result, expect)
            expected += total
            found += total - len(missing)
            misses += [(expect["document"], m) for m in missing]
            joins += [(expect["document"], j) for j in joined]
        assert expected >= 12
        assert found >= 0.9 * expected, misses
        assert joins == []


class TestEdits:
    def test_unchanged_tasks_keep_their_ids(self, accepted, expect):
        if expect["ids_stable_with"] is None:
            pytest.skip("not the second document of an edit pair")
        first = _imported(CORPUS / expect["ids_stable_with"])
        assert not isinstance(first, MarkdownError), str(first)
        before = {t.title: t.id for t in first.catalog.tasks}
        after = {t.title: t.id for t in accepted.catalog.tasks}
        assert {t: after.get(t) for t in expect["unchanged"]} == {
            t: before.get(t) for t in expect["unchanged"]
        }
