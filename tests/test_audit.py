"""The audit: findings on the seed and on small catalogs, and the `assess audit` output formats."""

from __future__ import annotations

import json

import yaml

from analysis.assess.audit import FINDING_KINDS, audit_catalog
from analysis.inputs.catalog_records import parse_catalog
from analysis.report.formats.audit import format_audit
from analysis.report.formats.text import display_width
from analysis.report.markdown import audit_markdown
from tests.conftest import SEED_CATALOG, tiny_data

ACTIVITY_UNKNOWN = (
    "384-T04",
    "384-T06",
    "384-T12",
    "384-T15",
    "384-T18",
    "347-zero-trust-network",
    "348-cross-region-replication",
)
ENV_UNKNOWN_MEDIUMS = (
    "384-T05",
    "381-T10",
    "381-T13",
    "381-T15",
    "347-container-security",
    "347-monitoring-stack",
    "347-log-aggregation",
    "348-health-checks",
)


def kinds_and_tasks(audit):
    return [(f.kind, f.tasks) for f in audit.findings]


class TestSeedFindings:
    """What the audit must find in the hand-made seed assessment, and why."""

    def test_counts_that_do_not_add_up(self, seed_catalog, rubric):
        audit = audit_catalog(seed_catalog, rubric)
        counts = [
            (f.details["scope"], f.details["measure"], f.details["declared"], f.details["listed"])
            for f in audit.findings
            if f.kind == "count-mismatch"
        ]
        # "合計: 42タスク" but 43 task lines; "LOW RISK (… 22タスク選定)" but 23 LOW lines;
        # "Issue #381 (9タスク残)" but 10 lines, of which 7 (Task 4-6, 8-9, 11-12) under
        # "Issue #381 (6タスク選定)". Every other declared count matches its lines.
        assert counts == [
            ("all", "total", 42, 43),
            ("all", "LOW", 22, 23),
            ("issue #381", "total", 9, 10),
            ("issue #381", "LOW", 6, 7),
        ]
        low_381 = next(
            f
            for f in audit.findings
            if f.details.get("scope") == "issue #381" and f.details.get("measure") == "LOW"
        )
        assert low_381.tasks == (
            "381-T04",
            "381-T05",
            "381-T06",
            "381-T08",
            "381-T09",
            "381-T11",
            "381-T12",
        )

    def test_declared_counts_agree_with_each_other(self, seed_catalog, rubric):
        # The seed's own numbers are consistent (20 + 9 + 8 + 5 = 42, 12 + 6 + 3 + 1 = 22,
        # 6 + 3 + 4 + 2 = 15): its mistake is in the listing, not the arithmetic.
        audit = audit_catalog(seed_catalog, rubric)
        assert not [f for f in audit.findings if f.kind == "declared-counts-disagree"]

    def test_levels_that_disagree(self, seed_catalog, rubric):
        audit = audit_catalog(seed_catalog, rubric)
        mismatches = {
            f.tasks[0]: (f.details["declared"], f.details["computed"])
            for f in audit.findings
            if f.kind == "level-mismatch"
        }
        # Circuit Breakers設計 is a design (paper work) filed under MEDIUM: the seed's own
        # rule makes it LOW. Eight MEDIUM changes never say where they run: unknown
        # environment is scored as production for decisions, so their level is HIGH at
        # worst and MEDIUM at best; MEDIUM lies within that range, so it is not wrong.
        assert mismatches == {"348-circuit-breakers": ("MEDIUM", "LOW")}
        for task_id in ENV_UNKNOWN_MEDIUMS:
            score = audit.scores[task_id]
            assert "environment" in score.rests_on_unknown and not score.computed
            assert score.level_range == ("MEDIUM", "HIGH")

    def test_every_other_task_keeps_its_declared_level(self, seed_catalog, rubric):
        audit = audit_catalog(seed_catalog, rubric)
        agree = [t.id for t in seed_catalog if audit.scores[t.id].level == t.declared_risk]
        assert len(agree) == 43 - 9
        # The worst case (decisions) against what is computed from known facts alone.
        assert audit.level_counts() == {"LOW": 24, "MEDIUM": 6, "HIGH": 13}
        assert audit.computed_counts() == {
            "LOW": 24,
            "MEDIUM": 3,
            "HIGH": 1,
            "not computable": 15,
        }

    def test_levels_that_are_not_computable(self, seed_catalog, rubric):
        audit = audit_catalog(seed_catalog, rubric)
        (finding,) = [f for f in audit.findings if f.kind == "level-not-computable"]
        # Lines that name no activity (e.g. "Service Mesh (本番ネットワーク影響)") could in
        # principle be designs; and the unknown-environment changes above. Every declared
        # level among them lies within its range.
        assert set(finding.tasks) == set(ACTIVITY_UNKNOWN) | set(ENV_UNKNOWN_MEDIUMS)
        assert finding.details["within_range"] == 15
        assert "384-T04 LOW–HIGH (activity unknown, declared HIGH)" in finding.message

    def test_facts_to_add_on_the_seed(self, seed_catalog, rubric):
        audit = audit_catalog(seed_catalog, rubric)
        ranked = [
            (f.details["fact"], tuple(f.details["settles"]), tuple(f.details["narrows"]))
            for f in audit.findings
            if f.kind == "facts-to-add"
        ]
        # Any activity settles the unknown-activity levels. An environment alone leaves the
        # level open in staging (reversibility then decides), or in production for the three
        # whose reversibility is unknown too, so it narrows; so does reversibility.
        assert ranked == [
            ("activity", ACTIVITY_UNKNOWN, ()),
            ("environment", (), ENV_UNKNOWN_MEDIUMS),
            ("reversibility", (), ("381-T15", "347-monitoring-stack", "347-log-aggregation")),
        ]
        assert len(audit.findings) == 4 + 1 + 1 + 3


class TestSmallCatalogs:
    def test_a_consistent_catalog_has_no_findings(self, tiny_catalog, rubric):
        assert audit_catalog(tiny_catalog, rubric).findings == ()

    def test_issue_totals_that_do_not_add_up(self, rubric):
        data = tiny_data()
        data["issues"].append({"number": 2, "declared": {"total": 4}})
        audit = audit_catalog(parse_catalog(data), rubric)
        disagree = [f for f in audit.findings if f.kind == "declared-counts-disagree"]
        assert [f.message for f in disagree] == [
            "the catalog declares 3 tasks but its issues declare 3 + 4 = 7"
        ]
        # Issue #2 declares four tasks and lists none.
        assert ("count-mismatch", ()) in kinds_and_tasks(audit)

    def test_per_level_counts_per_issue(self, rubric):
        data = tiny_data()
        data["issues"][0]["declared"] = {"total": 3, "HIGH": 2}
        audit = audit_catalog(parse_catalog(data), rubric)
        assert [(f.kind, f.tasks, f.message) for f in audit.findings] == [
            ("count-mismatch", ("T3",), "issue #1 declares 2 HIGH tasks but lists 1 (-1)")
        ]

    def test_declared_level_that_disagrees(self, rubric):
        data = tiny_data()
        data["tasks"][2]["declared_risk"] = "MEDIUM"
        audit = audit_catalog(parse_catalog(data), rubric)
        (finding,) = audit.findings
        assert finding.kind == "level-mismatch"
        assert finding.tasks == ("T3",)
        assert "declared MEDIUM, computed HIGH (higher): production-core" in finding.message

    def test_counts_keep_computed_and_not_computable_apart(self, rubric):
        data = tiny_data()
        data["tasks"][1]["environment"] = "unknown"  # T2: MEDIUM in dev, HIGH in production
        audit = audit_catalog(parse_catalog(data), rubric)
        rows = {(r.measure, r.computed, r.not_computable) for r in audit.counts if r.scope == "all"}
        # T1 LOW and T3 HIGH are computed; T2 is HIGH only at worst, so not computed HIGH.
        assert rows == {("total", 2, 1), ("LOW", 1, 0), ("MEDIUM", 0, 0), ("HIGH", 1, 1)}
        assert audit.computed_counts() == {"LOW": 1, "MEDIUM": 0, "HIGH": 1, "not computable": 1}
        assert audit.level_counts() == {"LOW": 1, "MEDIUM": 0, "HIGH": 2}  # worst case

    def test_a_declared_level_within_the_range_is_no_mismatch(self, rubric):
        data = tiny_data()
        data["tasks"][1]["environment"] = "unknown"  # T2: MEDIUM–HIGH, declared MEDIUM
        for declared in ("MEDIUM", "HIGH"):
            data["tasks"][1]["declared_risk"] = declared
            audit = audit_catalog(parse_catalog(data), rubric)
            assert [f.kind for f in audit.findings] == ["level-not-computable", "facts-to-add"]
            (listed, _) = audit.findings
            assert f"T2 MEDIUM–HIGH (environment unknown, declared {declared})" in listed.message

    def test_a_declared_level_outside_the_range_is_a_mismatch(self, rubric):
        data = tiny_data()
        data["tasks"][1]["environment"] = "unknown"
        data["tasks"][1]["declared_risk"] = "LOW"
        audit = audit_catalog(parse_catalog(data), rubric)
        (mismatch,) = [f for f in audit.findings if f.kind == "level-mismatch"]
        assert mismatch.tasks == ("T2",)
        assert mismatch.message.startswith(
            "T2 Mesh 実装 (開発環境): declared LOW, not computable: environment unknown "
            "(MEDIUM–HIGH, higher even at best): not computable: environment unknown"
        )
        assert mismatch.details["computed"] is None
        assert mismatch.details["level_range"] == ["MEDIUM", "HIGH"]

    def test_facts_to_add_are_ranked_by_levels_settled_then_narrowed(self, rubric):
        implement = {"activity": "implement", "reversibility": "reversible"}
        tasks = {
            # environment is the only unknown: any environment settles the level
            "A": {**implement, "environment": "unknown", "touches": ["compute"]},
            "B": {**implement, "environment": "unknown", "touches": ["compute"]},
            # activity alone: a design is LOW, any change is HIGH in production
            "C": {**implement, "activity": "unknown", "environment": "production",
                  "touches": ["network"]},
            # environment and reversibility: in production the reversibility still decides
            "D": {**implement, "environment": "unknown", "touches": ["ci"],
                  "reversibility": "unknown"},
            # touches alone in production
            "E": {**implement, "environment": "production", "touches": "unknown"},
            # touches and reversibility together: either one can make it HIGH
            "F": {**implement, "environment": "production", "touches": "unknown",
                  "reversibility": "unknown"},
        }  # fmt: skip
        catalog = parse_catalog(
            {
                "defaults": {"effort_hours": {"implement": 1, "unknown": 1}},
                "tasks": [{"id": t, "issue": 1, "title": t, **v} for t, v in tasks.items()],
            }
        )
        audit = audit_catalog(catalog, rubric)
        ranked = [(row.fact, row.settles, row.narrows) for row in audit.facts_to_add]
        # settles first (2, 1, 1, 0), then narrows (touches 1 before activity 0), then fact order
        assert ranked == [
            ("environment", ("A", "B"), ("D",)),
            ("touches", ("E",), ("F",)),
            ("activity", ("C",), ()),
            ("reversibility", (), ("D", "F")),
        ]
        assert audit.facts_to_add[0].unsettled == {"D": ("production",)}
        findings = [f for f in audit.findings if f.kind == "facts-to-add"]
        assert [f.details["rank"] for f in findings] == [1, 2, 3, 4]
        assert findings[0].message == (
            "state environment for 3 task(s): settles 2 level(s) whatever it is (A, B), "
            "narrows 1 (D: settled too unless it is production)"
        )

    def test_finding_kinds_are_documented(self, seed_catalog, rubric):
        audit = audit_catalog(seed_catalog, rubric)
        assert {f.kind for f in audit.findings} <= set(FINDING_KINDS)


class TestCommand:
    def test_default_catalog_is_the_seed(self, assess):
        default = assess("audit")
        explicit = assess("audit", SEED_CATALOG)
        assert default.exit_code == 0
        assert default.stdout == explicit.stdout

    def test_table_shows_every_task_with_level_and_reason(self, assess, seed_catalog):
        result = assess("audit", SEED_CATALOG)
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        for task in seed_catalog:
            row = next(line for line in lines if line.startswith(task.id + " "))
            assert task.title in row
        # 9 about counts, levels and facts to add, 8 about safety gates (see tests/test_gates.py).
        assert "Findings (17):" in result.stdout
        # A level that is not computable shows its range, with the declared level beside it.
        row = next(line for line in lines if line.startswith("384-T05 "))
        assert row.split()[2:6] == ["not", "computable", "(MEDIUM–HIGH)", "MEDIUM"]
        counts = next(line for line in lines if line.startswith("all ") and " total " in line)
        assert counts.split() == ["all", "total", "42", "43", "28", "15", "NO"]

    def test_table_columns_align_with_japanese_titles(self, assess, seed_catalog, rubric):
        audit = audit_catalog(seed_catalog, rubric)
        lines = assess("audit").stdout.splitlines()
        header = next(line for line in lines if line.startswith("ID "))
        column = display_width(header[: header.index("MAIN REASON")])
        for task in seed_catalog:
            line = next(line for line in lines if line.startswith(task.id + " "))
            reason_at = line.index(audit.scores[task.id].main_reason)
            assert display_width(line[:reason_at]) == column, line

    def test_json_is_one_object_with_tasks_and_findings(self, assess):
        result = assess("audit", "--format", "json")
        assert result.exit_code == 0
        data = json.loads(result.stdout)
        assert len(data["tasks"]) == 43
        for row in data["tasks"]:
            assert {"id", "issue", "title", "risk", "score", "reasons", "computed"} <= set(row)
            assert row["risk"] in ("LOW", "MEDIUM", "HIGH") and row["reasons"]
        t05 = next(row for row in data["tasks"] if row["id"] == "384-T05")
        assert (t05["risk"], t05["computed"], t05["level_range"]) == (
            "HIGH",
            False,
            ["MEDIUM", "HIGH"],
        )
        assert (t05["lowest_level"], t05["not_computable_because"]) == ("MEDIUM", ["environment"])
        assert data["computed_levels"] == {"LOW": 24, "MEDIUM": 3, "HIGH": 1, "not computable": 15}
        assert [row["fact"] for row in data["facts_to_add"]] == [
            "activity",
            "environment",
            "reversibility",
        ]
        assert len(data["findings"]) == 17
        for finding in data["findings"]:
            assert {"kind", "message", "tasks"} <= set(finding)
        assert "設計のみ" in result.stdout  # UTF-8, not \\u escapes

    def test_markdown_is_a_comment_in_the_seeds_structure(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][0]["title"] = "A | B <設計>"
        path = tmp_path / "pipes.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        result = assess("audit", path, "--format", "markdown")
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert lines[0] == "# Tiny (computed)"
        assert "- `T1` A \\| B &lt;設計&gt;" in lines  # escaped alike everywhere
        headings = [line for line in lines if line.startswith("### ")]
        assert headings == [
            "### 🟢 LOW RISK (開発環境のみ - 1 task)",
            "### 🟡 MEDIUM RISK (段階的実施推奨 - 1 task)",
            "### 🔴 HIGH RISK (本番影響大 - 1 task)",
        ]

    def test_markdown_keeps_not_computable_levels_apart(self, rubric):
        data = tiny_data()
        data["tasks"][1]["environment"] = "unknown"
        lines = audit_markdown(audit_catalog(parse_catalog(data), rubric)).splitlines()
        high = lines.index("### 🔴 HIGH RISK (本番影響大 - 2 tasks)")  # at worst, as decided
        assert lines[high + 2] == "Not computable: 1 of these, HIGH only at worst."
        detail = lines[lines.index("- `T2` Mesh 実装 (開発環境)") + 1]
        assert detail.startswith(
            "  - declared MEDIUM, within MEDIUM–HIGH; not computable: environment unknown"
        )
        assert lines[-1] == (
            "**Result**: 3 tasks (1 LOW, 0 MEDIUM, 1 HIGH computed; 1 not computable: "
            "1 HIGH at worst); 2 finding(s)."
        )

    def test_a_line_break_in_a_title_stays_in_its_row(self, assess, tmp_path, rubric):
        data = tiny_data()
        data["tasks"][0]["title"] = "line one\nline two\r\nthree"
        path = tmp_path / "breaks.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        lines = assess("audit", path).stdout.splitlines()
        header = next(line for line in lines if line.startswith("ID "))
        rows = lines[lines.index(header) + 1 : lines.index(header) + 4]
        assert [row.split()[0] for row in rows] == ["T1", "T2", "T3"]
        assert "line one ⏎ line two ⏎ three" in rows[0]
        column = display_width(header[: header.index("MAIN REASON")])
        scores = audit_catalog(parse_catalog(data), rubric).scores
        for row, task in zip(rows, ("T1", "T2", "T3"), strict=True):
            assert display_width(row[: row.index(scores[task].main_reason)]) == column, row
        data_out = json.loads(assess("audit", path, "--format", "json").stdout)
        assert data_out["tasks"][0]["title"] == "line one\nline two\r\nthree"  # JSON: verbatim

    def test_strict_exits_1_on_findings_only(self, assess, tmp_path):
        assert assess("audit", "--strict").exit_code == 1
        path = tmp_path / "clean.yaml"
        path.write_text(yaml.safe_dump(tiny_data(), allow_unicode=True), encoding="utf-8")
        no_gates = tmp_path / "no-gates.yaml"
        no_gates.write_text("gates: []\n", encoding="utf-8")
        assert assess("audit", path, "--strict", "--gates", no_gates).exit_code == 0
        # The tiny catalog's changes record no rollback: with the default gates, findings.
        assert assess("audit", path, "--strict").exit_code == 1

    def test_output_is_deterministic(self, seed_catalog, rubric):
        first = format_audit(audit_catalog(seed_catalog, rubric), "json")
        second = format_audit(audit_catalog(seed_catalog, rubric), "json")
        assert first == second
