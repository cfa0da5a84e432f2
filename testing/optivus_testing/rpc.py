"""Waiting for a gRPC call that must fail."""

from __future__ import annotations

import grpc
import pytest


async def rpc_error(call) -> grpc.aio.AioRpcError:
    """The error a call ends with (a unary call, awaited, or a streaming
    one, read to its end); fails the test when it succeeds."""
    with pytest.raises(grpc.aio.AioRpcError) as err:
        if hasattr(call, "__aiter__"):
            async for _ in call:
                pass
        else:
            await call
    return err.value
