"""API keys and per-key limits on the gateway's gRPC services: each RPC
method of a servicer is wrapped so that it first reads the key from the
`authorization: Bearer <key>` metadata (UNAUTHENTICATED without a valid
one), then holds one of the key's request slots for the whole call
(RESOURCE_EXHAUSTED when over a limit). Health and reflection are not
wrapped: probes need no key. The caller is in `current_principal`."""

from __future__ import annotations

import contextlib
import contextvars
import inspect

from google.rpc import code_pb2
from grpc_status import rpc_status

from optivus_common.registry import GATEWAY
from optivus_common.statuses import status

from . import Access, LimitReached, Principal, Unauthorized, bearer

current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def _token(context) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            return bearer(value)
    return None


async def _admit(access: Access, context) -> contextlib.ExitStack:
    """Identifies the caller and takes a slot; aborts the call otherwise."""
    try:
        principal = access.identify(_token(context))
    except Unauthorized as exc:
        reason = "API_KEY_MISSING" if _token(context) is None else "API_KEY_INVALID"
        await context.abort_with_status(rpc_status.to_status(
            status(code_pb2.UNAUTHENTICATED, exc.message, reason, GATEWAY.domain)))
    stack = contextlib.ExitStack()
    try:
        stack.enter_context(access.hold(principal))
    except LimitReached as exc:
        await context.abort_with_status(rpc_status.to_status(status(
            code_pb2.RESOURCE_EXHAUSTED, exc.message, "RATE_LIMITED", GATEWAY.domain,
            {"retry_after_s": str(exc.retry_after_s)})))
    current_principal.set(principal)
    return stack


def _wrap(method, access: Access):
    if inspect.isasyncgenfunction(method):
        async def streaming(request, context):
            with await _admit(access, context):
                async for response in method(request, context):
                    yield response
        return streaming

    async def unary(request, context):
        with await _admit(access, context):
            return await method(request, context)
    return unary


class Guarded:
    """`servicer` with every public method wrapped (what the generated
    add_*_to_server reads)."""

    def __init__(self, servicer: object, access: Access) -> None:
        self._servicer = servicer
        self._access = access

    def __getattr__(self, name: str):
        attr = getattr(self._servicer, name)
        if name.startswith("_") or not callable(attr):
            return attr
        return _wrap(attr, self._access)
