"""`optivus run`: NATS (JetStream), every built service and the gateway as
their own processes on loopback, each with a metrics port of its own.
Waits for each to be healthy, prints where they listen, restarts any that dies (with backoff, and says so), and
stops them all on Ctrl-C or SIGTERM. Children also get SIGTERM if the
launcher itself dies, so nothing is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from optivus_common.registry import GATEWAY, SERVICES, ServiceSpec, built_services

from . import processes

# Restart backoff: the first restart waits MIN, each quick death doubles
# the wait up to MAX; a child that ran for STABLE seconds starts over at MIN.
BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 30.0
STABLE_S = 60.0


class LocalSettings(BaseSettings):
    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore")

    host: str = Field("127.0.0.1", validation_alias="OPTIVUS_LOCAL_HOST")
    data_dir: Path = Field(Path("data"), validation_alias="OPTIVUS_DATA_DIR")
    nats_port: int = Field(4222, validation_alias="OPTIVUS_LOCAL_NATS_PORT")
    nats_monitor_port: int = Field(8222, validation_alias="OPTIVUS_LOCAL_NATS_MONITOR_PORT")
    gateway_port: int = Field(GATEWAY.default_port, validation_alias="OPTIVUS_GATEWAY_PORT")
    # Comma-separated subset of the services to start; empty starts all built ones.
    services: str = Field("", validation_alias="OPTIVUS_LOCAL_SERVICES")
    # Metrics ports: the gateway gets this one, each service the next ones in
    # registry order (metrics_port_of); 0: free ports the launcher picks.
    metrics_port: int = Field(9470, ge=0, le=65535, validation_alias="OPTIVUS_LOCAL_METRICS_PORT")


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen | None = None
    started: float = 0.0
    backoff: float = BACKOFF_MIN_S
    restart_at: float | None = None
    restarts: int = 0

    def start(self) -> None:
        self.proc = processes.spawn(self.argv, self.env, self.log)
        self.started = time.monotonic()
        self.restart_at = None

    def alive_check(self) -> Callable[[], None]:
        return processes.exited(self.proc, self.name, self.log)


def say(message: str) -> None:
    print(message, flush=True)


class Stack:
    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.children: list[Child] = []
        self.logs = settings.data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        child = Child(name, argv, env, self.logs / f"{name}.log")
        child.start()
        self.children.append(child)
        return child

    def supervise(self) -> None:
        """Restarts children that died, each after its own backoff."""
        now = time.monotonic()
        for child in self.children:
            if child.proc.poll() is None:
                continue
            if child.restart_at is None:
                if now - child.started >= STABLE_S:
                    child.backoff = BACKOFF_MIN_S
                child.restart_at = now + child.backoff
                say(f"{child.name} exited with code {child.proc.returncode}; restarting in {child.backoff:g} s "
                    f"(log: {child.log})")
                child.backoff = min(BACKOFF_MAX_S, child.backoff * 2)
            elif now >= child.restart_at:
                child.restarts += 1
                child.start()
                say(f"{child.name} restarted (restart {child.restarts})")

    def stop(self, grace: float = 25.0) -> None:
        """Gateway first, then the services, NATS last (the services drain
        their NATS connections on the way out)."""
        deadline = time.monotonic() + grace
        tiers = [[c for c in self.children if c.name == GATEWAY.name],
                 [c for c in self.children if c.name not in (GATEWAY.name, "nats")],
                 [c for c in self.children if c.name == "nats"]]
        for tier in tiers:
            for child in tier:
                if child.proc.poll() is None:
                    child.proc.send_signal(signal.SIGTERM)
            for child in tier:
                processes.stop(child.proc, deadline - time.monotonic())


def selected(settings: LocalSettings) -> list[ServiceSpec]:
    if not settings.services.strip():
        return built_services()
    wanted = {s.strip() for s in settings.services.split(",") if s.strip()}
    known = {s.name: s for s in SERVICES}
    unknown = wanted - set(known)
    if unknown:
        raise RuntimeError(f"unknown services in OPTIVUS_LOCAL_SERVICES: {', '.join(sorted(unknown))}")
    unbuilt = sorted(name for name in wanted if not known[name].built)
    if unbuilt:
        raise RuntimeError(f"not built yet, cannot start: {', '.join(unbuilt)}")
    return [s for s in SERVICES if s.name in wanted]


def metrics_port_of(settings: LocalSettings, name: str) -> int:
    """The metrics port of the process `name` (the gateway or a registry
    service): fixed per process, so a restart keeps its port."""
    if not settings.metrics_port:
        return processes.free_port(settings.host)
    if name == GATEWAY.name:
        return settings.metrics_port
    return settings.metrics_port + 1 + [spec.name for spec in SERVICES].index(name)


def start(stack: Stack) -> list[str]:
    """Starts everything and returns the lines describing where it listens."""
    s = stack.settings
    host = s.host
    nats_dir = s.data_dir / "nats"
    nats_dir.mkdir(parents=True, exist_ok=True)
    nats = stack.spawn("nats", processes.nats_argv(host, s.nats_port, s.nats_monitor_port, nats_dir), {})
    processes.wait_until(lambda: processes.http_ok(f"http://{host}:{s.nats_monitor_port}/healthz"), "nats-server",
                         30, nats.alive_check())
    nats_url = f"nats://{host}:{s.nats_port}"
    common = {"OPTIVUS_NATS_URL": nats_url, "OPTIVUS_DATA_DIR": str(s.data_dir)}
    lines = [f"  nats (JetStream)   {nats_url}   monitor http://{host}:{s.nats_monitor_port}"]
    gateway_env = {**common, **{spec.gateway_addr_env: "" for spec in SERVICES}}
    started = []
    for spec in selected(s):
        port = int(os.environ.get(f"{spec.settings_prefix}PORT", spec.default_port))
        metrics = metrics_port_of(s, spec.name)
        child = stack.spawn(spec.name, processes.service_argv(spec),
                            {**common, **processes.listen_env(spec, host, port), **processes.metrics_env(metrics)})
        started.append((spec, f"{host}:{port}", metrics, child))
    for spec, address, metrics, child in started:  # started together, so their models load in parallel
        processes.wait_until(lambda a=address: processes.grpc_serving(a), f"the {spec.name} service",
                             spec.startup_timeout_s, child.alive_check())
        gateway_env[spec.gateway_addr_env] = address
        lines.append(f"  {spec.name + ' (gRPC)':<18} {address:<19} metrics http://{host}:{metrics}/metrics")
    metrics = metrics_port_of(s, GATEWAY.name)
    gateway = stack.spawn(GATEWAY.name, processes.service_argv(GATEWAY),
                          {**gateway_env, **processes.listen_env(GATEWAY, host, s.gateway_port),
                           **processes.metrics_env(metrics)})
    url = f"http://{host}:{s.gateway_port}"
    processes.wait_until(lambda: processes.http_ok(f"{url}/healthz"), "the gateway", GATEWAY.startup_timeout_s,
                         gateway.alive_check())
    lines.insert(0, f"  gateway (socket.io) {url}   event \"message\"; status at {url}/status; "
                    f"metrics http://{host}:{metrics}/metrics")
    return lines


def run(settings: LocalSettings | None = None) -> int:
    stack = Stack(settings or LocalSettings())

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        lines = start(stack)
        say("\n".join(["optivus is up:", *lines, f"  logs in {stack.logs}/", "Ctrl-C stops everything."]))
        while True:
            stack.supervise()
            time.sleep(0.2)
    except KeyboardInterrupt:
        say("stopping...")
        return 0
    except RuntimeError as exc:
        print(f"optivus run failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        say("stopped.")
