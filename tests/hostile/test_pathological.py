"""Every parser on pathological inputs of 10⁵ characters: an answer (or one line), never a hang.

Each case runs in a fresh process under a generous timeout, so a parse that
turned quadratic fails here instead of hanging CI. The growth itself (10⁵ to
10⁶ characters, about ten times the time when linear) is measured by
``bench/hostile_inputs.py``.
"""

from __future__ import annotations

import json

import pytest

from tests.hostile.cases import CASES, run_probe, write_case

SIZE = 100_000
TIMEOUT = 120  # seconds: a linear parse of 10⁵ characters takes about one


@pytest.mark.parametrize(("name", "parser", "make"), CASES, ids=[case[0] for case in CASES])
def test_parses_or_refuses_in_one_line(tmp_path, name, parser, make):
    done = run_probe(parser, write_case(tmp_path, name, parser, make, SIZE), TIMEOUT)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["outcome"] in ("ok", "refused")
    assert "\n" not in result["line"]
