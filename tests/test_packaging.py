"""The set-up files agree with each other and with the code: pyproject, environment.yml,
the lock, Makefile, README, CI; analysis/ imports only what pyproject declares."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import defaultdict
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from typer.main import get_command
from typer.testing import CliRunner

from analysis.cli import app
from tests.conftest import ROOT

PACKAGE = ROOT / "analysis"
LOCK = ROOT / "requirements" / "constraints.txt"

#: Core dependencies that analysis/ needs at run time although it imports none of them by
#: name. Every other core dependency must be imported somewhere in analysis/.
RUN_TIME_ONLY = {
    # The kernel that papermill and nbclient start ("python3") to run the report notebook.
    "ipykernel",
    # The engine of DataFrame.to_parquet and pandas.read_parquet (analysis/plan/sweep_results.py).
    "pyarrow",
    # Declared as dask[distributed] for the extra: it brings distributed, which analysis/run
    # imports (and which counts as declared through it).
    "dask",
}


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirements(group: str = "dependencies") -> dict[str, Requirement]:
    """A group of pyproject's requirements by distribution name: "dependencies" or an extra."""
    project = pyproject()["project"]
    listed = project[group] if group == "dependencies" else project["optional-dependencies"][group]
    parsed = [Requirement(r) for r in listed]
    return {canonicalize_name(r.name): r for r in parsed}


def brought_by_extras(requirement: Requirement) -> set[str]:
    """The distributions the extras of a requirement add, as the installed metadata says."""
    brought = set()
    for extra in requirement.extras:
        for line in metadata.requires(requirement.name) or []:
            dependency = Requirement(line)
            if dependency.marker is not None and dependency.marker.evaluate({"extra": extra}):
                brought.add(canonicalize_name(dependency.name))
    return brought


def sources() -> list[tuple[str, str]]:
    """(where, Python code) of every module in analysis/ and every code cell of its notebooks
    (the bundled report notebook runs on workers too), magics and shell lines left out."""
    found = [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")
    ]
    for notebook in PACKAGE.rglob("*.ipynb"):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                lines = [
                    line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
                ]
                found.append((f"{notebook.relative_to(ROOT)} cell {index}", "\n".join(lines)))
    return sorted(found)


def imported_distributions() -> dict[str, list[str]]:
    """The distributions of the third-party modules analysis/ imports (at module level or in a
    function), each with where: ``{"pandas": ["analysis/report/frames.py:12", ...]}``."""
    owners = metadata.packages_distributions()
    found: dict[str, list[str]] = defaultdict(list)
    for where, code in sources():
        for node in ast.walk(ast.parse(code, filename=where)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top in sys.stdlib_module_names or top == "analysis":
                    continue
                distributions = owners.get(top)
                assert distributions, f"{where}:{node.lineno}: no installed distribution has {top}"
                for distribution in distributions:
                    found[canonicalize_name(distribution)].append(f"{where}:{node.lineno}")
    return dict(found)


def normalise(requirement: str) -> str:
    """``Typer >= 0.12`` -> ``typer>=0.12`` (PEP 503 names, no spaces)."""
    requirement = requirement.replace(" ", "")
    name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
    return re.sub(r"[-_.]+", "-", name).lower() + requirement[len(name) :]


def test_every_third_party_module_analysis_imports_is_a_core_dependency():
    imported = imported_distributions()
    assert {"numpy", "pandas", "typer", "nbclient", "ipython"} <= imported.keys()  # the walk works
    core = requirements()
    declared = set(core).union(*(brought_by_extras(r) for r in core.values()))
    extras = set(requirements("lab")) | set(requirements("test"))
    # (a module of two distributions, like a namespace package, needs one of them declared)
    owners = defaultdict(set)
    for name, where in imported.items():
        for place in where:
            owners[place].add(name)
    undeclared = {
        name: where[:3]
        for name, where in imported.items()
        if name not in declared and not any(owners[place] & declared for place in where)
    }
    in_extras_only = {name: where for name, where in undeclared.items() if name in extras}
    assert not in_extras_only, f"imported by analysis/ but only in an extra: {in_extras_only}"
    assert not undeclared, f"imported by analysis/ but not in [project].dependencies: {undeclared}"


def test_every_core_dependency_is_imported_or_needed_at_run_time():
    core = requirements()
    assert set(core) >= RUN_TIME_ONLY, "RUN_TIME_ONLY names only core dependencies"
    assert not RUN_TIME_ONLY & imported_distributions().keys(), (
        "imported after all: not run time only"
    )
    unused = set(core) - imported_distributions().keys() - RUN_TIME_ONLY
    assert not unused, f"declared but not imported by analysis/ (nor in RUN_TIME_ONLY): {unused}"


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = pyproject()["project"]
    declared = {normalise(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {normalise(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    listed = {normalise(r) for r in pip if not r.startswith("-e")}
    assert listed == declared
    assert "-e ." in pip, "environment.yml installs the package itself"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.replace("python", "") == project["requires-python"]


def test_environment_yml_lists_each_group_under_its_heading():
    """The pip list reads as pyproject: core under "# [project] dependencies", then each
    extra under "# [project.optional-dependencies] NAME"."""
    project = pyproject()["project"]
    expected = {"[project] dependencies": project["dependencies"]}
    for extra, listed in project["optional-dependencies"].items():
        expected[f"[project.optional-dependencies] {extra}"] = listed
    groups: dict[str, list[str]] = {}
    group = None
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"\s+# (\[project.*)", line)
        item = re.fullmatch(r"\s{6}- (.+)", line)
        if heading:
            group = groups.setdefault(heading.group(1), [])
        elif item and group is not None and not item.group(1).startswith("-e"):
            group.append(normalise(item.group(1)))
    assert groups == {k: [normalise(r) for r in v] for k, v in expected.items()}
    assert "lab" in project["optional-dependencies"]


def test_jupyterlab_and_ipywidgets_are_the_lab_extra_not_core():
    """With nbstripout, the git filter `make` sets up for whoever saves notebooks."""
    assert set(requirements("lab")) == {"jupyterlab", "ipywidgets", "nbstripout"}
    assert not set(requirements()) & {"jupyterlab", "ipywidgets", "notebook"}


def lock() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, line in enumerate(LOCK.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;@]+)", line)
        assert match, f"{LOCK.name}:{number}: not name==version: {line!r}"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"{LOCK.name}:{number}: {name} pinned twice"
        pins[name] = Version(match.group(2))
    return pins


def test_the_lock_pins_every_requirement_within_pyproject():
    """Adding a dependency or raising a floor without `make lock` fails here."""
    pins = lock()
    header = LOCK.read_text(encoding="utf-8").split("\n\n")[0]
    assert "make lock" in header
    assert "analysis" not in pins, "the lock leaves the project itself out"
    for group in ("dependencies", *pyproject()["project"]["optional-dependencies"]):
        for name, requirement in requirements(group).items():
            assert name in pins, f"{name} ({group}) is not in {LOCK.name}: run make lock"
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"{LOCK.name} pins {name}=={pins[name]}, outside {requirement}: run make lock"
            )
            for brought in brought_by_extras(requirement):
                assert brought in pins, f"{brought} (from {requirement}) is not in {LOCK.name}"


def test_floors_pins_every_requirement_to_its_floor():
    result = subprocess.run(
        [sys.executable, str(ROOT / "requirements" / "floors.py"), str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    pins = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    expected = []
    for group in ("dependencies", *pyproject()["project"]["optional-dependencies"]):
        for name, requirement in requirements(group).items():
            (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
            expected.append(f"{name}=={floor}")
    assert pins == expected


def make_rule(target: str) -> tuple[str, str]:
    """A Makefile rule's prerequisites and recipe."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", makefile, flags=re.M)
    assert match, f"no rule for {target} in the Makefile"
    return match.group(1), match.group(2)


def test_make_installs_with_the_lock_and_reinstalls_when_it_or_pyproject_changes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^CONSTRAINTS := requirements/constraints.txt$", makefile, flags=re.M)
    for stamp, extras in (
        ("$(VENV)/.stamp-run", "'.[lab]'"),
        ("$(VENV)/.stamp-test", "'.[lab,test]'"),
    ):
        prerequisites, recipe = make_rule(stamp)
        assert {"pyproject.toml", "$(CONSTRAINTS)"} <= set(prerequisites.split())
        assert f"-c $(CONSTRAINTS) -e {extras}" in recipe
    for target in ("lock", "test-floors", "test-wheel"):
        make_rule(target)
    assert re.search(r"^FLOORS \?= \.venv-floors$", makefile, flags=re.M)
    assert "$(FLOORS)" in make_rule("clean")[1].split()
    assert ".venv-floors/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_pyproject_declares_the_package_and_the_command():
    data = pyproject()
    assert data["project"]["name"] == "analysis"
    assert data["project"]["scripts"]["assess"] == "analysis.cli:main"
    assert data["tool"]["setuptools"]["packages"]["find"]["include"] == ["analysis*"]


def test_readme_commands_are_make_targets_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\s*(make(?: [a-z]+)?)\s*$", readme, flags=re.M)
    assert commands[:2] == ["make", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run: ", makefile, flags=re.M) and makefile.index("run:") < makefile.index(
        "test:"
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = [line.strip() for line in ci.splitlines() if line.strip().startswith("make")]
    # Only the floors' venv may be built beside it (in the background) before it.
    before = steps[: steps.index("make test")]
    assert all(step.startswith("make .venv-floors/.stamp ") for step in before), before
    after = {step.split()[1] for step in steps[steps.index("make test") + 1 :]}
    assert {"test-wheel", "test-floors"} <= after, after


def test_the_installed_command_runs():
    assess = Path(sys.executable).parent / "assess"  # the venv running the tests
    command = [str(assess)] if assess.exists() else [sys.executable, "-m", "analysis.cli"]
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}  # UTF-8 out whatever the locale says
    result = subprocess.run(
        [*command, "audit", "--format", "json"], capture_output=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "設計のみ".encode() in result.stdout


@pytest.mark.parametrize("command", sorted(get_command(app).commands))
def test_every_command_has_help_and_a_usage_error_exits_2(command):
    """Typer older than 0.16 crashes here with the click that resolves beside it."""
    runner = CliRunner()
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert command in result.output
    result = runner.invoke(app, [command, "--no-such-option"])
    assert result.exit_code == 2, result.output
    assert "No such option" in result.stderr
