"""Loading catalogs: the YAML and CSV forms, the seed catalog, and every kind of bad input."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from analysis.errors import CatalogError, DependencyCycleError
from analysis.inputs.catalog import format_catalog, parse_catalog_text, read_catalog, write_catalog
from analysis.inputs.catalog_records import parse_catalog
from analysis.model import Effort
from analysis.vocabulary import LEVELS
from tests.conftest import ROOT, SEED_CATALOG, tiny_data


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line holding ``needle``."""
    return next(i for i, line in enumerate(text.splitlines()) if needle in line) + 1


# --------------------------------------------------------------------------- the YAML form


class TestParse:
    def test_tiny_catalog_resolves_defaults(self, tiny_catalog):
        t1, t2, t3 = tiny_catalog.tasks
        assert (t1.effort, t1.effort_source) == (Effort.point(0.5), "default")
        assert (t1.value, t1.value_source) == (3.0, "priority")
        assert (t2.value, t2.value_source) == (1.0, "default")
        assert (t3.effort, t3.effort_source) == (Effort(1, 2, 4), "task")
        assert t3.effort.hours == 2
        assert (t3.value, t3.value_source) == (5.0, "task")

    def test_missing_optional_facts_are_unknown(self, tiny_catalog):
        t1 = tiny_catalog.tasks[0]
        assert t1.reversibility == "unknown"
        assert t1.unknown_facts() == ("reversibility",)

    def test_touches_are_a_set_in_vocabulary_order(self):
        data = tiny_data()
        data["tasks"][0]["touches"] = ["cost", "network", "cost"]
        assert parse_catalog(data).tasks[0].touches == ("network", "cost")

    def test_touches_scalar_unknown(self):
        data = tiny_data()
        data["tasks"][0]["touches"] = "unknown"
        assert parse_catalog(data).tasks[0].touches == ("unknown",)

    def test_unknown_activity_takes_the_largest_default_effort(self):
        data = tiny_data()
        data["tasks"][0]["activity"] = "unknown"
        assert parse_catalog(data).tasks[0].effort.hours == 2.0

    def test_a_default_effort_for_unknown_activity(self):
        data = tiny_data()
        data["defaults"]["effort_hours"]["unknown"] = 5
        data["tasks"][0]["activity"] = "unknown"
        catalog = parse_catalog(data)
        task = catalog.tasks[0]
        assert (task.effort.hours, task.effort_source) == (5.0, "default")
        for fmt in ("yaml", "csv"):
            assert parse_catalog_text(format_catalog(catalog, fmt), fmt) == catalog

    def test_exponents_yaml_reads_as_numbers(self):
        text = dump(tiny_data()).replace("value: 5", "value: 5.0e+1")
        assert "value: 5.0e+1" in text
        assert parse_catalog_text(text, "yaml").task_by_id["T3"].value == 50

    def test_issues_are_implied_when_none_declared(self):
        data = tiny_data()
        del data["issues"]
        data["tasks"][1]["issue"] = 7
        catalog = parse_catalog(data)
        assert sorted(catalog.issue_by_number) == [1, 7]
        assert catalog.issue_by_number[7].title is None

    def test_name_falls_back_to_file_stem(self, tmp_path):
        data = tiny_data()
        del data["catalog"]["name"]
        path = tmp_path / "team-a.yaml"
        path.write_text(dump(data), encoding="utf-8")
        assert read_catalog(path).name == "team-a"

    def test_any_language_names_a_catalog(self):
        data = tiny_data()
        data["catalog"]["name"] = "emoji-カタログ_v1.2"
        assert parse_catalog(data).name == "emoji-カタログ_v1.2"

    def test_byte_order_mark_is_accepted(self, tmp_path):
        path = tmp_path / "bom.yaml"
        path.write_bytes(b"\xef\xbb\xbf" + dump(tiny_data()).encode("utf-8"))
        assert len(read_catalog(path)) == 3


class TestSeedCatalog:
    """The bundled seed catalog: what the seed lists, counted by hand, not as it claims."""

    def test_every_listed_task_is_there(self, seed_catalog):
        by_issue = {n: len(seed_catalog.tasks_of(n)) for n in (384, 381, 347, 348)}
        # The seed's own lines: #384 Task 1-20; #381 Task 4-6, 8-9, 11-12 (LOW), 10, 13, 15
        # (MEDIUM); #347 3 + 4 + 1 lines; #348 1 + 2 + 2 lines.
        assert by_issue == {384: 20, 381: 10, 347: 8, 348: 5}
        assert len(seed_catalog) == 43

    def test_declared_counts_are_kept_as_stated(self, seed_catalog):
        assert seed_catalog.declared.total == 42
        assert dict(seed_catalog.declared.by_level) == {"LOW": 22, "MEDIUM": 15}
        declared = {
            n: (i.declared.total, dict(i.declared.by_level))
            for n, i in seed_catalog.issue_by_number.items()
        }
        assert declared == {
            384: (20, {"LOW": 12, "MEDIUM": 6, "HIGH": 2}),
            381: (9, {"LOW": 6, "MEDIUM": 3}),
            347: (8, {"LOW": 3, "MEDIUM": 4, "HIGH": 1}),
            348: (5, {"LOW": 1, "MEDIUM": 2, "HIGH": 2}),
        }

    def test_titles_are_verbatim_from_the_seed(self, seed_catalog):
        seed = (ROOT / seed_catalog.source).resolve()
        if not seed.exists():
            pytest.skip(f"the seed document is not beside the repository ({seed})")
        text = seed.read_text(encoding="utf-8")
        missing = [t.title for t in seed_catalog if t.title not in text]
        assert missing == []
        assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t.title) for t in seed_catalog)

    def test_every_task_declares_a_level_and_evidence(self, seed_catalog):
        assert all(t.declared_risk in LEVELS for t in seed_catalog)
        for task in seed_catalog:
            for fact in ("activity", "environment"):
                known = task.fact(fact) != "unknown"
                assert known == (fact in task.evidence), (task.id, fact)

    def test_values_come_from_the_plan_priorities(self, seed_catalog):
        sources = {t.value_source for t in seed_catalog}
        assert sources == {"priority", "default"}
        # The plan names 29 catalog tasks (its 30th item, 包括的ドキュメント生成, names none).
        assert sum(t.priority is not None for t in seed_catalog) == 29
        assert sum(t.priority == "P0" for t in seed_catalog) == 18


# --------------------------------------------------------------------------- the CSV form


class TestCsv:
    def test_round_trip_of_the_seed(self, seed_catalog, tmp_path):
        path = write_catalog(seed_catalog, tmp_path / "seed.csv")
        assert read_catalog(path) == seed_catalog

    def test_plain_task_sheet_without_record_column(self):
        text = (
            "id,issue,title,activity,environment,touches,effort,depends_on\n"
            "A,1,Helm Charts作成,template,none,compute,0.5,\n"
            'B,1,"Helm, 実装",implement,dev,"compute, ci",1,A\n'
        )
        catalog = parse_catalog_text(text, "csv")
        assert [t.id for t in catalog] == ["A", "B"]
        assert catalog.tasks[1].title == "Helm, 実装"
        assert catalog.tasks[1].touches == ("compute", "ci")
        assert catalog.tasks[1].depends_on == ("A",)

    def test_windows_line_endings(self):
        text = "id,issue,title,activity,environment,effort\r\nA,1,x,design,none,1\r\n"
        assert parse_catalog_text(text, "csv").tasks[0].effort.hours == 1

    def test_yaml_and_csv_give_the_same_catalog(self, tiny_catalog):
        csv_text = format_catalog(tiny_catalog, "csv")
        yaml_text = format_catalog(tiny_catalog, "yaml")
        assert parse_catalog_text(csv_text, "csv") == parse_catalog_text(yaml_text, "yaml")


# --------------------------------------------------------------------------- writing


def test_write_is_atomic(tiny_catalog, tmp_path, monkeypatch):
    path = tmp_path / "cat.yaml"
    path.write_text("previous content\n", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_catalog(tiny_catalog, path)
    assert path.read_text(encoding="utf-8") == "previous content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat.yaml"]


# --------------------------------------------------------------------------- bad input


def run_bad(assess, path: Path, *needles: str) -> str:
    """Audit ``path``; assert exit 2 and one stderr line holding every needle."""
    result = assess("audit", path)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def write(tmp_path: Path, text: str | bytes, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


class TestBadInput:
    """One test per bad-input case: exit 2, one line naming file, line, task and field."""

    def test_malformed_yaml_names_the_line(self, assess, tmp_path):
        text = dump(tiny_data()).replace("title: Mesh 実装 (開発環境)", "title: [Mesh 実装")
        path = write(tmp_path, text)
        bad_line = line_of(text, "[Mesh 実装")
        message = run_bad(assess, path, str(path), "malformed YAML")
        reported = int(re.search(rf"{re.escape(str(path))}:(\d+):", message).group(1))
        assert bad_line <= reported <= bad_line + 1

    @pytest.mark.parametrize("text", ["", "\n   \n", "# only a comment\n"])
    def test_empty_file(self, assess, tmp_path, text):
        run_bad(assess, write(tmp_path, text), "empty file")

    def test_non_utf8_bytes(self, assess, tmp_path):
        raw = dump(tiny_data()).encode("utf-8").replace("実装".encode(), "実装".encode("shift_jis"))
        line = raw.split("実装".encode("shift_jis"))[0].count(b"\n") + 1
        run_bad(
            assess, write(tmp_path, raw), f"bad.yaml:{line}:", "not UTF-8", "save the file as UTF-8"
        )

    def test_unknown_field_suggests_the_known_one(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][1]["enviroment"] = data["tasks"][1].pop("environment")
        text = dump(data)
        run_bad(
            assess,
            write(tmp_path, text),
            f"bad.yaml:{line_of(text, 'enviroment')}:",
            "task T2",
            "field 'enviroment'",
            "did you mean 'environment'",
        )

    def test_no_effort_and_no_default_for_the_activity(self, assess, tmp_path):
        data = tiny_data()
        del data["defaults"]
        text = dump(data)
        run_bad(
            assess,
            write(tmp_path, text),
            f"bad.yaml:{line_of(text, 'id: T1')}:",
            "task T1",
            "field 'effort'",
            "the task gives no effort, and the catalog gives no defaults.effort_hours for its "
            "activity 'design'",
        )

    @pytest.mark.parametrize(
        ("written", "field", "expected"),
        [
            (
                "effort: 1e3",
                "effort",
                "got text '1e3' (YAML reads 1e3 as text: write 1000 or 1.0e+3)",
            ),
            (
                "value: 2E-1",
                "value",
                "got text '2E-1' (YAML reads 2E-1 as text: write 0.2 or 2.0e-1)",
            ),
            ("effort: '1.5'", "effort", "got text '1.5' (write it without quotes)"),
        ],
    )
    def test_a_number_yaml_reads_as_text_says_how_to_write_it(
        self, assess, tmp_path, written, field, expected
    ):
        data = tiny_data()
        del data["tasks"][2]["effort"]
        text = dump(data).replace("value: 5", written)
        run_bad(assess, write(tmp_path, text), "task T3", f"field '{field}'", expected)

    def test_missing_required_field(self, assess, tmp_path):
        data = tiny_data()
        del data["tasks"][1]["title"]
        run_bad(
            assess, write(tmp_path, dump(data)), "task T2", "field 'title'", "missing (required)"
        )

    def test_missing_id_names_the_position(self, assess, tmp_path):
        data = tiny_data()
        del data["tasks"][2]["id"]
        run_bad(assess, write(tmp_path, dump(data)), "task #3 in the list", "field 'id'", "missing")

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("effort", "two hours", "expected hours or {optimistic, likely, pessimistic}"),
            ("issue", "one", "expected a whole number, got text 'one'"),
            ("title", 12, "expected text, got number 12"),
            ("touches", {"a": 1}, "expected a list of areas"),
            ("value", True, "expected a number, got boolean true"),
        ],
    )
    def test_wrong_type(self, assess, tmp_path, field, value, expected):
        data = tiny_data()
        data["tasks"][1][field] = value
        run_bad(assess, write(tmp_path, dump(data)), "task T2", f"field '{field}'", expected)

    @pytest.mark.parametrize(
        ("field", "value", "allowed"),
        [
            ("environment", "prod", "none, dev, verification, staging, production, unknown"),
            ("activity", "build", "design, document, template, configure, implement"),
            ("status", "finished", "todo, in_progress, done, blocked, cancelled"),
            ("declared_risk", "CRITICAL", "LOW, MEDIUM, HIGH"),
            ("touches", ["network", "dns"], "network, data, architecture"),
        ],
    )
    def test_value_outside_enumeration_lists_the_allowed(
        self, assess, tmp_path, field, value, allowed
    ):
        data = tiny_data()
        data["tasks"][1][field] = value
        run_bad(
            assess,
            write(tmp_path, dump(data)),
            "task T2",
            f"field '{field}'",
            "is not one of",
            allowed,
        )

    def test_duplicate_id(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][2]["id"] = "T2"
        data["tasks"][2]["depends_on"] = ["T1"]
        text = dump(data)
        second = [i + 1 for i, line in enumerate(text.splitlines()) if "id: T2" in line][-1]
        run_bad(
            assess,
            write(tmp_path, text),
            f"bad.yaml:{second}:",
            "task T2",
            "field 'id'",
            "duplicate id",
        )

    def test_dependency_on_unknown_id(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][2]["depends_on"] = ["T2", "T9"]
        run_bad(
            assess,
            write(tmp_path, dump(data)),
            "task T3",
            "field 'depends_on'",
            "unknown task id 'T9'",
        )

    @pytest.mark.parametrize("effort", [0, -1.5, {"optimistic": 0, "likely": 1, "pessimistic": 2}])
    def test_non_positive_effort(self, assess, tmp_path, effort):
        data = tiny_data()
        data["tasks"][1]["effort"] = effort
        run_bad(assess, write(tmp_path, dump(data)), "task T2", "field 'effort", "must be positive")

    def test_three_point_effort_out_of_order(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][1]["effort"] = {"optimistic": 3, "likely": 1, "pessimistic": 2}
        run_bad(
            assess, write(tmp_path, dump(data)), "task T2", "optimistic <= likely <= pessimistic"
        )

    def test_cycle_names_the_cycle(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][0]["depends_on"] = ["T3"]
        run_bad(
            assess,
            write(tmp_path, dump(data)),
            "task T1",
            "field 'depends_on'",
            "dependency cycle T1 -> T3 -> T2 -> T1",
        )

    def test_self_dependency_is_a_cycle(self):
        data = tiny_data()
        data["tasks"][0]["depends_on"] = ["T1"]
        with pytest.raises(DependencyCycleError) as info:
            parse_catalog(data)
        assert info.value.cycle == ("T1", "T1")

    def test_duplicate_yaml_key(self, assess, tmp_path):
        text = dump(tiny_data()).replace(
            "  environment: dev\n", "  environment: dev\n  environment: production\n"
        )
        run_bad(
            assess, write(tmp_path, text), "field 'environment'", "duplicate key (first at line"
        )

    def test_complex_yaml_key(self, assess, tmp_path):
        text = dump(tiny_data()).replace("  environment: dev\n", "  ? [environment]\n  : dev\n", 1)
        run_bad(assess, write(tmp_path, text), "a key must be a plain value")

    def test_task_of_an_undeclared_issue(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][1]["issue"] = 2
        run_bad(
            assess,
            write(tmp_path, dump(data)),
            "task T2",
            "field 'issue'",
            "issue #2 is not declared",
        )

    def test_priority_without_a_value(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][1]["priority"] = "P5"
        run_bad(
            assess,
            write(tmp_path, dump(data)),
            "task T2",
            "field 'priority'",
            "no value for priority 'P5'",
        )

    def test_unsupported_suffix(self, assess, tmp_path):
        run_bad(
            assess, write(tmp_path, dump(tiny_data()), "cat.txt"), "unsupported file type '.txt'"
        )

    def test_missing_file(self, assess, tmp_path):
        run_bad(assess, tmp_path / "nope.yaml", "nope.yaml", "no such file")

    def test_csv_bad_number_names_the_row(self, assess, tmp_path):
        text = (
            "id,issue,title,activity,environment,effort\n"
            "A,1,x,design,none,1\n"
            "B,1,y,design,none,abc\n"
        )
        run_bad(
            assess,
            write(tmp_path, text, "bad.csv"),
            "bad.csv:3:",
            "task B",
            "field 'effort'",
            "'abc'",
        )

    def test_csv_unknown_column(self, assess, tmp_path):
        text = "id,issue,title,activity,enviroment\nA,1,x,design,none\n"
        run_bad(
            assess,
            write(tmp_path, text, "bad.csv"),
            "bad.csv:1:",
            "unknown column",
            "did you mean 'environment'",
        )

    def test_csv_duplicate_column(self, assess, tmp_path):
        text = "id,issue,title,activity,environment,title,effort\nC-1,5,one,design,none,two,1\n"
        run_bad(
            assess,
            write(tmp_path, text, "bad.csv"),
            "bad.csv:1: header: field 'title': duplicate column (columns 3 and 6)",
        )

    def test_csv_cell_that_does_not_apply(self, assess, tmp_path):
        text = (
            "record,id,issue,title,activity,environment,declared_total\ntask,A,1,x,design,none,4\n"
        )
        run_bad(
            assess,
            write(tmp_path, text, "bad.csv"),
            "bad.csv:2:",
            "field 'declared_total'",
            "task rows",
        )

    @pytest.mark.parametrize(
        "name",
        ["../../escaped-cat", "a/b", "a\\b", "..", ".", ".hidden", "a\x01b", "a\x7fb", "a\x1bb"],
    )
    def test_a_name_that_cannot_name_a_folder(self, assess, tmp_path, name):
        data = tiny_data()
        data["catalog"]["name"] = name
        text = dump(data)
        path = write(tmp_path, text)
        run_bad(
            assess,
            path,
            f"{path}:{line_of(text, 'name:')}: catalog: field 'name': ",
            "cannot name a folder",
        )

    def test_a_name_too_long_for_a_folder(self, assess, tmp_path):
        data = tiny_data()
        data["catalog"]["name"] = "あ" * 100  # 300 bytes in UTF-8; a folder name has 255
        run_bad(assess, write(tmp_path, dump(data)), "field 'name'", "300 bytes in UTF-8")
        data["catalog"]["name"] = "あ" * 66
        assert parse_catalog(data).name == "あ" * 66

    def test_an_empty_name_is_the_file_stem(self, tmp_path):
        data = tiny_data()
        data["catalog"]["name"] = ""
        path = tmp_path / "team-b.yaml"
        path.write_text(dump(data), encoding="utf-8")
        assert read_catalog(path).name == "team-b"

    def test_a_file_name_that_cannot_name_a_folder(self, assess, tmp_path):
        data = tiny_data()
        del data["catalog"]["name"]
        run_bad(assess, write(tmp_path, dump(data), "...yaml"), "'..' cannot name a folder")

    def test_csv_name_that_cannot_name_a_folder(self, assess, tmp_path):
        text = "record,id,issue,title,activity,environment,effort,name\n"
        text += "catalog,,,,,,,../up\ntask,A,1,x,design,none,1,\n"
        run_bad(assess, write(tmp_path, text, "bad.csv"), "bad.csv:2: catalog: field 'name'")

    def test_debug_shows_the_traceback(self, assess, tmp_path):
        data = tiny_data()
        data["tasks"][1]["environment"] = "prod"
        result = assess("audit", write(tmp_path, dump(data)), "--debug")
        assert result.exit_code == 2
        assert "Traceback" in result.stderr
        assert result.stderr.rstrip().splitlines()[-1].startswith("assess: error: ")


def test_catalog_built_in_code_checks_duplicates():
    data = tiny_data()
    catalog = parse_catalog(data)
    with pytest.raises(CatalogError, match="duplicate id"):
        type(catalog)(name="x", tasks=(catalog.tasks[0], catalog.tasks[0]))


def test_seed_catalog_file_is_utf8_yaml():
    assert SEED_CATALOG.suffix == ".yaml"
    SEED_CATALOG.read_bytes().decode("utf-8")


def test_readme_examples_are_one_valid_catalog():
    """The README's YAML and CSV examples load, and describe the same catalog."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    yaml_text = re.search(r"```yaml\n(.*?)```", readme, flags=re.S).group(1)
    csv_text = re.search(r"```csv\n(.*?)```", readme, flags=re.S).group(1)
    from_yaml = parse_catalog_text(yaml_text, "yaml")
    assert parse_catalog_text(csv_text, "csv") == from_yaml
    assert [t.id for t in from_yaml] == ["12-T01", "12-T02", "12-T03"]
