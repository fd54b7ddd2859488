"""Print a pip constraints file that pins every direct dependency to its floor.

Reads ``[project].dependencies`` and every extra of
``[project.optional-dependencies]`` in pyproject.toml and turns each
``name>=X`` into ``name==X`` (extras dropped: pip constraints take none).
``make test-floors`` installs ``.[lab,test]`` with the result, so the lowest
versions pyproject allows are installed together and tested; the packages
they depend on resolve freely.

    python3 requirements/floors.py [pyproject.toml] > floors.txt

A requirement without a ``>=`` floor (or with anything this script does not
understand) is an error: every direct dependency must name the lowest version
it is tested with.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

#: ``name``, optional ``[extras]``, ``>=floor``, optional ``,<ceiling`` (or ``,!=...``).
REQUIREMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9._,-]+\])?"
    r">=(?P<floor>[0-9][0-9A-Za-z.+!-]*)(?:,(?:<|<=|!=)[0-9A-Za-z.*+!-]+)*$"
)


def floors(pyproject: Path) -> list[str]:
    """``name==floor`` for every requirement, core first, then each extra in order."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups = {"[project] dependencies": project.get("dependencies", [])}
    for extra, requirements in project.get("optional-dependencies", {}).items():
        groups[f"[project.optional-dependencies] {extra}"] = requirements
    lines, seen = [], {}
    for group, requirements in groups.items():
        lines.append(f"# {group}")
        for requirement in requirements:
            match = REQUIREMENT.match(requirement.replace(" ", ""))
            if match is None:
                raise SystemExit(
                    f"floors.py: {pyproject}: {requirement!r} has no '>=' floor this script "
                    "understands (name[extras]>=X[,<Y])"
                )
            name = re.sub(r"[-_.]+", "-", match["name"]).lower()
            floor = match["floor"]
            if name in seen:
                if seen[name] != floor:
                    raise SystemExit(
                        f"floors.py: {pyproject}: {name} has two floors, {seen[name]} and {floor}"
                    )
                continue
            seen[name] = floor
            lines.append(f"{name}=={floor}")
    return lines


def main(argv: list[str]) -> None:
    pyproject = Path(argv[1] if len(argv) > 1 else "pyproject.toml")
    print("# The floors of pyproject.toml's requirements, made by requirements/floors.py.")
    print("\n".join(floors(pyproject)))


if __name__ == "__main__":
    main(sys.argv)
