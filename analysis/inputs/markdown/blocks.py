"""Markdown as lines a reader sees: headings, text lines, list items and table rows.

:func:`read_blocks` parses a document with markdown-it-py (CommonMark with GitHub
tables and strikethrough) and flattens its tokens into :class:`Block` records, in
document order, each with its line number and inline markup resolved: escapes and
character references decoded, emphasis and link markers dropped, code spans kept
with their backticks (as a reader of the rendered page sees them). Fenced and
indented code, HTML blocks and HTML comments yield nothing; quoted text is marked
``quoted`` so that the reader can pass it over.

Examples
--------
>>> blocks = read_blocks("# Plan\\n- [x] **Rotate** `tls` certs\\n  Risk: Low\\n")
>>> [(b.kind, b.text, b.line) for b in blocks]
[('heading', 'Plan', 1), ('item', 'Rotate `tls` certs', 2), ('text', 'Risk: Low', 3)]
>>> blocks[1].checkbox, blocks[2].parent
('x', 1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = [
    "Block",
    "read_blocks",
    "restore",
]

_CHECKBOX = re.compile(r"^\[([ xX])\]\s+")
_LAZY_ITEM = re.compile(r"^(?:[-*+]|(\d{1,4})[.)])\s+(.+)$")
_BR = re.compile(r"^<br\s*/?>$", re.I)
# text_join off: escapes and character references stay apart (text_special), so that
# whitespace written as a reference (&#32;) survives the stripping of each line
_PARSER = (
    MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).disable("text_join")
)
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_KEPT = dict(zip(_SPACES, (chr(0xE000 + i) for i in range(len(_SPACES))), strict=True))
_BACK = str.maketrans({v: k for k, v in _KEPT.items()})


def restore(text: str) -> str:
    """Text with the whitespace written as character references back in place."""
    return text.translate(_BACK)


@dataclass
class Block:
    """One line of the document as a reader sees it.

    ``kind`` is ``heading`` (``depth`` 1-6), ``item`` (a list item's first line;
    ``depth`` is its nesting, 0 at the top), ``text`` (any other line of
    text; inside a list item, ``parent`` is that item) or ``row`` (a table
    body row: ``cells``, with the table's ``header``).
    """

    kind: str
    text: str
    line: int
    depth: int = 0
    parent: int | None = None
    ordinal: int | None = None
    checkbox: str | None = None
    bold: bool = False  # the whole line is strong emphasis (a pseudo-heading)
    struck: bool = False  # the whole line is struck through
    quoted: bool = False
    cells: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    children: list[int] = field(default_factory=list)


def _lines(token: Token) -> list[tuple[str, bool, bool, int]]:
    """An inline token's lines: (plain text, all bold, all struck, line offset)."""
    lines: list[tuple[str, bool, bool, int]] = []
    parts: list[str] = []
    depth = {"strong": 0, "s": 0}
    plain = {"strong": False, "s": False}  # text seen outside strong / s on this line
    offset = 0

    def end_line() -> None:
        text = "".join(parts).strip()
        if text:
            lines.append((text, not plain["strong"], not plain["s"], offset))
        parts.clear()
        plain["strong"] = plain["s"] = False

    for child in token.children or ():
        kind = child.type
        if kind in ("softbreak", "hardbreak"):
            end_line()
            offset += 1
            continue
        if kind == "html_inline" and _BR.match(child.content):
            parts.append(_KEPT["\n"])  # a line break inside the line: part of its text
            continue
        if kind in ("strong_open", "strong_close", "s_open", "s_close"):
            name = kind.split("_")[0]
            depth[name] += 1 if kind.endswith("open") else -1
            continue
        if kind == "text":
            text = child.content
        elif kind == "text_special":
            text = child.content
            if child.info == "entity":
                text = "".join(_KEPT.get(char, char) for char in text)
        elif kind == "code_inline":
            text = f"{child.markup}{child.content}{child.markup}"
        elif kind == "image":
            text = "".join(c.content for c in child.children or ())
        elif kind == "html_inline":
            text = "" if child.content.startswith("<!--") else child.content
        else:  # em and link markers: the words between them are kept
            continue
        if text.strip():
            for name in ("strong", "s"):
                if depth[name] == 0:
                    plain[name] = True
        parts.append(text)
    end_line()
    return lines


def read_blocks(text: str) -> list[Block]:
    """The document's lines, in order; see the module docstring."""
    tokens = _PARSER.parse(text)
    blocks: list[Block] = []
    items: list[int | None] = []  # open list items (None until their first line)
    lists: list[int] = []  # ordinals of open ordered lists (or -1)
    quoted = 0
    table_header: list[str] = []
    row: list[str] | None = None
    row_line = 0
    in_head = False
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "blockquote_open":
            quoted += 1
        elif kind == "blockquote_close":
            quoted -= 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(-1)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            items.append(None)
            lists[-1] = int(token.info) if token.info.isdigit() else -1
        elif kind == "list_item_close":
            items.pop()
        elif kind == "hr" and not items:
            blocks.append(Block("rule", "", (token.map or [0])[0] + 1, quoted=quoted > 0))
        elif kind == "thead_open":
            in_head, table_header = True, []
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row, row_line = [], (token.map or [0])[0] + 1
        elif kind == "tr_close" and row is not None:
            if in_head:
                table_header = row
            elif any(cell for cell in row):
                blocks.append(
                    Block(
                        "row",
                        " | ".join(row),
                        row_line,
                        cells=tuple(row),
                        header=tuple(table_header),
                        quoted=quoted > 0,
                    )
                )
            row = None
        elif kind == "inline":
            start = (token.map or [0, 0])[0] + 1
            lines = _lines(token)
            if row is not None:
                row.append(" ".join(text for text, *_ in lines))
                continue
            opener = tokens[index - 1] if index else None
            if opener is not None and opener.type == "heading_open":
                text = " ".join(text for text, *_ in lines)
                if text:
                    blocks.append(
                        Block("heading", text, start, depth=int(opener.tag[1]), quoted=quoted > 0)
                    )
                continue
            for text, bold, struck, offset in lines:
                block = Block("text", text, start + offset, bold=bold, struck=struck)
                block.quoted = quoted > 0
                if items and items[-1] is None:  # the first line of a list item
                    block.kind, block.depth = "item", len(items) - 1
                    block.ordinal = lists[-1] if lists and lists[-1] >= 0 else None
                    box = _CHECKBOX.match(block.text + " ")
                    if box:
                        block.checkbox = box.group(1).lower()
                        block.text = block.text[box.end() :].strip()
                    if not block.text:
                        continue
                    parent = next((i for i in reversed(items[:-1]) if i is not None), None)
                    block.parent = parent
                    items[-1] = len(blocks)
                elif items:
                    block.parent = items[-1]
                elif _LAZY_ITEM.match(text) and offset:
                    # "9. Next step" right under a paragraph line: CommonMark keeps it in
                    # the paragraph, GitHub comments show it on a line of its own.
                    match = _LAZY_ITEM.match(text)
                    assert match is not None
                    block.kind, block.text = "item", match.group(2)
                    block.ordinal = int(match.group(1)) if match.group(1) else None
                if block.parent is not None:
                    blocks[block.parent].children.append(len(blocks))
                blocks.append(block)
    return blocks
