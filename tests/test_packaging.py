"""The set-up files agree with each other: pyproject, environment.yml, Makefile, README, CI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib

import yaml

from tests.conftest import ROOT


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def normalise(requirement: str) -> str:
    """``Typer >= 0.12`` -> ``typer>=0.12`` (PEP 503 names, no spaces)."""
    requirement = requirement.replace(" ", "")
    name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
    return re.sub(r"[-_.]+", "-", name).lower() + requirement[len(name) :]


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
    assert ci.rstrip().endswith("make test")


def test_the_installed_command_runs():
    assess = ROOT / ".venv" / "bin" / "assess"
    command = [str(assess)] if assess.exists() else [sys.executable, "-m", "analysis.cli"]
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}  # UTF-8 out whatever the locale says
    result = subprocess.run(
        [*command, "audit", "--format", "json"], capture_output=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "設計のみ".encode() in result.stdout
