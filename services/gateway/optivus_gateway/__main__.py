"""python -m optivus_gateway: socket.io + HTTP on OPTIVUS_GATEWAY_PORT,
Prometheus metrics on OPTIVUS_METRICS_PORT."""

from __future__ import annotations

import sys

import uvicorn

from optivus_common.logs import configure_logging
from optivus_common.metrics import serve_metrics
from optivus_common.telemetry import configure_tracing

from .app import Gateway
from .config import GatewaySettings


def main() -> int:
    settings = GatewaySettings()
    configure_logging(settings.log_level)
    configure_tracing(settings.service_name)
    metrics = serve_metrics(settings.host, settings.metrics_port)
    gateway = Gateway(settings)
    config = uvicorn.Config(gateway.asgi, host=settings.host, port=settings.port, log_config=None,
                            timeout_graceful_shutdown=int(settings.shutdown_grace_s), ws="wsproto")
    uvicorn.Server(config).run()
    if metrics is not None:
        metrics.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
