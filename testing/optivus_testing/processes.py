"""Real Optivus processes on loopback for tests and benchmarks, started
through optivus_cli.processes, the code `optivus run` uses. Each gets its
own free metrics port (OPTIVUS_METRICS_PORT)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from optivus_cli import processes
from optivus_common.registry import GATEWAY, SERVICES, service

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    return processes.free_port(LOOPBACK)


def start_process(module: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return processes.spawn([sys.executable, "-m", module], {**processes.metrics_env(free_port()), **env}, log)


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    processes.stop(proc, timeout)


def wait_for_health(address: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    alive = processes.exited(proc, address) if proc is not None else (lambda: None)
    processes.wait_until(lambda: processes.grpc_serving(address), f"{address} (grpc.health SERVING)", timeout,
                         alive, interval=0.1)


def wait_for_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    alive = processes.exited(proc, url) if proc is not None else (lambda: None)
    processes.wait_until(lambda: processes.http_ok(url), url, timeout, alive, interval=0.1)


@dataclass(frozen=True)
class Started:
    """A process started here: where it serves (a gRPC address, or the
    gateway's http:// URL) and its metrics URL."""

    address: str
    metrics_url: str


@contextlib.contextmanager
def started_service(name: str, env: dict[str, str], log_dir: Path, timeout: float | None = None) -> Iterator[Started]:
    """Runs the service `name` (a registry name) on free loopback ports until
    the block ends; yields once grpc.health says SERVING."""
    spec = service(name)
    port, metrics = free_port(), free_port()
    log = log_dir / f"{name}.log"
    proc = processes.spawn(processes.service_argv(spec), {**env, **processes.listen_env(spec, LOOPBACK, port),
                                                          **processes.metrics_env(metrics)}, log)
    try:
        wait_for_health(f"{LOOPBACK}:{port}", timeout or spec.startup_timeout_s, proc)
        yield Started(f"{LOOPBACK}:{port}", f"http://{LOOPBACK}:{metrics}/metrics")
    finally:
        stop_process(proc)


@contextlib.contextmanager
def running_service(name: str, env: dict[str, str], log_dir: Path, timeout: float | None = None) -> Iterator[str]:
    """started_service, yielding the gRPC address only."""
    with started_service(name, env, log_dir, timeout) as started:
        yield started.address


@contextlib.contextmanager
def started_gateway(env: dict[str, str], addresses: dict[str, str], log_dir: Path) -> Iterator[Started]:
    """Runs the gateway wired to `addresses` ({"whisper": "127.0.0.1:N", ...});
    services not named are not deployed. Its address is its http:// URL."""
    port, metrics = free_port(), free_port()
    wiring = {spec.gateway_addr_env: addresses.get(spec.name, "") for spec in SERVICES}
    grpc = {"OPTIVUS_GATEWAY_GRPC_PORT": str(free_port())}
    proc = processes.spawn(processes.service_argv(GATEWAY),
                           {**env, **wiring, **grpc, **processes.listen_env(GATEWAY, LOOPBACK, port),
                            **processes.metrics_env(metrics)},
                           log_dir / "gateway.log")
    try:
        wait_for_http(f"http://{LOOPBACK}:{port}/healthz", GATEWAY.startup_timeout_s, proc)
        yield Started(f"http://{LOOPBACK}:{port}", f"http://{LOOPBACK}:{metrics}/metrics")
    finally:
        stop_process(proc)


@contextlib.contextmanager
def running_gateway(env: dict[str, str], addresses: dict[str, str], log_dir: Path) -> Iterator[str]:
    """started_gateway, yielding the gateway's http:// URL only."""
    with started_gateway(env, addresses, log_dir) as started:
        yield started.address


@contextlib.contextmanager
def running_nats(store: Path, *extra: str) -> Iterator[tuple[str, str]]:
    """A real JetStream nats-server on free loopback ports (`extra`: more
    nats-server flags); yields (client URL, monitoring URL) once /healthz
    answers."""
    port, monitor = free_port(), free_port()
    proc = subprocess.Popen([*processes.nats_argv(LOOPBACK, port, monitor, store), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_http(f"http://{LOOPBACK}:{monitor}/healthz", 30, proc)
        yield f"nats://{LOOPBACK}:{port}", f"http://{LOOPBACK}:{monitor}"
    finally:
        stop_process(proc)
