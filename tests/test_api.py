"""Every module says what it exports, and exports what it defines."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import analysis

PACKAGE = Path(analysis.__file__).parent
MODULES = sorted(
    ".".join(("analysis", *path.relative_to(PACKAGE).with_suffix("").parts))
    for path in PACKAGE.rglob("*.py")
    if path.name != "__init__.py"
)


def defined(module: str) -> list[str]:
    path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return [name for name in names if not name.startswith("_")]


@pytest.mark.parametrize("module", MODULES)
def test_all_lists_every_public_name_and_only_those(module):
    loaded = importlib.import_module(module)
    exported = loaded.__all__
    assert len(set(exported)) == len(exported), "a name listed twice"
    assert all(hasattr(loaded, name) for name in exported)
    if module != "analysis.cli":  # its commands are the interface, not imports
        assert set(defined(module)) <= set(exported)


@pytest.mark.parametrize("package", sorted({m.rsplit(".", 1)[0] for m in MODULES} - {"analysis"}))
def test_each_stage_says_what_it_holds(package):
    loaded = importlib.import_module(package)
    assert loaded.__doc__ and len(loaded.__doc__.splitlines()) >= 1
    path = Path(loaded.__file__).parent
    for module in sorted(p.stem for p in path.glob("*.py") if p.name != "__init__.py"):
        assert f"``{module}``" in loaded.__doc__ or len(list(path.glob("*.py"))) <= 2


def test_modules_stay_small():
    """One concept a module: none past about 600 lines."""
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {str(p.relative_to(PACKAGE)): n for p, n in sizes.items() if n > 650} == {}
