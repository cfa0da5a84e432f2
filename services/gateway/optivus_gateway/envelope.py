"""The first server's reply envelope: {"status": "<code>", "data": {...}},
and how gRPC failures become a status and a message a person understands."""

from __future__ import annotations

import grpc

from optivus_common.interceptors import error_info_from

from .backends import ServiceNotConfigured

_HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: "400",
    grpc.StatusCode.OUT_OF_RANGE: "400",
    grpc.StatusCode.FAILED_PRECONDITION: "400",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "400",
    grpc.StatusCode.UNIMPLEMENTED: "400",
    grpc.StatusCode.PERMISSION_DENIED: "403",
    grpc.StatusCode.UNAUTHENTICATED: "403",
    grpc.StatusCode.NOT_FOUND: "404",
    grpc.StatusCode.UNAVAILABLE: "503",
    grpc.StatusCode.DEADLINE_EXCEEDED: "503",
}


class RequestError(Exception):
    """A problem with the client's message, found by the gateway itself."""

    def __init__(self, message: str, status: str = "400") -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def echo_of(request: object) -> dict:
    """The fields of a request its reply echoes: all but a batch's `data`
    and binary attachments (a reply never sends the client's audio back)."""
    if not isinstance(request, dict):
        return {}
    return {k: v for k, v in request.items() if k != "data" and not isinstance(v, (bytes, bytearray))}


def envelope(status: str, data: object) -> dict:
    return {"status": status, "data": data}


def error_reason(err: grpc.aio.AioRpcError) -> str | None:
    """The ErrorInfo reason the service attached, if any."""
    info = error_info_from(err)
    return info.reason if info is not None else None


def status_for_code(code: int) -> str:
    """The reply status for a google.rpc.Code (a job item's error)."""
    try:
        return _HTTP.get(grpc.StatusCode[_CODE_NAMES[code]], "500")
    except KeyError:
        return "500"


_CODE_NAMES = {c.value[0]: c.name for c in grpc.StatusCode}


def _busy(err: grpc.aio.AioRpcError) -> bool:
    """RESOURCE_EXHAUSTED because the service is busy (a retryable error, or
    gRPC's own cap on concurrent calls, which carries no ErrorInfo), not
    because the request is over a limit."""
    info = error_info_from(err)
    return info is None or info.metadata.get("retryable") == "true"


def describe_failure(exc: BaseException, service: str) -> tuple[str, str]:
    """(status, message) for a failed backend call."""
    if isinstance(exc, RequestError):
        return exc.status, exc.message
    if isinstance(exc, ServiceNotConfigured):
        return "503", str(exc)
    if isinstance(exc, grpc.aio.AioRpcError):
        code = exc.code()
        if error_reason(exc) is None and code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            # Transport-level: the service did not answer at all.
            what = "did not answer in time" if code == grpc.StatusCode.DEADLINE_EXCEEDED else "is unreachable"
            return "503", f"the {service} service {what}; try again later"
        if code == grpc.StatusCode.INTERNAL:
            return "500", f"the {service} service failed: {exc.details() or 'internal error'}"
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED and _busy(exc):
            return "429", f"the {service} service is busy: {exc.details() or 'try again later'}"
        return _HTTP.get(code, "500"), exc.details() or code.name.lower()
    return "500", "internal error"
