"""Executors shared by sweeps and batch reports: this process, local processes, or Dask.

:func:`execute` runs a plain function on plain-data jobs and hands each
result back as it finishes: in this process (one worker), in spawned local
processes, or on an existing Dask cluster whose workers have this package
installed. The function turns its own errors into data, so one failure does
not stop the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from analysis.errors import AnalysisError, InputError

__all__ = [
    "check_scheduler",
    "execute",
    "default_workers",
]


def check_scheduler(address: str) -> str:
    """``address`` if it reads as a Dask scheduler's address, such as ``tcp://HOST:8786``.

    Whether a scheduler answers there is found out when :func:`execute` connects.

    Raises
    ------
    InputError
        When it does not: no port, an unknown scheme, a port out of range.
    """
    from distributed.comm import get_address_host_port, parse_address
    from distributed.comm.registry import get_backend

    try:
        scheme, _ = parse_address(address)
        try:
            get_backend(scheme).get_connector()  # a scheme Dask knows and can connect by
        except (TypeError, ImportError) as exc:  # ucx: listed, but gone from Dask
            raise ValueError(f"Dask here cannot connect by {scheme}: {exc}") from exc
        if scheme in ("tcp", "tls", "ws", "wss"):
            _, port = get_address_host_port(address)
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is out of range")
    except ValueError as exc:
        raise InputError(
            f"{address!r} is not a Dask scheduler address such as tcp://HOST:8786 ({exc})",
            field="scheduler",
        ) from None
    return address


def execute(
    function: Callable[[dict[str, Any]], dict[str, Any]],
    jobs: Sequence[dict[str, Any]],
    workers: int,
    scheduler: str | None,
    done: Callable[[dict[str, Any]], None],
) -> None:
    """Run ``function`` on each job; ``done`` gets each result as it finishes.

    On the Dask cluster at ``scheduler``; else in ``workers`` local processes
    (spawned: a clean interpreter each); with one worker, in this process.
    ``function`` must be importable by name and turn its own errors into data.
    """
    if not jobs:
        return
    if scheduler:
        from distributed import Client, as_completed

        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: another's inproc://
            raise AnalysisError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        with client:
            futures = client.map(function, jobs, pure=False)
            for future in as_completed(futures):
                done(future.result())
        return
    if workers <= 1:
        for job in jobs:
            done(function(job))
        return
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        submitted = [pool.submit(function, job) for job in jobs]
        for finished in concurrent.futures.as_completed(submitted):
            done(finished.result())


def default_workers() -> int:
    """The processes a sweep uses when not told: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
