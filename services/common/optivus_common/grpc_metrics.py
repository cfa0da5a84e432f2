"""Prometheus metrics of a gRPC server's calls: started, ended by code,
errors by code and ErrorInfo reason, duration (until the last streamed
response) and calls in flight, per service and method. Health checks and
reflection are not counted.

It sits inside ErrorInterceptor, next to the handler, so it sees the
exception itself and names the code and reason the client will get."""

from __future__ import annotations

import asyncio
import inspect
import time

import grpc
from google.rpc import code_pb2

from . import metrics
from .errors import OptivusError
from .interceptors import error_info_from, rewrap
from .statuses import code_of

IGNORED_SERVICES = frozenset({"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
                              "grpc.reflection.v1.ServerReflection"})


def outcome_of(exc: BaseException, context) -> tuple[str, str]:
    """(canonical code name, ErrorInfo reason) of a call that raised `exc`."""
    if isinstance(exc, grpc.aio.AbortError):  # the handler aborted with its own status
        code = context.code() if hasattr(context, "code") else None
        return (code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"), ""
    if isinstance(exc, asyncio.CancelledError):
        return "CANCELLED", ""
    if isinstance(exc, OptivusError):
        return code_pb2.Code.Name(code_of(exc)), exc.reason
    if isinstance(exc, grpc.aio.AioRpcError):  # a downstream call's status, passed on
        info = error_info_from(exc)
        return exc.code().name, info.reason if info else ""
    if isinstance(exc, NotImplementedError):
        return "UNIMPLEMENTED", "NOT_IMPLEMENTED"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED"
    return "INTERNAL", "INTERNAL"


class _Call:
    def __init__(self, labels: tuple[str, str]) -> None:
        self.labels = labels
        self.started = time.perf_counter()
        metrics.GRPC_STARTED.labels(*labels).inc()
        metrics.GRPC_IN_FLIGHT.labels(*labels).inc()

    def end(self, code: str, reason: str = "") -> None:
        metrics.GRPC_IN_FLIGHT.labels(*self.labels).dec()
        metrics.GRPC_SECONDS.labels(*self.labels).observe(time.perf_counter() - self.started)
        metrics.GRPC_HANDLED.labels(*self.labels, code).inc()
        if code != "OK":
            metrics.GRPC_ERRORS.labels(*self.labels, code, reason).inc()


def _ended_ok(context) -> str:
    """OK, unless the handler set another code without raising."""
    code = context.code() if hasattr(context, "code") else None
    return code.name if isinstance(code, grpc.StatusCode) and code != grpc.StatusCode.OK else "OK"


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        service, _, method = handler_call_details.method.lstrip("/").rpartition("/")
        if service in IGNORED_SERVICES:
            return handler
        labels = (service, method)
        return rewrap(handler, lambda behavior: self._wrap_unary(behavior, labels),
                      lambda behavior: self._wrap_stream(behavior, labels))

    @staticmethod
    def _wrap_unary(behavior, labels):
        async def wrapper(request, context):
            call = _Call(labels)
            try:
                response = await behavior(request, context)
            except BaseException as exc:
                call.end(*outcome_of(exc, context))
                raise
            call.end(_ended_ok(context))
            return response
        return wrapper

    @staticmethod
    def _wrap_stream(behavior, labels):
        async def wrapper(request, context):
            call = _Call(labels)
            try:
                if inspect.isasyncgenfunction(behavior):
                    async for response in behavior(request, context):
                        yield response
                else:
                    await behavior(request, context)
            except GeneratorExit:  # the client went away mid-stream
                call.end("CANCELLED")
                raise
            except BaseException as exc:
                call.end(*outcome_of(exc, context))
                raise
            call.end(_ended_ok(context))
        return wrapper
