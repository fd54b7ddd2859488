r"""Reading YAML-shaped records with errors that say where: file, line, record, field.

The loader keeps the line of every mapping and key, and refuses duplicate keys
that plain YAML loading would silently drop. The field helpers check one value
each and raise the caller's error class with the location filled in. Catalogs,
rubrics, rules and scenarios all read their files through here.

>>> data = load_yaml_text("a: 1\nb:\n  c: x\n", "<memory>")
>>> data["b"].line_of("c")
3
>>> where = Where("f.yaml", record="task T1", mapping=data["b"])
>>> print(where.fail("must be positive", "c"))
f.yaml:3: task T1: field 'c': must be positive
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from analysis.errors import CatalogError, InputError
from analysis.model import NOT_IN_ID

__all__ = [
    "NUMBER_MAX",
    "WHOLE_MAX",
    "NESTING_MAX",
    "Located",
    "load_yaml_text",
    "Where",
    "describe",
    "check_keys",
    "check_mapping",
    "check_text",
    "check_record",
    "optional_text",
    "check_whole",
    "number_text_hint",
    "check_number",
    "check_choice",
    "check_ident",
    "check_name",
    "located",
    "dump_yaml",
]


class Located(dict):
    """A dict from YAML that remembers where it and each of its keys stand."""

    line: int | None = None
    key_lines: dict[Any, int]

    def line_of(self, key: str) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)


if TYPE_CHECKING:  # either base has the constructors used here; the checker sees one
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    """Safe loader that records line numbers and refuses duplicate keys.

    Built on libyaml's parser when PyYAML has it (about 8x faster on catalogs);
    the constructors, and so the result, are the same as the pure-Python one's.
    """


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode):
    data = Located()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise CatalogError("a key must be a plain value, not a list or a mapping", line=line)
        key = loader.construct_object(key_node, deep=True)
        if key in data.key_lines:
            raise CatalogError(
                f"duplicate key (first at line {data.key_lines[key]})",
                line=line,
                field=str(key),
            )
        data.key_lines[key] = line
        data[key] = loader.construct_object(value_node, deep=True)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a document is loaded.

    Loading makes a node, two marks and a value for every scalar, all kept
    until the end: the collector would scan them again and again, for nothing
    (loading makes no cycles). On a 10,000-task catalog that was two thirds
    of the load (2.7 s against 0.9 s).
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


#: The deepest nesting of lists and mappings a YAML input may have. The suite's
#: own files nest 4 deep; libyaml's composer recurses once per level on the C
#: stack, so a few hundred thousand ``[`` crash some PyYAML releases outright.
NESTING_MAX = 100


def _may_nest_deeper(text: str, depth: int) -> bool:
    """Whether ``text`` may nest lists and mappings deeper than ``depth`` (a cheap, sound test).

    A flow level needs a ``[`` or ``{``; a block level needs a deeper indent or
    one more ``-``, ``?`` or ``:`` indicator at the head of a line, so the block
    depth is at most the longest line head, plus two.
    """
    room = depth - 2 - text.count("[") - text.count("{")
    if room < 0:
        return True
    head = re.compile(rf"\n[ \t?:-]{{{room + 1},}}")  # a literal first: a fast scan
    return head.match("\n" + text[: room + 1]) is not None or head.search(text) is not None


def _check_nesting(text: str, source: str, error: type[InputError]) -> None:
    """Refuse YAML nested deeper than :data:`NESTING_MAX`, before composing it.

    Only when the cheap bound allows a deeper nesting are the parser's events
    counted, which libyaml (and PyYAML's own parser) produce without recursion.
    """
    if not _may_nest_deeper(text, NESTING_MAX):
        return
    opens = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    closes = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    depth = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, opens):
            depth += 1
            if depth > NESTING_MAX:
                mark = event.start_mark
                raise error(
                    f"lists and mappings nested more than {NESTING_MAX} deep",
                    source=source,
                    line=mark.line + 1 if mark else None,
                )
        elif isinstance(event, closes):
            depth -= 1


def load_yaml_text(text: str, source: str, error: type[InputError] = CatalogError) -> Any:
    """Parse YAML safely, keeping line numbers on mappings.

    Raises
    ------
    InputError
        (of type ``error``) for malformed YAML, with its line, a duplicate key,
        or lists and mappings nested deeper than :data:`NESTING_MAX`.
    """
    try:
        _check_nesting(text, source, error)
        with _collector_paused():
            return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError as exc:  # a pure-Python loader's limit, should the bound miss
        raise error(
            f"lists and mappings nested too deep (over {NESTING_MAX})", source=source
        ) from exc
    except CatalogError as exc:
        raise error(exc.problem, source=source, line=exc.line, field=exc.field) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise error(f"malformed YAML: {problem}", source=source, line=line) from exc
    except yaml.YAMLError as exc:
        raise error(f"malformed YAML: {exc}", source=source) from exc


class _Dumper(yaml.SafeDumper):
    """Block style for records, flow style for short lists of scalars."""


def _represent_list(dumper: _Dumper, data: list) -> yaml.Node:
    flow = all(isinstance(item, (str, int, float)) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


#: Characters YAML reads back as line breaks even inside quotes: write them escaped.
_BREAKS = frozenset("\r\x85\u2028\u2029")


def _represent_str(dumper: _Dumper, data: str) -> yaml.Node:
    style = '"' if _BREAKS.intersection(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


@dataclass(frozen=True)
class Where:
    """Where a record stands, to name it in errors of class ``error``."""

    source: str
    record: str | None = None
    task: str | None = None
    mapping: Any = None
    error: type[InputError] = CatalogError

    def fail(self, problem: str, field: str | None = None) -> InputError:
        line = None
        if isinstance(self.mapping, Located):
            line = self.mapping.line_of(field.split(".")[0]) if field else self.mapping.line
        return self.error(
            problem,
            source=self.source,
            line=line,
            task=self.task,
            record=self.record,
            field=field,
        )


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "nothing"
    return type(value).__name__


def check_keys(raw: Mapping, allowed: tuple[str, ...], where: Where, prefix: str = "") -> None:
    for key in raw:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            more = f" (did you mean '{hint[0]}'?)" if hint else f" (known: {', '.join(allowed)})"
            raise where.fail(f"unknown field{more}", f"{prefix}{key}")


def check_mapping(value: Any, where: Where, field: str | None, what: str = "a mapping") -> Mapping:
    if not isinstance(value, Mapping):
        raise where.fail(f"expected {what}, got {describe(value)}", field)
    return value


def check_text(value: Any, where: Where, field: str) -> str:
    if not isinstance(value, str):
        raise where.fail(f"expected text, got {describe(value)} (quote it)", field)
    if not value.strip():
        raise where.fail("must not be empty", field)
    return value


def check_record(
    raw: Any, where: Where, allowed: tuple[str, ...], required: tuple[str, ...] = ()
) -> Mapping:
    """A mapping with only ``allowed`` keys and every ``required`` one set."""
    check_mapping(raw, where, None)
    check_keys(raw, allowed, where)
    for key in required:
        if raw.get(key) is None:
            raise where.fail("missing (required)", key)
    return raw


def optional_text(raw: Mapping, key: str, where: Where) -> str | None:
    return None if raw.get(key) is None else check_text(raw[key], where, key)


#: The largest number a file may give: hours, values, limits (checked before any arithmetic).
NUMBER_MAX = 1_000_000
#: The largest whole number: issue numbers, counts, caps, seeds.
WHOLE_MAX = 1_000_000_000


def check_whole(value: Any, where: Where, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.fail(f"expected a whole number, got {describe(value)}", field)
    if value > WHOLE_MAX:
        raise where.fail(f"must be at most {WHOLE_MAX:,}, got {_short(value)}", field)
    if value < minimum:
        raise where.fail(f"must be at least {minimum}, got {value}", field)
    return value


def number_text_hint(value: Any) -> str:
    """For text that reads as a number, how to write it so that YAML reads a number.

    PyYAML follows YAML 1.1: an exponent needs a decimal point and a sign.

    >>> number_text_hint("1e3"), number_text_hint("1.5"), number_text_hint("2h")
    (' (YAML reads 1e3 as text: write 1000 or 1.0e+3)', ' (write it without quotes)', '')
    """
    text = value.strip() if isinstance(value, str) else ""
    try:
        number = float(text)
    except ValueError:
        return ""
    if not math.isfinite(number):
        return ""
    exponent = re.fullmatch(r"([-+]?[0-9_.]+)[eE]([-+]?)([0-9]+)", text)
    if not exponent:
        return " (write it without quotes)"
    mantissa, sign, power = exponent.groups()
    dotted = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{sign or '+'}{power}"
    plain = f"{number:.15g}"
    spelled = dotted if "e" in plain else f"{plain} or {dotted}"
    return f" (YAML reads {text} as text: write {spelled})"


def check_number(value: Any, where: Where, field: str, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.fail(
            f"expected a number, got {describe(value)}{number_text_hint(value)}", field
        )
    if isinstance(value, int) and abs(value) > NUMBER_MAX:  # before a float of it overflows
        raise where.fail(f"must be at most {NUMBER_MAX:,}, got {_short(value)}", field)
    if not math.isfinite(value):
        raise where.fail(f"must be a finite number, got {value}", field)
    if abs(value) > NUMBER_MAX:
        raise where.fail(f"must be at most {NUMBER_MAX:,}, got {value:g}", field)
    if positive and value <= 0:
        raise where.fail(f"must be positive, got {value:g}", field)
    if not positive and value < 0:
        raise where.fail(f"must not be negative, got {value:g}", field)
    return float(value)


def _short(number: int) -> str:
    """A huge whole number as its first digits and length, never its 400 digits."""
    digits = str(abs(number)) if number.bit_length() < 20_000 else None
    if digits is None:
        return f"a number of about {int(number.bit_length() * 0.30103):,} digits"
    sign = "-" if number < 0 else ""
    return f"{sign}{digits}" if len(digits) <= 20 else f"{sign}{digits[:6]}… ({len(digits)} digits)"


def check_choice(value: Any, allowed: tuple[str, ...], where: Where, field: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value) if isinstance(value, str) else describe(value)
        raise where.fail(f"{shown} is not one of {', '.join(allowed)}", field)
    return value


def check_ident(value: Any, where: Where, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise where.fail(
            f"expected an id without spaces, commas or semicolons, got {describe(value)}", field
        )
    bad = NOT_IN_ID.search(value)
    if bad:
        char = bad.group()
        what = repr(char) if char in " ,;" else f"U+{ord(char):04X} ({_char_name(char)})"
        raise where.fail(
            f"an id may not hold {what}, at position {bad.start() + 1}: ids are text without "
            "spaces, commas, semicolons or invisible characters",
            field,
        )
    return value


def _char_name(char: str) -> str:
    return unicodedata.name(char, "a control character").lower()


#: What a name that becomes a folder may not hold: separators and control characters.
_NOT_IN_NAME = re.compile(r"[/\\\x00-\x1f\x7f-\x9f]")
#: The longest folder name: file systems allow 255 bytes; the rest is left for suffixes.
_NAME_BYTES = 200


def check_name(value: Any, where: Where, field: str, *, from_file: bool = False) -> str:
    """An id that also names a folder: one path component, not hidden, at most 200 bytes.

    ``from_file``: the name was taken from the file's name (none was given).

    >>> check_name("team-b", Where("c.yaml"), "name")
    'team-b'
    >>> check_name("../x", Where("c.yaml"), "name")
    Traceback (most recent call last):
    ...
    analysis.errors.CatalogError: c.yaml: field 'name': '../x' cannot name a folder (no '/', ...
    """
    hint = " (taken from the file's name: give one)" if from_file else ""
    if isinstance(value, str) and _NOT_IN_NAME.search(value):
        raise where.fail(
            f"{value[:80]!r} cannot name a folder (no '/', '\\', control characters; "
            f"not starting with '.'){hint}",
            field,
        )
    name = check_ident(value, where, field)
    if name.startswith("."):
        raise where.fail(
            f"{name!r} cannot name a folder (no '/', '\\', control characters; "
            f"not starting with '.'){hint}",
            field,
        )
    if len(name.encode("utf-8")) > _NAME_BYTES:
        raise where.fail(
            f"{len(name.encode('utf-8'))} bytes in UTF-8 is too long to name a folder "
            f"(at most {_NAME_BYTES}){hint}",
            field,
        )
    return name


def located(line: int | None) -> Located:
    """An empty mapping that stands at ``line`` (for rows of a CSV file)."""
    mapping = Located()
    mapping.line = line
    return mapping


def dump_yaml(data: Any) -> str:
    """YAML text of ``data``: block style for records, flow style for short lists."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)
