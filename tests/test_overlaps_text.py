"""Overlap clusters from the titles' text: subjects, similarity, provenance, duplicates."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.assess.graph import analyse_graph
from analysis.assess.overlaps import (
    agreement_with_labels,
    find_overlaps,
    similar_subjects,
)
from analysis.assess.scoring import score_catalog
from analysis.errors import GraphRulesError
from analysis.inputs.catalog import read_catalog
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.graph_rules import OverlapSettings, parse_graph_rules, title_subject
from analysis.inputs.markdown import read_markdown
from analysis.plan.units import build_units
from analysis.report.formats.graph import format_graph, graph_to_data
from analysis.report.frames import clusters_frame
from tests.conftest import ROOT, SEED_CATALOG

SEED_TEXT = ROOT.parent / "shared" / "seed" / "000_ad59c3a8ddd5b8a3.txt"


def catalog_of(*tasks):
    """Tasks given as dicts (title, issue, facts); ids T1, T2, ...; paper work by default."""
    records = [
        {"id": f"T{i}", "issue": 1, "activity": "design", "environment": "none", **task}
        for i, task in enumerate(tasks, start=1)
    ]
    hours = dict.fromkeys(("design", "document", "template", "configure", "implement"), 1)
    return parse_catalog({"defaults": {"effort_hours": hours}, "tasks": records})


def overlaps(catalog, rubric, graph_rules, **options):
    return find_overlaps(catalog, score_catalog(catalog, rubric), graph_rules, **options)


def joined(clusters):
    return {c.tasks for c in clusters}


@pytest.fixture(scope="module")
def imported():
    """The seed's own markdown, imported with no edits (no topics)."""
    if not SEED_TEXT.exists():
        pytest.skip("the seed is not beside the repository")
    return read_markdown(SEED_TEXT).catalog


class TestSeedText:
    """Titles only, scored on the bundled catalog's topics (bench/overlap_text.py prints more)."""

    def test_at_least_nine_of_eleven_topics_found_with_precision(
        self, imported, rubric, graph_rules
    ):
        labelled = read_catalog(SEED_CATALOG)
        topic = {(t.issue, t.title): t.topic for t in labelled.tasks}
        assert not any(t.topic for t in imported.tasks)
        labels = {t.id: topic[t.issue, t.title] for t in imported.tasks}  # every task maps
        clusters = overlaps(imported, rubric, graph_rules, topics=False)
        result = agreement_with_labels(clusters, labels)
        assert len(result.expected) == 11
        assert len(result.found) >= 9, result.missed
        assert result.precision >= 0.9, result.false_joins

    def test_topics_are_not_read_when_switched_off(self, seed_catalog, rubric, graph_rules):
        clusters = overlaps(seed_catalog, rubric, graph_rules, topics=False)
        assert {kind for c in clusters for kind, _, _ in c.evidence} <= {"keywords", "similar"}
        labels = {t.id: t.topic for t in seed_catalog.tasks}
        assert len(agreement_with_labels(clusters, labels).found) >= 9


class TestSubjects:
    @pytest.mark.parametrize(
        "titles",
        [
            ("ＨＥＬＭ　ＣＨＡＲＴＳ設計", "helm charts implementation", "Helm Charts (本番)"),
            ("ｻｰﾋﾞｽﾒｯｼｭ実装", "サービスメッシュ設計", "SERVICE MESH Design", "サービス・メッシュ"),
            ("ログ集約設計", "Logging Pipeline Design (EFK設計)", "log aggregation"),
            ("監視基盤設計", "Monitoring Infrastructure", "Metrics Stack設計", "モニタリング"),
            ("災害復旧計画文書化", "DR Plan文書化", "Disaster Recovery Planning"),
        ],
    )
    def test_width_case_and_language_variants_have_one_subject(self, graph_rules, titles):
        subjects = {title_subject(title, graph_rules.overlaps) for title in titles}
        assert len(subjects) == 1 and subjects != {frozenset()}

    def test_they_join_in_one_cluster(self, rubric, graph_rules):
        catalog = catalog_of(
            {"title": "ｻｰﾋﾞｽﾒｯｼｭ実装", "issue": 1},
            {"title": "SERVICE MESH Design", "issue": 2},
            {"title": "Zero-Trust Security Design"},
        )
        ((kind, value, tasks),) = overlaps(catalog, rubric, graph_rules)[0].evidence
        assert (kind, value, tasks) == ("keywords", "mesh service", ("T1", "T2"))

    def test_only_generic_words_are_the_subject(self, graph_rules):
        assert title_subject("Pipeline Optimization設計", graph_rules.overlaps) == {
            "optimization",
            "pipeline",
        }
        assert title_subject("設計 (開発環境)", graph_rules.overlaps) == frozenset()


class TestSimilarity:
    def test_a_join_records_its_score_and_shared_words(self, rubric, graph_rules):
        catalog = catalog_of(
            {"title": "Zero-Trust Security Design (設計)", "issue": 384},
            {"title": "Zero Trust Network (本番ネットワーク変更)", "issue": 347},
        )
        (cluster,) = overlaps(catalog, rubric, graph_rules)
        assert cluster.evidence == (("similar", "0.67: trust, zero", ("T1", "T2")),)

    def test_unrelated_titles_sharing_a_generic_word_are_not_joined(self, rubric, graph_rules):
        catalog = catalog_of(
            {"title": "Design review of billing"},
            {"title": "Design of logging", "issue": 2},
            {"title": "Billing Design", "issue": 3},
        )
        assert joined(overlaps(catalog, rubric, graph_rules)) == {("T1", "T3")}

    def test_one_shared_word_never_joins(self, rubric, graph_rules):
        # "Cost Monitoring" shares one word with each: joining it would chain the
        # cost work and the monitoring work into one cluster.
        catalog = catalog_of(
            {"title": "Cost Optimization"},
            {"title": "Cost analysis設計", "issue": 2},
            {"title": "Cost Monitoring Framework (設計)", "issue": 3},
            {"title": "Monitoring Stack実装", "issue": 4, "activity": "implement"},
            {"title": "Metrics Stack設計", "issue": 5},
        )
        assert joined(overlaps(catalog, rubric, graph_rules)) == {("T1", "T2"), ("T4", "T5")}

    def test_the_threshold_is_data(self, rubric, graph_rules):
        catalog = catalog_of({"title": "Zero-Trust Security"}, {"title": "Zero Trust Network"})
        data = {"overlaps": {"similarity": {"threshold": 0.7}}}
        assert overlaps(catalog, rubric, parse_graph_rules(data)) == ()
        assert len(overlaps(catalog, rubric, graph_rules)) == 1

    def test_a_word_in_too_many_tasks_proposes_no_pair(self):
        subjects = [frozenset({"kube", "cluster", f"x{i}"}) for i in range(3)]
        capped = OverlapSettings(threshold=0.6, common_word_tasks=2)
        assert similar_subjects(subjects, [1, 1, 1], capped) == []
        found = similar_subjects(subjects, [1, 1, 1], OverlapSettings(threshold=0.6))
        assert [(i, j, s.value) for i, j, s in found] == [
            (0, 1, "0.67: cluster, kube"),
            (0, 2, "0.67: cluster, kube"),
            (1, 2, "0.67: cluster, kube"),
        ]

    @settings(deadline=None, max_examples=60)
    @given(
        st.lists(
            st.frozensets(st.sampled_from("abcdefgh"), min_size=1, max_size=4),
            min_size=2,
            max_size=12,
            unique=True,
        ),
        st.sampled_from([0.5, 0.6, 0.65, 0.8]),
        st.integers(1, 3),
    )
    def test_the_index_finds_every_pair_a_full_comparison_finds(
        self, subjects, threshold, min_shared
    ):
        settings_ = OverlapSettings(threshold=threshold, min_shared=min_shared)
        found = {(i, j) for i, j, _ in similar_subjects(subjects, [1] * len(subjects), settings_)}
        every = {
            (i, j)
            for (i, a), (j, b) in itertools.combinations(enumerate(subjects), 2)
            if len(a & b) >= min_shared and 2 * len(a & b) / (len(a) + len(b)) >= threshold
        }
        assert found == every

    @pytest.mark.parametrize(
        ("similarity", "field"),
        [
            ({"threshold": 1.5}, "overlaps.similarity"),
            ({"threshold": "high"}, "overlaps.similarity.threshold"),
            ({"min_shared": 1.5}, "overlaps.similarity.min_shared"),
            ({"cap": 3}, "overlaps.similarity.cap"),
        ],
    )
    def test_bad_settings_name_the_field(self, similarity, field):
        with pytest.raises(GraphRulesError) as caught:
            parse_graph_rules({"overlaps": {"similarity": similarity}})
        assert caught.value.field == field


class TestDuplicates:
    def test_identical_titles_in_two_issues_are_one_piece_of_work_with_unknown_facts(
        self, rubric, graph_rules
    ):
        implement = {
            "title": "Health Checks実装",
            "activity": "implement",
            "environment": "unknown",
        }
        catalog = catalog_of(
            {**implement, "issue": 381},
            {**implement, "issue": 348},
            {"title": "Health Checks設計", "issue": 381},
        )
        (cluster,) = overlaps(catalog, rubric, graph_rules)
        (dup,) = cluster.duplicates
        assert dup.tasks == ("T1", "T2")
        assert (dup.activity, dup.environment, dup.title) == (
            "implement",
            "unknown",
            "check health",
        )
        assert dup.mergeable
        assert cluster.related == ("T3",)  # the design is related work, not a copy

    def test_a_known_fact_that_differs_is_no_copy(self, rubric, graph_rules):
        catalog = catalog_of(
            {"title": "Service Mesh", "activity": "unknown", "environment": "production"},
            {"title": "Service Mesh実装", "activity": "implement", "environment": "dev"},
        )
        (cluster,) = overlaps(catalog, rubric, graph_rules)
        assert cluster.duplicates == ()

    def test_different_declared_levels_are_a_finding_and_never_merged(self, rubric, graph_rules):
        catalog = catalog_of(
            {"title": "DR Plan文書化", "issue": 381, "declared_risk": "LOW"},
            {"title": "Disaster Recovery Plan文書化", "issue": 348, "declared_risk": "MEDIUM"},
        )
        scores = score_catalog(catalog, rubric)
        facts = analyse_graph(catalog, scores, graph_rules)
        (cluster,) = facts.clusters
        (dup,) = cluster.duplicates
        assert len(dup.levels) == 1 and dup.declared == ("LOW", "MEDIUM")
        assert not dup.mergeable
        assert cluster.differs == ("declared levels",)
        findings = {f.kind: f for f in facts.findings()}
        assert "declared LOW, MEDIUM" in findings["duplicate-work"].message
        assert findings["duplicate-work"].details["mergeable"] is False
        mixed = findings["overlap-mixed-risk"]
        assert "different declared levels" in mixed.message
        assert "T1 LOW (declared LOW)" in mixed.message
        assert mixed.details["differs"] == ["declared levels"]
        units, unit_of = build_units(catalog, scores, facts, ["T1", "T2"], merge=True)
        assert len(units) == 2 and unit_of == {"T1": "T1", "T2": "T2"}

    def test_one_declared_level_merges(self, rubric, graph_rules):
        catalog = catalog_of(
            {"title": "DR Plan文書化", "issue": 381, "declared_risk": "LOW"},
            {"title": "Disaster Recovery Plan文書化", "issue": 348},
        )
        scores = score_catalog(catalog, rubric)
        facts = analyse_graph(catalog, scores, graph_rules)
        assert facts.clusters[0].duplicates[0].mergeable
        units, _ = build_units(catalog, scores, facts, ["T1", "T2"], merge=True)
        assert len(units) == 1


class TestShown:
    @pytest.fixture
    def facts(self, rubric, graph_rules):
        change = {"activity": "implement", "environment": "dev"}
        catalog = catalog_of(
            {"title": "Zero-Trust Security Design", "declared_risk": "LOW"},
            {"title": "Zero Trust Network", "issue": 2, "declared_risk": "MEDIUM", **change},
            {"title": "Zero Trust Network", "issue": 3, "declared_risk": "LOW", **change},
        )
        return catalog, analyse_graph(catalog, score_catalog(catalog, rubric), graph_rules)

    def test_json(self, facts):
        catalog, graph = facts
        data = json.loads(json.dumps(graph_to_data(graph, catalog)))
        (cluster,) = data["clusters"]
        assert {"kind": "similar", "value": "0.67: trust, zero", "tasks": ["T1", "T2", "T3"]} in (
            cluster["evidence"]
        )
        (dup,) = cluster["duplicates"]
        assert dup["declared_levels"] == ["LOW", "MEDIUM"] and dup["title"] == "network trust zero"
        assert not dup["mergeable"] and "declared levels" in cluster["differs"]

    def test_table_and_frame(self, facts):
        catalog, graph = facts
        table = format_graph(graph, catalog, "table")
        assert "similar '0.67: trust, zero'" in table and "T2, T3 (never merged)" in table
        row = clusters_frame(graph).iloc[0]
        assert "similar 0.67: trust, zero" in row["evidence"]
        assert row["duplicates"] == "T2, T3 (never merged)"
        assert row["declared"] == "LOW, MEDIUM" and "declared levels" in row["mixed risk"]
