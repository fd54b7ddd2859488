"""A week's report published as one set of files, and put right after a kill.

A week's folder ``<out>/<catalog>/<week>/`` holds one set: ``weekly-report.html``,
``plan.csv``, ``plan.json`` and ``.snapshots.json`` (the week's history rows, kept so
that the history can be brought in line later). A render never writes into it:

1. :func:`stage` writes the new set into a folder beside it, on the same file system,
   ``<catalog>/.<week>.new-<host>-<pid>-<random>/``, ``.snapshots.json`` last: a staged
   set is complete once that file is in it.
2. :func:`publish` swaps it in, under the catalog folder's lock (:func:`catalog_lock`:
   an exclusive ``flock`` on ``<catalog>/.publish.lock``). Where the system exchanges two
   folders in one step (Linux's ``renameat2`` with ``RENAME_EXCHANGE``, on ext4, xfs,
   btrfs, tmpfs...) the week's folder is never missing; elsewhere the old set is renamed
   aside (``.<week>.old-...``) and the staged one renamed to the week. The old set is then
   renamed to ``.<week>.trash-...`` and removed (a set is removed only under that name).
3. :func:`recover` runs under the same lock at the start of every render (in
   :func:`put_right`, which then brings the history in line with the week's published
   snapshots: a render killed after publishing did not write them) and again before
   publishing: a week whose folder is missing (a kill between the two renames)
   gets back the newest complete set a dead render left (staged before old), and the
   leftovers of renders no longer running on this machine are removed, never those of
   a live render or of another machine (names carry the host and the process id);
   so are the ``.*.tmp`` files earlier versions left in week folders.

Renders of one week at once each publish a complete set; the last one wins, and since
it also writes the history last (under the lock), the history agrees with the folder.

The kernel's scratch folder is ``<temp>/assess-report-<pid>-<random>``
(:func:`make_scratch`); :func:`remove_stale_scratch` removes those of dead processes.

:func:`kill_point` is the fault hook of the kill tests: with ``ASSESS_KILL_AT=<point>``
in the environment the process kills itself (SIGKILL) at that point, for instance
``staged:plan.csv``. The points, in order: ``recovered``, ``scratch``, ``kernel``,
``staging``, ``staged:<file>`` (each file), ``moved-aside`` (where folders are not
exchanged), ``published``, ``history``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from analysis.files import write_text_atomic
from analysis.report.history import save_snapshots

__all__ = [
    "KILL_VARIABLE",
    "kill_point",
    "SNAPSHOTS",
    "LOCK",
    "SCRATCH_PREFIX",
    "make_scratch",
    "remove_stale_scratch",
    "catalog_lock",
    "recover",
    "stage",
    "publish",
    "published_snapshots",
    "put_right",
]

#: The environment variable naming the point at which :func:`kill_point` kills the process.
KILL_VARIABLE = "ASSESS_KILL_AT"
#: The published snapshots in a week's folder; written last, it marks a staged set complete.
SNAPSHOTS = ".snapshots.json"
#: The lock file in a catalog's report folder (kept: removing a lock file races).
LOCK = ".publish.lock"
#: The start of a scratch folder's name in the system's temporary folder.
SCRATCH_PREFIX = "assess-report-"

_WEEK = re.compile(r"^\d{4}-W\d{2}$")
_LEFTOVER = re.compile(
    r"^\.(?P<week>\d{4}-W\d{2})\.(?P<kind>new|old|trash)-(?P<host>.+)-(?P<pid>\d+)-[a-z0-9_]+$"
)
_SCRATCH = re.compile(rf"^{SCRATCH_PREFIX}(?P<pid>\d+)-[a-z0-9_]+$")


def kill_point(name: str) -> None:
    """For tests: SIGKILL this process here when ``ASSESS_KILL_AT`` is ``name``."""
    if os.environ.get(KILL_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie does not; another user's does)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    try:  # killed but not yet waited for by its parent
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except (OSError, IndexError, UnicodeDecodeError):
        return True
    return not state or state[0] not in ("Z", "X")


@functools.lru_cache(maxsize=1)
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64] or "host"


def _name(week: str, kind: str) -> str:
    return f".{week}.{kind}-{_host()}-{os.getpid()}-{secrets.token_hex(4)}"


def make_scratch() -> Path:
    """A new scratch folder in the system's temporary folder, named with this process's id."""
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))


def remove_stale_scratch() -> None:
    """Remove this user's scratch folders whose process has ended (killed renders)."""
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return
    for entry in entries:
        match = _SCRATCH.match(entry.name)
        if not match or _alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False) and entry.stat().st_uid == os.getuid():
                shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def catalog_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock of a catalog's report folder (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock; so does the process's end


def _remove(folder: Path, week: str) -> None:
    """Remove a set: renamed to a trash name first, so no partly removed set looks whole."""
    trash = folder.with_name(_name(week, "trash"))
    os.rename(folder, trash)
    if trash.is_symlink():  # a week's folder that was a link: the link goes, not its target
        trash.unlink()
    shutil.rmtree(trash, ignore_errors=True)


def recover(folder: Path) -> None:
    """Put a catalog's report folder right after a kill; call it under :func:`catalog_lock`.

    A missing week gets back the newest complete set of a dead render (a staged one
    before an old one); the other leftovers of dead renders on this machine go, and so
    do ``.*.tmp`` files in week folders (earlier versions wrote them there). What
    cannot be removed (permissions) stays, and the render goes on.
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except FileNotFoundError:
        return
    left: dict[str, list[tuple[str, Path]]] = {}
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        if _WEEK.match(entry.name):
            with contextlib.suppress(OSError):
                for inner in os.scandir(entry.path):
                    temporary = inner.name.startswith(".") and inner.name.endswith(".tmp")
                    if temporary and inner.is_file(follow_symlinks=False):
                        Path(inner.path).unlink(missing_ok=True)
            continue
        match = _LEFTOVER.match(entry.name)
        if match and match["host"] == _host() and not _alive(int(match["pid"])):
            left.setdefault(match["week"], []).append((match["kind"], Path(entry.path)))
    for week, sets in left.items():
        complete = [
            (kind, path)
            for kind, path in sets
            if kind == "old" or (kind == "new" and (path / SNAPSHOTS).is_file())
        ]
        if complete and not os.path.lexists(folder / week):
            best = max(complete, key=lambda s: (s[0] == "new", s[1].stat().st_mtime_ns, s[1].name))
            os.rename(best[1], folder / week)
            sets.remove(best)
        for kind, path in sets:
            if kind == "trash":
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    _remove(path, week)


def stage(target: Path, files: Mapping[str, str]) -> Path:
    """Write a week's set into a new staging folder beside ``target``.

    ``files`` maps names to text (written as is, CRLF kept) and includes
    :data:`SNAPSHOTS`, written last. A failure removes the staging folder.
    """
    if SNAPSHOTS not in files:
        raise ValueError(f"a week's set needs {SNAPSHOTS}")
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        staging = target.with_name(_name(target.name, "new"))
        try:
            staging.mkdir()  # the usual permissions, as the week's folder had
            break
        except FileExistsError:
            continue
    try:
        kill_point("staging")
        for name in [n for n in files if n != SNAPSHOTS] + [SNAPSHOTS]:
            write_text_atomic(staging / name, files[name])
            kill_point(f"staged:{name}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


@functools.lru_cache(maxsize=1)
def _renameat2() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    text, number = ctypes.c_char_p, ctypes.c_int
    function.argtypes = [number, text, number, text, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _exchange(one: Path, other: Path) -> bool:
    """Exchange two folders in one step; False where the system or file system cannot."""
    function = _renameat2()
    if function is None:
        return False
    at_cwd, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    if function(at_cwd, os.fsencode(one), at_cwd, os.fsencode(other), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(other))


def publish(staged: Path, target: Path) -> None:
    """Swap the staged set in as ``target`` and remove the old set.

    Call it under :func:`catalog_lock`, after :func:`recover`.
    """
    week = target.name
    if not os.path.lexists(target):
        os.rename(staged, target)
        kill_point("published")
    elif _exchange(staged, target):
        kill_point("published")
        _remove(staged, week)  # the old set, now
    else:
        aside = target.with_name(_name(week, "old"))
        os.rename(target, aside)
        kill_point("moved-aside")
        os.rename(staged, target)
        kill_point("published")
        _remove(aside, week)


def published_snapshots(target: Path) -> list[dict[str, Any]]:
    """The snapshots published with a week's set (none when absent or unreadable)."""
    try:
        items = json.loads((target / SNAPSHOTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(items, list):
        return []
    keys = {"catalog", "scenario", "snapshot"}
    return [item for item in items if isinstance(item, dict) and keys <= set(item)]


def put_right(target: Path, week: str, history: str | os.PathLike | None) -> int:
    """What a render of ``target`` (a week's folder) does first, after a kill or not.

    Removes the scratch folders of dead processes, puts the catalog's folder right
    (:func:`recover`) and, with a ``history``, writes the week's published snapshots
    where its rows differ from them. Returns the number of rows written.
    """
    remove_stale_scratch()
    if not target.parent.is_dir():  # nothing was ever published here
        return 0
    with catalog_lock(target.parent):
        recover(target.parent)
        if not history:
            return 0
        return save_snapshots(history, week, published_snapshots(target), changed_only=True)
