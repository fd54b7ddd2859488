"""The checks of .ci/test-wheel that are easier in Python (standard library only).

    python .ci/wheel_check.py contents WHEEL SOURCE
        every module and every file of analysis/data in SOURCE (the copy the wheel
        was built from) is in WHEEL, and so are the bundled defaults by name
    python .ci/wheel_check.py compare WHEEL_JSON WHEEL_PYTHON CHECKOUT_JSON CHECKOUT_PYTHON
        two outputs of ``assess audit --format json`` are equal, and neither names a
        local absolute path (the bundled rubric is ``bundled:rubric.yaml`` wherever
        the package is installed); the PYTHONs are kept for the command's shape

Exits non-zero with a message saying what differs.
"""

from __future__ import annotations

import difflib
import json
import sys
import zipfile
from pathlib import Path

#: The bundled defaults (analysis/resources.py), which the code finds as package files.
BUNDLED = (
    "rubric.yaml",
    "gates.yaml",
    "graph-rules.yaml",
    "import-words.yaml",
    "vocabulary.yaml",
    "default-scenario.yaml",
    "weekly-report.ipynb",
    "templates/offline-report/conf.json",
    "templates/offline-report/index.html.j2",
    "templates/batch-index.html.j2",
)


def contents(wheel: str, source: str) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    required = {f"analysis/data/{name}" for name in BUNDLED}
    src = Path(source)
    for path in sorted(src.joinpath("analysis").rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(src).as_posix()
        if relative.startswith("analysis/data/") or path.suffix == ".py":
            required.add(relative)
    missing = sorted(required - names)
    if missing:
        sys.exit("not in the wheel: " + ", ".join(missing))
    templates = sorted(n for n in names if n.startswith("analysis/data/templates/"))
    print(f"test-wheel: the wheel holds all {len(required)} files; templates: {templates}")


def normalised(audit_json: str, python: str) -> dict:
    """The audit, checked to name no local absolute path (bundled files are ``bundled:...``)."""
    del python  # the outputs no longer depend on where the package is installed
    absolute: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "source" and isinstance(value, str) and Path(value).is_absolute():
                    absolute.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    audit = json.loads(Path(audit_json).read_text(encoding="utf-8"))
    if not audit.get("tasks"):
        sys.exit(f"{audit_json}: no tasks in the audit")
    walk(audit)
    if absolute:
        sys.exit(f"{audit_json}: local absolute paths in the output: {', '.join(absolute)}")
    if audit.get("rubric", {}).get("source") != "bundled:rubric.yaml":
        sys.exit(f"{audit_json}: the bundled rubric is not named bundled:rubric.yaml")
    return audit


def compare(wheel_json: str, wheel_python: str, checkout_json: str, checkout_python: str) -> None:
    wheel = normalised(wheel_json, wheel_python)
    checkout = normalised(checkout_json, checkout_python)
    if wheel != checkout:
        lines = [
            json.dumps(audit, ensure_ascii=False, indent=1, sort_keys=True).splitlines()
            for audit in (checkout, wheel)
        ]
        diff = difflib.unified_diff(*lines, "checkout", "wheel", lineterm="", n=2)
        print("\n".join(list(diff)[:80]), file=sys.stderr)
        sys.exit("the wheel's audit differs from the checkout's")
    print(f"test-wheel: the wheel's audit equals the checkout's ({len(wheel['tasks'])} tasks)")


def main(argv: list[str]) -> None:
    commands = {"contents": (contents, 2), "compare": (compare, 4)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        sys.exit(__doc__)
    function, _ = commands[argv[1]]
    function(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
