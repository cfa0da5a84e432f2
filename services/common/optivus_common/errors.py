"""Domain errors. Engines and servicers raise these; ErrorInterceptor turns
them into canonical gRPC codes with an AIP-193 ErrorInfo."""

from __future__ import annotations

import grpc


class OptivusError(Exception):
    code = grpc.StatusCode.INTERNAL
    default_reason = "INTERNAL"

    def __init__(self, message: str, *, reason: str | None = None, **metadata: object) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = {k: str(v) for k, v in metadata.items()}


class InvalidArgument(OptivusError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"


class NotFound(OptivusError):
    code = grpc.StatusCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class PermissionDenied(OptivusError):
    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class FailedPrecondition(OptivusError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class ResourceExhausted(OptivusError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"


class Unavailable(OptivusError):
    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class Cancelled(OptivusError):
    code = grpc.StatusCode.CANCELLED
    default_reason = "CANCELLED"
