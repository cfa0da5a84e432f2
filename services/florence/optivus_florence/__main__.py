"""python -m optivus_florence: settings -> engine -> serve (models load
while health says NOT_SERVING)."""

from __future__ import annotations

import asyncio
import sys

from optivus_common.logs import configure_logging
from optivus_common.telemetry import configure_tracing

from .config import FlorenceSettings
from .server import run


def main() -> int:
    settings = FlorenceSettings()
    configure_logging(settings.log_level)
    configure_tracing(settings.service_name)
    return asyncio.run(run(settings))


if __name__ == "__main__":
    sys.exit(main())
