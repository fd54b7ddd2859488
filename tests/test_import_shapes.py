"""Markdown import of the shapes real assessments come in, and what follows from it.

The corpus (tests/test_corpus.py) checks whole documents against written truth;
these tests pin single rules: each shape, the document's plan written as
scenarios the catalog names, claims checked by the audit, stable ids, and
that a plan and a report of an imported catalog use the document's own limits.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.assess.audit import audit_catalog
from analysis.errors import MarkdownError
from analysis.inputs.catalog import read_catalog
from analysis.inputs.markdown import parse_markdown
from analysis.inputs.markdown.labels import DEFAULT_SCALE
from analysis.inputs.markdown.write import write_import
from analysis.inputs.rubric import read_rubric
from tests.conftest import DATA

CORPUS = DATA / "assessments"


def _tasks(text: str) -> list[tuple[str, str, str | None]]:
    catalog = parse_markdown(text).catalog
    return [(t.title, t.declared_risk or "-", t.declared_label) for t in catalog.tasks]


class TestLevels:
    def test_a_field_on_the_line_below(self):
        text = "# Ops\n1. Rotate keys\n   **Risk**: Medium\n2. Drop table\n   Risk: Critical\n"
        assert _tasks(text) == [("Rotate keys", "MEDIUM", None), ("Drop table", "HIGH", "Critical")]

    def test_a_field_at_the_end_of_the_line(self):
        text = "# Ops\n- Rotate keys (Risk: Low-Medium)\n- Drop table — risk: high\n"
        assert _tasks(text) == [
            ("Rotate keys", "MEDIUM", "Low-Medium"),
            ("Drop table", "HIGH", None),
        ]

    def test_japanese_fields_and_scale(self):
        text = "# 作業\n- 証明書更新\n  リスク: 中\n- 本番DB移行\n  影響度: 高\n"
        assert _tasks(text) == [("証明書更新", "MEDIUM", "中"), ("本番DB移行", "HIGH", "高")]

    def test_an_emoji_or_a_label_at_the_start(self):
        text = "# Ops\n- 🔴 Drop the replica\n- [LOW] Write the runbook\n- Very low: Tag buckets\n"
        assert _tasks(text) == [
            ("Drop the replica", "HIGH", "🔴"),
            ("Write the runbook", "LOW", None),
            ("Tag buckets", "LOW", "Very low"),
        ]

    def test_an_emoji_at_the_end(self):
        text = "# Ops\n## Follow-ups\n- Upgrade ingress-nginx 🟡\n- Remove old DNS records ✅ 🔴\n"
        tasks = parse_markdown(text).catalog.tasks
        assert [(t.title, t.declared_risk, t.status) for t in tasks] == [
            ("Upgrade ingress-nginx", "MEDIUM", "todo"),
            ("Remove old DNS records", "HIGH", "done"),
        ]

    def test_a_step_heading_with_its_fields_in_a_list(self):
        text = (
            "# Window\n### 3. Drain node pool `np-2`\n- Risk: Medium\n- Rollback: scale up np-1\n"
        )
        (task,) = parse_markdown(text).catalog.tasks
        assert (task.id, task.title, task.declared_risk, task.rollback) == (
            "T03",
            "Drain node pool `np-2`",
            "MEDIUM",
            "scale up np-1",
        )

    def test_a_risk_column(self):
        text = "# Ops\n| Task | Risk | Effort |\n|---|---|---|\n| Patch nodes | Critical | 2h |\n"
        catalog = parse_markdown(text).catalog
        (task,) = catalog.tasks
        assert (task.title, task.declared_risk, task.declared_label) == (
            "Patch nodes",
            "HIGH",
            "Critical",
        )
        assert task.effort.hours == 2

    def test_priority_labels_are_a_priority_outside_a_risk_context(self):
        text = "# Ops\n## P0 — this week\n- 🟢 Write the runbook (P1)\n"
        (task,) = parse_markdown(text).catalog.tasks
        assert (task.title, task.declared_risk, task.priority) == ("Write the runbook", "LOW", "P1")

    def test_priority_labels_are_a_level_in_a_risk_column(self):
        text = "# Ops\n| Task | Risk |\n|---|---|\n| Patch nodes | P1 |\n| Tag | P3 |\n"
        assert [t.declared_risk for t in parse_markdown(text).catalog.tasks] == ["HIGH", "LOW"]

    def test_a_heading_that_begins_with_a_level_word_is_not_a_level(self):
        with pytest.raises(MarkdownError, match="no risk level on any of them"):
            parse_markdown("# Plan\n## High availability\n- Add a replica\n- Test failover\n")


class TestShapesSeenOutside:
    """Shapes of assessments written outside the corpus's first documents (18-22)."""

    def test_the_default_scale_is_the_bundled_rubrics(self):
        assert {k: tuple(v) for k, v in read_rubric().scale.items()} == dict(DEFAULT_SCALE)
        text = "# Ops\n- Move DNS\n  Risk: Med\n- Drop the replica\n  Risk: 致命的\n"
        assert _tasks(text) == [
            ("Move DNS", "MEDIUM", "Med"),
            ("Drop the replica", "HIGH", "致命的"),
        ]

    def test_one_letter_levels_only_where_risk_is_rated(self):
        text = (
            "# Ops\n| # | Task | Risk | Est. |\n|---|---|---|---|\n| 1 | Patch nodes | H | 2h |\n"
            "| 2 | Tag buckets | L | 30m |\n\nTotal: 2 tasks, 2.5h\n"
        )
        catalog = parse_markdown(text).catalog
        assert [(t.declared_risk, t.declared_label, t.effort.hours) for t in catalog.tasks] == [
            ("HIGH", "H", 2),
            ("LOW", "L", 0.5),
        ]
        assert (catalog.declared.total, dict(catalog.declared.by_level)) == (2, {})  # "5h" no level
        with pytest.raises(MarkdownError):
            parse_markdown("# Ops\n- H: patch nodes\n- L: tag buckets\n")

    def test_incident_severities(self):
        text = "# Ops\n- Move DNS\n  Severity: Sev2\n- Prune images\n  Severity: SEV-4\n"
        assert _tasks(text) == [("Move DNS", "HIGH", "Sev2"), ("Prune images", "LOW", "SEV-4")]

    def test_impact_and_likelihood_give_the_higher_unless_a_risk_is_stated(self):
        text = (
            "# Ops\n1. Promote replica\n   - Impact: Medium\n   - Likelihood: High\n"
            "2. Dual-write\n   - Impact: High\n   - Likelihood: Low\n   - Risk: Medium\n"
            "3. Tag buckets\n   - Likelihood: High\n   - Impact: Low\n"
            "4. Resize pool — Impact: Low / Likelihood: Medium\n"
        )
        assert _tasks(text) == [
            ("Promote replica", "HIGH", "Impact Medium / Likelihood High"),
            ("Dual-write", "MEDIUM", None),
            ("Tag buckets", "HIGH", "Impact Low / Likelihood High"),
            ("Resize pool", "MEDIUM", "Impact Low / Likelihood Medium"),
        ]

    def test_a_likelihood_alone_rates_nothing(self):
        with pytest.raises(MarkdownError, match="no risk level"):
            parse_markdown("# Ops\n- Tag buckets\n  - Likelihood: High\n")

    def test_japanese_impact_scale_and_a_difficulty_column(self):
        text = (
            "# 作業\n| No. | 作業項目 | 影響 | 難易度 |\n|---|---|---|---|\n"
            "| 1 | DNS切替 | 大 | 低 |\n| 2 | 手順書更新 | 小 | 高 |\n"
            "\n## 本番\n1. 証明書更新\n   - 影響：中\n   - 難易度：高\n"
        )
        assert _tasks(text) == [
            ("DNS切替", "HIGH", "大"),
            ("手順書更新", "LOW", "小"),
            ("証明書更新", "MEDIUM", "中"),
        ]

    def test_full_width_brackets_first_and_a_field_after_a_space_last(self):
        text = (
            "# 作業\n- 【高】本番 Ingress の切替\n- 【低】高可用性構成の設計レビュー\n"
            "- 旧 VM のスナップショット削除 リスク：中\n- Rotate keys Risk: Low\n"
            "- Set the alert level: high\n"
        )
        assert _tasks(text) == [
            ("本番 Ingress の切替", "HIGH", "高"),
            ("高可用性構成の設計レビュー", "LOW", "低"),
            ("旧 VM のスナップショット削除", "MEDIUM", "中"),
            ("Rotate keys", "LOW", None),
        ]  # "alert level" rates the alert, not the task: no level

    def test_a_bracketed_level_at_the_end_but_not_a_qualifier(self):
        text = (
            "# Ops\n## 🟢 Low\n- Upgrade Postgres (major)\n- Prune images (none)\n"
            "## Follow-ups\n- Remove the keys from Vault [HIGH]\n- Cut over **(high risk)**\n"
            "- Archive dashboards（低）\n"
        )
        assert _tasks(text) == [
            ("Upgrade Postgres (major)", "LOW", None),
            ("Prune images (none)", "LOW", None),
            ("Remove the keys from Vault", "HIGH", None),
            ("Cut over", "HIGH", "high risk"),
            ("Archive dashboards", "LOW", "低"),
        ]

    def test_bold_lines_with_a_rating_below_are_steps_under_their_section(self):
        text = (
            "# Change\n## Phase 2 (Day 2, 3h)\nSteps run in order.\n\n"
            "**Drain the node pool**\nRisk: High\nEstimate: 1h\n\n"
            "**Upgrade the kubelet**\nSeverity: Sev3\nRollback: reinstall 1.29\n\n"
            "Total: 2 steps.\n"
        )
        imported = parse_markdown(text)
        catalog = imported.catalog
        assert [(t.title, t.declared_risk, t.issue) for t in catalog.tasks] == [
            ("Drain the node pool", "HIGH", 1),
            ("Upgrade the kubelet", "MEDIUM", 1),
        ]
        assert [p[:2] for p in imported.phases] == [("Phase 2 (Day 2, 3h)", 3)]
        assert catalog.tasks[1].rollback == "reinstall 1.29"
        assert catalog.declared.total == 2

    def test_a_bold_line_under_a_rated_step_heading_is_part_of_it(self):
        text = "# Change\n### Drain the pool\nRisk: High\n\n**Notes**\nRisk: Low for batch\n"
        assert _tasks(text) == [("Drain the pool", "HIGH", None)]

    def test_a_sentence_ending_in_a_colon_is_no_group(self):
        text = (
            "# Upgrade\n## Prepare\n- Back up configs\n  Risk: Low\n## Rolling upgrade\n"
            "The steps below run in order, one broker at a time:\n\n1. Upgrade broker 1\n"
            "   Risk: High\n\nNetworking:\n\n- Move the VIP\n  Risk: High\n"
        )
        catalog = parse_markdown(text).catalog
        groups = {i.number: i.title for i in catalog.issues}
        assert [(t.title, groups[t.issue]) for t in catalog.tasks] == [
            ("Back up configs", "Prepare"),
            ("Upgrade broker 1", "Rolling upgrade"),
            ("Move the VIP", "Networking"),
        ]

    def test_counts_per_level_said_with_a_total_without_colons(self):
        for total in ("合計 3件（高1・中1・低1）", "Total: 3 tasks (1 high, 1 medium, 1 low)"):
            text = f"# Ops\n- 🔴 Drop table\n- 🟡 Rotate keys\n- 🟢 Tag buckets\n\n{total}\n"
            declared = parse_markdown(text).catalog.declared
            assert (declared.total, dict(declared.by_level)) == (
                3,
                {"HIGH": 1, "MEDIUM": 1, "LOW": 1},
            ), total

    def test_a_step_number_column_is_not_the_title(self):
        text = (
            "# Ops\n| Step | Description | Impact | Likelihood |\n|---|---|---|---|\n"
            "| 1 | Promote replica | High | Low |\n| 2 | Reindex | Medium | Medium |\n"
        )
        assert _tasks(text) == [
            ("Promote replica", "HIGH", "Impact High / Likelihood Low"),
            ("Reindex", "MEDIUM", "Impact Medium / Likelihood Medium"),
        ]


class TestTraps:
    def test_code_quotes_and_comments_give_no_task(self):
        text = (
            "# Ops\n### 🔴 HIGH\n- Drop the replica\n\n```\n- Task 2: deploy to production\n```\n"
            "> - an old task\n\n<!--\n- a draft task\n-->\n"
        )
        assert _tasks(text) == [("Drop the replica", "HIGH", None)]

    def test_no_levels_at_all_is_one_line_naming_what_was_found(self):
        text = "# Checklist\n" + "".join(f"- [ ] item {n}\n" for n in range(37))
        with pytest.raises(MarkdownError) as error:
            parse_markdown(text)
        assert "37 checklist item(s), no risk level on any of them" in str(error.value)
        assert "\n" not in str(error.value)


class TestGroups:
    def test_no_issue_numbers_one_group_named_after_the_document(self):
        catalog = parse_markdown("# Q3 cleanup\n- 🟢 Tag buckets\n- 🔴 Drop table\n").catalog
        assert [(i.number, i.title) for i in catalog.issues] == [(1, "Q3 cleanup")]
        assert [t.id for t in catalog.tasks] == ["tag-buckets", "drop-table"]

    def test_sections_are_groups_when_there_are_several(self):
        text = "# Ops\n## Networking\n- 🟢 Tag VPCs\n## Databases\n- 🔴 Drop table\n"
        catalog = parse_markdown(text).catalog
        assert [i.title for i in catalog.issues] == ["Networking", "Databases"]
        assert [t.id for t in catalog.tasks] == ["networking-tag-vpcs", "databases-drop-table"]

    def test_a_heading_states_facts_for_the_tasks_under_it(self):
        text = "# Ops\n## 本番作業\n- 🔴 Route53 レコード変更\n## Sandbox\n- 🟢 Enable logs\n"
        tasks = parse_markdown(text).catalog.tasks
        assert [t.environment for t in tasks] == ["production", "dev"]
        assert tasks[0].evidence["environment"] == "本番 (heading '本番作業')"


def test_a_japanese_table_with_environment_estimate_and_limits():
    text = (
        "## 概要\n来週の作業です。\n\n| No | 作業内容 | 対象環境 | リスク | 見積 |\n"
        "|---|---|---|---|---|\n| 1 | Kubernetes アップグレード | 本番 | 高 | 3時間 |\n"
        "| 2 | OS パッチ適用 | ステージング | 中 | 1時間 |\n\n合計: 2件（所要時間 4時間）\n\n"
        "### 備考\n- 作業は 2時間以内 に完了させること\n"
    )
    imported = parse_markdown(text)
    catalog = imported.catalog
    assert [i.title for i in catalog.issues] == ["概要"]  # no level-1 heading: the first one
    assert [(t.environment, t.effort.hours, t.declared_risk) for t in catalog.tasks] == [
        ("production", 3, "HIGH"),
        ("staging", 1, "MEDIUM"),
    ]
    assert (catalog.declared.total, catalog.declared.effort_hours) == (2, 4)
    assert imported.scenarios["limits"]["budget_hours"] == 2
    assert not [f for f in audit_catalog(catalog, read_rubric()).findings if "claim" in f.kind]


class TestIds:
    BEFORE = "# Ops\n## Issue #7\n- 🟢 Tag buckets\n- 🔴 Drop table\n- 🟡 Rotate keys\n"
    AFTER = "# Ops\n## Issue #7\n- 🟡 New alarm\n- 🟢 Rotate keys\n- 🟢 Tag buckets\n"

    def test_unchanged_tasks_keep_their_ids_when_others_move(self):
        before = {t.title: t.id for t in parse_markdown(self.BEFORE).catalog.tasks}
        after = {t.title: t.id for t in parse_markdown(self.AFTER).catalog.tasks}
        assert after["Tag buckets"] == before["Tag buckets"]
        assert after["Rotate keys"] == before["Rotate keys"]  # moved to another level

    def test_two_titles_with_the_same_words_get_different_ids(self):
        catalog = parse_markdown("# Ops\n- 🟢 Helm Charts作成\n- 🟡 Helm Charts実装\n").catalog
        ids = [t.id for t in catalog.tasks]
        assert len(set(ids)) == 2 and ids[0] == "helm-charts"


PLANNED = """\
# Platform cleanup
実行制限: 4時間以内または30タスク
## 🟢 LOW RISK
- Task 1: Backup policy設計
- Task 2: Runbook文書化
## 🟡 MEDIUM RISK
- Task 3: Velero実装 (開発環境)
## 🔴 HIGH RISK
- Task 4: 本番DB移行
## 実行計画
### Phase 1: Design (1時間)
1. Backup policy設計
2. Runbook文書化
### Phase 2: Build (30分)
3. Velero実装 (開発環境)

**評価結果**: 4タスク中2タスクを安全実行可能と判定
"""


class TestThePlanOfTheDocument:
    def test_limits_phases_and_items_become_scenarios(self):
        imported = parse_markdown(PLANNED, name="cleanup")
        limits, plan = imported.scenarios["limits"], imported.scenarios["plan"]
        assert (limits["appetite"], limits["budget_hours"], limits["task_cap"]) == ("MEDIUM", 4, 30)
        assert [(p["name"], p["title"], p["hours"]) for p in limits["phases"]] == [
            ("P1", "Design", 1.0),
            ("P2", "Build", 0.5),
        ]
        assert [(i["item"], i["phase"], i["tasks"]) for i in plan["plan"]] == [
            ("Backup policy設計", "P1", ["T01"]),
            ("Runbook文書化", "P1", ["T02"]),
            ("Velero実装 (開発環境)", "P2", ["T03"]),
        ]

    def test_written_beside_the_catalog_which_names_them(self, tmp_path):
        imported = parse_markdown(PLANNED, name="cleanup")
        written = write_import(imported.catalog, imported.scenarios, tmp_path / "team.yaml")
        assert [p.name for p in written] == [
            "team.limits.scenario.yaml",
            "team.plan.scenario.yaml",
            "team.yaml",
        ]
        assert read_catalog(tmp_path / "team.yaml").scenarios == (
            "team.limits.scenario.yaml",
            "team.plan.scenario.yaml",
        )

    def test_plan_and_report_use_the_documents_limits(self, assess, tmp_path):
        (tmp_path / "doc.md").write_text(PLANNED, encoding="utf-8")
        imported = assess("import-markdown", tmp_path / "doc.md", "-o", tmp_path / "team.yaml")
        assert imported.exit_code == 0, imported.output
        result = assess("plan", tmp_path / "team.yaml", "--format", "json")
        assert result.exit_code == 0, result.output
        plan = json.loads(result.stdout)
        assert plan["scenario"]["name"] == "doc-limits"
        assert plan["scenario"]["budget_hours"] == 4
        chosen = set(plan["selected"])
        assert chosen == {"T01", "T02", "T03"}  # HIGH left out, the rest fits the 4 h

    def test_claims_are_checked_by_the_audit(self):
        catalog = parse_markdown(PLANNED).catalog
        assert (catalog.declared.safe, catalog.declared.safe_of) == (2, 4)
        findings = audit_catalog(catalog, read_rubric()).findings
        (claim,) = [f for f in findings if f.kind == "claim-mismatch"]
        assert "says 2 of 4 tasks are safe" in claim.message
        assert "3 of them rated LOW or MEDIUM" in claim.message

    def test_an_effort_sum_that_the_tasks_contradict(self):
        text = "# Ops\n- 🟢 Tag (1h)\n  Effort: 1h\n- 🟢 Clean\n  Effort: 2h\n\nTotal effort: 4h\n"
        findings = audit_catalog(parse_markdown(text).catalog, read_rubric()).findings
        (claim,) = [f for f in findings if f.kind == "claim-mismatch"]
        assert claim.details == {"claim": "effort_hours", "declared": 4.0, "stated": 3.0}

    def test_the_scale_mapping_is_shown(self):
        catalog = parse_markdown(
            "# Ops\n- Patch (Risk: Critical)\n- Tag (Risk: Very low)\n"
        ).catalog
        findings = audit_catalog(catalog, read_rubric()).findings
        (scale,) = [f for f in findings if f.kind == "declared-scale"]
        assert "Critical -> HIGH" in scale.message and "Very low -> LOW" in scale.message


def test_reports_of_the_imported_corpus_in_one_batch(assess, tmp_path):
    """Every corpus document imports, and a batch renders each (never a scenario file)."""
    folder = tmp_path / "catalogs"
    folder.mkdir()
    for document in sorted(CORPUS.glob("[0-9]*.md")):
        result = assess("import-markdown", document, "-o", folder / f"{document.stem}.yaml")
        assert result.exit_code in (0, 2), result.output
    catalogs = [p for p in folder.glob("*.yaml") if not p.name.endswith(".scenario.yaml")]
    assert len(catalogs) >= 14
    assert any(p.name.endswith(".plan.scenario.yaml") for p in folder.iterdir())
    result = assess(
        "report",
        "--catalog-dir",
        folder,
        "--out",
        tmp_path / "out",
        "--workers",
        "2",
        "--history",
        tmp_path / "history.sqlite",
    )
    assert result.exit_code == 0, result.output
    pages = sorted((tmp_path / "out").glob("*/*/weekly-report.html"))
    assert [p.parents[1].name for p in pages] == sorted(p.stem for p in catalogs)


_LINES = st.sampled_from(
    [
        "# Title",
        "## Issue #3",
        "### 🔴 HIGH RISK",
        "### 🟢 Low",
        "**🟡 MEDIUM**",
        "- Task 1: x設計",
        "- [x] y (Risk: High)",
        "  Risk: Low",
        "  - nested",
        "1. step",
        "| Task | Risk |",
        "|---|---|",
        "| a | Critical |",
        "```",
        "> - quoted",
        "<!--",
        "-->",
        "---",
        "合計: 3タスク",
        "Total effort: 2h",
        "4時間以内",
        "## Phase 1 (1h)",
        "- `T-1` z",
        "",
        "   ",
        "- ",
        "- Issue #4:",
        "\\*\\*",
        "&#32;",
        "<br>",
    ]
)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_LINES, max_size=25))
def test_any_mix_of_shapes_imports_or_says_why(lines):
    """No combination of the shapes makes the importer fail other than with one clear line."""
    try:
        imported = parse_markdown("\n".join(lines))
    except MarkdownError as error:
        assert "\n" not in str(error)
        return
    assert len(imported.catalog) >= 1
    assert all(t.title.strip() for t in imported.catalog.tasks)
