"""The dependency graph as a chart: tasks in waves, each name drawn where it can be read.

Waves of work that can run together are columns, left to right; a wave's
tasks are spread top to bottom, one row each, the chart as tall as its
largest wave needs (within a limit). A task's id is drawn beside its marker,
at :data:`LABEL_PX` pixels, when it fits there at the width a report gives a
chart (:data:`~analysis.report.chart_style.CHART_WIDTH`): inside the plot,
clear of every other marker and every name drawn before it. Names are placed
critical path first, then excluded, then blocked tasks, then in catalog
order (:func:`place_labels`); the others show on hover, and the title says
how many.

>>> positions = wave_positions([["a", "b"], ["c"]])
>>> positions["a"], positions["b"], positions["c"]
((0, 0.5), (0, -0.5), (1, 0.0))
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from analysis.assess.graph import GraphFacts
from analysis.report.chart_style import (
    CHART_WIDTH,
    Chart,
    hover_text,
    new_figure,
    text_width,
    titled,
)
from analysis.report.chart_style import wrap as wrap_text
from analysis.report.limits import MAX_TASKS_DRAWN, drawn_graph
from analysis.vocabulary import LEVEL_COLOURS, LEVELS

__all__ = [
    "LABEL_PX",
    "ROW_PX",
    "wave_positions",
    "place_labels",
    "dependency_figure",
]

#: The size (pixels) of a task's name beside its marker.
LABEL_PX = 11

#: Pixels per task of the largest wave, between the plot's least and greatest height.
ROW_PX = 22
_PLOT_HEIGHT = (260, 1100)

#: Margins (pixels): left and right, bottom (the axis title), and the legend's row on top.
_SIDE, _BOTTOM, _LEGEND = 20, 60, 34
_MARKER = 12
#: Space (pixels) kept around a name: from its marker, and from anything else.
_GAP, _PAD = 4, 2


def wave_positions(waves: Sequence[Sequence[str]]) -> dict[str, tuple[float, float]]:
    """Where each task goes: x its wave's index, y its row in the wave (top first, centred on 0)."""
    return {
        node: (x, (len(wave) - 1) / 2 - row)
        for x, wave in enumerate(waves)
        for row, node in enumerate(wave)
    }


_Box = tuple[float, float, float, float]


def _clear(box: _Box, others: Sequence[_Box]) -> bool:
    left, top, right, bottom = box
    return all(
        right <= o_left or o_right <= left or bottom <= o_top or o_bottom <= top
        for o_left, o_top, o_right, o_bottom in others
    )


def place_labels(
    points: Mapping[str, tuple[float, float]],
    names: Mapping[str, str],
    order: Sequence[str],
    plot: tuple[float, float],
    left_side: frozenset[str] = frozenset(),
    size: float = LABEL_PX,
) -> dict[str, str]:
    """The tasks whose name fits beside its marker, and on which side (plotly's textposition).

    ``points`` are marker centres in pixels of a plot ``plot`` (width, height)
    pixels large, y downwards; ``order`` is who goes first. A name goes to the
    right of its marker (to the left for tasks in ``left_side``), else to the
    other side, if it stays inside the plot and clear of every marker and of
    every name placed before it.

    >>> place_labels({"a": (10, 10), "b": (10, 20)}, {"a": "A", "b": "B"}, ["b", "a"], (100, 40))
    {'b': 'middle right'}
    """
    width, height = plot
    half = _MARKER / 2 + _PAD
    taken: list[_Box] = [(x - half, y - half, x + half, y + half) for x, y in points.values()]
    own = dict(zip(points, taken, strict=True))
    placed: dict[str, str] = {}
    tall = size * 1.3 / 2 + _PAD
    for node in order:
        x, y = points[node]
        wide = text_width(names[node], size) + 2 * _PAD
        sides = ("middle left", "middle right")
        for side in sides if node in left_side else sides[::-1]:
            start = x + _MARKER / 2 + _GAP if side == "middle right" else x - _MARKER / 2 - _GAP
            left, right = (
                (start - _PAD, start + wide)
                if side == "middle right"
                else (
                    start - wide,
                    start + _PAD,
                )
            )
            box = (left, y - tall, right, y + tall)
            inside = left >= 0 and right <= width and box[1] >= 0 and box[3] <= height
            if inside and _clear(box, [b for b in taken if b is not own[node]]):
                placed[node] = side
                taken.append(box)
                break
    return placed


def dependency_figure(
    facts: GraphFacts, connected_only: bool = True, max_tasks: int = MAX_TASKS_DRAWN
) -> Chart:
    """The dependency graph in waves: levels coloured, blocked and critical path marked.

    With ``connected_only``, tasks without any dependency are left out of the
    drawing (the title says how many). Beyond ``max_tasks`` tasks to draw, it
    draws the critical path and the tasks next to it, up to ``max_tasks`` (the
    title says how many of how many; ``assess graph --format dot`` draws all).
    Each marker's ``customdata`` is its task's id; its text, the id where it fits.
    """
    graph, left_out = drawn_graph(facts, connected_only, max_tasks)
    # Waves as ordered lists: grouping by a node attribute would go through a set.
    order = {node: index for index, node in enumerate(graph)}
    waves = [
        sorted((n for n in wave if n in order), key=order.__getitem__) for wave in facts.generations
    ]
    waves = [wave for wave in waves if wave]
    position = wave_positions(waves)
    tallest = max((len(wave) for wave in waves), default=1)
    plot_height = min(max(ROW_PX * tallest, _PLOT_HEIGHT[0]), _PLOT_HEIGHT[1])
    plot_width = CHART_WIDTH - 2 * _SIDE
    x_range = (-0.4, max(len(waves) - 1, 0) + 0.4)
    y_range = (-tallest / 2, tallest / 2)

    def pixels(node: str) -> tuple[float, float]:
        x, y = position[node]
        return (
            (x - x_range[0]) / (x_range[1] - x_range[0]) * plot_width,
            (y_range[1] - y) / (y_range[1] - y_range[0]) * plot_height,
        )

    path = [node for node in facts.critical_path if node in order]  # drawn: a prefix
    path_edges = list(itertools.pairwise(path))
    on_path = set(path_edges)
    blocked, excluded = set(facts.blocked), set(facts.excluded)
    first = dict.fromkeys([*path, *(n for n in graph if n in excluded)])
    first.update(dict.fromkeys(n for n in graph if n in blocked))
    first.update(dict.fromkeys(graph))
    last_wave = frozenset(waves[-1]) if len(waves) > 1 else frozenset()
    sides = place_labels(
        {node: pixels(node) for node in graph},
        {node: hover_text(node) for node in graph},
        list(first),
        (plot_width, plot_height),
        left_side=last_wave,
    )
    figure = new_figure()
    for provenance, dash in (("declared", "solid"), ("inferred", "dash")):
        xs, ys = _segments(
            position,
            [
                (u, v)
                for u, v, data in graph.edges(data=True)
                if data["provenance"] == provenance and (u, v) not in on_path
            ],
        )
        figure.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=f"{provenance} dependency",
            line={"color": "#b0bec5", "dash": dash, "width": 1},
            hoverinfo="skip",
        )
    # in the path's order: a set's order changes from run to run
    xs, ys = _segments(position, path_edges)
    figure.add_scatter(
        x=xs,
        y=ys,
        mode="lines",
        name=f"critical path ({facts.critical_hours:g} h)",
        line={"color": "#37474f", "width": 3},
        hoverinfo="skip",
    )
    for level in LEVELS:
        nodes = [n for n, d in graph.nodes(data=True) if d["level"] == level]
        symbols, hovers = [], []
        for node in nodes:
            data = graph.nodes[node]
            state = ""
            if node in excluded:
                symbols.append("x")
                state = "<br><i>excluded</i>"
            elif node in blocked:
                symbols.append("circle-open")
                state = (
                    "<br><i>blocked: "
                    + " → ".join(hover_text(t) for t in facts.blocked[node])
                    + "</i>"
                )
            else:
                symbols.append("circle")
            hovers.append(
                f"<b>{hover_text(node)}</b> {level}<br>{hover_text(data['title'])}<br>"
                f"{hover_text(data['activity'])} in {hover_text(data['environment'])}, "
                f"{data['hours']:g} h"
                + (f"<br>{wrap_text(data['reason'])}" if data.get("reason") else "")
                + state
            )
        figure.add_scatter(
            x=[position[n][0] for n in nodes],
            y=[position[n][1] for n in nodes],
            mode="markers+text",
            customdata=nodes,
            text=[hover_text(n) if n in sides else "" for n in nodes],
            textposition=[sides.get(n, "middle right") for n in nodes],
            textfont={"size": LABEL_PX},
            name=level,
            marker={
                "color": LEVEL_COLOURS[level],
                "size": _MARKER,
                "symbol": symbols,
                "line": {"width": 1, "color": "#263238"},
            },
            hovertext=hovers,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    unnamed = len(graph) - len(sides)
    if unnamed:
        left_out += f"; {unnamed:,} names on hover only (no room beside their marker)"
    layout = titled(
        f"Dependencies in waves (left to right); ✕ excluded, ○ blocked{left_out}",
        xaxis={
            "title": {"text": "Wave of work that can run together"},
            "showticklabels": False,
            "zeroline": False,
            "showgrid": False,
            "range": list(x_range),
        },
        yaxis={
            "title": {"text": ""},
            "showticklabels": False,
            "zeroline": False,
            "showgrid": False,
            "range": list(y_range),
        },
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yanchor": "bottom"},
    )
    layout["margin"] = {"l": _SIDE, "r": _SIDE, "b": _BOTTOM, "t": layout["margin"]["t"] + _LEGEND}
    figure.update_layout(layout, height=plot_height + layout["margin"]["t"] + _BOTTOM)
    return figure


def _segments(position, edges) -> tuple[list, list]:
    """The x and y of line segments, one per edge, split by ``None``: one trace draws them."""
    xs: list = []
    ys: list = []
    for u, v in edges:
        xs += [position[u][0], position[v][0], None]
        ys += [position[u][1], position[v][1], None]
    return xs, ys
