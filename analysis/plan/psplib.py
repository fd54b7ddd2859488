"""PSPLIB single-mode RCPSP instances (``.sm``) as schedule problems, and their bounds files.

The ``.sm`` format lists, per job, its successors (1-based), then per job its
duration and demand on each renewable resource, then the capacities on the
line after the resource names (names contain spaces, "R 1", so capacities are
read by position). Job 1 and the last job are the dummy start and end.

Bounds files (``j30opt.sm``, ``j60hrs.sm``, ``j120lb.sm`` ...) are read by
column position, since their headers differ: parameter (group), instance,
then the best known makespan (an optimum, or an upper bound). The benchmark
(``bench/psplib.py``) runs the scheduling engine on them.

Examples
--------
>>> from analysis.plan.scheduling import solve_schedule
>>> problem = parse_sm(SMALL)
>>> [job.id for job in problem.jobs], dict(problem.capacities)
(['1', '2', '3', '4'], {'R 1': 2})
>>> solve_schedule(problem).makespan
5
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from analysis.errors import PsplibError
from analysis.plan.jobs import Job, ScheduleProblem

__all__ = [
    "SMALL",
    "parse_sm",
    "read_sm",
    "parse_bounds",
    "read_bounds",
    "instance_key",
]

#: A four-job instance in the .sm layout (jobs 2 and 3 compete for R 1).
SMALL = """\
jobs (incl. supersource/sink ):  4
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           4
   4        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1
------------------------------------------------------------------------
  1      1     0       0
  2      1     2       2
  3      1     3       1
  4      1     0       0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1
    2
************************************************************************
"""


def _section(lines: list[str], title: str, source: str) -> int:
    for index, line in enumerate(lines):
        if line.strip().startswith(title):
            return index
    raise PsplibError(f"no '{title}' section: not a PSPLIB .sm file", source=source)


def _rows(lines: list[str], first: int) -> list[list[str]]:
    rows = []
    for line in lines[first:]:
        if line.startswith("*") or not line.strip():
            break
        if line.strip()[0].isdigit():
            rows.append(line.split())
    return rows


def parse_sm(text: str, source: str = "<memory>") -> ScheduleProblem:
    """A single-mode RCPSP instance as a :class:`ScheduleProblem` (no lanes, no phases).

    Raises
    ------
    PsplibError
        When a section is missing or a row does not have the expected numbers.
    """
    lines = text.splitlines()
    try:
        successors = {
            row[0]: row[3:]
            for row in _rows(lines, _section(lines, "PRECEDENCE RELATIONS", source) + 2)
        }
        requests = _rows(lines, _section(lines, "REQUESTS/DURATIONS", source) + 1)
        names_at = _section(lines, "RESOURCEAVAILABILITIES", source) + 1
        names = re.findall(r"[A-Za-z]+\s*\d+", lines[names_at])
        capacities = [int(value) for value in lines[names_at + 1].split()]
    except (IndexError, ValueError) as exc:
        raise PsplibError(f"malformed instance: {exc}", source=source) from exc
    if len(names) != len(capacities):
        raise PsplibError(
            f"{len(names)} resource names but {len(capacities)} capacities", source=source
        )
    predecessors: dict[str, list[str]] = {job: [] for job in successors}
    for job, succ in successors.items():
        for other in succ:
            if other not in predecessors:
                raise PsplibError(f"job {job} names an unknown successor {other}", source=source)
            predecessors[other].append(job)
    jobs = []
    for row in requests:
        job = row[0]
        if job not in predecessors or len(row) != 3 + len(names):
            raise PsplibError(f"bad request row for job {job}: {' '.join(row)}", source=source)
        demands = {name: int(value) for name, value in zip(names, row[3:], strict=True)}
        jobs.append(
            Job(
                id=job,
                duration=int(row[2]),
                predecessors=tuple(predecessors[job]),
                demands={name: amount for name, amount in demands.items() if amount},
            )
        )
    return ScheduleProblem(jobs=tuple(jobs), capacities=dict(zip(names, capacities, strict=True)))


def read_sm(path: str | os.PathLike) -> ScheduleProblem:
    """Read one ``.sm`` instance file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise PsplibError(f"cannot read: {exc.strerror}", source=str(path)) from exc
    return parse_sm(text, source=str(path))


def parse_bounds(text: str) -> dict[tuple[int, int], int]:
    """Best known makespans by (parameter, instance), from the first three columns.

    Lines that do not start with two whole numbers and a third (headers,
    rulers, notes) are skipped.

    >>> parse_bounds("Par Inst Makespan\\n1 1 43 0.1\\n1 2 47 0.2\\n")
    {(1, 1): 43, (1, 2): 47}
    """
    bounds = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit() and parts[1].isdigit():
            try:
                bounds[(int(parts[0]), int(parts[1]))] = int(float(parts[2]))
            except ValueError:
                continue
    return bounds


def read_bounds(path: str | os.PathLike) -> dict[tuple[int, int], int]:
    """Read a PSPLIB bounds file (see :func:`parse_bounds`)."""
    return parse_bounds(Path(path).read_text(encoding="ascii", errors="replace"))


def instance_key(path: str | os.PathLike) -> tuple[int, int]:
    """(parameter, instance) from a file name such as ``j3013_7.sm`` or ``j12060_10.sm``.

    >>> instance_key("j3013_7.sm"), instance_key("j12060_10.sm"), instance_key("j601_1.sm")
    ((13, 7), (60, 10), (1, 1))
    """
    match = re.fullmatch(r"j(30|60|90|120)(\d+)_(\d+)\.sm", Path(path).name)
    if not match:
        raise PsplibError("not a PSPLIB instance name (jNNp_i.sm)", source=str(path))
    return int(match.group(2)), int(match.group(3))
