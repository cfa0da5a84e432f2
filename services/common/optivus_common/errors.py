"""Domain errors. Engines, application layers and adapters raise these;
they know nothing of any transport. The gRPC code of each kind is chosen
in one place (statuses.CODES); a JetStream worker acks, naks or
terminates a message by `retryable`.

`reason` is an UPPER_SNAKE ErrorInfo reason (AIP-193) and `metadata` its
dynamic values; `message` is for people and never holds secrets."""

from __future__ import annotations


class OptivusError(Exception):
    default_reason = "INTERNAL"
    # Whether trying the same work again later can succeed (a model that
    # is loading, a store that is down), as opposed to a bad input.
    default_retryable = False

    def __init__(self, message: str, *, reason: str | None = None, retryable: bool | None = None,
                 **metadata: object) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.retryable = self.default_retryable if retryable is None else retryable
        self.metadata = {k: str(v) for k, v in metadata.items()}


class InvalidArgument(OptivusError):
    default_reason = "INVALID_ARGUMENT"


class NotFound(OptivusError):
    default_reason = "NOT_FOUND"


class PermissionDenied(OptivusError):
    default_reason = "PERMISSION_DENIED"


class FailedPrecondition(OptivusError):
    default_reason = "FAILED_PRECONDITION"


class ResourceExhausted(OptivusError):
    """A limit: mostly the request's own size (never better on retry), but
    a full queue or an out-of-memory pass with `retryable=True`."""

    default_reason = "RESOURCE_EXHAUSTED"


class Unavailable(OptivusError):
    default_reason = "UNAVAILABLE"
    default_retryable = True


class Cancelled(OptivusError):
    default_reason = "CANCELLED"


class DeadlineExceeded(OptivusError):
    default_reason = "DEADLINE_EXCEEDED"
    default_retryable = True


def still_loading(what: str) -> Unavailable:
    """The error every service answers while its model loads."""
    return Unavailable(f"the {what} is still loading", reason="MODEL_NOT_LOADED")
