"""How fast a batch of weekly reports renders, with warm kernels and with a kernel per report.

Makes ``--catalogs`` copies of the seed catalog (each its own team name) and
renders them all with ``assess report --catalog-dir``'s code, twice with
``--workers`` local processes: once with one kernel kept warm per worker (the
default), once with papermill starting a kernel per report. Prints reports
per second for both and the ratio, measured in the same run.

    .venv/bin/python bench/batch_reports.py [--catalogs 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from analysis.report.batch import render_reports

#: The bundled seed catalog of the checkout this script is in.
SEED_CATALOG = (
    Path(__file__).resolve().parent.parent / "data" / "catalogs" / "cc03-ultra-marathon.yaml"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogs", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    data = yaml.safe_load(SEED_CATALOG.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "catalogs"
        folder.mkdir()
        for i in range(args.catalogs):
            data["catalog"]["name"] = f"team-{i:02d}"
            (folder / f"team-{i:02d}.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
            )
        figures = {}
        for label, warm in (("warm kernel per worker", True), ("kernel per report", False)):
            started = time.perf_counter()
            result = render_reports(
                folder,
                [SEED_CATALOG.parent.parent / "scenarios" / "seed-limits.yaml"],
                week="2026-W48",
                out=Path(scratch) / label.replace(" ", "-"),
                history=None,
                workers=args.workers,
                warm=warm,
            )
            seconds = time.perf_counter() - started
            assert not result.failed, result.failed
            per = sorted(row["seconds"] for row in result.rows)
            figures[label] = seconds
            print(
                f"{label:24s} {args.catalogs} reports in {seconds:5.1f} s "
                f"({args.catalogs / seconds:.2f}/s); per report: fastest {per[0]:.2f} s, "
                f"median {per[len(per) // 2]:.2f} s, slowest {per[-1]:.2f} s"
            )
    ratio = figures["kernel per report"] / figures["warm kernel per worker"]
    print(f"warm kernels are {ratio:.2f}x as fast ({args.workers} workers)")


if __name__ == "__main__":
    main()
