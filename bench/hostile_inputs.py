"""How parsing grows on pathological inputs: 10⁵ and 10⁶ characters, and their ratio.

Every case of ``tests/hostile/cases.py`` (runs of backticks, spaces, asterisks,
pipes, brackets, nested lists, long YAML and CSV cells) is parsed in a fresh
process at each size; the table gives the outcome (``ok`` or ``refused`` with
one line), the parse's seconds at each size and their ratio: about 10 when the
parse is linear, about 100 when it is quadratic. A parse that passes the
timeout is shown as such.

    .venv/bin/python bench/hostile_inputs.py [--sizes 100000 1000000] [--timeout 300] [CASE ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile.cases import CASES, run_probe, write_case  # noqa: E402


def _run(parser: str, path: Path, timeout: float) -> tuple[str, float | None]:
    try:
        done = run_probe(parser, path, timeout)
    except subprocess.TimeoutExpired:
        return "timeout", None
    if done.returncode != 0:
        return f"crash ({done.returncode})", None
    result = json.loads(done.stdout)
    return result["outcome"], result["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100_000, 1_000_000])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()
    small, large = args.sizes
    print(
        f"{'case':26} {'outcome':9} {f'{small:,} chars':>14} {f'{large:,} chars':>14} {'ratio':>7}"
    )
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for name, kind, make in CASES:
            if args.cases and name not in args.cases:
                continue
            times, outcome = [], ""
            for size in (small, large):
                path = write_case(Path(folder), name, kind, make, size)
                outcome, seconds = _run(kind, path, args.timeout)
                times.append(seconds)
                path.unlink()
            a, b = times
            ratio = b / a if a and b and a > 0.01 else None
            if ratio:
                worst = max(worst, ratio)
            shown = [f"{t:.3f} s" if t is not None else "-" for t in times]
            ratio_text = f"{ratio:.1f}" if ratio else "-"
            print(f"{name:26} {outcome:9} {shown[0]:>14} {shown[1]:>14} {ratio_text:>7}")
    print(f"largest ratio (of parses over 10 ms): {worst:.1f} (linear: about {large / small:g})")


if __name__ == "__main__":
    main()
