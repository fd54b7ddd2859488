"""Run a command; fail if it left, removed or changed a file git ignores in the checkout.

    python .ci/untouched.py COMMAND [ARG ...]

`make test` runs pytest this way: tests write into temporary folders, never into reports/,
data/history.sqlite or any other file of the checkout, and never read what an earlier run
left there. Before and after COMMAND, every file git ignores is listed with its size and
modification time (what `git status --ignored` shows, file by file), tool caches and
virtual environments aside: .venv*, *.egg-info, __pycache__, .pytest_cache, .hypothesis,
.ruff_cache, .mypy_cache, .import_linter_cache, .ipynb_checkpoints. Files git tracks, or
would add, are left to `git status`: editing sources while the tests run is no failure.
Another process writing ignored files at the same time (a report rendered by hand) shows
here too.

Exit status: COMMAND's when it failed, else 1 when a file changed, else 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CACHES = {
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".ruff_cache",
    ".mypy_cache",
    ".import_linter_cache",
    ".ipynb_checkpoints",
}
SHOWN = 20


def ignored_files(root: Path) -> dict[str, tuple[int, int]]:
    """Each ignored file (path relative to ``root``) with its size and mtime in ns."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--ignored", "--exclude-standard"],  # noqa: S607 (git from PATH)
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "surrogateescape")
    files = {}
    for name in listing.split("\0"):
        parts = name.split("/")
        top = parts[0]
        if not name or top.startswith(".venv") or top.endswith(".egg-info"):
            continue
        if CACHES.intersection(parts[:-1]):
            continue
        try:
            status = os.lstat(root / name)
        except FileNotFoundError:  # gone since git listed it
            continue
        files[name] = (status.st_size, status.st_mtime_ns)
    return files


def main(command: list[str]) -> int:
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parent.parent
    try:
        before = ignored_files(root)
    except (OSError, subprocess.CalledProcessError):
        print("untouched: not a git checkout; the checkout is not compared", file=sys.stderr)
        return subprocess.call(command)  # noqa: S603 (the caller's own command)
    status = subprocess.call(command)  # noqa: S603
    after = ignored_files(root)
    changes = [
        *(f"added    {name}" for name in sorted(after.keys() - before.keys())),
        *(f"removed  {name}" for name in sorted(before.keys() - after.keys())),
        *(
            f"changed  {name}"
            for name in sorted(before.keys() & after.keys())
            if before[name] != after[name]
        ),
    ]
    if changes:
        print(
            f"untouched: `{' '.join(command)}` left {len(changes)} change(s) in files git "
            "ignores in the checkout (tests must write into temporary folders):",
            *changes[:SHOWN],
            *([f"... and {len(changes) - SHOWN} more"] if len(changes) > SHOWN else []),
            sep="\n  ",
            file=sys.stderr,
        )
    return status or (1 if changes else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
