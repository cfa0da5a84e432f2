"""Processes that can be stopped, killed and started again where they were
(fixed ports, a kept NATS store): for tests and benchmarks of the pipeline
that crash or restart a part of it mid-job."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from optivus_cli import processes as cli
from optivus_common.registry import GATEWAY, SERVICES, service

from .processes import LOOPBACK, free_port, wait_for_health, wait_for_http


class Nats:
    """A JetStream nats-server on fixed ports with a kept store."""

    def __init__(self, store: Path) -> None:
        self.store, self.port, self.monitor = store, free_port(), free_port()
        self.url = f"nats://{LOOPBACK}:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(cli.nats_argv(LOOPBACK, self.port, self.monitor, self.store),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_http(f"http://{LOOPBACK}:{self.monitor}/healthz", 30, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            cli.stop(self.proc, 30)


class Replica:
    """One service process (a registry name) on a fixed port, so that a
    replacement takes its place; `worker_only` replicas serve gRPC on a
    port of their own (another replica of the same stage)."""

    def __init__(self, name: str, env: dict[str, str], logs: Path, suffix: str = "") -> None:
        self.spec, self.env, self.logs, self.suffix = service(name), env, logs, suffix
        self.address = f"{LOOPBACK}:{free_port()}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        port = int(self.address.rsplit(":", 1)[1])
        self.proc = cli.spawn(cli.service_argv(self.spec), {**self.env, **cli.listen_env(self.spec, LOOPBACK, port)},
                              self.logs / f"{self.spec.name}{self.suffix}.log")
        wait_for_health(self.address, self.spec.startup_timeout_s, self.proc)

    def kill(self) -> None:
        """SIGKILL: no chance to hand work back."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            cli.stop(self.proc, 30)


class Gateway:
    def __init__(self, env: dict[str, str], replicas: dict[str, Replica], logs: Path) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        wiring = {s.gateway_addr_env: replicas[s.name].address if s.name in replicas else "" for s in SERVICES}
        self._env = {**env, **wiring, "OPTIVUS_GATEWAY_GRPC_PORT": str(free_port()),
                     **cli.listen_env(GATEWAY, LOOPBACK, self.port)}
        self._log = logs / "gateway.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = cli.spawn(cli.service_argv(GATEWAY), self._env, self._log)
        wait_for_http(f"{self.url}/healthz", GATEWAY.startup_timeout_s, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            cli.stop(self.proc, 30)
