"""python -m optivus_dlp: settings -> serve (nothing to load: health says
SERVING as soon as the server listens)."""

from __future__ import annotations

import sys

from optivus_common.server import main

from .config import DlpSettings
from .server import run

if __name__ == "__main__":
    sys.exit(main(DlpSettings(), run))
