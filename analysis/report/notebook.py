"""Running notebooks: papermill for one report, a warm kernel for many.

:func:`run_notebook` executes a notebook with papermill on the ``python3``
kernel, with a timeout per cell, after refusing parameters the notebook does
not declare (papermill would only warn). :class:`WarmKernel` keeps one
kernel running for a batch: each notebook gets its parameters injected
(:func:`inject_parameters`, papermill's cell layout), runs with nbclient
after the kernel's variables are cleared, and modules already imported stay
imported. A cell that fails becomes a :class:`~analysis.errors.ReportError`
naming the cell. :class:`LaunchedKernel` is a kernel launched ahead of its
one notebook (``assess report`` launches it first, so that it boots while the
command imports, reads and assesses), which papermill then runs it on.

Kernels talk to this process over local TCP. Where jupyter_client can give
them CurveZMQ keys and the kernelspec says the kernel takes them (ipykernel
7), they do, so the channels are encrypted and ipykernel has no reason to
warn "Kernel is running over TCP without encryption" on stderr; with an older
jupyter_client they stay plain TCP on localhost, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.errors import ReportError

__all__ = [
    "INJECTED",
    "notebook_parameters",
    "notebook_imports",
    "inject_parameters",
    "run_notebook",
    "LaunchedKernel",
    "launch_report_kernel",
    "WarmKernel",
]

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager
    from nbformat import NotebookNode

#: The tag of the cell that holds the injected parameters (papermill's name for it).
INJECTED = "injected-parameters"


def notebook_parameters(path: str | os.PathLike) -> tuple[str, ...]:
    """Names of the parameters a notebook declares in its ``parameters`` cell."""
    _skip_iri_grammars()
    import papermill

    return tuple(papermill.inspect_notebook(str(path)))


def notebook_imports(path: str | os.PathLike) -> str:
    r"""The ``import`` statements at the top level of a notebook's code cells, as source.

    What a kernel launched for the notebook can import while it waits for the
    notebook (:class:`LaunchedKernel`'s ``preload``). Read as JSON, without
    nbformat; cells Python cannot parse (IPython magics) are skipped, and so
    is a notebook that cannot be read: then there is nothing to import ahead.

    >>> import json, tempfile
    >>> cells = [{"cell_type": "code", "source": "import json\nx = 1\nfrom os import path"}]
    >>> with tempfile.NamedTemporaryFile("w", suffix=".ipynb", delete=False) as file:
    ...     json.dump({"cells": cells}, file)
    >>> print(notebook_imports(file.name))
    import json
    from os import path
    """
    import ast
    import json

    try:
        with open(path, encoding="utf-8") as file:
            cells = json.load(file).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return ""
    statements = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        try:
            tree = ast.parse(source if isinstance(source, str) else "".join(source))
        except (SyntaxError, ValueError, TypeError):
            continue
        statements += [
            ast.unparse(node)
            for node in tree.body
            if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and not node.level)
        ]
    return "\n".join(dict.fromkeys(statements))


def inject_parameters(notebook: NotebookNode, parameters: dict[str, object]) -> NotebookNode:
    """The notebook with a cell assigning ``parameters`` after its ``parameters`` cell.

    The new cell is tagged ``injected-parameters``, as papermill tags it; an
    earlier injected cell is replaced. Values are written as Python literals.

    >>> import nbformat
    >>> node = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("week = None")])
    >>> node.cells[0].metadata["tags"] = ["parameters"]
    >>> print(inject_parameters(node, {"week": "2026-W48"}).cells[1].source)
    # Parameters
    week = '2026-W48'
    """
    _skip_iri_grammars()
    import nbformat

    cells = [c for c in notebook.cells if INJECTED not in c.metadata.get("tags", [])]
    lines = ["# Parameters", *(f"{name} = {value!r}" for name, value in parameters.items())]
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": [INJECTED]})
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    cells.insert(tagged[0] + 1 if tagged else 0, cell)
    notebook.cells = cells
    return notebook


def run_notebook(
    notebook: str | os.PathLike,
    output: str | os.PathLike | None,
    parameters: dict[str, object],
    *,
    timeout: int = 600,
    progress: bool = False,
    cwd: str | os.PathLike | None = None,
    kernel: LaunchedKernel | None = None,
) -> NotebookNode:
    """Execute a notebook with papermill on the ``python3`` kernel; the executed notebook.

    It is also written to ``output``, unless that is None. The kernel starts
    in ``cwd`` (default: the notebook's folder); with ``kernel``, papermill
    runs on that one instead (in its own folder), and begins to shut it down
    at the end (the caller's ``kernel.close()`` waits).

    Raises
    ------
    ReportError
        When a parameter is not declared by the notebook (papermill would only
        warn), or when a cell fails: the error names the cell.
    """
    _skip_iri_grammars()
    import papermill

    _check_parameters(notebook, parameters)
    try:
        return papermill.execute_notebook(
            str(notebook),
            None if output is None else str(output),
            parameters=parameters,
            kernel_name="python3",
            execution_timeout=timeout,
            cwd=str(cwd or Path(notebook).parent),
            **({"km": kernel.manager} if kernel is not None else {}),
            # A bar on a terminal only (a log would get every redraw on one line).
            progress_bar={"disable": None, "dynamic_ncols": True} if progress else False,
            kernel_manager_class=_kernel_manager_class(),
            request_save_on_cell_execute=False,
            # Every output has arrived once the last cell is done. A graceful
            # shutdown then waits for the kernel to exit: 0.4 s with the
            # report's modules loaded, and now and then 3 s or more.
            shutdown_kernel="immediate",
        )
    except papermill.PapermillExecutionError as exc:
        raise _cell_failed(notebook, exc.exec_count, exc.source, exc.ename, exc.evalue) from exc
    finally:
        if kernel is not None:
            kernel.close(wait=False)  # the caller goes on; its own close() waits


class LaunchedKernel:
    """A ``python3`` kernel launched now, in ``folder``, for one notebook to run on later.

    Launching takes a few hundredths of a second; the kernel then boots in its
    own process (most of a second) while this one goes on. ``env`` is added to
    this process's environment for the kernel only. ``preload``: import
    statements (:func:`notebook_imports`) the kernel runs as it boots, before
    it answers, so that the libraries its notebook imports load while this
    process is still getting ready; one that fails is left for the notebook
    to run (and fail) again. :func:`run_notebook` runs
    papermill on it and begins to close it; :meth:`close` shuts it down at once
    and closes the channels papermill opened to it (in another thread if asked),
    and does nothing more the second time.
    """

    def __init__(
        self, folder: str | os.PathLike, env: dict[str, str] | None = None, preload: str = ""
    ) -> None:
        from jupyter_core.utils import run_sync

        self.folder = Path(folder)
        self._closing: threading.Thread | None = None
        self._failed: BaseException | None = None
        manager = _launched_manager_class()(kernel_name="python3")
        # Its keys in its folder, not loose in the temporary folder: gone with the folder,
        # also after a kill (the next render removes a dead process's scratch folder).
        manager.connection_file = str(self.folder / "kernel.json")
        self.manager: AsyncKernelManager | None = manager
        try:
            run_sync(manager.start_kernel)(
                cwd=str(self.folder),
                env={**os.environ, **(env or {}), **({_PRELOAD: preload} if preload else {})},
                # As nbclient starts ipykernel: its history in memory, not in the home folder.
                extra_arguments=["--HistoryManager.hist_file=:memory:"],
            )
        except BaseException:
            self.close()
            raise

    def close(self, *, wait: bool = True) -> None:
        """Shut the kernel down at once, and close the channels papermill opened to it.

        The kernel's processes are killed here and now; ``wait=False``: the rest
        (closing the channels, seeing the process end, removing its connection
        file) goes on in another thread, so that the caller goes on; a later
        ``close()`` waits for it, and raises what it raised.
        """
        manager, self.manager = self.manager, None
        if manager is not None:
            _kill_now(manager)
            self._closing = threading.Thread(
                target=self._shut_down, args=(manager,), name="kernel shutdown", daemon=True
            )
            self._closing.start()
        if wait and self._closing is not None:
            self._closing.join()
            failed, self._failed = self._failed, None
            if failed is not None:
                raise failed

    def _shut_down(self, manager: AsyncKernelManager) -> None:
        try:
            for client in getattr(manager, "clients", ()):
                client.stop_channels()

            async def shut_down() -> None:
                # Killed already (close): its end is seen in milliseconds, not at the
                # shutdown's next look a tenth of a second later.
                for _ in range(100):
                    if not await manager.is_alive():
                        break
                    await asyncio.sleep(0.002)
                await manager.shutdown_kernel(now=True)

            with contextlib.suppress(RuntimeError):  # already gone
                if manager.has_kernel:
                    asyncio.run(shut_down())
        except BaseException as exc:  # raised again by close()
            self._failed = exc


def _kill_now(manager: AsyncKernelManager) -> None:
    """SIGKILL to the kernel's process group, now.

    jupyter_client's shutdown (``now=True``) interrupts the kernel, kills it,
    then looks every tenth of a second whether it has ended; a kernel killed
    first is seen to end within milliseconds (:meth:`LaunchedKernel.close`),
    and the shutdown then has nothing to wait for. Nothing to do for a kernel
    already gone.
    """
    from jupyter_core.utils import run_sync

    with contextlib.suppress(Exception):  # gone already; the shutdown that follows says more
        if manager.has_kernel:
            run_sync(manager.signal_kernel)(signal.SIGKILL)


def launch_report_kernel(notebook: str | os.PathLike | None = None) -> LaunchedKernel:
    """The weekly report's kernel, launched now in a new scratch folder.

    :func:`~analysis.report.render.render_report` (given it as ``launched``)
    runs the report in that folder. The kernel is told the working folder
    (``ASSESS_WORKDIR`` as set, else this process's), to show paths relative
    to it; this process's environment stays as it was. Given the ``notebook``
    it will run, it imports what that imports as it boots
    (:func:`notebook_imports`).
    """
    from analysis.report.publish import make_scratch
    from analysis.resources import WORKDIR_VARIABLE

    workdir = os.environ.get(WORKDIR_VARIABLE) or str(Path.cwd())
    folder = make_scratch()
    try:
        preload = "" if notebook is None else notebook_imports(notebook)
        return LaunchedKernel(folder, env={WORKDIR_VARIABLE: workdir}, preload=preload)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


class WarmKernel:
    """One ``python3`` kernel kept running for many notebooks, to pay start-up once.

    Papermill starts a kernel per notebook. For a batch of reports this runs
    each notebook with nbclient on a kernel that stays up: the parameters are
    injected as papermill injects them, the kernel's variables are cleared
    before each notebook (``%reset -f``), and modules already imported stay
    imported.
    """

    def __init__(self) -> None:
        self._manager: AsyncKernelManager | None = None

    def run(
        self,
        notebook: str | os.PathLike,
        output: str | os.PathLike | None,
        parameters: dict[str, object],
        *,
        timeout: int = 600,
        cwd: str | os.PathLike | None = None,
    ) -> NotebookNode:
        """Like :func:`run_notebook` (the executed notebook, also written to
        ``output`` unless that is None); the same errors.

        The kernel moves to ``cwd`` (default: the notebook's folder) before
        the notebook runs: it stays up while the folders of earlier runs go.
        """
        _skip_iri_grammars()
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        _check_parameters(notebook, parameters)
        node = inject_parameters(nbformat.read(notebook, as_version=4), parameters)
        folder = str(Path(cwd or Path(notebook).parent).resolve())
        reset = nbformat.v4.new_code_cell(
            f"import os\nos.chdir({folder!r})\nget_ipython().run_line_magic('reset', '-f')"
        )
        node.cells.insert(0, reset)
        if self._manager is None:
            self._manager = _kernel_manager_class()(kernel_name="python3")
        client = NotebookClient(
            node,
            km=self._manager,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": folder}},
        )
        try:
            client.execute()
        except CellExecutionError as exc:
            index = next((i for i, c in enumerate(node.cells) if _failed_cell(c)), len(node.cells))
            source = node.cells[index].source if index < len(node.cells) else ""
            raise _cell_failed(notebook, index, source, exc.ename, exc.evalue) from exc
        except (CellTimeoutError, DeadKernelError) as exc:
            self.close()  # the next notebook gets a fresh kernel
            raise ReportError(f"{Path(notebook).name}: {type(exc).__name__}: {exc}") from exc
        finally:
            if client.kc is not None:
                client.kc.stop_channels()
        del node.cells[0]
        if output is not None:
            nbformat.write(node, output)
        return node

    def close(self) -> None:
        """Shut the kernel down (also done when the process exits)."""
        manager, self._manager = self._manager, None
        if manager is not None and manager.has_kernel:
            from jupyter_core.utils import run_sync

            with contextlib.suppress(RuntimeError):  # already gone
                run_sync(manager.shutdown_kernel)(now=True)


@functools.cache
def _kernel_manager_class() -> type[AsyncKernelManager]:
    """The kernel manager to start kernels with: encrypted channels where both sides can,
    and clients that are ready once the kernel answers (:func:`_ready_client_class`)."""
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    # Not with an older jupyter_client, or a libzmq without CurveZMQ.
    traits = AsyncKernelManager.class_trait_names()
    encrypted = zmq.has("curve") and "transport_encryption" in traits

    class ReportKernelManager(AsyncKernelManager):
        """Provisions CurveZMQ keys (where it can) for kernels whose kernelspec declares
        support; its clients are :func:`_ready_client_class`'s."""

        def __init__(self, **kwargs):
            if encrypted:
                kwargs.setdefault("transport_encryption", "auto")
            super().__init__(**kwargs)
            self.client_factory = _ready_client_class()

    return ReportKernelManager


@functools.cache
def _ready_client_class() -> type:
    """A kernel client ready as soon as the kernel answers and IOPub carries a message.

    jupyter_client's ``wait_for_ready`` asks the kernel for its info until it
    answers and IOPub carries a message (so that no output is missed), as this
    does, and then reads IOPub until it has been quiet for 0.2 s, to drop what
    the kernel said before. nbclient (papermill's) reads only what answers its
    own requests, so that last step was 0.2 s of every notebook, for nothing.
    """
    from queue import Empty

    from jupyter_client.asynchronous.client import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    reply = None
                if reply is not None and reply["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once it carries something (the kernel's status)
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(reply)  # the protocol's version
                        return
                if not await self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    return ReadyClient


#: The environment variable that carries a kernel's ``preload`` (:class:`LaunchedKernel`).
_PRELOAD = "ANALYSIS_KERNEL_PRELOAD"

#: ipykernel_launcher, with the collector's thresholds of the command (``analysis.cli``):
#: the kernel's imports make objects that live until the end; collecting them again and
#: again at the default thresholds takes a sixth of the time the imports take. Then
#: its ``preload``, run before the kernel answers (papermill waits for that, not for a
#: notebook's first cells), and taken out of the environment its notebook sees.
_BOOT = (
    "import gc, os, sys\n"
    "gc.set_threshold(100_000, 50, 50)\n"
    "if sys.path and sys.path[0] == '':\n"
    "    del sys.path[0]\n"
    f"_preload = os.environ.pop({_PRELOAD!r}, '')\n"
    "_line = None\n"
    "for _line in _preload.splitlines():\n"
    "    try:\n"
    "        exec(_line, {})\n"
    "    except Exception:\n"
    "        pass\n"
    "del _preload, _line\n"
    "from ipykernel import kernelapp\n"
    "kernelapp.launch_new_instance()\n"
)


@functools.cache
def _launched_manager_class() -> type[AsyncKernelManager]:
    """The kernel manager of a :class:`LaunchedKernel`: it boots ipykernel with
    :data:`_BOOT` (where the kernelspec runs ``ipykernel_launcher``, as the
    bundled ``python3`` does) and keeps the clients it makes.

    Nbclient stops its client's channels only for a kernel it started itself;
    papermill, given a kernel, leaves them open (a heartbeat thread and five
    sockets per report). Kept here, :meth:`LaunchedKernel.close` stops them.
    """

    from jupyter_client.kernelspec import KernelSpec

    class LaunchedKernelManager(_kernel_manager_class()):  # type: ignore[misc]
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.clients = []
            self._booting = None

        @property
        def kernel_spec(self):
            spec = super().kernel_spec
            if self._booting is None and spec is not None:
                argv = list(spec.argv)
                if argv[1:3] == ["-m", "ipykernel_launcher"]:
                    argv[1:3] = ["-c", _BOOT]
                self._booting = KernelSpec(
                    **{**spec.to_dict(), "argv": argv}, resource_dir=spec.resource_dir
                )
            return self._booting

        def client(self, **kwargs):
            made = super().client(**kwargs)
            self.clients.append(made)
            return made

    return LaunchedKernelManager


def _skip_iri_grammars() -> None:
    """Keep jsonschema, which nbformat loads, from compiling grammars nothing here uses.

    When ``rfc3987_syntax`` is installed (jupyter-events asks for it), jsonschema
    imports it to check the ``iri`` formats, and importing it compiles 38 lark
    grammars: one to three seconds of every report, for formats nbformat never
    checks. Marked as missing before jsonschema is first imported, it is not
    loaded; jsonschema goes without those two format checks, as it does when
    the package is not installed.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _cell_failed(
    notebook: str | os.PathLike, cell: int | None, source: str, ename: str, evalue: str
) -> ReportError:
    """The error for a notebook cell that raised: the cell, its first line, the exception."""
    first = next((line for line in source.splitlines() if line.strip()), "")
    return ReportError(
        f"{Path(notebook).name}: cell {cell} ({first.strip()[:60]}) failed: {ename}: {evalue}",
        cell=cell,
    )


def _failed_cell(cell) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _check_parameters(notebook: str | os.PathLike, parameters: dict[str, object]) -> None:
    declared = notebook_parameters(notebook)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(
            f"{Path(notebook).name} has no parameter {', '.join(unknown)} "
            f"(it declares {', '.join(declared)})"
        )
