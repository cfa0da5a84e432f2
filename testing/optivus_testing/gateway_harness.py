"""The gateway in this process (uvicorn on a free loopback port), for fast
tests against fake backends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn

from optivus_common.registry import SERVICES


@contextlib.asynccontextmanager
async def gateway_in_process(addresses: dict[str, str], **settings) -> AsyncIterator[tuple[str, object]]:
    """Yields (http://127.0.0.1:PORT, the Gateway) wired to `addresses`;
    services not named are not deployed. `settings` override GatewaySettings
    (its gRPC port is a free one unless they name it: gateway.grpc_port)."""
    from optivus_gateway.app import Gateway
    from optivus_gateway.config import GatewaySettings

    wiring = {f"{spec.name}_addr": addresses.get(spec.name, "") for spec in SERVICES}
    gateway = Gateway(GatewaySettings(**{**wiring, "grpc_port": 0, **settings}))
    config = uvicorn.Config(gateway.asgi, host="127.0.0.1", port=0, log_config=None, ws="wsproto",
                            lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}", gateway
    finally:
        server.should_exit = True
        await task
