"""The one table from domain errors to canonical codes, and the
google.rpc.Status of an error for per-item failures inside a stream
(one URL of many, one image of a batch)."""

from __future__ import annotations

import asyncio
import logging

from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from . import errors

log = logging.getLogger(__name__)

# Canonical code (google.rpc.Code) per kind of domain error.
CODES: dict[type[errors.OptivusError], int] = {
    errors.InvalidArgument: code_pb2.INVALID_ARGUMENT,
    errors.NotFound: code_pb2.NOT_FOUND,
    errors.PermissionDenied: code_pb2.PERMISSION_DENIED,
    errors.FailedPrecondition: code_pb2.FAILED_PRECONDITION,
    errors.ResourceExhausted: code_pb2.RESOURCE_EXHAUSTED,
    errors.Unavailable: code_pb2.UNAVAILABLE,
    errors.Cancelled: code_pb2.CANCELLED,
    errors.DeadlineExceeded: code_pb2.DEADLINE_EXCEEDED,
}


def code_of(exc: errors.OptivusError) -> int:
    for kind in type(exc).__mro__:
        if kind in CODES:
            return CODES[kind]
    return code_pb2.INTERNAL


def status_of(exc: BaseException, domain: str, where: str = "") -> status_pb2.Status:
    """The Status a client sees for `exc`: a domain error keeps its code,
    message and reason; a timeout is DEADLINE_EXCEEDED; anything else is a
    bug, logged here with its traceback and shown only as "internal error"."""
    if isinstance(exc, errors.OptivusError):
        # "retryable" tells clients (and the gateway) that the same call may
        # succeed later: a busy service rather than a request over a limit.
        metadata = {**exc.metadata, "retryable": "true"} if exc.retryable else exc.metadata
        return status(code_of(exc), exc.message, exc.reason, domain, metadata)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return status(code_pb2.DEADLINE_EXCEEDED, "deadline exceeded", "DEADLINE_EXCEEDED", domain)
    log.error("unhandled error in %s", where or domain, exc_info=exc)
    return status(code_pb2.INTERNAL, "internal error", "INTERNAL", domain)


def status(code: int, message: str, reason: str, domain: str,
           metadata: dict[str, str] | None = None) -> status_pb2.Status:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=domain, metadata=metadata or {}))
    return status_pb2.Status(code=code, message=message, details=[detail])


def error_info(st: status_pb2.Status) -> error_details_pb2.ErrorInfo | None:
    for detail in st.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    return None
