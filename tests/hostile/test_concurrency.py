"""Renders, a batch and sweeps started at once into one new ``--out`` and one ``--history``.

Eight ``assess`` processes start together: three reports (one week of one catalog
three times over, counting the batch), a batch of both catalogs, and four runs of
the same sweep into one folder. Every one must succeed; every week's folder holds
one complete set whose snapshots are the history's rows for that week; nothing
temporary is left behind.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from analysis.report.publish import KILL_VARIABLE, LOCK, SNAPSHOTS
from analysis.resources import WORKDIR_VARIABLE
from tests.conftest import SCENARIOS_DIR, SEED_CATALOG

TIMEOUT = 900  # seconds: stops a hang; eight at once on two cores take about a minute
SET = [SNAPSHOTS, "plan.csv", "plan.json", "weekly-report.html"]


def catalogs(folder: Path) -> None:
    """Two copies of the seed catalog, named team-a and team-b."""
    folder.mkdir()
    for name in ("team-a", "team-b"):
        data = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
        data["catalog"]["name"] = name
        data["catalog"]["scenarios"] = [
            str(SCENARIOS_DIR / "seed-limits.yaml"),
            str(SCENARIOS_DIR / "seed-plan.yaml"),
        ]
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def test_eight_at_once_into_one_out_and_history(tmp_path):
    catalogs(tmp_path / "teams")
    sweep = {
        "name": "small",
        "base": str(SCENARIOS_DIR / "seed-limits.yaml"),
        "vary": {"budget_hours": [2, 4], "lanes": [1, 2]},
    }
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(sweep), encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    common = ["--out", "out", "--history", "history.sqlite"]
    sweeps = "out/team-a/sweeps/small"
    runs = [
        ["report", "teams/team-a.yaml", "--week", "2026-W45", *common],
        ["report", "teams/team-a.yaml", "--week", "2026-W45", *common],
        ["report", "teams/team-b.yaml", "--week", "2026-W46", *common],
        ["report", "--catalog-dir", "teams", "--week", "2026-W45", "--workers", "1", *common],
        *[["sweep", "teams/team-a.yaml", "small.yaml", "--workers", "1", "--out", sweeps]] * 4,
    ]
    env = {k: v for k, v in os.environ.items() if k not in (KILL_VARIABLE, WORKDIR_VARIABLE)}
    env["TMPDIR"] = str(tmp_path / "tmp")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "analysis.cli", *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in runs
    ]
    outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
    for args, process, (_, stderr) in zip(runs, processes, outputs, strict=True):
        assert process.returncode == 0, (args, stderr[-3000:])

    out = tmp_path / "out"
    with sqlite3.connect(tmp_path / "history.sqlite") as connection:
        rows = connection.execute("SELECT catalog, scenario, week, data FROM snapshots").fetchall()
    connection.close()
    history = {(catalog, scenario, week): data for catalog, scenario, week, data in rows}
    weeks = {("team-a", "2026-W45"), ("team-b", "2026-W45"), ("team-b", "2026-W46")}
    published = {}
    for name, week in sorted(weeks):
        folder = out / name / week
        assert sorted(p.name for p in folder.iterdir()) == SET
        plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
        assert plan["catalog"]["name"] == name
        assert f"weekly report {week}</title>" in (folder / "weekly-report.html").read_text(
            encoding="utf-8"
        )
        for item in json.loads((folder / SNAPSHOTS).read_text(encoding="utf-8")):
            data = json.dumps(item["snapshot"], ensure_ascii=False, sort_keys=True)
            published[(item["catalog"], item["scenario"], week)] = data
    assert history == published and len(history) == 6  # two scenarios a week
    assert sorted(p.name for p in (out / "team-b").iterdir()) == [LOCK, "2026-W45", "2026-W46"]
    assert sorted(p.name for p in (out / "team-a").iterdir()) == [LOCK, "2026-W45", "sweeps"]
    assert {"index.html", "index-2026-W45.html"} <= {p.name for p in out.iterdir()}
    small = out / "team-a" / "sweeps" / "small"
    assert not [p.name for p in small.iterdir() if p.name.startswith(".")]
    assert len(pd.read_parquet(small / "results.parquet")) == 4
    assert list((tmp_path / "tmp").glob("assess-report-*")) == []
    assert list(tmp_path.glob("history.sqlite-*")) == []
