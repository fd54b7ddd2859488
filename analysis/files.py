"""Files read and written with one-line errors, and replaced in one step.

:func:`read_text` reads a user's file as UTF-8 and names the file in one line
when it is missing, a folder, a pipe or a device, over the input limit,
unreadable, empty, not UTF-8 or holds a NUL;
:func:`write_text_atomic` replaces a file in one step, so a reader never sees
half of it; :func:`check_folder` checks that an output folder can be made and
written in, and leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from analysis.errors import CatalogError, InputError

__all__ = [
    "CSV_FORMULA_START",
    "csv_cell",
    "csv_uncell",
    "csv_text",
    "DEFAULT_INPUT_LIMIT_MB",
    "INPUT_LIMIT_VARIABLE",
    "input_limit",
    "read_input",
    "read_text",
    "write_text_atomic",
    "write_bytes_atomic",
    "check_folder",
]


#: The largest input file read, by default (64 MiB: a 10,000-task catalog is about 4 MiB).
DEFAULT_INPUT_LIMIT_MB = 64
#: The environment variable that raises (or lowers) it; ``assess --max-input-mb N`` sets it.
INPUT_LIMIT_VARIABLE = "ASSESS_MAX_INPUT_MB"

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def input_limit() -> int:
    """The largest input file read, in bytes (``ASSESS_MAX_INPUT_MB``, else 64 MiB)."""
    raw = os.environ.get(INPUT_LIMIT_VARIABLE, "").strip()
    try:
        megabytes = float(raw) if raw else DEFAULT_INPUT_LIMIT_MB
    except ValueError:
        megabytes = DEFAULT_INPUT_LIMIT_MB
    if not 0 < megabytes < 1 << 20:
        megabytes = DEFAULT_INPUT_LIMIT_MB
    return int(megabytes * (1 << 20))


def _not_regular(mode: int) -> str:
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def read_input(path: str | os.PathLike, error: type[InputError] = CatalogError) -> bytes:
    """The bytes of a user's input file, if it is a regular file within the input limit.

    A named pipe, a device or a socket is refused before it is opened (opening a
    FIFO would wait for a writer; ``/dev/zero`` never ends), and so is a file
    over :func:`input_limit`; the file is opened without blocking and read up
    to the limit, so one that grows while it is read is refused too.

    Raises
    ------
    InputError
        (of type ``error``) naming the file: missing, a folder, not a regular
        file, over the limit, or unreadable.
    """
    path = Path(path)
    limit = input_limit()
    over = (
        f"is over the input limit of {limit / (1 << 20):g} MiB "
        f"(raise it with assess --max-input-mb or {INPUT_LIMIT_VARIABLE})"
    )
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise error("is a folder, not a file", source=str(path))
        if not stat.S_ISREG(mode):
            raise error(f"is {_not_regular(mode)}, not a regular file", source=str(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error("no such file", source=str(path)) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", source=str(path)) from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):  # swapped for something else since the check
            raise error(f"is {_not_regular(info.st_mode)}, not a regular file", source=str(path))
        if info.st_size > limit:
            raise error(f"{info.st_size} bytes {over}", source=str(path))
        try:
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read: {exc.strerror}", source=str(path)) from exc
    if len(raw) > limit:
        raise error(f"grew while read and {over}", source=str(path))
    return raw


def read_text(path: str | os.PathLike, error: type[InputError] = CatalogError) -> str:
    """Read a UTF-8 text file (a leading byte-order mark is dropped); see :func:`read_input`.

    Raises
    ------
    InputError
        (of type ``error``) when the file is missing, not a regular file, over
        the input limit, unreadable, empty, not UTF-8, or holds a NUL character.
    """
    raw = read_input(path, error)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}; save the file as UTF-8",
            source=str(path),
            line=line,
        ) from None
    if not text.strip():
        raise error("empty file", source=str(path))
    nul = text.find("\0")
    if nul >= 0:
        raise error(
            f"a NUL character at offset {nul}: not a text file",
            source=str(path),
            line=text.count("\n", 0, nul) + 1,
        )
    return text


#: Leading characters a spreadsheet reads as the start of a formula (OWASP's list), and the
#: escape itself, so that escaping can be undone.
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_cell(value: object) -> object:
    """A cell that a spreadsheet shows as text: ``'`` before a formula trigger.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading ``'`` (OWASP's advice against CSV injection); text already
    starting with ``'`` gets another, so :func:`csv_uncell` gives every text back.
    Numbers stay numbers.

    >>> csv_cell("=HYPERLINK(1)"), csv_cell("'quoted"), csv_cell("plain"), csv_cell(-1)
    ("'=HYPERLINK(1)", "''quoted", 'plain', -1)
    """
    if isinstance(value, str) and value.startswith(CSV_FORMULA_START):
        return "'" + value
    return value


def csv_uncell(text: str) -> str:
    """The text :func:`csv_cell` escaped: one leading ``'`` dropped."""
    return text[1:] if text.startswith("'") else text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV text: every cell through :func:`csv_cell`, CRLF rows (RFC 4180).

    The one CSV writer of the suite: catalogs, plans and the report's
    ``plan.csv`` all come from it, so the same rows give the same bytes.
    With CRLF rows, a carriage return inside a cell is always quoted.
    """
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8, line ends as given) in one step; a failure
    leaves the old file as it was (:func:`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step; a failure leaves the old file as it was.

    The new file gets the usual permissions (0666 less the umask), not the
    private ones of a temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_folder(path: str | os.PathLike, error: type[InputError] = InputError) -> Path:
    """``path`` if it is a folder this process can create and write in; nothing is left behind.

    Trying is the only sure test (root passes every permission check, yet
    cannot create a folder under ``/proc``): a uniquely named folder (or file)
    is made in the nearest folder that exists and removed again. Nothing else
    is created or removed, so renders that check the same new folder at once
    never remove what another one made.

    Raises
    ------
    InputError
        (of type ``error``) naming the path: a file stands where a folder
        should be, or the folder cannot be created or written in.
    """
    path = Path(path)
    existing = path
    while not existing.is_dir():
        if existing.exists() or existing.is_symlink():
            where = "is a file" if existing == path else f"{existing} is a file"
            raise error(f"{where}, not a folder", source=str(path))
        if existing.parent == existing:
            break
        existing = existing.parent
    verb = "write in" if existing == path else "create"
    try:
        probe = tempfile.mkdtemp(dir=existing, prefix=".assess-probe-")
        os.rmdir(probe)
    except OSError as exc:
        raise error(f"cannot {verb} the folder: {exc.strerror}", source=str(path)) from None
    return path
