"""What a report shows of a large catalog: tables up to a limit, then grouped; charts likewise.

A table of the weekly report lists at most :data:`MAX_ROWS` rows:
:func:`capped` keeps a shorter table as it is and groups a longer one (by
reason, level or kind, with counts and the first few rows of each group),
saying so and where every row is; :func:`use_report_tables` lets a table of
up to that many rows show in full (pandas would cut one of more than 60 rows
to 10, and text at 50 characters). Charts draw at most :data:`MAX_ISSUES_DRAWN` issues
(:func:`issue_groups`: the largest, the others as one), tasks one by one
only up to :data:`MAX_TASKS_DRAWN` (:func:`around_critical_path` for the
dependency graph, :func:`back_to_back` for the Gantt chart), and a hover
lists at most :data:`HOVER_TASKS` tasks (:func:`listed`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from analysis.assess.graph import GraphFacts
from analysis.model import Catalog, Task
from analysis.report.chart_style import hover_text, issue_label
from analysis.vocabulary import LEVELS

__all__ = [
    "MAX_ROWS",
    "MAX_TASKS_DRAWN",
    "MAX_ISSUES_DRAWN",
    "HOVER_TASKS",
    "PLAN_FILES",
    "GroupedTable",
    "use_report_tables",
    "capped",
    "listed",
    "IssueGroup",
    "issue_groups",
    "issues_left",
    "around_critical_path",
    "drawn_graph",
    "back_to_back",
]


#: The most rows a table of the weekly report lists in full; a longer one is grouped.
MAX_ROWS = 300

#: Where every task of the plan is, beside the report (HTML).
PLAN_FILES = (
    '<a href="plan.csv">plan.csv</a> and <a href="plan.json">plan.json</a>, beside this report'
)

#: How many rows of each group a grouped table names.
_FIRST = 5


@dataclass(frozen=True)
class GroupedTable:
    """A table too long to list in full: its rows grouped, and a sentence saying so.

    ``note`` is that sentence (HTML); ``table`` has one row per group. Shown
    in a notebook as the sentence above the table.
    """

    note: str
    table: pd.DataFrame

    def _repr_html_(self) -> str:
        from analysis.report.tables import readable  # tables show grouped tables too

        return readable(self).html

    def __repr__(self) -> str:
        return f"{self.note}\n{self.table!r}"


def use_report_tables(limit: int = MAX_ROWS) -> None:
    """Show tables of up to ``limit`` rows in full, and text whole, however long.

    pandas cuts a table of over 60 rows to 10 and a cell to 50 characters; the
    report's own tables (:mod:`analysis.report.tables`) cut nothing, and any
    other frame shown in a report cuts no text either.
    """
    pd.set_option("display.max_rows", limit)
    pd.set_option("display.min_rows", limit)
    pd.set_option("display.max_colwidth", None)


def capped(
    frame: pd.DataFrame,
    by: str | Sequence[str],
    *,
    what: str = "tasks",
    first: str = "id",
    sums: Sequence[str] = (),
    order: Sequence[object] = LEVELS,
    where: str | None = PLAN_FILES,
    limit: int = MAX_ROWS,
) -> pd.DataFrame | GroupedTable:
    """``frame`` itself when it has at most ``limit`` rows; else its rows grouped by ``by``.

    A group's row counts its rows (``what``), adds up the ``sums`` columns and
    names the first few values of ``first``. Groups come in the order of
    ``order`` (values of the first of ``by``; levels by default), then as they
    first appear. The
    note says how many rows there are, why they are grouped, and ``where``
    (HTML) every one of them is.

    >>> frame = pd.DataFrame({"id": [f"T{i}" for i in range(5)], "kind": list("abaab")})
    >>> capped(frame, "kind", limit=5) is frame
    True
    >>> grouped = capped(frame, "kind", limit=4)
    >>> grouped.table.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'kind': 'a', 'tasks': 3, 'first tasks': 'T0, T2, T3'},
     {'kind': 'b', 'tasks': 2, 'first tasks': 'T1, T4'}]
    """
    if len(frame) <= limit:
        return frame
    keys = [by] if isinstance(by, str) else list(by)
    groups = frame.groupby(keys, sort=False, dropna=False)
    table = groups.size().rename(what).to_frame()
    for column in sums:
        table[column] = groups[column].sum().round(2)
    table[f"first {what}"] = groups[first].agg(_first)
    table = table.reset_index()
    rank = {value: i for i, value in enumerate(order)}
    position = [rank.get(value, len(rank)) for value in table[keys[0]]]
    table = table.iloc[pd.Series(position).argsort(kind="stable")].reset_index(drop=True)
    named = " and ".join(html.escape(key) for key in keys)
    note = (
        f"{len(frame):,} {html.escape(what)}: more than the {limit} a table of this report "
        f"lists, so they are grouped by {named}, with counts."
    )
    if where:
        note += f" Every one is listed in {where}."
    return GroupedTable(note, table)


def _first(values: pd.Series) -> str:
    shown = ", ".join(str(value) for value in values.iloc[:_FIRST])
    return shown + (", …" if len(values) > _FIRST else "")


#: Tasks a chart draws one by one; beyond, it draws groups (the table limit).
MAX_TASKS_DRAWN = MAX_ROWS

#: Issues a chart draws one by one; beyond, the largest and the others as one.
MAX_ISSUES_DRAWN = 40

#: Tasks a hover lists; beyond, how many more.
HOVER_TASKS = 30


def listed(lines: Sequence[str], separator: str = "<br>", limit: int = HOVER_TASKS) -> str:
    """At most ``limit`` of ``lines`` joined, then how many more there are.

    >>> listed(["a", "b", "c"], ", ", limit=2)
    'a, b, … and 1 more'
    """
    shown = separator.join(lines[:limit])
    return shown + (f"{separator}… and {len(lines) - limit} more" if len(lines) > limit else "")


@dataclass(frozen=True)
class IssueGroup:
    """An issue a chart draws (``key`` ``issue-N``), or the others drawn as one."""

    key: str
    label: str
    tasks: tuple[Task, ...]
    hover: str


def issue_groups(catalog: Catalog, limit: int = MAX_ISSUES_DRAWN) -> list[IssueGroup]:
    """The issues a chart draws, in catalog order; beyond ``limit``, the others as one.

    Up to ``limit`` issues are all drawn; beyond, the ``limit - 1`` with the most
    tasks (ties: catalog order), then one group of the others.
    """
    issues = list(catalog.issue_by_number)
    others: list[int] = []
    if len(issues) > limit:
        kept = set(sorted(issues, key=lambda n: -len(catalog.tasks_of(n)))[: limit - 1])
        issues, others = [n for n in issues if n in kept], [n for n in issues if n not in kept]
    groups = []
    for number in issues:
        title = catalog.issue_by_number[number].title
        hover = hover_text(title) if title else issue_label(number)
        groups.append(
            IssueGroup(f"issue-{number}", issue_label(number), catalog.tasks_of(number), hover)
        )
    if others:
        label = f"{len(others)} other issues"
        tasks = tuple(t for n in others for t in catalog.tasks_of(n))
        groups.append(IssueGroup("issue-others", label, tasks, label))
    return groups


def issues_left(groups: Sequence[IssueGroup], catalog: Catalog) -> str:
    """What a chart's title adds when it draws some issues as one ("" when it draws all)."""
    total = len(catalog.issue_by_number)
    if len(groups) >= total:
        return ""
    return f"; the {len(groups) - 1} largest of {total} issues"


def around_critical_path(facts: GraphFacts, candidates: set[str], limit: int) -> list[str]:
    """Up to ``limit`` of ``candidates``: the critical path, then its tasks' neighbours.

    Neighbours (prerequisites, then dependents, each in catalog order) are
    taken task by task along the path; then, while there is room, tasks in
    catalog order. Returned in catalog order.
    """
    graph = facts.graph
    order = {node: index for index, node in enumerate(graph)}
    chosen = dict.fromkeys(n for n in facts.critical_path if n in candidates)
    chosen = dict.fromkeys(list(chosen)[:limit])
    for node in list(chosen):
        for near in (
            *sorted(graph.predecessors(node), key=order.__getitem__),
            *sorted(graph.successors(node), key=order.__getitem__),
        ):
            if len(chosen) >= limit:
                break
            if near in candidates:
                chosen.setdefault(near)
    for node in graph:
        if len(chosen) >= limit:
            break
        if node in candidates:
            chosen.setdefault(node)
    return sorted(chosen, key=order.__getitem__)


def drawn_graph(
    facts: GraphFacts, connected_only: bool = True, limit: int = MAX_TASKS_DRAWN
) -> tuple[nx.DiGraph, str]:
    """The part of the dependency graph a chart draws, and what its title says it left out.

    With ``connected_only``, tasks without any dependency are left out (unless
    that is every task); beyond ``limit`` tasks, :func:`around_critical_path`.
    """
    graph = facts.graph
    loose = [n for n in graph if graph.degree(n) == 0] if connected_only else []
    if not loose or len(loose) == len(graph):
        loose = []
    unlinked = set(loose)
    drawn = [n for n in graph if n not in unlinked]
    subset = len(drawn) > limit
    if subset:
        drawn = around_critical_path(facts, set(drawn), limit)
    left_out = f"; {len(loose)} tasks without dependencies not drawn" if loose else ""
    if subset:
        left_out += (
            f"; {len(drawn)} of {len(graph) - len(loose):,} tasks drawn: the critical path and "
            "its neighbours (assess graph --format dot draws them all)"
        )
    if not (loose or subset):
        return graph, left_out
    # Built in catalog order: a subgraph view may iterate a set (order by hash seed).
    kept = set(drawn)
    part = nx.DiGraph()
    part.add_nodes_from((n, graph.nodes[n]) for n in graph if n in kept)
    part.add_edges_from((u, v, d) for u, v, d in graph.edges(data=True) if u in kept and v in kept)
    return part, left_out


def back_to_back(
    pieces: pd.DataFrame, covered: pd.Series, order: Sequence[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """Pieces of one row (phase · lane) and level that run back to back, as one bar each.

    Returns the bars (the columns :func:`~analysis.report.figures.gantt_figure`
    draws) and, per bar, the pieces it covers (the first :data:`HOVER_TASKS`, as
    text: the caller escapes it).
    """
    rank = {row: i for i, row in enumerate(order)}
    ordered = pieces.assign(_rank=pieces["row"].map(rank)).sort_values(
        ["_rank", "start", "job"], kind="stable"
    )
    bars: list[dict] = []
    inside: list[list[str]] = []
    for piece in ordered.itertuples(index=False):
        last = bars[-1] if bars else None
        level = piece.level if isinstance(piece.level, str) else None  # None: a plan item
        same_place = last is not None and last["row"] == piece.row and last["level"] == level
        if last is not None and same_place and piece.start <= last["end"] + 1e-9:
            last["end"] = max(last["end"], piece.end)
            inside[-1].append(f"{piece.label} ({covered.get(piece.job, '')})")
            continue
        bars.append(
            {
                "row": piece.row,
                "level": level,
                "start": piece.start,
                "end": piece.end,
                "uses": "",
                "job": f"bar-{len(bars)}",
            }
        )
        inside.append([f"{piece.label} ({covered.get(piece.job, '')})"])
    frame = pd.DataFrame(bars, columns=["row", "level", "start", "end", "uses", "job"])
    frame["hours"] = frame["end"] - frame["start"]
    frame["label"] = [f"{len(parts)} piece(s) of work" for parts in inside]
    covers = pd.Series([listed(parts, "; ") for parts in inside], index=frame["job"])
    return frame, covers
