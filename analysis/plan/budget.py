"""One deterministic work budget per command, shared by all its solves, and progress on stderr.

A command (``assess plan``, one combination of a sweep, one scenario of a
report) gets ``solver.deterministic_time`` work units in all (20 by default:
CP-SAT's deterministic time, the same on every run and every machine). Its
solves draw on it in parts (:data:`SHARES`):

- ``main``: the selection's first solve (the objective), at most half;
- ``ties``: the tie-breaks of a proven optimum, at most a fifth;
- ``explanations``: the re-solves that price forcing in a left-out task get
  what the selection's four fifths leave (each at most what the main solve
  used, and never less than :data:`MIN_EXPLANATION`);
- ``schedule``: the timeline of the chosen work, a fifth, kept aside so that
  a schedule does not depend on what the selection happened to spend.

The wall-clock ``solver.time_limit`` (120 s by default) bounds the whole
command too, as a safety net only: a result that stopped on it says so, as it
may differ between runs.

:class:`Progress` prints what a long solve is doing (its best and its bound)
on stderr, never on stdout, so that outputs stay the same on every run.

Examples
--------
>>> from analysis.model import SolverSettings
>>> budget = Budget(SolverSettings(deterministic_time=10))
>>> budget.left("main"), budget.left("ties"), budget.left("schedule")
(5.0, 2.0, 2.0)
>>> budget.spend("main", 3.5)
>>> budget.left("explanations"), budget.spent()
(4.5, 3.5)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.model import SolverSettings

__all__ = [
    "SHARES",
    "MIN_EXPLANATION",
    "Budget",
    "Allowance",
    "Progress",
]

#: The most each part of a command may spend, as shares of its budget.
SHARES = {"main": 0.5, "ties": 0.2, "selection": 0.8, "schedule": 0.2}
#: An explanation re-solve is not started with less than this share of the budget.
MIN_EXPLANATION = 0.002
_SELECTION_PARTS = ("main", "ties", "explanations")


class Budget:
    """What a command may still spend, by part; why its solves stopped; how long they took."""

    def __init__(
        self,
        settings: SolverSettings,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.total = settings.deterministic_time
        self.progress = progress
        self.clock = clock
        self.started = clock()
        self.used: dict[str, float] = dict.fromkeys((*_SELECTION_PARTS, "schedule"), 0.0)
        self.seconds: dict[str, float] = dict.fromkeys(self.used, 0.0)
        self.stops: dict[str, str] = {}  # part -> why its last solve stopped short
        self.wall_clock_hit = False

    def left(self, part: str) -> float:
        """Work units ``part`` may still spend."""
        if part == "explanations":
            selection = sum(self.used[p] for p in _SELECTION_PARTS)
            return max(0.0, SHARES["selection"] * self.total - selection)
        return max(0.0, SHARES[part] * self.total - self.used[part])

    def spend(self, part: str, units: float, seconds: float = 0.0) -> None:
        self.used[part] += units
        self.seconds[part] += seconds

    def spent(self, parts: tuple[str, ...] = _SELECTION_PARTS) -> float:
        return sum(self.used[p] for p in parts)

    def wall_left(self) -> float:
        """Seconds of the wall-clock safety net left (at least a millisecond)."""
        return max(0.001, self.settings.time_limit - (self.clock() - self.started))

    def stopped(self, part: str, why: str) -> None:
        self.stops.setdefault(part, why)

    def allowance(self, part: str, cap: float | None = None) -> Allowance:
        return Allowance(self, part, cap)


@dataclass
class Allowance:
    """One solve's (or one call's) draw on a part of a budget, at most ``cap`` units in all."""

    budget: Budget
    part: str
    cap: float | None = None
    used: float = 0.0
    parent: Allowance | None = None

    def left(self) -> float:
        left = self.budget.left(self.part) if self.parent is None else self.parent.left()
        if self.cap is not None:
            left = min(left, self.cap - self.used)
        return max(0.0, left)

    def spend(self, units: float, seconds: float = 0.0) -> None:
        self.used += units
        if self.parent is None:
            self.budget.spend(self.part, units, seconds)
        else:
            self.parent.spend(units, seconds)

    def share(self, fraction: float) -> Allowance:
        """At most ``fraction`` of what is left here, drawn from this allowance."""
        return Allowance(self.budget, self.part, fraction * self.left(), parent=self)


@dataclass
class Progress:
    """Progress lines for long solves: nothing before ``after`` seconds, then one per ``every``.

    Solves call :meth:`begin`, :meth:`update` (from the solver's callbacks:
    best objective and bound, already in the user's units) and :meth:`end`;
    :meth:`tick` prints a line when one is due. A heartbeat thread ticks
    while a solve runs, so a solve that finds nothing new still shows that it
    is alive; tests drive :meth:`tick` with their own clock instead.
    """

    write: Callable[[str], None]
    clock: Callable[[], float] = time.monotonic
    after: float = 2.0
    every: float = 2.0
    heartbeat: bool = True
    started: float = field(default=0.0, init=False)
    label: str | None = field(default=None, init=False)
    best: str | None = field(default=None, init=False)
    bound: str | None = field(default=None, init=False)
    solve_started: float = field(default=0.0, init=False)
    last_line: float = field(default=float("-inf"), init=False)
    lines: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _stop: threading.Event | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def begin(self, label: str) -> None:
        with self._lock:
            self.label, self.best, self.bound = label, None, None
            self.solve_started = self.clock()
        if self.heartbeat and self._stop is None:
            self._stop = threading.Event()
            threading.Thread(target=self._beat, args=(self._stop,), daemon=True).start()

    def update(self, best: str | None = None, bound: str | None = None) -> None:
        with self._lock:
            if best is not None:
                self.best = best
            if bound is not None:
                self.bound = bound
        self.tick()

    def end(self) -> None:
        with self._lock:
            self.label = None

    def tick(self) -> bool:
        """Print the running solve's state if a line is due; whether one was printed."""
        with self._lock:
            now = self.clock()
            if self.label is None or now - self.started < self.after:
                return False
            if now - self.last_line < self.every:
                return False
            self.last_line = now
            parts = [f"{self.label}: {now - self.solve_started:.0f} s"]
            parts.append(f"best {self.best}" if self.best is not None else "no plan yet")
            if self.bound is not None:
                parts.append(f"bound {self.bound}")
            line = "plan: " + ", ".join(parts)
            self.lines += 1
        self.write(line)
        return True

    def say(self, text: str) -> None:
        """One line now, if the command has run long enough for progress to show."""
        if self.clock() - self.started >= self.after:
            self.write(f"plan: {text}")
            self.lines += 1

    def close(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self._stop = None

    def _beat(self, stop: threading.Event) -> None:
        while not stop.wait(0.25):
            self.tick()
