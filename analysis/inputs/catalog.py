r"""Task catalog files: read and write YAML and CSV.

:func:`read_catalog` only reads a file and hands its text to
:func:`parse_catalog_text`, which turns YAML or CSV text into the YAML shape
and validates it with :func:`~analysis.inputs.catalog_records.parse_catalog`.
The writers are their exact inverses: any valid catalog survives a YAML or a
CSV round trip unchanged. Every problem raises
:class:`~analysis.errors.CatalogError` naming the file, the line when known,
the task and the field.

Examples
--------
>>> catalog = parse_catalog_text(
...     "tasks:\n- {id: T1, issue: 1, title: 設計, activity: design, environment: none,"
...     " effort: 0.5}\n", "yaml")
>>> [(t.id, t.title, t.effort.hours) for t in catalog]
[('T1', '設計', 0.5)]
>>> catalog_format(Path("team.CSV"))
'csv'
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.errors import CatalogError, InputError
from analysis.files import csv_text, read_text, write_text_atomic
from analysis.inputs.catalog_csv import CSV_COLUMNS, catalog_to_rows, csv_to_data
from analysis.inputs.catalog_records import catalog_to_data, parse_catalog
from analysis.inputs.records import dump_yaml, load_yaml_text
from analysis.model import Catalog
from analysis.vocabulary import DEFAULT_VOCABULARY, Vocabulary

__all__ = [
    "CATALOG_SUFFIXES",
    "parse_catalog_text",
    "format_catalog",
    "catalog_format",
    "read_catalog",
    "write_catalog",
]

_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
#: File name endings read as catalogs.
CATALOG_SUFFIXES = tuple(_FORMATS)


def parse_catalog_text(
    text: str,
    fmt: str,
    *,
    source: str = "<memory>",
    name: str | None = None,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> Catalog:
    """Parse a catalog from YAML (``fmt="yaml"``) or CSV (``fmt="csv"``) text."""
    if not text.strip():
        raise CatalogError("empty file: expected a catalog with 'tasks'", source=source)
    if fmt == "yaml":
        data = load_yaml_text(text, source)
    elif fmt == "csv":
        data = csv_to_data(text, source)
    else:
        raise CatalogError(f"unknown catalog format {fmt!r} (yaml or csv)", source=source)
    return parse_catalog(data, source=source, name=name, vocabulary=vocabulary)


def format_catalog(catalog: Catalog, fmt: str) -> str:
    """The text of ``catalog`` as YAML or CSV; parsing it gives the catalog back."""
    if fmt == "yaml":
        return dump_yaml(catalog_to_data(catalog))
    if fmt == "csv":
        rows = catalog_to_rows(catalog)
        return csv_text([CSV_COLUMNS, *([row.get(c, "") for c in CSV_COLUMNS] for row in rows)])
    raise ValueError(f"unknown catalog format {fmt!r} (yaml or csv)")


def catalog_format(path: Path, error: type[InputError] = CatalogError) -> str:
    """``yaml`` or ``csv``, from the file's suffix."""
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        hint = (
            "; a markdown assessment is read by assess import-markdown"
            if path.suffix.lower() in (".md", ".markdown", ".txt")
            else ""
        )
        raise error(
            f"unsupported file type '{path.suffix}' (expected .yaml, .yml or .csv{hint})",
            source=str(path),
        ) from None


def read_catalog(
    path: str | os.PathLike, *, vocabulary: Vocabulary = DEFAULT_VOCABULARY
) -> Catalog:
    """Read a catalog file (``.yaml``, ``.yml`` or ``.csv``), validated.

    The catalog's name defaults to the file's stem.

    Raises
    ------
    CatalogError
        When the file is missing, empty, not UTF-8, malformed or invalid.
    """
    path = Path(path)
    fmt = catalog_format(path)
    text = read_text(path)
    return parse_catalog_text(text, fmt, source=str(path), name=path.stem, vocabulary=vocabulary)


def write_catalog(catalog: Catalog, path: str | os.PathLike) -> Path:
    """Write ``catalog`` as YAML or CSV (by suffix), atomically: all or nothing."""
    path = Path(path)
    text = format_catalog(catalog, catalog_format(path))
    write_text_atomic(path, text)
    return path
