"""An async socket.io client of the gateway."""

from __future__ import annotations

import asyncio

INTERIM = ("102", "202")


class SocketClient:
    """`ask` sends one `message` and waits for the reply; `ask_with_progress`
    also collects the interim replies that come before it ("202" accepted,
    "102" progress)."""

    def __init__(self, url: str, auth: dict | None = None) -> None:
        import socketio

        self.url = url
        self.auth = auth
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.sio.on("message", self.replies.put_nowait)
        self.refusal = None  # what the server said when it refused the connection
        self.sio.on("connect_error", lambda data: setattr(self, "refusal", data))

    async def __aenter__(self):
        await self.sio.connect(self.url, transports=["websocket"], auth=self.auth)
        return self

    async def __aexit__(self, *exc):
        await self.sio.disconnect()

    async def ask(self, payload, timeout: float = 180) -> dict:
        await self.sio.emit("message", payload)
        return await asyncio.wait_for(self.replies.get(), timeout)

    async def ask_with_progress(self, payload, timeout: float = 180) -> tuple[list[dict], dict]:
        await self.sio.emit("message", payload)
        events = []
        while True:
            reply = await asyncio.wait_for(self.replies.get(), timeout)
            if reply["status"] not in INTERIM:
                return events, reply
            events.append(reply)


async def eventually(predicate, timeout: float = 30, what: str = "condition") -> None:
    """Waits until predicate() is true (for something that must happen, not
    to prove that something does not)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s")
        await asyncio.sleep(0.01)


def timed_whisp(url: str, path, timeout_s: float) -> float:
    """Seconds from sending {"type": "whisp", "file": path} to the gateway
    at `url` to its reply, over a socket.io connection of its own (a
    blocking client: benchmarks run several at once on threads)."""
    import threading
    import time

    import socketio

    sio = socketio.Client()
    done = threading.Event()
    sio.on("message", lambda data: done.set())
    sio.connect(url, transports=["websocket"])
    started = time.perf_counter()
    sio.emit("message", {"type": "whisp", "file": str(path)})
    done.wait(timeout_s)
    elapsed = time.perf_counter() - started
    sio.disconnect()
    return elapsed
