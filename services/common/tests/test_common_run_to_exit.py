"""A service that has stopped exits even when a task it leaves behind
refuses to be cancelled (nats-py's reconnect loop to a server that is gone
does): run_to_exit gives stray tasks a bounded time, then exits anyway."""

from __future__ import annotations

import subprocess
import sys

STUBBORN = """
import asyncio, logging, sys
from optivus_common import server
server.STRAY_TASKS_S = 0.2
logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(message)s")

async def stubborn():
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # refuses to end, as a reconnect loop may

async def main():
    asyncio.get_running_loop().create_task(stubborn())
    await asyncio.sleep(0)
    return 3

sys.exit(server.run_to_exit(main()))
"""

POLITE = """
import asyncio, sys
from optivus_common import server

async def main():
    asyncio.get_running_loop().create_task(asyncio.sleep(3600))
    return 0

sys.exit(server.run_to_exit(main()))
"""


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_task_that_refuses_to_end_does_not_keep_the_process():
    done = run(STUBBORN)
    assert done.returncode == 3, done.stderr
    assert "tasks still running at exit" in done.stdout


def test_tasks_that_end_when_cancelled_leave_quietly():
    done = run(POLITE)
    assert done.returncode == 0, done.stderr
    assert "tasks still running" not in done.stdout + done.stderr
