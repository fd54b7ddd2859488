"""Files read and written with one-line errors, and replaced in one step.

:func:`read_text` reads a user's file as UTF-8 and names the file in one line
when it is missing, a folder, unreadable, empty or not UTF-8;
:func:`write_text_atomic` replaces a file in one step, so a reader never sees
half of it; :func:`check_folder` checks that an output folder can be made and
written in, and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from analysis.errors import CatalogError, InputError

__all__ = [
    "read_text",
    "write_text_atomic",
    "check_folder",
]


def read_text(path: str | os.PathLike, error: type[InputError] = CatalogError) -> str:
    """Read a UTF-8 text file (a leading byte-order mark is dropped).

    Raises
    ------
    InputError
        (of type ``error``) when the file is missing, unreadable, empty or not UTF-8.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise error("is a folder, not a file", source=str(path)) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", source=str(path)) from exc
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
    return text


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step; a failure leaves the old file as it was.

    The new file gets the usual permissions (0666 less the umask), not the
    private ones of a temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_folder(path: str | os.PathLike, error: type[InputError] = InputError) -> Path:
    """``path`` if it is a folder this process can create and write in; nothing is left behind.

    It creates what is missing of the folder and a file in it, then removes
    them again: on a file system, trying is the only sure test (root passes
    every permission check, yet cannot create a folder under ``/proc``).

    Raises
    ------
    InputError
        (of type ``error``) naming the path: a file stands where a folder
        should be, or the folder cannot be created or written in.
    """
    path = Path(path)
    created: list[Path] = []
    try:
        for folder in (*reversed(path.parents), path):
            if folder.is_dir():
                continue
            if folder.exists() or folder.is_symlink():
                where = "is a file" if folder == path else f"{folder} is a file"
                raise error(f"{where}, not a folder", source=str(path))
            try:
                folder.mkdir()
            except OSError as exc:
                raise error(f"cannot create the folder: {exc.strerror}", source=str(path)) from None
            created.append(folder)
        try:
            fd, probe = tempfile.mkstemp(dir=path, prefix=".assess-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise error(f"cannot write in the folder: {exc.strerror}", source=str(path)) from None
    finally:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
    return path
