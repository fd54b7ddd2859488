"""Safety gates and outcome coverage: each gate, blocking vs advisory, coverage minimums."""

from __future__ import annotations

import itertools
import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.assess.audit import audit_catalog
from analysis.assess.gates import check_gates
from analysis.assess.graph import build_graph
from analysis.assess.scoring import score_catalog
from analysis.errors import GateError, ScenarioError
from analysis.inputs.catalog_records import parse_catalog
from analysis.inputs.gate_rules import parse_gates, read_gates
from analysis.inputs.scenario import parse_scenario, read_scenario
from analysis.plan.scenarios import assess
from analysis.resources import DEFAULT_GATES
from tests.conftest import SCENARIOS_DIR

LIMITS = SCENARIOS_DIR / "seed-limits.yaml"
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]


@pytest.fixture(scope="module")
def gates():
    return read_gates()


def catalog_of(*tasks):
    records = [
        {
            "id": f"T{i}",
            "issue": 1,
            "title": f"{WORDS[i - 1]} work",
            "activity": "implement",
            "environment": "dev",
            "touches": ["compute"],
            "topic": f"topic-{i}",
            "effort": 1,
            **task,
        }
        for i, task in enumerate(tasks, start=1)
    ]
    return parse_catalog({"tasks": records})


def broken(catalog, gates, rubric, graph_rules, scenario=None):
    scores = score_catalog(catalog, rubric)
    graph = build_graph(catalog, scores, graph_rules)
    levels = {t: s.level for t, s in scores.items()}
    return {
        (b.gate.id, b.task)
        for b in check_gates(catalog, gates, levels=levels, graph=graph, scenario=scenario)
    }


class TestEachGate:
    @pytest.mark.parametrize(
        ("gate", "field"),
        [
            ("rollback", "rollback"),
            ("monitoring", "monitoring"),
            ("documented", "documentation"),
        ],
    )
    def test_a_change_must_record_its_safeguard(self, gates, rubric, graph_rules, gate, field):
        catalog = catalog_of(
            {},
            {field: "written down in the runbook"},
            {"activity": "design", "environment": "none"},
        )
        found = broken(catalog, gates, rubric, graph_rules)
        assert (gate, "T1") in found  # missing
        assert (gate, "T2") not in found  # recorded
        assert (gate, "T3") not in found  # a design is no change

    @pytest.mark.parametrize(
        ("gate", "field"),
        [("production-approval", "approval"), ("verified-before-production", "verification")],
    )
    def test_production_needs_approval_and_verification(
        self, gates, rubric, graph_rules, gate, field
    ):
        catalog = catalog_of(
            {"environment": "production"},
            {"environment": "production", field: "CAB-123"},
            {"environment": "unknown"},  # unknown is never assumed safe
            {"environment": "dev"},
        )
        found = {task for g, task in broken(catalog, gates, rubric, graph_rules) if g == gate}
        assert found == {"T1", "T3"}

    def test_dev_first(self, gates, rubric, graph_rules):
        catalog = catalog_of(
            {"environment": "production", "topic": "mesh"},
            {"environment": "dev", "topic": "mesh"},  # inferred before T1: dev-before-production
            {"environment": "production"},
            {"environment": "staging", "depends_on": ["T2"]},  # declared dev step before it
        )
        found = {
            task for g, task in broken(catalog, gates, rubric, graph_rules) if g == "dev-first"
        }
        assert found == {"T3"}

    def test_no_production_data_and_service_continuity(self, gates, rubric, graph_rules):
        catalog = catalog_of(
            {"environment": "production", "touches": ["data"], "activity": "migrate"},
            {"environment": "production", "touches": ["network"]},
            {"environment": "dev", "touches": ["data", "network"]},
            {"environment": "production", "touches": "unknown"},
        )
        found = broken(catalog, gates, rubric, graph_rules)
        assert {t for g, t in found if g == "no-production-data"} == {"T1", "T4"}
        assert {t for g, t in found if g == "service-continuity"} == {"T2", "T4"}

    def test_one_at_a_time_is_a_scheduler_resource(self, gates, rubric, graph_rules):
        catalog = catalog_of({})
        serial = parse_scenario(
            {
                "appetite": "MEDIUM",
                "resources": [
                    {"name": "dev", "capacity": 1, "used_by": {"activity": ["implement"]}}
                ],
            }
        )
        loose = parse_scenario(
            {
                "appetite": "MEDIUM",
                "resources": [
                    {"name": "dev", "capacity": 3, "used_by": {"activity": ["implement"]}}
                ],
            }
        )
        assert ("one-at-a-time", "T1") not in broken(catalog, gates, rubric, graph_rules, serial)
        assert ("one-at-a-time", "T1") in broken(catalog, gates, rubric, graph_rules, loose)
        # Without a scenario there is nothing to check it against.
        assert ("one-at-a-time", "T1") not in broken(catalog, gates, rubric, graph_rules)

    def test_done_work_is_not_checked(self, gates, rubric, graph_rules):
        catalog = catalog_of({"status": "done"})
        assert broken(catalog, gates, rubric, graph_rules) == set()


class TestModes:
    def test_blocking_gate_leaves_the_task_out_and_says_which(self, gates, rubric, graph_rules):
        catalog = catalog_of(
            {}, {"rollback": "helm rollback"}, {"depends_on": ["T1"], "rollback": "revert"}
        )
        scenario = parse_scenario({"appetite": "MEDIUM", "gates": {"rollback": "blocking"}})
        selection = assess(catalog, scenario, rubric, graph_rules, gates=gates).selection
        assert selection.selected == ("T2",)
        left = {item.task: item for item in selection.left_out}
        assert left["T1"].kind == "gate"
        assert left["T1"].reason.startswith("breaks the blocking gate rollback (ロールバック準備")
        assert left["T3"].kind == "blocked" and left["T3"].details["chain"] == ["T1", "T3"]

    def test_advisory_gate_is_reported_only(self, gates, rubric, graph_rules):
        catalog = catalog_of({}, {"rollback": "helm rollback"})
        scenario = parse_scenario({"appetite": "MEDIUM"})
        selection = assess(catalog, scenario, rubric, graph_rules, gates=gates).selection
        assert selection.selected == ("T1", "T2")
        rollback = [v for v in selection.violations if v.details.get("gate") == "rollback"]
        assert [v.tasks for v in rollback] == [("T1",)]

    def test_unknown_gate_in_a_scenario(self, assess, tmp_path):
        path = tmp_path / "s.yaml"
        path.write_text(
            yaml.safe_dump({"appetite": "MEDIUM", "gates": {"rolback": "blocking"}}),
            encoding="utf-8",
        )
        result = assess("plan", "--scenario", path)
        assert result.exit_code == 2
        assert "field 'gates': no gate 'rolback'" in result.stderr
        with pytest.raises(ScenarioError, match="'strict' is not one of advisory, blocking"):
            parse_scenario({"appetite": "LOW", "gates": {"rollback": "strict"}})

    def test_bad_gates_file(self):
        data = yaml.safe_load(DEFAULT_GATES.read_text(encoding="utf-8"))
        data["gates"][0]["requires"] = {"field": "rollback", "forbidden": True}
        with pytest.raises(GateError, match="give exactly one of"):
            parse_gates(data)
        data["gates"][0]["requires"] = {"field": "roll-back"}
        with pytest.raises(GateError, match="'roll-back' is not one of rollback"):
            parse_gates(data)


class TestSeed:
    def test_audit_gate_findings(self, seed_catalog, rubric, gates, graph_rules):
        audit = audit_catalog(seed_catalog, rubric, gates, graph_rules)
        found = {f.details["gate"]: len(f.tasks) for f in audit.findings if f.kind == "gate"}
        assert found == {
            # 12 changes in production or an unstated environment have no dev step before
            # them; only 384-T04 follows 347-service-mesh (dev) by dev-before-production.
            "dev-first": 12,
            # The seed records no rollback, monitoring or documentation for any of its 19
            # changes (7 of unknown activity, 2 deploy, 2 configure, 1 experiment, 7 implement).
            "rollback": 19,
            "monitoring": 19,
            "documented": 19,
            # 5 production changes and 8 of unstated environment: no verification, no approval.
            "verified-before-production": 13,
            "production-approval": 13,
            # Cross-Region Replication (本番データ複製) touches production data.
            "no-production-data": 1,
            # Service Mesh, Multi-Cluster, Zero Trust Network, Multi-Region in production.
            "service-continuity": 4,
        }

    def test_plan_says_one_at_a_time_is_enforced(self, assess):
        result = assess("plan", "--scenario", LIMITS)
        assert (
            "Gate one-at-a-time (段階的実行: 一度に1つのコンポーネントずつ実装): enforced by the "
            "scheduler's resource dev-cluster (capacity 1)"
        ) in result.stdout

    def test_plan_with_no_gates_has_no_violations(self, assess, tmp_path):
        no_gates = tmp_path / "none.yaml"
        no_gates.write_text("gates: []\n", encoding="utf-8")
        assert assess("plan", "--scenario", LIMITS, "--gates", no_gates, "--strict").exit_code == 0

    def test_outcome_coverage_of_the_optimum(self, seed_catalog, rubric, graph_rules, gates):
        result = assess(seed_catalog, read_scenario(LIMITS), rubric, graph_rules, gates=gates)
        rows = {row.area: row for row in result.outcomes}
        assert {a: (len(r.selected), r.total) for a, r in rows.items()} == {
            "observability": (7, 9),
            "reliability": (9, 14),
            "scalability": (2, 5),
            "security": (2, 5),
            "cost": (4, 4),
            "delivery_speed": (9, 12),
        }
        assert not any(r.untouched for r in rows.values())
        assert rows["reliability"].targets[0].goal == "99.99%"
        assert [t.goal for t in rows["delivery_speed"].targets][:2] == ["自動5分", "自動15分"]

    def test_outcomes_in_json(self, assess):
        data = json.loads(assess("plan", "--scenario", LIMITS, "--format", "json").stdout)
        cost = next(o for o in data["outcomes"] if o["area"] == "cost")
        assert cost["share"] == 1.0 and cost["targets"][0]["target"].startswith("コスト最適化")
        assert {g["id"]: g["enforced_by"] for g in data["gates"]}["one-at-a-time"] == [
            "dev-cluster"
        ]


class TestCoverage:
    def test_a_minimum_brings_an_area_in(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "design", "environment": "none", "value": 5, "outcomes": ["cost"]},
            {
                "activity": "design",
                "environment": "none",
                "value": 1,
                "outcomes": ["observability"],
            },
        )
        plain = parse_scenario({"appetite": "LOW", "budget_hours": 1})
        covered = parse_scenario(
            {"appetite": "LOW", "budget_hours": 1, "coverage": {"observability": 1}}
        )
        assert assess(catalog, plain, rubric, graph_rules).selection.selected == ("T1",)
        result = assess(catalog, covered, rubric, graph_rules)
        assert result.selection.selected == ("T2",)
        assert result.selection.baseline.selected == ("T2",)  # greedy honours it too

    def test_an_impossible_minimum_is_explained(self, rubric, graph_rules):
        catalog = catalog_of({"activity": "design", "environment": "none", "outcomes": ["cost"]})
        scenario = parse_scenario({"appetite": "LOW", "coverage": {"security": 1}})
        selection = assess(catalog, scenario, rubric, graph_rules).selection
        assert selection.status == "infeasible"
        assert [v.message for v in selection.violations] == [
            "coverage of security asks for at least 1 selected task(s), but only 0 unit(s) "
            "that advance it can be chosen"
        ]

    def test_two_lanes_honour_the_minimum_too(self, rubric, graph_rules):
        catalog = catalog_of(
            {"activity": "design", "environment": "none", "value": 5, "outcomes": ["cost"]},
            {"activity": "design", "environment": "none", "value": 4, "outcomes": ["cost"]},
            {"activity": "design", "environment": "none", "value": 1, "outcomes": ["security"]},
        )
        scenario = parse_scenario(
            {"appetite": "LOW", "budget_hours": 1, "lanes": 2, "coverage": {"security": 1}}
        )
        result = assess(catalog, scenario, rubric, graph_rules)
        assert set(result.selection.selected) == {"T1", "T3"}

    @settings(deadline=None, max_examples=80)
    @given(st.data())
    def test_coverage_optimum_matches_brute_force(self, rubric, graph_rules, data):
        n = data.draw(st.integers(1, 8))
        areas = ["cost", "security", "observability"]
        tasks = [
            {
                "activity": "design",
                "environment": "none",
                "effort": data.draw(st.sampled_from([0.5, 1, 1.5, 2])),
                "value": data.draw(st.integers(0, 5)),
                "outcomes": data.draw(st.lists(st.sampled_from(areas), max_size=2, unique=True)),
            }
            for _ in range(n)
        ]
        budget = data.draw(st.sampled_from([1, 2, 3, 5]))
        minimums = data.draw(st.dictionaries(st.sampled_from(areas), st.integers(0, 2), max_size=2))
        catalog = catalog_of(*tasks)
        scenario = parse_scenario(
            {
                "appetite": "LOW",
                "budget_hours": budget,
                "coverage": minimums,
                "merge_duplicates": False,
            }
        )
        selection = assess(catalog, scenario, rubric, graph_rules, simulate=False).selection
        best = None
        for size in range(n + 1):
            for subset in itertools.combinations(range(n), size):
                if sum(tasks[i]["effort"] for i in subset) > budget:
                    continue
                if any(
                    sum(a in tasks[i]["outcomes"] for i in subset) < m for a, m in minimums.items()
                ):
                    continue
                value = sum(tasks[i]["value"] for i in subset)
                best = value if best is None else max(best, value)
        if best is None:
            assert selection.status == "infeasible"
        else:
            assert selection.status == "optimal"
            assert selection.objective == best
            chosen = set(selection.selected)
            for area, minimum in minimums.items():
                assert sum(area in catalog.task_by_id[t].outcomes for t in chosen) >= minimum
