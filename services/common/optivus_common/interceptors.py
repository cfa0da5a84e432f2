"""The one place where exceptions become gRPC statuses (AIP-193).

Domain errors keep their code (statuses.CODES), message and reason, with
an ErrorInfo; anything unexpected is logged with its traceback and reaches
the client only as INTERNAL "internal error"."""

from __future__ import annotations

import inspect

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from .statuses import error_info, status, status_of


def status_for(exc: BaseException, domain: str, method: str) -> grpc.Status:
    if isinstance(exc, NotImplementedError):
        return rpc_status.to_status(status(code_pb2.UNIMPLEMENTED, f"{method} is not implemented",
                                           "NOT_IMPLEMENTED", domain))
    if isinstance(exc, grpc.aio.AioRpcError):
        # A downstream service failed: pass its status on unchanged.
        trailing = tuple(exc.trailing_metadata() or ())
        return _PassThrough(exc.code(), exc.details() or "", trailing)
    return rpc_status.to_status(status_of(exc, domain, method))


class _PassThrough(grpc.Status):
    def __init__(self, code, details, trailing_metadata):
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


def rewrap(handler, wrap_unary, wrap_stream):
    """A method handler of the same kind with its behaviour wrapped:
    wrap_unary for calls with one response, wrap_stream for streamed ones."""
    args = (handler.request_deserializer, handler.response_serializer)
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(wrap_unary(handler.unary_unary), *args)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(wrap_unary(handler.stream_unary), *args)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(wrap_stream(handler.unary_stream), *args)
    return grpc.stream_stream_rpc_method_handler(wrap_stream(handler.stream_stream), *args)


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, domain: str) -> None:
        self._domain = domain

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        return rewrap(handler, lambda behavior: self._wrap_unary(behavior, method),
                      lambda behavior: self._wrap_stream(behavior, method))

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
            return error_info(status_pb2.Status.FromString(value))
    return None
