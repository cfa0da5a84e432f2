"""python -m optivus_dlp: settings -> serve (nothing to load: health says
SERVING as soon as the server listens)."""

from __future__ import annotations

import asyncio
import sys

from optivus_common.logs import configure_logging
from optivus_common.telemetry import configure_tracing

from .config import DlpSettings
from .server import run


def main() -> int:
    settings = DlpSettings()
    configure_logging(settings.log_level)
    configure_tracing(settings.service_name)
    return asyncio.run(run(settings))


if __name__ == "__main__":
    sys.exit(main())
