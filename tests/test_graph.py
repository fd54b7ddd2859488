"""The dependency graph: inference rules, overlaps, blocked-by, critical path, the command."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from xml.etree import ElementTree

import networkx as nx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.assess.graph import (
    DroppedEdge,
    analyse_graph,
    blocked_by,
    build_graph,
    critical_path,
    generations,
    infer_edges,
    reduce_for_drawing,
)
from analysis.assess.overlaps import find_overlaps
from analysis.assess.scoring import score_catalog
from analysis.errors import DependencyCycleError, GraphRulesError
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.graph_rules import parse_graph_rules, title_keywords
from analysis.resources import DEFAULT_GRAPH_RULES


def catalog_of(*tasks, **defaults):
    """A catalog of tasks given as dicts; ids default to T1, T2, ..."""
    records = []
    for i, task in enumerate(tasks, start=1):
        records.append({"id": f"T{i}", "issue": 1, "title": f"task {i}", **task})
    return parse_catalog(
        {
            "defaults": {
                "effort_hours": {
                    "design": 1,
                    "template": 1,
                    "configure": 1,
                    "implement": 2,
                    "deploy": 1,
                    "experiment": 1,
                    "document": 1,
                    "migrate": 3,
                }
            },
            "tasks": records,
        }
    )


def edges_of(catalog, rubric, rules):
    graph = build_graph(catalog, score_catalog(catalog, rubric), rules)
    return {(u, v): (d["provenance"], d["rules"]) for u, v, d in graph.edges(data=True)}


class TestInferenceRules:
    def test_design_before_change_within_a_topic(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "implement", "environment": "dev", "topic": "mesh"},
            {"activity": "design", "environment": "none", "topic": "mesh"},
            {"activity": "implement", "environment": "dev", "topic": "other"},
        )
        assert edges_of(catalog, rubric, graph_rules) == {
            ("T2", "T1"): ("inferred", ("design-before-change",))
        }

    def test_a_template_comes_before_a_change_of_unknown_activity(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "template", "environment": "none", "topic": "helm"},
            {"activity": "unknown", "environment": "production", "topic": "helm"},
        )
        assert edges_of(catalog, rubric, graph_rules) == {
            ("T1", "T2"): ("inferred", ("design-before-change",))
        }

    def test_configuration_before_the_experiment_that_uses_it(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "experiment", "environment": "dev", "topic": "chaos"},
            {"activity": "configure", "environment": "dev", "topic": "chaos"},
        )
        assert edges_of(catalog, rubric, graph_rules) == {
            ("T2", "T1"): ("inferred", ("build-before-experiment",))
        }

    def test_development_before_production(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "deploy", "environment": "production", "topic": "mesh"},
            {"activity": "implement", "environment": "dev", "topic": "mesh"},
            {"activity": "implement", "environment": "unknown", "topic": "mesh"},
        )
        # An unknown environment is not known to be production: no edge to or from T3.
        assert edges_of(catalog, rubric, graph_rules) == {
            ("T2", "T1"): ("inferred", ("dev-before-production",))
        }

    def test_keyword_clusters_order_work_too(self, rubric, graph_rules):
        catalog = catalog_of(
            {"title": "サービスメッシュ実装", "activity": "implement", "environment": "dev"},
            {"title": "Service Mesh設計", "activity": "design", "environment": "none"},
        )
        assert set(edges_of(catalog, rubric, graph_rules)) == {("T2", "T1")}

    def test_a_declared_edge_keeps_its_provenance_and_names_the_rule(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "design", "environment": "none", "topic": "mesh"},
            {"activity": "implement", "environment": "dev", "topic": "mesh", "depends_on": ["T1"]},
        )
        assert edges_of(catalog, rubric, graph_rules) == {
            ("T1", "T2"): ("declared", ("design-before-change",))
        }

    def test_rules_can_be_switched_off_in_the_file_and_per_run(self, rubric, graph_rules, tmp_path):
        catalog = catalog_of(
            {"activity": "design", "environment": "none", "topic": "mesh"},
            {"activity": "implement", "environment": "dev", "topic": "mesh"},
        )
        assert edges_of(catalog, rubric, graph_rules.without(["design-before-change"])) == {}
        data = yaml.safe_load(DEFAULT_GRAPH_RULES.read_text(encoding="utf-8"))
        data["inference"][0]["enabled"] = False
        assert edges_of(catalog, rubric, parse_graph_rules(data)) == {}
        with pytest.raises(GraphRulesError, match="no inference rule nope"):
            graph_rules.without(["nope"])

    def test_an_inferred_edge_against_a_declared_one_is_dropped(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "design", "environment": "none", "topic": "mesh", "depends_on": ["T2"]},
            {"activity": "implement", "environment": "dev", "topic": "mesh"},
        )
        graph = build_graph(catalog, score_catalog(catalog, rubric), graph_rules)
        assert list(graph.edges) == [("T2", "T1")]
        (dropped,) = graph.graph["dropped"]
        assert dropped == DroppedEdge(
            "T1", "T2", ("design-before-change",), (("T2", "T1", "declared", ()),)
        )
        assert dropped.message() == (
            "inferred T1 -> T2 (design-before-change) dropped: "
            "it would close a cycle with T2 -> T1 (declared)"
        )

    def test_two_rules_pointing_opposite_ways_keep_the_earlier_rule(self, rubric, graph_rules):
        # build-before-experiment puts the deployment first; dev-before-production, later in
        # the rules file, puts the experiment in dev first: that one is dropped.
        catalog = catalog_of(
            {"activity": "experiment", "environment": "dev", "topic": "chaos"},
            {"activity": "deploy", "environment": "production", "topic": "chaos"},
        )
        scores = score_catalog(catalog, rubric)
        facts = analyse_graph(catalog, scores, graph_rules)
        assert edges_of(catalog, rubric, graph_rules) == {
            ("T2", "T1"): ("inferred", ("build-before-experiment",))
        }
        (finding,) = [f for f in facts.findings() if f.kind == "inferred-edge-dropped"]
        assert finding.message == (
            "inferred T1 -> T2 (dev-before-production) dropped: it would close a cycle "
            "with T2 -> T1 (build-before-experiment)"
        )
        assert finding.tasks == ("T1", "T2")
        assert finding.details == {
            "before": "T1",
            "after": "T2",
            "rules": ["dev-before-production"],
            "path": [
                {
                    "before": "T2",
                    "after": "T1",
                    "provenance": "inferred",
                    "rules": ["build-before-experiment"],
                }
            ],
        }
        # The rules file's order decides: swapped, the other edge is dropped.
        data = yaml.safe_load(DEFAULT_GRAPH_RULES.read_text(encoding="utf-8"))
        data["inference"] = data["inference"][::-1]
        swapped = build_graph(catalog, scores, parse_graph_rules(data))
        assert list(swapped.edges) == [("T1", "T2")]
        assert [(d.before, d.after, d.rules) for d in swapped.graph["dropped"]] == [
            ("T2", "T1", ("build-before-experiment",))
        ]

    def test_a_longer_cycle_names_every_link_and_catalog_order_breaks_ties(
        self, rubric, graph_rules
    ):
        # One rule, two tasks in dev before two in production; T4 depends on T1 and the
        # declared T2 <- T3 closes a loop T1 -> T3 -> T2 -> ... only through inferred edges.
        catalog = catalog_of(
            {"activity": "implement", "environment": "dev", "topic": "db"},
            {"activity": "deploy", "environment": "production", "topic": "db"},
            {"activity": "implement", "environment": "dev", "topic": "db", "depends_on": ["T2"]},
            {"activity": "deploy", "environment": "production", "topic": "db"},
        )
        graph = build_graph(catalog, score_catalog(catalog, rubric), graph_rules)
        assert nx.is_directed_acyclic_graph(graph)
        (dropped,) = graph.graph["dropped"]
        assert (dropped.before, dropped.after) == ("T3", "T2")
        assert dropped.path == (("T2", "T3", "declared", ()),)
        assert set(graph.edges) == {("T1", "T2"), ("T1", "T4"), ("T3", "T4"), ("T2", "T3")}

    def test_the_same_catalog_gives_the_same_graph_every_time(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "experiment", "environment": "dev", "topic": "x"},
            {"activity": "deploy", "environment": "production", "topic": "x"},
            {"activity": "configure", "environment": "verification", "topic": "x"},
            {"activity": "experiment", "environment": "staging", "topic": "x"},
            {"activity": "design", "environment": "none", "topic": "x", "depends_on": ["T2"]},
        )
        scores = score_catalog(catalog, rubric)
        first, second = (build_graph(catalog, scores, graph_rules) for _ in range(2))
        assert list(first.edges(data=True)) == list(second.edges(data=True))
        assert first.graph["dropped"] == second.graph["dropped"]
        assert first.graph["dropped"]

    def test_bad_rules_file(self, tmp_path):
        data = yaml.safe_load(DEFAULT_GRAPH_RULES.read_text(encoding="utf-8"))
        data["inference"][0]["before"] = {"colour": ["red"]}
        with pytest.raises(GraphRulesError, match=r"before\.colour"):
            parse_graph_rules(data)


class TestKeywords:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Helm Charts Development (テンプレート作成)", "Helm Charts実装"),
            ("DR Plan文書化", "Disaster Recovery Planning (文書化)"),
            ("Ｈｅｌｍ　Ｃｈａｒｔｓ作成", "helm charts"),
            ("サービスメッシュ実装 (本番)", "Service Mesh設計"),
            ("ヘルスチェック設定", "Health Checks設計"),
        ],
    )
    def test_same_thing_in_other_words(self, graph_rules, a, b):
        ka = title_keywords(a, graph_rules.overlaps)
        assert ka and ka == title_keywords(b, graph_rules.overlaps)

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("Cost Monitoring Framework (設計)", "Monitoring Stack実装"),
            ("Zero-Trust Security Design", "Zero Trust Network"),
        ],
    )
    def test_different_things(self, graph_rules, a, b):
        assert title_keywords(a, graph_rules.overlaps) != title_keywords(b, graph_rules.overlaps)

    def test_only_generic_words_leave_nothing(self, graph_rules):
        assert title_keywords("設計 (開発環境)", graph_rules.overlaps) == frozenset()


class TestSeedOverlaps:
    """The seed's four issues file the same work several times; these clusters say where."""

    def test_clusters(self, seed_catalog, rubric, graph_rules):
        clusters = find_overlaps(seed_catalog, score_catalog(seed_catalog, rubric), graph_rules)
        got = {c.tasks: ([d.tasks for d in c.duplicates], c.mixed) for c in clusters}
        assert got == {
            # GitOps design (#384) and its implementation (#381): related, LOW vs HIGH.
            ("384-T02", "381-T15"): ([], True),
            # Service Mesh in production (#384, HIGH) and in dev (#347, MEDIUM).
            ("384-T04", "347-service-mesh"): ([], True),
            # CI/CD pipeline in dev (#384) and the pipeline's optimisation design (#347).
            ("384-T06", "347-pipeline-optimization"): ([], True),
            # Helm charts: a template twice (#384, #347: the same work) and an implementation.
            ("384-T07", "381-T10", "347-helm-charts"): ([("384-T07", "347-helm-charts")], True),
            # Monitoring / metrics stack designed twice, implemented once (environment unknown).
            ("384-T08", "381-T06", "347-monitoring-stack"): ([("384-T08", "381-T06")], True),
            # Logging pipeline design and log aggregation implementation.
            ("384-T09", "347-log-aggregation"): ([], True),
            # The SLO framework designed in two issues.
            ("384-T11", "381-T08"): ([("384-T11", "381-T08")], False),
            # Zero trust: a LOW design in #384, the HIGH production network change in #347.
            ("384-T16", "347-zero-trust-network"): ([], True),
            # The DR plan documented in three issues.
            ("384-T17", "381-T11", "348-disaster-recovery-plan"): (
                [("384-T17", "381-T11", "348-disaster-recovery-plan")],
                False,
            ),
            # Cost optimisation and cost analysis designs.
            ("381-T04", "347-cost-analysis"): ([("381-T04", "347-cost-analysis")], False),
            # Health checks designed in #381, implemented in #348.
            ("381-T12", "348-health-checks"): ([], True),
        }
        assert all(d.mergeable for c in clusters for d in c.duplicates)

    def test_findings(self, seed_catalog, rubric, graph_rules):
        scores = score_catalog(seed_catalog, rubric)
        facts = analyse_graph(seed_catalog, scores, graph_rules)
        kinds = [f.kind for f in facts.findings()]
        assert kinds.count("duplicate-work") == 5
        assert kinds.count("overlap-mixed-risk") == 8

    def test_copies_at_different_levels_are_never_merged(self, rubric, graph_rules):
        catalog = catalog_of(
            {
                "activity": "deploy",
                "environment": "production",
                "topic": "db",
                "touches": ["data"],
                "reversibility": "reversible",
            },
            {
                "activity": "deploy",
                "environment": "production",
                "topic": "db",
                "touches": ["observability"],
                "reversibility": "reversible",
            },
        )
        (cluster,) = find_overlaps(catalog, score_catalog(catalog, rubric), graph_rules)
        (dup,) = cluster.duplicates
        assert dup.levels == ("MEDIUM", "HIGH") and not dup.mergeable
        assert cluster.mixed

    def test_unknown_facts_are_no_evidence_of_duplication(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "unknown", "environment": "dev", "topic": "x"},
            {"activity": "unknown", "environment": "dev", "topic": "x"},
        )
        (cluster,) = find_overlaps(catalog, score_catalog(catalog, rubric), graph_rules)
        assert cluster.duplicates == ()


class TestBlockedBy:
    def test_chains_are_the_shortest_from_an_excluded_task(self):
        graph = nx.DiGraph()
        graph.add_nodes_from(["H", "A", "B", "C", "D", "E"])
        graph.add_edges_from([("H", "A"), ("A", "B"), ("B", "C"), ("H", "C"), ("D", "E")])
        assert blocked_by(graph, ["H"]) == {
            "A": ("H", "A"),
            "B": ("H", "A", "B"),
            "C": ("H", "C"),
        }

    def test_excluded_tasks_are_not_listed_as_blocked(self):
        graph = nx.DiGraph([("X", "Y"), ("Y", "Z")])
        assert blocked_by(graph, ["X", "Y"]) == {"Z": ("Y", "Z")}

    @settings(deadline=None, max_examples=150)
    @given(st.data())
    def test_blocked_set_is_closed_under_dependents(self, data):
        n = data.draw(st.integers(1, 25))
        pairs = data.draw(
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60)
        )
        graph = nx.DiGraph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from((min(a, b), max(a, b)) for a, b in pairs if a != b)
        excluded = data.draw(st.sets(st.integers(0, n - 1)))
        chains = blocked_by(graph, excluded)
        closed = set(chains) | excluded
        for node in closed:
            assert set(graph.successors(node)) <= closed
        expected = set().union(*(nx.descendants(graph, x) for x in excluded)) - excluded
        assert set(chains) == expected
        for node, chain in chains.items():
            assert chain[0] in excluded and chain[-1] == node
            assert all(graph.has_edge(u, v) for u, v in itertools.pairwise(chain))


class TestPaths:
    def test_critical_path_by_hand(self):
        # A(2) -> B(3) -> D(1); A -> C(5) -> D; E(4) alone. Longest: A, C, D = 8 hours.
        graph = nx.DiGraph()
        for node, hours in {"A": 2, "B": 3, "C": 5, "D": 1, "E": 4}.items():
            graph.add_node(node, remaining=hours)
        graph.add_edges_from([("A", "B"), ("B", "D"), ("A", "C"), ("C", "D")])
        assert critical_path(graph) == (("A", "C", "D"), 8.0)
        assert generations(graph) == (("A", "E"), ("B", "C"), ("D",))

    def test_done_work_adds_nothing_to_the_critical_path(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "migrate", "environment": "dev", "status": "done"},
            {"activity": "implement", "environment": "dev", "depends_on": ["T1"]},
            {"activity": "deploy", "environment": "dev", "effort": 2.5},
        )
        graph = build_graph(catalog, score_catalog(catalog, rubric), graph_rules)
        assert critical_path(graph) == (("T3",), 2.5)
        assert critical_path(graph, weight="hours") == (("T1", "T2"), 5.0)

    def test_reduction_for_drawing_drops_implied_edges_only(self):
        graph = nx.DiGraph()
        graph.add_node("A", level="LOW")
        graph.add_edge("A", "B", provenance="declared", rules=())
        graph.add_edge("B", "C", provenance="inferred", rules=("r",))
        graph.add_edge("A", "C", provenance="declared", rules=())
        reduced = reduce_for_drawing(graph)
        assert set(reduced.edges) == {("A", "B"), ("B", "C")}
        assert reduced.nodes["A"]["level"] == "LOW"
        assert reduced.edges["B", "C"]["rules"] == ("r",)


@settings(deadline=None, max_examples=80)
@given(st.data())
def test_rules_never_make_a_valid_catalog_invalid(rubric, graph_rules, data):
    """Any declared DAG with any topics builds: acyclic, every declared edge kept, and
    every inferred edge either kept or dropped because the kept ones would make a cycle."""
    activities = ["design", "template", "configure", "implement", "deploy", "experiment", "unknown"]
    environments = ["none", "dev", "verification", "staging", "production", "unknown"]
    n = data.draw(st.integers(2, 10))
    order = data.draw(st.permutations(range(n)))  # declared edges go both ways in the list
    tasks = []
    for i in range(n):
        earlier = [j for j in range(n) if order.index(j) < order.index(i)]
        deps = (
            data.draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True))
            if earlier
            else []
        )
        tasks.append(
            {
                "activity": data.draw(st.sampled_from(activities)),
                "environment": data.draw(st.sampled_from(environments)),
                "topic": data.draw(st.sampled_from(["a", "b", "c"])),
                "depends_on": [f"T{d + 1}" for d in deps],
            }
        )
    catalog = catalog_of(*tasks)
    scores = score_catalog(catalog, rubric)
    clusters = find_overlaps(catalog, scores, graph_rules)
    graph = build_graph(catalog, scores, graph_rules, clusters)
    assert nx.is_directed_acyclic_graph(graph)
    for task in catalog:
        for dep in task.depends_on:
            assert graph.edges[dep, task.id]["provenance"] == "declared"
    dropped = {(d.before, d.after): d for d in graph.graph["dropped"]}
    for edge, rules in infer_edges(catalog, clusters, graph_rules).items():
        if edge in dropped:
            assert not graph.has_edge(*edge) and dropped[edge].rules == rules
            before, after = edge
            path = [link[:2] for link in dropped[edge].path]
            assert path[0][0] == after and path[-1][1] == before
            assert all(graph.has_edge(u, v) for u, v in path)
        else:
            assert graph.edges[edge]["rules"] == rules
    again = build_graph(catalog, scores, graph_rules, clusters)
    assert list(again.edges(data=True)) == list(graph.edges(data=True))
    assert again.graph["dropped"] == graph.graph["dropped"]


class TestCommand:
    def test_table(self, assess):
        result = assess("graph")
        assert result.exit_code == 0, result.output
        assert "10 edges (0 declared, 10 inferred" in result.stdout
        assert "347-service-mesh           384-T04" in result.stdout
        assert "Critical path (0.3 h): 347-service-mesh -> 384-T04" in result.stdout

    def test_json(self, assess):
        data = json.loads(assess("graph", "--format", "json").stdout)
        assert len(data["nodes"]) == 43
        assert {n["risk"] for n in data["nodes"]} == {"LOW", "MEDIUM", "HIGH"}
        edge = next(e for e in data["edges"] if e["after"] == "384-T04")
        assert edge == {
            "before": "347-service-mesh",
            "after": "384-T04",
            "provenance": "inferred",
            "rules": ["dev-before-production"],
        }
        assert len(data["clusters"]) == 11
        assert data["critical_path"] == {"tasks": ["347-service-mesh", "384-T04"], "hours": 0.3}
        # Nothing depends on a HIGH task in the seed: excluding them blocks nothing.
        assert len(data["excluded"]) == 13 and data["blocked"] == []

    def test_blocked_chains_with_a_lower_appetite(self, assess):
        data = json.loads(assess("graph", "--appetite", "LOW", "--format", "json").stdout)
        blocked = {b["id"]: b["chain"] for b in data["blocked"]}
        assert blocked == {}  # MEDIUM tasks gate only HIGH ones, which are excluded too
        assert "347-service-mesh" in data["excluded"]

    def test_dot_renders_with_graphviz(self, assess, tmp_path):
        result = assess("graph", "--format", "dot")
        assert result.exit_code == 0
        assert result.stdout.startswith('digraph "cc03-ultra-marathon" {')
        assert '"347-service-mesh" -> "384-T04" [style=dashed' in result.stdout
        dot = shutil.which("dot")
        if dot is None:
            if os.environ.get("ASSESS_REQUIRE_TOOLS"):
                pytest.fail("Graphviz 'dot' is required here (ASSESS_REQUIRE_TOOLS is set)")
            pytest.skip("Graphviz is not installed")
        path = tmp_path / "g.dot"
        path.write_text(result.stdout, encoding="utf-8")
        svg = subprocess.run([dot, "-Tsvg", str(path)], capture_output=True, timeout=60)
        assert svg.returncode == 0, svg.stderr.decode()
        assert "Service Mesh実装".encode() in svg.stdout

    def test_dot_labels_show_catalog_text_verbatim(self, assess, tmp_path):
        titles = {
            "A": "Tom &amp; Jerry & <b>",
            "B": 'say "hi" \\ C:\\new\\l \\N',
            "C": "line one\nline two",
        }
        data = {
            "catalog": {"name": "a&b", "title": "x"},
            "defaults": {"effort_hours": {"design": 1}},
            "tasks": [
                {"id": i, "issue": 1, "title": t, "activity": "design", "environment": "none"}
                for i, t in titles.items()
            ],
        }
        path = tmp_path / "text.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        result = assess("graph", path, "--format", "dot")
        assert result.exit_code == 0
        dot = shutil.which("dot")
        if dot is None:
            if os.environ.get("ASSESS_REQUIRE_TOOLS"):
                pytest.fail("Graphviz 'dot' is required here (ASSESS_REQUIRE_TOOLS is set)")
            pytest.skip("Graphviz is not installed")
        svg = subprocess.run(
            [dot, "-Tsvg"], input=result.stdout.encode(), capture_output=True, timeout=60
        )
        assert svg.returncode == 0, svg.stderr.decode()
        root = ElementTree.fromstring(svg.stdout)
        nodes = {}
        for group in root.iter("{http://www.w3.org/2000/svg}g"):
            if group.get("class") == "node":
                texts = [t.text for t in group.iter("{http://www.w3.org/2000/svg}text")]
                nodes[texts[0].split(" ")[0]] = "\n".join(texts[1:])
        assert nodes == titles

    def test_a_dropped_edge_is_shown_and_a_declared_cycle_is_still_bad_input(
        self, assess, tmp_path
    ):
        def write(name, design_depends_on, implement_depends_on):
            tasks = [
                {
                    "id": "D",
                    "issue": 1,
                    "title": "Mesh設計",
                    "activity": "design",
                    "environment": "none",
                    "depends_on": design_depends_on,
                },
                {
                    "id": "I",
                    "issue": 1,
                    "title": "Mesh実装",
                    "activity": "implement",
                    "environment": "dev",
                    "depends_on": implement_depends_on,
                },
            ]
            path = tmp_path / name
            data = {"defaults": {"effort_hours": {"design": 1, "implement": 1}}, "tasks": tasks}
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            return path

        inferred_cycle = write("inferred.yaml", ["I"], [])
        for command in ("graph", "audit"):  # the audit builds the graph for its gates
            assert assess(command, inferred_cycle).exit_code == 0
        table = assess("graph", inferred_cycle).stdout
        assert "Inferred edges dropped, as they would close a cycle (1):" in table
        assert (
            "[inferred-edge-dropped] inferred D -> I (design-before-change) dropped: "
            "it would close a cycle with I -> D (declared)"
        ) in table
        data = json.loads(assess("graph", inferred_cycle, "--format", "json").stdout)
        assert data["edges"] == [
            {"before": "I", "after": "D", "provenance": "declared", "rules": []}
        ]
        assert data["dropped"] == [
            {
                "before": "D",
                "after": "I",
                "rules": ["design-before-change"],
                "path": [{"before": "I", "after": "D", "provenance": "declared", "rules": []}],
            }
        ]
        assert [f["kind"] for f in data["findings"]][-1] == "inferred-edge-dropped"

        declared_cycle = write("declared.yaml", ["I"], ["D"])
        result = assess("graph", declared_cycle)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"assess: error: {declared_cycle}:7: task D: field 'depends_on': dependency cycle "
            "D -> I -> D"
        ]
        with pytest.raises(DependencyCycleError):
            parse_catalog(yaml.safe_load(declared_cycle.read_text(encoding="utf-8")))


@settings(deadline=None, max_examples=200)
@given(
    size=st.integers(2, 12),
    declared=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=20),
    inferred=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=30),
)
def test_the_kept_order_drops_exactly_the_edges_that_close_a_cycle(size, declared, inferred):
    """_Order.add agrees, edge by edge, with a search for a path back (what it replaces)."""
    from analysis.assess.graph import _Order

    kept = nx.DiGraph()
    kept.add_nodes_from(range(size))
    kept.add_edges_from((a, b) for a, b in declared if a < b < size)  # declared: acyclic
    order = _Order(kept)
    for before, after in inferred:
        if before >= size or after >= size or before == after or kept.has_edge(before, after):
            continue
        closes = nx.has_path(kept, after, before)
        assert order.add(before, after) is not closes
        if not closes:
            kept.add_edge(before, after)
            ranks = order.rank
            assert all(ranks[u] < ranks[v] for u, v in kept.edges)


def test_waves_are_numbered_from_one_in_the_table_and_the_json():
    """As lanes are, and as the dependencies notebook numbers them."""
    from analysis.assess.graph import graph_files
    from analysis.report.formats.graph import format_graph, graph_to_data

    tasks, facts = graph_files()
    data = graph_to_data(facts, tasks)
    waves = {node["id"]: node["wave"] for node in data["nodes"]}
    assert min(waves.values()) == 1 and max(waves.values()) == len(facts.generations)
    assert all(waves[task] == 1 for task in facts.generations[0])
    rows = [line.split() for line in format_graph(facts, tasks, "table").splitlines()]
    first = next(row for row in rows if row and row[0] == facts.generations[0][0])
    assert first[3] == "1"
