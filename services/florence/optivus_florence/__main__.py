"""python -m optivus_florence: settings -> engine -> serve (models load
while health says NOT_SERVING)."""

from __future__ import annotations

import sys

from optivus_common.server import main

from .config import FlorenceSettings
from .server import run

if __name__ == "__main__":
    sys.exit(main(FlorenceSettings(), run))
