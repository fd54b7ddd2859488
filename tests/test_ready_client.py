"""The report's kernel clients: ready once the kernel answers and IOPub carries a message.

jupyter_client's wait then reads IOPub until it has been quiet for 0.2 s; these
clients do not (0.2 s of every notebook). The loop is checked here against
channels that answer as told; a real kernel runs a notebook in the report tests.
"""

from __future__ import annotations

import asyncio
from queue import Empty

import pytest

from analysis.report.notebook import _kernel_manager_class, _ready_client_class


class Channel:
    """A channel that answers ``get_msg`` from a script: a message, or Empty."""

    def __init__(self, script):
        self.script, self.asked = list(script), 0

    async def get_msg(self, timeout=None):
        self.asked += 1
        if not self.script:
            raise Empty
        step = self.script.pop(0)
        if step is Empty:
            raise Empty
        return step


def client(shell, iopub, alive=True):
    made = _ready_client_class()()
    made.sent, made.handled = 0, []

    def kernel_info():
        made.sent += 1

    async def is_alive():
        return alive

    made.kernel_info, made.is_alive = kernel_info, is_alive
    made._handle_kernel_info_reply = made.handled.append
    type(made).shell_channel = property(lambda self: shell)
    type(made).iopub_channel = property(lambda self: iopub)
    return made


REPLY = {"msg_type": "kernel_info_reply", "content": {"protocol_version": "5.4"}}
STATUS = {"msg_type": "status", "content": {"execution_state": "idle"}}


@pytest.fixture(autouse=True)
def fresh_class():
    """Each test patches the class's channels: a class of its own each time."""
    _ready_client_class.cache_clear()
    yield
    _ready_client_class.cache_clear()


def test_ready_at_the_first_answer_and_iopub_is_not_read_on():
    shell, iopub = Channel([REPLY]), Channel([STATUS, STATUS, STATUS])
    made = client(shell, iopub)
    asyncio.run(made.wait_for_ready(timeout=5))
    assert made.sent == 1 and made.handled == [REPLY]
    assert iopub.asked == 1  # jupyter_client's would read all three, then wait 0.2 s


def test_asks_again_while_iopub_is_silent():
    shell, iopub = Channel([REPLY, REPLY]), Channel([Empty, STATUS])
    made = client(shell, iopub)
    asyncio.run(made.wait_for_ready(timeout=5))
    assert made.sent == 2 and iopub.asked == 2


def test_a_dead_kernel_and_a_silent_one_are_errors():
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(client(Channel([]), Channel([]), alive=False).wait_for_ready(timeout=5))
    with pytest.raises(RuntimeError, match="didn't respond"):
        asyncio.run(client(Channel([]), Channel([])).wait_for_ready(timeout=0))


def test_the_report_kernels_make_such_clients():
    manager = _kernel_manager_class()(kernel_name="python3")
    assert isinstance(manager.client(), _ready_client_class())
