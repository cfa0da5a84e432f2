"""gRPC bootstrap every service uses: grpc.aio server with health checking
(NOT_SERVING until the model is loaded), reflection, the OTel, error and
metrics interceptors, message size limits, graceful shutdown on SIGTERM,
and the Prometheus metrics server (OPTIVUS_METRICS_PORT)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from opentelemetry import trace

from . import metrics
from .grpc_metrics import MetricsInterceptor
from .interceptors import ErrorInterceptor
from .registry import ServiceSpec
from .settings import CommonSettings
from .telemetry import server_interceptor

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass
class Registration:
    """One gRPC service to mount: the generated add_*_to_server function,
    the servicer instance and the full service name (for health/reflection)."""

    add_to_server: Callable[[object, grpc.aio.Server], None]
    servicer: object
    name: str


@dataclass
class RunningServer:
    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    names: list[str] = field(default_factory=list)

    async def set_serving(self, serving: bool) -> None:
        status = SERVING if serving else NOT_SERVING
        for name in ["", *self.names]:
            await self.health.set(name, status)

    async def stop(self, grace: float | None) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


async def start_server(settings: CommonSettings, registrations: Sequence[Registration], *,
                       domain: str, address: str, max_concurrent_rpcs: int | None = None) -> RunningServer:
    """Starts a server on `address` ("host:port", port 0 picks one) with
    every service NOT_SERVING; call set_serving(True) once ready."""
    server = grpc.aio.server(
        # Outermost first: the span covers the call; errors become statuses
        # around the metrics, which see the exception itself.
        interceptors=[server_interceptor(), ErrorInterceptor(domain), MetricsInterceptor()],
        options=settings.grpc_options,
        maximum_concurrent_rpcs=max_concurrent_rpcs,
    )
    for reg in registrations:
        reg.add_to_server(reg.servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [reg.name for reg in registrations]
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"could not bind {address}")
    running = RunningServer(server, health_servicer, port, names)
    await running.set_serving(False)
    await server.start()
    log.info("grpc server listening", extra={"address": address, "port": port, "services": names})
    return running


def stop_event_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve(settings: CommonSettings, registrations: Sequence[Registration], *, domain: str,
                address: str, load: Callable[[], None] | None = None,
                on_ready: Callable[[RunningServer], Awaitable[None]] | None = None,
                on_stop: Callable[[], Awaitable[None]] | None = None,
                max_concurrent_rpcs: int | None = None) -> int:
    """Runs a service until SIGTERM/SIGINT. `load` (blocking, run in a
    thread) loads the model while health says NOT_SERVING; `on_ready` runs
    once it serves; `on_stop` as soon as the stop is asked, before the
    in-flight calls drain (a stage worker hands its work back there).
    Metrics are served on OPTIVUS_METRICS_PORT, on the gRPC address's host.
    Returns the process exit code."""
    stop = stop_event_on_signals()
    metrics_server = metrics.serve_metrics(address.rsplit(":", 1)[0].strip("[]"), settings.metrics_port)
    running = await start_server(settings, registrations, domain=domain, address=address,
                                 max_concurrent_rpcs=max_concurrent_rpcs)
    try:
        if load is not None:
            loader = asyncio.create_task(asyncio.to_thread(_timed_load, load))
            waiter = asyncio.create_task(stop.wait())
            await asyncio.wait({loader, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not loader.done():
                log.info("stopped while loading")
                return 0
            waiter.cancel()
            loader.result()
        await running.set_serving(True)
        if on_ready is not None:
            await on_ready(running)
        log.info("serving", extra={"port": running.port})
        await stop.wait()
        log.info("shutting down", extra={"grace_s": settings.shutdown_grace_s})
        return 0
    except Exception:
        log.exception("service failed")
        return 1
    finally:
        if on_stop is not None:
            await on_stop()
        await running.stop(settings.shutdown_grace_s)
        if metrics_server is not None:
            metrics_server.stop()


def _timed_load(load: Callable[[], None]) -> None:
    """Runs `load` in a span of its own and records how long it took."""
    started = time.perf_counter()
    with tracer.start_as_current_span("load model"):
        load()
    metrics.MODEL_LOAD_SECONDS.set(time.perf_counter() - started)
    log.info("model loaded", extra={"load_s": round(time.perf_counter() - started, 3)})


async def serve_service(settings: CommonSettings, spec: ServiceSpec, add_to_server: Callable, servicer: object, *,
                        load: Callable[[], None] | None = None,
                        on_ready: Callable[[RunningServer], Awaitable[None]] | None = None,
                        on_stop: Callable[[], Awaitable[None]] | None = None) -> int:
    """serve() for the registry service `spec`, whose servicer the generated
    add_*_to_server mounts: its error domain, its address (settings.host and
    settings.port) and the concurrency cap come from the spec and settings."""
    return await serve(settings, [Registration(add_to_server, servicer, spec.grpc_service)], domain=spec.domain,
                       address=f"{settings.host}:{settings.port}", load=load, on_ready=on_ready,
                       on_stop=on_stop, max_concurrent_rpcs=settings.grpc_max_concurrent_rpcs or None)


def main(settings: CommonSettings, run: Callable[[CommonSettings], Awaitable[int]]) -> int:
    """What every service's `python -m` does: JSON logs, tracing, then
    run(settings) on a fresh event loop; returns the exit code."""
    from .logs import configure_logging
    from .telemetry import configure_tracing

    configure_logging(settings.log_level)
    configure_tracing(settings.service_name)
    return run_to_exit(run(settings))


# How long tasks still running when the service has stopped get to end
# once cancelled (a NATS client reconnecting to a server that is gone, a
# library's background task).
STRAY_TASKS_S = 5.0


def run_to_exit(main: Awaitable[int]) -> int:
    """asyncio.run(main), except that tasks left when main returns get
    STRAY_TASKS_S to end once cancelled, and then the process exits anyway:
    a service that was told to stop always stops."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    code = 1
    try:
        code = loop.run_until_complete(main)
        return code
    finally:
        left = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in left:
            task.cancel()
        pending = set()
        if left:
            _, pending = loop.run_until_complete(asyncio.wait(left, timeout=STRAY_TASKS_S))
        if pending:
            log.warning("tasks still running at exit; exiting without them",
                        extra={"tasks": [repr(task.get_coro())[:200] for task in list(pending)[:5]]})
            logging.shutdown()
            os._exit(code)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
