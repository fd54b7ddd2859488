"""Tables made for reading: a result's DataFrame as the HTML table a report shows.

Every table of the weekly report follows the same rules, so that a reader
learns them once:

- no index column; each column's header names its unit where it has one;
- durations (columns named in :data:`DURATION_COLUMNS`) in ``h:mm``, the way
  the terminal tables write them (:func:`~analysis.report.formats.text.clock`:
  ``0:07.5``, ``3:09``); the CSV and JSON beside the report keep hours as numbers;
- numbers right-aligned, each column with one number of decimals (none for
  whole numbers, else as few as its values need, at most two); issues as ``#384``;
- levels (columns named in :data:`LEVEL_COLUMNS`, or holding nothing but
  levels) as the word in a coloured label, readable without the colour
  (``not computable (LOW–MEDIUM)`` in grey);
- ``yes`` / ``no`` for true and false, ``–`` where there is nothing (never ``NaN``);
- text whole, wrapped, its line breaks kept, escaped (catalog text shows as text);
- an empty table is a sentence (``empty``), never headers alone; a column
  with nothing in any row is left out;
- a table of more than ``fold`` rows folds under ``<details>``, its summary
  saying what it holds; open on the report's first screen, closed below.

:func:`readable` takes a frame or a :class:`~analysis.report.limits.GroupedTable`
(a long table grouped, :func:`~analysis.report.limits.capped`) and returns a
:class:`Table`, which a notebook shows as HTML. :data:`STYLE` is the page's
style sheet for them, shown once at the top of the report (:func:`style`).

Examples
--------
>>> frame = pd.DataFrame({"id": ["T1", "T2"], "level": ["LOW", "not computable (LOW–HIGH)"],
...                       "hours": [0.125, 2.625], "value": [3.0, 2.5], "done": [True, False]})
>>> html = readable(frame).html
>>> "hours (h:mm)</th>" in html, "0:07.5" in html, "2:37.5" in html
(True, True, True)
>>> '<span class="lvl lvl-LOW">LOW</span>' in html, "3.0" in html, "2.5" in html, "yes" in html
(True, True, True, True)
>>> readable(frame.iloc[:0], empty="No history yet.").html
'<div class="rt"><p class="rt-empty">No history yet.</p></div>'
"""

from __future__ import annotations

import html as html_text
import math
import re
from dataclasses import dataclass
from numbers import Integral, Real

import pandas as pd

from analysis.report.formats.text import clock, decimals
from analysis.report.limits import GroupedTable
from analysis.vocabulary import LEVEL_COLOURS, LEVELS

__all__ = [
    "FOLD_ROWS",
    "DURATION_COLUMNS",
    "LEVEL_COLUMNS",
    "NOTHING",
    "STYLE",
    "Table",
    "style",
    "readable",
    "level_label",
    "cell_text",
]

#: A table of more rows than this folds under ``<details>`` (open on the first screen).
FOLD_ROWS = 15

#: Columns that hold hours, written ``h:mm``.
DURATION_COLUMNS = frozenset(
    {"hours", "start", "end", "finish", "work", "budget", "P50 finish", "P80 finish"}
)

#: Columns that hold levels, written as coloured labels.
LEVEL_COLUMNS = frozenset({"risk", "catalog risk", "level", "levels"})

#: Written where a cell has nothing (``None``, ``NaN``).
NOTHING = "–"

_NOT_COMPUTABLE_FILL, _NOT_COMPUTABLE_EDGE = "#eeeeee", "#757575"
_FILLS = {"LOW": "#e8f5e9", "MEDIUM": "#fff8e1", "HIGH": "#ffebee"}

#: The style sheet of :func:`readable`'s tables (shown once, at the top of a report).
STYLE = (
    "<style>\n"
    # Within .rt: as specific as the notebook page's own table rules, and later, so these win.
    ".rt table.rt-table{border-collapse:collapse;table-layout:auto;font-size:13px;"
    "margin:.3em 0 1em;max-width:100%}\n"
    ".rt .rt-table th{text-align:left;vertical-align:bottom;background:#f5f5f5;"
    "border-bottom:2px solid #bdbdbd;padding:4px 8px;white-space:nowrap}\n"
    ".rt .rt-table td{text-align:left;vertical-align:top;padding:4px 8px;"
    "border-bottom:1px solid #e0e0e0;white-space:normal;overflow-wrap:break-word;max-width:44em}\n"
    ".rt .rt-table th.rt-n,.rt .rt-table td.rt-n{text-align:right;white-space:nowrap;"
    "font-variant-numeric:tabular-nums}\n"
    ".rt .rt-table td.rt-id{white-space:nowrap}\n"
    ".lvl{display:inline-block;padding:0 6px;border:1px solid;border-left-width:4px;"
    "border-radius:3px;font-weight:600;color:#212121;white-space:nowrap}\n"
    + "".join(
        f".lvl-{level}{{background:{_FILLS[level]};border-color:{LEVEL_COLOURS[level]}}}\n"
        for level in LEVELS
    )
    + f".lvl-nc{{background:{_NOT_COMPUTABLE_FILL};border-color:{_NOT_COMPUTABLE_EDGE};"
    "font-weight:normal}\n"
    ".rt details.rt-fold>summary{cursor:pointer;margin:.3em 0;color:#1565c0}\n"
    ".rt p.rt-empty{font-style:italic;color:#424242}\n"
    ".rt p.rt-note{color:#424242}\n"
    "</style>"
)

#: Columns that name tasks or pieces of work: kept on one line.
_ID_COLUMNS = frozenset({"id", "task", "gate", "cluster", "scenario"})


@dataclass(frozen=True)
class Table:
    """A table as HTML (``html``); a notebook shows it as such."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Table({len(self.html)} characters of HTML)"


class _Style:
    def _repr_html_(self) -> str:
        return STYLE

    def __repr__(self) -> str:
        return "the report's table style"


def style() -> _Style:
    """The style sheet of the report's tables, for a notebook to show once."""
    return _Style()


def level_label(text: object) -> str:
    """A level as a coloured label that reads without its colour (HTML).

    ``LOW``, ``MEDIUM`` and ``HIGH`` (a level with words after it, such as
    ``MEDIUM (catalog LOW)``, takes the colour of its first word); a level
    that is not computable is grey. Several levels separated by ``, `` are a
    label each; any other text is escaped and left as it is.

    >>> level_label("HIGH")
    '<span class="lvl lvl-HIGH">HIGH</span>'
    >>> level_label("not computable (LOW–MEDIUM)")
    '<span class="lvl lvl-nc">not computable (LOW–MEDIUM)</span>'
    >>> level_label("LOW, HIGH")
    '<span class="lvl lvl-LOW">LOW</span> <span class="lvl lvl-HIGH">HIGH</span>'
    >>> level_label("HIGH → MEDIUM")  # a change of level is text
    'HIGH → MEDIUM'
    """
    value = "" if _is_nothing(text) else str(text)
    if not value:
        return ""
    parts = value.split(", ")
    if len(parts) > 1 and all(_level_class(p) for p in parts):
        return " ".join(level_label(p) for p in parts)
    kind = _level_class(value)
    escaped = html_text.escape(value)
    return f'<span class="lvl lvl-{kind}">{escaped}</span>' if kind else escaped


def _level_class(text: str) -> str | None:
    """The label's class of a level as shown (``LOW``, ``MEDIUM (catalog LOW)``), else None."""
    first, _, rest = text.partition(" ")
    if first in LEVELS and (not rest or rest.startswith("(")):
        return first
    if text.startswith("not computable"):
        return "nc"
    return None


def _is_levels(value: object) -> bool:
    """Whether ``value`` is a level, or levels separated by ``, `` (``LOW, HIGH``)."""
    return isinstance(value, str) and all(_level_class(p) for p in value.split(", "))


def _is_nothing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def cell_text(value: object, column: str = "", places: int | None = None) -> str:
    """One cell as text, by the rules of the report's tables (not escaped).

    >>> cell_text(0.825, "hours"), cell_text(True), cell_text(float("nan")), cell_text(384, "issue")
    ('0:49.5', 'yes', '–', '#384')
    >>> cell_text(70.0, "value", 0), cell_text(2.5, "value", 2)
    ('70', '2.50')
    """
    if _is_nothing(value):
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column in DURATION_COLUMNS and isinstance(value, Real):
        return clock(float(value))
    if column == "issue" and isinstance(value, Integral):
        return f"#{value}"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        shown = decimals([float(value)]) if places is None else places
        return f"{float(value):,.{shown}f}"
    return str(value)


_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029]")


def _header(column: str, kind: str) -> str:
    name = html_text.escape(str(column))
    return f"{name} (h:mm)" if kind == "duration" else name


def _column_kind(series: pd.Series) -> str:
    """``level``, ``duration``, ``number`` (right-aligned) or ``text``."""
    name = str(series.name)
    values = [v for v in series if not _is_nothing(v) and v != ""]
    texts = all(isinstance(v, str) for v in values)
    if texts and (name in LEVEL_COLUMNS or (values and all(_is_levels(v) for v in values))):
        return "level"
    numeric = bool(values) and all(isinstance(v, Real) and not isinstance(v, bool) for v in values)
    if name in DURATION_COLUMNS and numeric:
        return "duration"
    if numeric:
        return "number"
    return "id" if name in _ID_COLUMNS else "text"


def _html_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    columns = [str(c) for c in frame.columns]
    kinds = [_column_kind(frame.iloc[:, i].rename(columns[i])) for i in range(len(columns))]
    places: dict[int, int] = {}
    for i, kind in enumerate(kinds):
        if kind == "number":
            values = [float(v) for v in frame.iloc[:, i] if not _is_nothing(v)]
            places[i] = decimals(values)
    header = [
        f'<th class="rt-n">{_header(c, kinds[i])}</th>'
        if kinds[i] in ("number", "duration")
        else f"<th>{_header(c, kinds[i])}</th>"
        for i, c in enumerate(columns)
    ]
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for i, value in enumerate(row):
            kind = kinds[i]
            if kind == "level":
                cells.append(f"<td>{level_label(value)}</td>")
                continue
            text = html_text.escape(cell_text(value, columns[i], places.get(i)))
            if kind in ("number", "duration"):
                cells.append(f'<td class="rt-n">{text}</td>')
            elif kind == "id":
                cells.append(f'<td class="rt-id">{_LINE_BREAK.sub("<br>", text)}</td>')
            else:
                cells.append(f"<td>{_LINE_BREAK.sub('<br>', text)}</td>")
        body.append(cells)
    return header, body


def _table_html(frame: pd.DataFrame) -> str:
    empty = [
        column for column in frame.columns if all(_is_nothing(v) or v == "" for v in frame[column])
    ]
    header, body = _html_rows(frame.drop(columns=empty) if len(empty) < frame.shape[1] else frame)
    lines = [
        '<table class="rt-table">',
        "<thead><tr>" + "".join(header) + "</tr></thead>",
        "<tbody>",
    ]
    lines += ["<tr>" + "".join(cells) + "</tr>" for cells in body]
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def _counted(frame: pd.DataFrame, what: str, count_by: str | None) -> str:
    summary = f"{len(frame):,} {what}"
    if count_by and count_by in frame.columns:
        counts = frame[count_by].map(lambda v: cell_text(v, count_by)).value_counts(sort=False)
        summary += ": " + ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
    return html_text.escape(summary)


def readable(
    table: pd.DataFrame | GroupedTable,
    *,
    what: str = "rows",
    empty: str = "None.",
    count_by: str | None = None,
    fold: int = FOLD_ROWS,
    unfolded: bool = False,
) -> Table:
    """``table`` as a :class:`Table` for reading (the rules are in the module's docstring).

    ``what`` names the rows (``"tasks left out"``) in the summary of a folded
    table, which also counts them by ``count_by`` when given; ``empty`` is the
    sentence shown for a table without rows; beyond ``fold`` rows the table
    folds under ``<details>`` (``unfolded``: shown open, and foldable). A
    :class:`~analysis.report.limits.GroupedTable` shows its note, then its groups.
    """
    note = ""
    if isinstance(table, GroupedTable):
        note, table = f'<p class="rt-note">{table.note}</p>\n', table.table
    if table.empty:
        return Table(f'<div class="rt"><p class="rt-empty">{html_text.escape(empty)}</p></div>')
    body = _table_html(table)
    if len(table) > fold:
        shown = " open" if unfolded else ""
        summary = _counted(table, what, count_by)
        body = f'<details class="rt-fold"{shown}>\n<summary>{summary}</summary>\n{body}\n</details>'
    return Table(f'<div class="rt">\n{note}{body}\n</div>')
