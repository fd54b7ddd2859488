"""YAML nested deeper than the suite reads is refused in one line, before it is composed.

libyaml's composer recurses on the C stack once per level: some PyYAML
releases crash on a few hundred thousand ``[``. The loader counts the levels
first (without recursion) whenever a cheap bound allows a deep nesting.
"""

from __future__ import annotations

import pytest

from analysis.errors import CatalogError
from analysis.inputs.records import NESTING_MAX, load_yaml_text


def _flow(depth: int) -> str:
    return "a: " + "[x, " * depth + "]" * depth + "\n"


def _block(depth: int) -> str:
    return (
        "a:\n"
        + "".join("  " * level + f"k{level}:\n" for level in range(depth))
        + "  " * depth
        + "x\n"
    )


def _compact(depth: int) -> str:
    return "a:\n" + "- " * depth + "x\n"


@pytest.mark.parametrize("shape", [_flow, _block, _compact])
def test_nesting_up_to_the_limit_loads(shape):
    data = load_yaml_text(shape(NESTING_MAX - 2), "deep.yaml")
    assert "a" in data


@pytest.mark.parametrize("shape", [_flow, _block, _compact])
def test_nesting_past_the_limit_is_one_line_with_its_line(shape):
    with pytest.raises(CatalogError) as caught:
        load_yaml_text(shape(NESTING_MAX + 5), "deep.yaml")
    message = str(caught.value)
    assert message.startswith("deep.yaml:")
    assert f"nested more than {NESTING_MAX} deep" in message
    assert "\n" not in message


def test_many_shallow_flow_lists_are_not_mistaken_for_depth():
    text = "tasks:\n" + "".join(f"- {{id: T{i}, depends_on: [T{i - 1}]}}\n" for i in range(1, 500))
    assert len(load_yaml_text(text, "wide.yaml")["tasks"]) == 499
