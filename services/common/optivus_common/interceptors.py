"""The one place where exceptions become gRPC statuses (AIP-193).

Domain errors keep their code and message and carry an ErrorInfo with
their reason; anything unexpected is logged with its traceback and reaches
the client only as INTERNAL "internal error"."""

from __future__ import annotations

import asyncio
import inspect
import logging

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from .errors import OptivusError

log = logging.getLogger(__name__)


def error_status(code: grpc.StatusCode, message: str, reason: str, domain: str,
                 metadata: dict[str, str] | None = None) -> grpc.Status:
    info = error_details_pb2.ErrorInfo(reason=reason, domain=domain, metadata=metadata or {})
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    return rpc_status.to_status(status)


def status_for(exc: BaseException, domain: str, method: str) -> grpc.Status:
    if isinstance(exc, OptivusError):
        return error_status(exc.code, exc.message, exc.reason, domain, exc.metadata)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return error_status(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded", "DEADLINE_EXCEEDED", domain)
    if isinstance(exc, NotImplementedError):
        return error_status(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented", "NOT_IMPLEMENTED", domain)
    if isinstance(exc, grpc.aio.AioRpcError):
        # A downstream service failed: pass its status on unchanged.
        trailing = tuple(exc.trailing_metadata() or ())
        return _PassThrough(exc.code(), exc.details() or "", trailing)
    log.error("unhandled error in %s", method, exc_info=exc)
    return error_status(grpc.StatusCode.INTERNAL, "internal error", "INTERNAL", domain)


class _PassThrough(grpc.Status):
    def __init__(self, code, details, trailing_metadata):
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, domain: str) -> None:
        self._domain = domain

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method),
                handler.request_deserializer, handler.response_serializer)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(handler.stream_unary, method),
                handler.request_deserializer, handler.response_serializer)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method),
                handler.request_deserializer, handler.response_serializer)
        return grpc.stream_stream_rpc_method_handler(
            self._wrap_stream(handler.stream_stream, method),
            handler.request_deserializer, handler.response_serializer)

    async def _abort(self, context, exc: Exception, method: str):
        await context.abort_with_status(status_for(exc, self._domain, method))

    def _wrap_unary(self, behavior, method):
        async def wrapper(request, context):
            try:
                return await behavior(request, context)
            except grpc.aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001 - this is the mapping point
                await self._abort(context, exc, method)
        return wrapper

    def _wrap_stream(self, behavior, method):
        async def wrapper(request, context):
            try:
                if inspect.isasyncgenfunction(behavior):
                    async for response in behavior(request, context):
                        yield response
                else:
                    await behavior(request, context)
            except grpc.aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001
                await self._abort(context, exc, method)
        return wrapper


def error_info_from(err: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo | None:
    """Client side: the ErrorInfo a failed call carries, if any."""
    for key, value in err.trailing_metadata() or ():
        if key == rpc_status.GRPC_DETAILS_METADATA_KEY:
            for detail in status_pb2.Status.FromString(value).details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info):
                    return info
    return None
