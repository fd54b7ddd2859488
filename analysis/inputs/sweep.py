"""Sweep files: a base scenario and the what-ifs to vary, read and checked.

A sweep file names a base scenario and the parameters to vary, as lists or
ranges::

    name: seed-what-ifs
    base: seed-limits.yaml                  # relative to the sweep file
    vary:
      budget_hours: {from: 1, to: 4, step: 1}
      lanes: [1, 2]
      appetite: [LOW, MEDIUM]
      task_cap: [10, 30]
      effort_factor: [1.0, 1.3]             # every estimate 30 % longer
      capacity.dev-cluster: [1, 2]          # a resource's capacity
      mc_seeds: [1, 4]                      # Monte Carlo runs averaged (seeds 0..n-1)
    compare_with: [seed-plan.yaml]          # plans to place on the frontier

:func:`combinations` lists every combination in a stable order; running them
is :func:`analysis.plan.sweeps.run_sweep`'s job.

Examples
--------
>>> sweep = parse_sweep({"base": "seed-limits.yaml", "vary": {"lanes": [1, 2],
...     "budget_hours": {"from": 1, "to": 2, "step": 0.5}}})
>>> [(c["lanes"], c["budget_hours"]) for c in combinations(sweep)][:4]
[(1, 1.0), (1, 1.5), (1, 2.0), (2, 1.0)]
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.errors import SweepError
from analysis.files import read_text
from analysis.inputs.records import (
    Located,
    Where,
    check_choice,
    check_mapping,
    check_name,
    check_number,
    check_record,
    check_text,
    check_whole,
    load_yaml_text,
    located,
)
from analysis.vocabulary import LEVELS

__all__ = [
    "PARAMETERS",
    "MAX_COMBINATIONS",
    "Sweep",
    "check_size",
    "parse_sweep",
    "read_sweep",
    "combinations",
    "combination_key",
]

#: What a sweep may vary (plus ``capacity.<resource>``).
PARAMETERS = ("budget_hours", "task_cap", "appetite", "lanes", "effort_factor", "mc_seeds")
#: Whole-number parameters and their least value, as in scenarios (``capacity.*``: 1).
_WHOLE = {"task_cap": 0, "lanes": 1, "mc_seeds": 1}
#: The most combinations a sweep may have. The seed's take about 0.2 s each on one core,
#: so this is hours of work; a larger grid is most likely a step too small, and would
#: be built in memory before anything runs.
MAX_COMBINATIONS = 100_000


@dataclass(frozen=True)
class Sweep:
    """A base scenario and the values each parameter takes."""

    name: str
    base: Path
    vary: Mapping[str, tuple[Any, ...]]
    source: str | None = None
    compare_with: tuple[Path, ...] = ()


def _least_whole(key: str) -> int | None:
    """The least value of a whole-number parameter; None for the others."""
    return 1 if key.startswith("capacity.") else _WHOLE.get(key)


def _values(raw: Any, where: Where, key: str) -> tuple[Any, ...]:
    """The values of one axis, checked: a list, a ``{from, to, step}`` range or one value."""
    field = f"vary.{key}"
    if isinstance(raw, Mapping):
        check_record(
            raw,
            Where(where.source, record=f"vary.{key}", mapping=raw, error=SweepError),
            ("from", "to", "step"),
            ("from", "to"),
        )
        start = check_number(raw["from"], where, f"{field}.from", positive=False)
        stop = check_number(raw["to"], where, f"{field}.to", positive=False)
        step = check_number(raw.get("step", 1), where, f"{field}.step", positive=True)
        if stop < start:
            raise where.fail(f"'to' ({stop:g}) is below 'from' ({start:g})", field)
        span = (stop - start) / step  # counted before anything is built
        if not math.isfinite(span) or span + 1 > MAX_COMBINATIONS:
            if not math.isfinite(span):
                count = "too many"
            else:
                count = f"{math.floor(span) + 1:,}" if span < 1e15 else f"about {span:.1e}"
            raise where.fail(
                f"the range has {count} values, more than the {MAX_COMBINATIONS:,} "
                "combinations a sweep may have",
                field,
            )
        values = tuple(
            round(start + i * step, 9)
            for i in range(round(span) + 1)
            if start + i * step <= stop + 1e-9
        )
        if _least_whole(key) is not None:  # a range of whole numbers gives whole numbers
            values = tuple(int(v) if v.is_integer() else v for v in values)
    elif isinstance(raw, list):
        if not raw:
            raise where.fail("needs at least one value", field)
        values = tuple(raw)
    else:
        values = (raw,)
    seen: dict[Any, Any] = {}
    for value in values:
        _check_value(key, value, where)
        if value in seen:
            same = "" if repr(seen[value]) == repr(value) else f" ({seen[value]!r} and {value!r})"
            raise where.fail(f"the value {value!r} is given twice{same}", field)
        seen[value] = value
    return values


def _check_value(key: str, value: Any, where: Where) -> None:
    field = f"vary.{key}"
    least = _least_whole(key)
    if key == "appetite":
        check_choice(value, LEVELS, where, field)
    elif least is not None:
        check_whole(value, where, field, least)
    else:
        check_number(value, where, field, positive=key == "effort_factor")


def check_size(vary: Mapping[str, Sequence[Any]], where: Where) -> int:
    """How many combinations ``vary`` makes; refused above :data:`MAX_COMBINATIONS`."""
    count = math.prod(len(values) for values in vary.values())
    if count > MAX_COMBINATIONS:
        sizes = " x ".join(f"{key} {len(values):,}" for key, values in vary.items())
        raise where.fail(
            f"{count:,} combinations ({sizes}), more than the {MAX_COMBINATIONS:,} a sweep "
            "may have: vary fewer values",
            "vary",
        )
    return count


def parse_sweep(
    data: Any, *, source: str = "<memory>", base_dir: Path | None = None, name: str | None = None
) -> Sweep:
    """A :class:`Sweep` from YAML-shaped data; ``base`` is resolved against ``base_dir``.

    Raises
    ------
    SweepError
        On an unknown key or parameter, a value of the wrong kind or given
        twice, an empty axis, or more than :data:`MAX_COMBINATIONS` combinations.
    """
    where = Where(source, record="sweep", mapping=data, error=SweepError)
    check_record(
        data, where, ("name", "base", "vary", "description", "compare_with"), ("base", "vary")
    )
    vary_raw = data["vary"]
    check_mapping(vary_raw, where, "vary")
    vary = {}
    for key, raw in vary_raw.items():
        # Errors about an axis name its own line.
        line = vary_raw.line_of(key) if isinstance(vary_raw, Located) else None
        axis = Where(source, record="sweep", mapping=located(line), error=SweepError)
        key = str(key)
        if key not in PARAMETERS and not key.startswith("capacity."):
            raise axis.fail(
                f"cannot vary '{key}' (vary {', '.join(PARAMETERS)} or capacity.<resource>)",
                f"vary.{key}",
            )
        vary[key] = _values(raw, axis, key)
    if not vary:
        raise where.fail("names nothing to vary", "vary")
    check_size(vary, where)

    def path(raw: Any, field: str) -> Path:
        found = Path(check_text(raw, where, field))
        return base_dir / found if base_dir is not None and not found.is_absolute() else found

    others = data.get("compare_with", [])
    if not isinstance(others, list):
        raise where.fail("expected a list of scenario files", "compare_with")
    sweep_name = data.get("name", name) or "sweep"
    return Sweep(
        name=check_name(sweep_name, where, "name", from_file="name" not in data and bool(name)),
        base=path(data["base"], "base"),
        vary=vary,
        source=source,
        compare_with=tuple(path(raw, "compare_with") for raw in others),
    )


def read_sweep(path: str | os.PathLike) -> Sweep:
    """Read a sweep file (YAML); a relative path not found here is taken from the project.

    Raises
    ------
    SweepError
        As :func:`parse_sweep`, and when ``base`` or a ``compare_with`` file is missing.
    """
    path = Path(path)
    data = load_yaml_text(read_text(path, error=SweepError), str(path), error=SweepError)
    if not isinstance(data, Located):
        raise SweepError("expected a mapping with 'base' and 'vary'", source=str(path))
    sweep = parse_sweep(data, source=str(path), base_dir=path.parent, name=path.stem)
    where = Where(str(path), record="sweep", mapping=data, error=SweepError)
    for field, files in (("base", [sweep.base]), ("compare_with", sweep.compare_with)):
        for file in files:  # said here: this file and line refer to them
            found = Path(file)
            if not found.is_file():
                problem = "is a folder, not a file" if found.is_dir() else "no such file"
                raise where.fail(f"{problem}: {found}", field)
    return sweep


def combinations(sweep: Sweep) -> list[dict[str, Any]]:
    """Every combination of the varied values, in a stable order (the file's key order)."""
    keys = list(sweep.vary)
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(sweep.vary[k] for k in keys))
    ]


def combination_key(parameters: Mapping[str, Any]) -> str:
    """A short stable name for one combination (same parameters, same key)."""
    text = json.dumps(dict(sorted(parameters.items())), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
